"""Document → module → shapes for a 1,000-layer graph, against the same network written
by hand (construct it and run it once). Prints both times and their ratio."""

from __future__ import annotations

import gc
import statistics
import time

import torch
from torch import nn

from core import build_module, infer_shapes
from core.document.compose import Composer

LAYERS = 1000
WIDTH = 256
REPEATS = 5


def design():
    c = Composer()
    nodes = []
    for _ in range(LAYERS // 2):
        nodes += [c.layer("Linear", in_features=WIDTH, out_features=WIDTH), c.layer("ReLU")]
    return c.document(*nodes, input_shape=(2, WIDTH))


def by_hand() -> None:
    layers = []
    for _ in range(LAYERS // 2):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    net = nn.Sequential(*layers)
    with torch.no_grad():
        net(torch.rand(2, WIDTH))


def with_torchcanvas(document) -> None:
    build_module(document)
    report = infer_shapes(document)
    assert report.output_shape == (2, WIDTH)


def best_of(function, *args) -> float:
    times = []
    for _ in range(REPEATS):
        gc.collect()
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> dict[str, float]:
    torch.set_num_threads(1)
    document = design()
    with_torchcanvas(document)  # warm caches the way a running program has them
    by_hand()
    hand = best_of(by_hand)
    ours = best_of(with_torchcanvas, document)
    print(f"1,000-layer graph ({LAYERS // 2} × Linear({WIDTH}, {WIDTH}) + ReLU), "
          f"median of {REPEATS}:")
    print(f"  by hand (construct + run once)        {hand * 1000:8.1f} ms")
    print(f"  TorchCanvas (document → module → shapes) {ours * 1000:8.1f} ms")
    print(f"  ratio                                  {ours / hand:8.2f}  (target ≤ 1.2)")
    return {"hand_ms": hand * 1000, "ours_ms": ours * 1000, "ratio": ours / hand}


if __name__ == "__main__":
    main()
