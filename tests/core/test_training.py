"""Training: teaching sets and a person's data, the loop, pause and stop, one undo step,
the three-initializer demo and the health check."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from core.document.compose import Composer
from core.errors import ArgumentError
from core.training import (
    TEACHING_SETS,
    ApplyTraining,
    Control,
    DataError,
    TrainConfig,
    Trainer,
    copy_for_training,
    health_check,
    initializer_demo,
    load_csv,
    load_image_folder,
    load_tensor_data,
    optimizer_specs,
    split,
    teaching_set,
)
from core.workspace import Workspace


def moons_workspace(hidden: int = 32) -> Workspace:
    c = Composer()
    document = c.document(
        c.layer("Linear", in_features=2, out_features=hidden), c.layer("ReLU"),
        c.layer("Linear", in_features=hidden, out_features=hidden), c.layer("ReLU"),
        c.layer("Linear", in_features=hidden, out_features=2), input_shape=(2, 2))
    return Workspace(document)


@pytest.fixture(scope="module")
def moons():
    return split(teaching_set("moons", size=1000, noise=0.1, seed=0), 0.2, seed=0)


def state(module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_teaching_sets_are_seeded_and_shaped():
    for name in TEACHING_SETS:
        a, b = teaching_set(name, size=50, seed=3), teaching_set(name, size=50, seed=3)
        assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
        assert len(a) == 50
    assert teaching_set("regression", size=10).targets.dtype == torch.float32
    assert teaching_set("blobs", size=30, classes=3).classes == ["0", "1", "2"]
    with pytest.raises(DataError, match="teaching sets"):
        teaching_set("mnist")


def test_small_mlp_learns_two_moons_within_seconds(moons):
    workspace = moons_workspace()
    clone = copy_for_training(workspace.live.module)
    seen = []
    started = time.perf_counter()
    result = Trainer(clone, moons, TrainConfig(optimizer="Adam", optimizer_args={"lr": 0.01},
                                               epochs=20, seed=0),
                     on_epoch=seen.append).run()
    elapsed = time.perf_counter() - started
    assert [s.epoch for s in seen] == list(range(1, 21))
    assert result.last.validation_accuracy >= 0.95
    assert result.last.train_loss < seen[0].train_loss
    assert elapsed < 10


def test_training_is_one_undo_step_that_restores_bit_for_bit(moons):
    workspace = moons_workspace()
    live = workspace.live
    before = state(live.module)
    clone = copy_for_training(live.module)
    Trainer(clone, moons, TrainConfig(epochs=2)).run()
    workspace.execute(ApplyTraining(live, clone, "Train (2 epochs)"))
    after = state(live.module)
    assert all(torch.equal(after[k], clone.state_dict()[k]) for k in after)
    assert not all(torch.equal(after[k], before[k]) for k in after)
    workspace.undo()
    restored = state(live.module)
    assert all(torch.equal(restored[k], before[k]) for k in before)
    workspace.redo()
    assert all(torch.equal(state(live.module)[k], after[k]) for k in after)


def test_training_never_touches_the_live_module(moons):
    workspace = moons_workspace()
    before = state(workspace.live.module)
    Trainer(copy_for_training(workspace.live.module), moons, TrainConfig(epochs=1)).run()
    assert all(torch.equal(state(workspace.live.module)[k], v) for k, v in before.items())


def test_stop_and_pause_leave_a_whole_model(moons):
    workspace = moons_workspace()
    clone = copy_for_training(workspace.live.module)
    control = Control()
    epochs = []

    def on_epoch(stats):
        epochs.append(stats)
        if stats.epoch == 2:
            control.pause()
            threading.Timer(0.2, control.stop).start()

    result = Trainer(clone, moons, TrainConfig(epochs=50), control, on_epoch=on_epoch).run()
    assert result.stopped and len(result.epochs) == 2
    assert all(torch.isfinite(t).all() for t in clone.state_dict().values())
    workspace.execute(ApplyTraining(workspace.live, clone))
    assert all(torch.equal(workspace.live.module.state_dict()[k], v)
               for k, v in clone.state_dict().items())


def test_stop_in_the_middle_of_an_epoch(moons):
    workspace = moons_workspace()
    clone = copy_for_training(workspace.live.module)
    control = Control()

    def on_step(stats):
        if stats.step == 10:
            control.stop()

    config = TrainConfig(epochs=5, batch_size=8, report_every=5)
    result = Trainer(clone, moons, config, control, on_step=on_step).run()
    assert result.stopped and result.epochs == []


def test_a_changed_network_refuses_the_trained_weights(moons):
    workspace = moons_workspace()
    other = moons_workspace(hidden=8)
    with pytest.raises(Exception, match="changed while it trained"):
        ApplyTraining(workspace.live, other.live.module)


def test_zeros_do_not_learn_and_xavier_does(moons):
    workspace = moons_workspace()
    config = TrainConfig(optimizer="SGD", optimizer_args={"lr": 0.1}, epochs=15,
                         batch_size=32)
    results = initializer_demo(workspace.live.module, moons, config)
    assert set(results) == {"xavier_uniform", "zeros", "piecewise"}
    assert results["xavier_uniform"].last.validation_accuracy >= 0.85
    assert results["zeros"].last.validation_accuracy <= 0.6
    first, last = results["zeros"].epochs[0], results["zeros"].last
    assert last.train_loss >= first.train_loss - 0.02


def test_optimizers_and_their_arguments_are_typed():
    specs = optimizer_specs()
    assert {"SGD", "Adam", "AdamW", "RMSprop"} <= set(specs)
    assert "LBFGS" not in specs
    assert specs["SGD"].validate_args({"lr": 0.5, "momentum": 0.9}) == {"lr": 0.5,
                                                                        "momentum": 0.9}
    with pytest.raises(ArgumentError, match="no argument"):
        specs["SGD"].validate_args({"learning_rate": 0.1})
    with pytest.raises(ArgumentError):
        TrainConfig(optimizer="Adam", optimizer_args={"lr": -1.0}).check()
    with pytest.raises(ArgumentError, match="unknown loss"):
        TrainConfig(loss="NoSuchLoss").check()


def test_schedule_changes_the_learning_rate(moons):
    workspace = moons_workspace()
    config = TrainConfig(epochs=3, schedule="StepLR",
                         schedule_args={"step_size": 1, "gamma": 0.5})
    result = Trainer(copy_for_training(workspace.live.module), moons, config).run()
    assert [round(s.learning_rate, 4) for s in result.epochs] == [0.1, 0.05, 0.025]


def test_regression_trains_with_mse():
    c = Composer()
    workspace = Workspace(c.document(c.layer("Linear", in_features=1, out_features=16),
                                     c.layer("Tanh"),
                                     c.layer("Linear", in_features=16, out_features=1),
                                     input_shape=(2, 1)))
    data = split(teaching_set("regression", size=400, noise=0.05), 0.25)
    result = Trainer(copy_for_training(workspace.live.module), data,
                     TrainConfig(optimizer="Adam", optimizer_args={"lr": 0.02},
                                 epochs=30)).run()
    assert result.last.train_accuracy is None
    assert result.last.validation_loss < result.epochs[0].validation_loss
    assert result.last.validation_loss < 0.1


def test_health_check_flags_zeros_and_dead_relus(moons):
    workspace = moons_workspace()
    rows = health_check(workspace.live.module, moons.train)
    assert [r.path for r in rows] == ["0", "1", "2", "3", "4"]
    assert all(r.gradient_std is not None for r in rows)
    module = copy_for_training(workspace.live.module)
    with torch.no_grad():
        module[0].bias.fill_(-100.0)
    rows = {r.path: r for r in health_check(module, moons.train)}
    assert any("dead ReLUs" in f for f in rows["1"].flags)
    assert rows["1"].dead_share == 1.0
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()
    rows = {r.path: r for r in health_check(module, moons.train)}
    assert "vanishing activations" in rows["0"].flags
    assert workspace.live.module[0].weight.grad is None


# A person's data ---------------------------------------------------------------------


def test_csv_with_a_target_column(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y,label\n0.5,1.0,cat\n-1,2,dog\n3,4,cat\n")
    data = load_csv(path, "label")
    assert data.inputs.shape == (3, 2) and data.classes == ["cat", "dog"]
    assert data.targets.tolist() == [0, 1, 0]
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("a,b,t\n1,2,0.5\n3,4,1.5\n")
    assert load_csv(numbers, "t").targets.dtype == torch.float32
    assert load_csv(numbers, "a").is_classification


def test_csv_errors_name_what_is_wrong(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y,label\n0.5,1.0,0\n")
    with pytest.raises(DataError, match="no column 'target'; its columns are x, y, label"):
        load_csv(path, "target")
    path.write_text("x,y,label\n0.5,1.0,0\n1,2\n")
    with pytest.raises(DataError, match="line 3: 2 values, but the header has 3"):
        load_csv(path, "label")
    path.write_text("x,y,label\n0.5,abc,0\n")
    with pytest.raises(DataError, match="'abc' is not a number"):
        load_csv(path, "label")
    with pytest.raises(DataError, match="cannot read"):
        load_csv(tmp_path / "missing.csv", "label")


def test_tensor_file_of_inputs_and_targets(tmp_path):
    path = tmp_path / "x-files"
    torch.save({"inputs": torch.randn(6, 3), "targets": torch.tensor([0, 1, 2, 0, 1, 2])},
               path)
    data = load_tensor_data(path)
    assert data.input_shape == (3,) and data.classes == ["0", "1", "2"]
    torch.save({"inputs": torch.randn(6, 3)}, path)
    with pytest.raises(DataError, match="no 'targets'"):
        load_tensor_data(path)
    torch.save({"inputs": torch.randn(6, 3), "targets": torch.zeros(5)}, path)
    with pytest.raises(DataError, match="one row each"):
        load_tensor_data(path)
    path.write_bytes(b"not a tensor file")
    with pytest.raises(DataError):
        load_tensor_data(path)


def test_image_folder(tmp_path):
    from PIL import Image  # a dependency: image folders need it

    for label, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (tmp_path / label).mkdir()
        for i in range(2):
            Image.new("RGB", (10 + i, 12), colour).save(tmp_path / label / f"{i}.png")
    (tmp_path / "red" / "notes.txt").write_text("not an image, skipped")
    data = load_image_folder(tmp_path, (8, 6))
    assert data.inputs.shape == (4, 3, 8, 6) and data.classes == ["blue", "red"]
    assert data.targets.tolist() == [0, 0, 1, 1]
    assert torch.equal(data.inputs[0, :, 0, 0], torch.tensor([0.0, 0.0, 1.0]))
    assert torch.equal(data.inputs[3, :, 0, 0], torch.tensor([1.0, 0.0, 0.0]))
    grey = load_image_folder(tmp_path, (5, 5), channels=1)
    assert grey.inputs.shape == (4, 1, 5, 5)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    (tmp_path / "red" / "broken.png").write_bytes(b"no picture")
    with pytest.raises(DataError, match=r"red/broken\.png is not a readable image"):
        load_image_folder(tmp_path, (8, 8))
    assert all(p.read_bytes() == data for p, data in before.items())


def test_image_folder_without_pillow_says_so(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(DataError, match="Pillow"):
        load_image_folder(tmp_path)
