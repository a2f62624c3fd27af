"""A training run's dropout draws from the run's own generator, never from torch's one
CPU generator: layers made meanwhile on another thread still get the numbers of their own
seeds, and a run is the same run again from the same seed."""

from __future__ import annotations

import sys
import threading

import pytest
import torch
from torch import nn

from core.document.compose import Composer
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes
from core.training import TrainConfig, Trainer, split, teaching_set
from core.training.own_draws import OwnDraws


@pytest.fixture(scope="module")
def moons():
    return split(teaching_set("moons", size=600, noise=0.1, seed=0), 0.2, seed=0)


def with_dropout() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2))


def test_dropout_keeps_each_value_with_its_probability_and_scales_it():
    values = torch.ones(200_000)
    model = nn.Sequential(nn.Dropout(0.3), nn.Dropout(0.3, inplace=True))
    with OwnDraws(model, seed=3):
        out = model[0](values)
        again = values.clone()
        model[1](again)
        model.eval()
        assert torch.equal(model[0](values), values)
        model.train()
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.01
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / 0.7))
    assert abs(again.mean().item() - 1.0) < 0.02 and not torch.equal(again, out)
    assert "forward" not in vars(model[0])  # PyTorch's own forward again


def test_training_with_dropout_leaves_torchs_generator_alone_and_repeats_from_its_seed(
        moons):
    first, second = with_dropout(), with_dropout()
    before = torch.get_rng_state()
    Trainer(first, moons, TrainConfig(epochs=2, seed=5)).run()
    assert torch.equal(torch.get_rng_state(), before)
    Trainer(second, moons, TrainConfig(epochs=2, seed=5)).run()
    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, second.state_dict()[name]), name


def test_layers_made_while_a_model_with_dropout_trains_are_those_of_their_seeds(moons):
    c = Composer()
    document = c.document(*[c.layer("Linear", in_features=64, out_features=64)
                            for _ in range(20)], input_shape=(2, 64))

    def weights():
        live = LiveModel()
        live.sync(document, infer_shapes(document))
        return {name: t.clone() for name, t in live.module.state_dict().items()}

    expected = weights()
    stop = threading.Event()
    model = with_dropout()

    def keep_training() -> None:
        while not stop.is_set():
            Trainer(model, moons, TrainConfig(epochs=1)).run()

    worker = threading.Thread(target=keep_training)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # as the window sets it
    worker.start()
    try:
        builds = [weights() for _ in range(20)]
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(interval)
    differing = sum(any(not torch.equal(b[k], expected[k]) for k in expected) for b in builds)
    assert differing == 0, f"{differing} of 20 builds drew the trainer's numbers"
