"""A tensor's histogram and statistics in (almost) one pass over its memory.

The range comes from one `torch.aminmax`; then the tensor is walked in slices small
enough to stay in the cache, and each slice, scaled once to bin units, gives its bin
counts and its sum and sum of squares (for the mean and the standard deviation) while
it is still there; zeros are counted in one more pass only when the range holds 0. The
slices are too small for torch to share them out among its threads: on a busy machine,
waiting for the other threads at every step cost more than the second core gave. The
old way (min, max, `torch.histc`, mean, std, min, max, zeros) read the whole tensor
from memory eight times.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from core.runtime.tensors import Histogram, TensorStats, histogram, tensor_stats

# Below torch's grain size (32,768), so each operation on a slice runs where it is
# called, without waking (and, on a busy machine, waiting for) the other threads; the
# slice and its scaled copy stay in the cache.
SLICE = 32_000
# When the sum of squares is this close to the square of the sum, float32 sums lost too
# many digits for the variance.
CANCELLED = 1e-3


def describe(tensor: torch.Tensor, bins: int = 80) -> tuple[Histogram, TensorStats]:
    """The histogram (``bins`` equal bins from the minimum to the maximum) and the
    statistics of ``tensor``, computed where it lives. A tensor holding NaN or an
    infinity takes the slower way that leaves them out of the bins."""
    data = tensor.detach().reshape(-1)
    count = data.numel()
    if count == 0 or data.is_complex():
        return histogram(data, bins), tensor_stats(data)
    if data.dtype == torch.bool:
        data = data.to(torch.uint8)
    low, high = (float(v.item()) for v in torch.aminmax(data))
    if not (math.isfinite(low) and math.isfinite(high)):
        return histogram(data, bins), tensor_stats(data)
    if low == high:
        return _constant(data, bins, low)
    scale = bins / (high - low)
    exact = data.dtype in (torch.float32, torch.float64)
    offset = torch.tensor(-low * scale, dtype=torch.float64 if data.dtype == torch.float64
                          else torch.float32, device=data.device)
    sums, squares, counts = [], [], []
    for piece in data.split(SLICE if data.device.type == "cpu" else 1 << 24):
        units = torch.add(offset, piece if exact else piece.float(), alpha=scale)
        sums.append(units.sum())
        squares.append(torch.linalg.vector_norm(units))
        # float → int32 → uint8 is three times faster than float → uint8
        counts.append(torch.bincount(units.to(torch.int32).to(torch.uint8) if bins < 255
                                     else units.to(torch.int32), minlength=bins + 1))
    total = torch.stack(sums).double().sum().item()
    spread = (torch.stack(squares).double() ** 2).sum().item() - total * total / count
    mean = low + total / count / scale
    if spread < CANCELLED * total * total / count:
        # Values far from the minimum and close together: the float32 sums above lost
        # the digits that matter, so both are taken again the exact way (rare).
        std_mean = torch.std_mean(data if exact else data.float())
        std, mean = (value.item() for value in std_mean)
    else:
        std = math.sqrt(spread / (count - 1)) / scale
    # Zeros can only be there when the range holds 0; one count over the whole tensor
    # cost less than one per slice.
    zeros = 0 if low > 0 or high < 0 else count - int(torch.count_nonzero(data).item())
    binned = torch.stack(counts).sum(0).cpu().numpy()
    binned[bins - 1] += binned[bins]  # the maximum itself belongs to the last bin
    return (Histogram(binned[:bins], np.linspace(low, high, bins + 1)),
            TensorStats(count, mean, std, low, high, zeros))


def _constant(data: torch.Tensor, bins: int, value: float) -> tuple[Histogram, TensorStats]:
    return histogram(data, bins), TensorStats(data.numel(), value, 0.0, value, value,
                                             data.numel() if value == 0 else 0)
