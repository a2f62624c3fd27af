"""Weight and gradient histograms over a run: one row per recorded step, each row
counting every element, ranges fixed at the first record, bounded by thinning."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from core.training import Histograms, TrainConfig, Trainer, split, teaching_set


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


def test_rows_accumulate_with_every_element_counted():
    module = mlp()
    data = split(teaching_set("moons", size=256), 0.25)
    first = float(module[0].weight.detach().abs().max())
    heard: list[int] = []
    histograms = Histograms(module, bins=32, every=3, on_record=heard.append)
    config = TrainConfig(optimizer="SGD", optimizer_args={"lr": 0.5}, batch_size=32,
                         epochs=2)
    Trainer(module, data, config, histograms=histograms).run()
    # 2 epochs of 192 / 32 = 6 steps; records at 0 (before training), 3, 6, 9 and 12.
    assert heard == [0, 3, 6, 9, 12]
    assert histograms.names() == ["0.weight", "0.bias", "2.weight", "2.bias"]
    weights = histograms.picture("0.weight", "weights")
    assert weights.steps == (0, 3, 6, 9, 12) and weights.counts.shape == (5, 32)
    assert torch.equal(weights.counts.sum(1), torch.full((5,), 32.0))
    gradients = histograms.picture("2.weight", "gradients")
    assert gradients.steps == (3, 6, 9, 12)  # no gradient before the first step
    assert torch.equal(gradients.counts.sum(1), torch.full((4,), 32.0))
    # The range is fixed at the first record: symmetric, half again the largest value.
    assert weights.low == -weights.high
    assert weights.high == pytest.approx(1.5 * first)
    # Training moved the weights, so the rows differ.
    assert not torch.equal(weights.counts[0], weights.counts[-1])


def test_the_counts_follow_the_values():
    layer = nn.Linear(4, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[-1.0, -1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]))
    histograms = Histograms(layer, bins=4)
    histograms.record(0)
    picture = histograms.picture("weight", "weights")
    assert (picture.low, picture.high) == (-1.5, 1.5)
    assert picture.counts[0].tolist() == [2.0, 0.0, 0.0, 6.0]
    with torch.no_grad():  # beyond the range, and not finite: still every element counted
        layer.weight.copy_(torch.tensor([[-9.0, 0.1, 0.2, float("nan")],
                                         [float("inf"), 0.3, -0.2, 0.0]]))
    histograms.record(1)
    assert histograms.picture("weight", "weights").counts[1].tolist() == [1.0, 1.0, 5.0, 1.0]
    assert histograms.picture("weight", "gradients") is None


def test_zeros_get_a_range_and_tied_tensors_count_once():
    shared = nn.Linear(3, 3)
    nn.init.zeros_(shared.weight)
    module = nn.Sequential(shared, nn.ReLU(), shared)
    histograms = Histograms(module, bins=8)
    histograms.record(0)
    assert histograms.names() == ["0.weight", "0.bias"]
    picture = histograms.picture("0.weight", "weights")
    assert (picture.low, picture.high) == (-1.0, 1.0)
    assert picture.counts[0].tolist() == [0, 0, 0, 0, 9, 0, 0, 0]


def test_rows_stay_bounded_by_thinning():
    layer = nn.Linear(2, 2)
    histograms = Histograms(layer, bins=4, max_rows=8)
    recorded = [step for step in range(100) if histograms.due(step)
                and histograms.record(step) is None]
    picture = histograms.picture("weight", "weights")
    assert len(picture.steps) < 8 and histograms.every == 16
    assert all(step % 16 == 0 for step in picture.steps)
    assert picture.steps == tuple(s for s in recorded if s % 16 == 0)
    assert picture.steps[0] == 0 and picture.steps[-1] == 96
