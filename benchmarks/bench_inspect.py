"""The histogram panel's bins and statistics of a 100-million-element tensor (one pass,
against numpy.histogram on the same data, and the old way: torch.histc and one pass per
statistic), measured interleaved in one process. The initializer on a 1-billion-parameter
network is measured by bench_memory, with the undo budget."""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from core.runtime.tensor_summary import describe
from core.runtime.tensors import histogram, tensor_stats

ELEMENTS = 100_000_000

def interleaved(functions: dict, repeats: int = 5) -> dict[str, float]:
    """The median time of each function, run in turn ``repeats`` times."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> dict[str, float]:
    data = torch.randn(ELEMENTS)
    array = data.numpy()
    times = interleaved({
        "panel": lambda: describe(data, bins=80),
        "numpy": lambda: np.histogram(array, bins=80, range=(array.min(), array.max())),
        "before": lambda: (histogram(data, bins=80), tensor_stats(data)),
    })
    ours, theirs = times["panel"], times["numpy"]
    print(f"Histogram panel, bins + statistics of {ELEMENTS:,} float32 values (80 bins, "
          "median of 5, interleaved):")
    print(f"  one pass (TorchCanvas)             {ours * 1000:8.0f} ms  "
          f"{ours / theirs:5.2f}× numpy (target ≤ 0.4×)")
    print(f"  numpy.histogram (bins only)        {theirs * 1000:8.0f} ms")
    print(f"  before: histc + one pass per stat  {times['before'] * 1000:8.0f} ms  "
          f"{times['before'] / theirs:5.2f}× numpy")
    return {"panel_ms": ours * 1000, "numpy_ms": theirs * 1000,
            "before_ms": times["before"] * 1000}


if __name__ == "__main__":
    main()
