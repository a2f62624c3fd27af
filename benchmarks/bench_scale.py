"""Every pass over a document at 1,000, 10,000 and 100,000 nodes: open (graph.json text →
validated document), validate, plan, generate Python, lay out and dry-run on ``meta``.
Each pass is linear or N log N, so ten times the nodes should cost about ten times the
time; the last column says how far each size is from that.

Two shapes: one chain of N layers in a generated module, and N / 2 two-node chains that
all start at the input (a graph whose topological order has N / 2 nodes ready at once,
which took 26 s to open at 40,000 nodes while the order re-sorted itself per node).
"""

from __future__ import annotations

import gc
import itertools
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from core.document.layout import fill_missing_positions
from core.document.validate import check_document
from core.io.codegen import to_python
from core.io.files import document_from_json
from core.runtime.plan import plan_document
from core.runtime.shapes import infer_shapes

SIZES = (1_000, 10_000, 100_000)
PASSES = ("open", "validate", "plan", "codegen", "layout", "dry run")


def one_chain(count: int) -> str:
    """graph.json of input → n1 → … → n<count> → output, as a class of its own."""
    nodes = [{"id": f"n{i}", "type": "ReLU"} for i in range(1, count + 1)]
    ends = ["input", *(node["id"] for node in nodes), "output"]
    edges = [{"from": a, "to": b} for a, b in itertools.pairwise(ends)]
    return _graph_json(nodes, edges)


def two_node_chains(count: int) -> str:
    """graph.json of count / 2 chains input → a → b; the last b feeds the output."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for i in range(count // 2):
        first, second = f"n{2 * i + 1}", f"n{2 * i + 2}"
        nodes += [{"id": first, "type": "ReLU"}, {"id": second, "type": "ReLU"}]
        edges += [{"from": "input", "to": first}, {"from": first, "to": second}]
    edges.append({"from": nodes[-1]["id"], "to": "output"})
    return _graph_json(nodes, edges)


def _graph_json(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> str:
    return json.dumps({"format": "torchcanvas", "version": 1, "input": {"shape": [2, 8]},
                       "graph": {"container": "module", "nodes": nodes, "edges": edges}})


def _timed(function: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(text: str) -> dict[str, float]:
    """Seconds for each pass over the document in ``text``, each from a cold start (the
    plan kept with a document is dropped before the passes that would reuse it)."""
    figures: dict[str, float] = {}
    holder: dict[str, Any] = {}
    figures["open"] = _timed(lambda: holder.setdefault("doc", document_from_json(text)))
    document = holder["doc"]
    figures["validate"] = _timed(lambda: check_document(document))
    figures["plan"] = _timed(lambda: plan_document(document))
    figures["codegen"] = _timed(lambda: to_python(document))
    document.positions.clear()
    figures["layout"] = _timed(lambda: fill_missing_positions(document))
    document.plan_cache = None
    report = infer_shapes(document)
    assert report.error is None, report.error
    document.plan_cache = None
    figures["dry run"] = _timed(lambda: infer_shapes(document))
    return figures


def main(sizes: tuple[int, ...] = SIZES) -> dict[str, dict[int, dict[str, float]]]:
    infer_shapes(document_from_json(one_chain(10)))  # torch's first meta run, once
    results: dict[str, dict[int, dict[str, float]]] = {}
    for shape, make in (("one chain", one_chain), ("two-node chains", two_node_chains)):
        print(f"{shape}: seconds per pass ({', '.join(PASSES)})")
        results[shape] = {}
        for size in sizes:
            figures = measure(make(size))
            results[shape][size] = figures
            row = "  ".join(f"{figures[name]:7.3f}" for name in PASSES)
            print(f"  {size:>7,} nodes  {row}")
        smallest, largest = sizes[0], sizes[-1]
        growth = {name: results[shape][largest][name] / max(results[shape][smallest][name],
                                                           1e-6) for name in PASSES}
        print(f"  {largest // smallest:,}× the nodes costs "
              + ", ".join(f"{name} {growth[name]:.0f}×" for name in PASSES))
    return results


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
