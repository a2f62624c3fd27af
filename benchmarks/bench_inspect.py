"""The histogram panel's bins and statistics of a 100-million-element tensor (one pass,
against numpy.histogram on the same data, and the old way: torch.histc and one pass per
statistic), measured interleaved in one process, and an initializer applied to a 1-billion-parameter
network (time and peak memory, in a fresh process)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np
import torch

from core.runtime.tensor_summary import describe
from core.runtime.tensors import histogram, tensor_stats

ELEMENTS = 100_000_000

BILLION = textwrap.dedent("""
    import json, resource, time, torch
    from core.document.compose import Composer
    from core.document.history import History
    from core.runtime.init import ApplyInitializer
    from core.runtime.live import LiveModel
    from core.runtime.shapes import infer_shapes

    c = Composer()
    layers = [c.layer("Linear", in_features=8192, out_features=8192) for _ in range(16)]
    document = c.document(*layers, input_shape=(1, 8192))
    start = time.perf_counter()
    live = LiveModel()
    live.sync(document)
    live.materialize(document, infer_shapes(document))
    built = time.perf_counter() - start
    after_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    History(document).push(ApplyInitializer(live, document, "normal", {"std": 0.02},
                                            target="all", seed=1))
    applied = time.perf_counter() - start
    parameters = sum(p.numel() for p in live.module.parameters())
    print(json.dumps({"parameters": parameters, "build_s": built, "init_s": applied,
                      "rss_after_build_mb": after_build,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


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
    run = subprocess.run([sys.executable, "-c", BILLION], capture_output=True, text=True,
                         check=True)
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"Initializer on a {figures['parameters'] / 1e9:.2f} B-parameter network "
          "(16 × Linear(8192, 8192)):")
    print(f"  build the live model               {figures['build_s']:8.2f} s")
    print(f"  apply normal(0, 0.02) to all       {figures['init_s']:8.2f} s")
    print(f"  peak RSS                           {figures['peak_rss_mb']:8.0f} MB "
          f"(model alone {figures['rss_after_build_mb']:.0f} MB; the rest is the copy "
          "kept for undo)")
    return {"panel_ms": ours * 1000, "numpy_ms": theirs * 1000,
            "before_ms": times["before"] * 1000, **figures}


if __name__ == "__main__":
    main()
