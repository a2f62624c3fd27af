"""The histogram panel's one-pass histogram and statistics against numpy in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.runtime.tensor_summary import SLICE, describe


def _reference(data: torch.Tensor, bins: int):
    values = data.double().numpy().reshape(-1)
    counts, _ = np.histogram(values, bins=bins, range=(values.min(), values.max()))
    return counts, values


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16,
                                   torch.bfloat16, torch.int64, torch.uint8])
def test_bins_and_statistics_match_numpy_in_float64(dtype):
    generator = torch.Generator().manual_seed(3)
    data = (torch.randn(7 * SLICE + 123, generator=generator) * 30 + 5)
    data = data.to(dtype) if dtype.is_floating_point else data.abs().to(dtype)
    data.view(-1)[::97] = 0
    histogram, stats = describe(data, bins=50)
    counts, values = _reference(data, 50)
    assert histogram.total == data.numel() == stats.numel
    # Values on a bin's edge may fall either side of it.
    assert np.abs(histogram.counts - counts).max() <= 0.001 * data.numel()
    assert stats.minimum == values.min() and stats.maximum == values.max()
    # float32 data: the mean is good to a few units of float32 precision of the range
    assert stats.mean == pytest.approx(values.mean(), abs=1e-6 * (values.max() - values.min()))
    assert stats.std == pytest.approx(values.std(ddof=1), rel=1e-5)
    assert stats.zeros == int((values == 0).sum())
    assert histogram.edges[0] == values.min() and histogram.edges[-1] == values.max()


def test_values_far_from_their_minimum_keep_their_spread():
    # One outlier far below a tight cluster: the shifted float32 sums cancel, and the
    # spread is taken again exactly.
    data = 1.0 + 1e-4 * torch.randn(200_000, generator=torch.Generator().manual_seed(1))
    data[5] = -1000.0
    _, stats = describe(data)
    values = data.double().numpy()
    assert stats.std == pytest.approx(values.std(ddof=1), rel=1e-4)
    assert stats.mean == pytest.approx(values.mean(), rel=1e-5)


def test_odd_tensors():
    histogram, stats = describe(torch.full((10,), 2.5))
    assert (stats.mean, stats.std, stats.minimum, stats.maximum) == (2.5, 0.0, 2.5, 2.5)
    assert histogram.total == 10
    histogram, stats = describe(torch.tensor([True, False, True]))
    assert (stats.zeros, stats.maximum, histogram.total) == (1, 1.0, 3)
    data = torch.tensor([1.0, float("nan"), 3.0, float("inf")])
    histogram, stats = describe(data)
    assert histogram.total == 2  # NaN and the infinity are left out of the bins
    assert stats.numel == 4
    histogram, stats = describe(torch.empty(0))
    assert stats.numel == 0 and histogram.total == 0
