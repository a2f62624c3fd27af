"""Growth curves (issue 14): each pass at 1,000, 10,000 and 20,000 nodes, side by side, so
that a pass that grows faster than the document shows at a glance.

The document is a chain of distinct layers — Linear(wₖ → wₖ₊₁) and ReLU, the widths a de
Bruijn sequence so that no (in, out) pair repeats and no cache can hide the work of a
layer. The canvas passes (select all, delete, undo) run in the main window offscreen as a
person's Ctrl+A, Del and Ctrl+Z do, each until the event loop is idle; plan, dry run,
Python and summary run on the document from a cold start (no plan kept, no layer
remembered), and the first live build (every layer made from its seed, as on the
window's worker) on the plan of the dry run before it. The last columns give each
pass's time per node at the smallest and largest size and the growth from 10,000 to
20,000 nodes (linear: 2×).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZES = tuple(int(s) for s in os.environ.get("BENCH_GROWTH_SIZES", "1000,10000,20000")
              .split(","))
CANVAS = ("select all", "delete", "undo")
CORE = ("plan", "dry run", "codegen", "summary", "live build")
# BENCH_GROWTH_CANVAS=0: the core passes alone (no window)
WITH_CANVAS = os.environ.get("BENCH_GROWTH_CANVAS", "1") != "0"


def de_bruijn(k: int) -> list[int]:
    """A cyclic sequence over 0..k-1 in which every ordered pair occurs once."""
    a = [0] * 2 * k
    sequence: list[int] = []

    def extend(t: int, p: int) -> None:
        if t > 2:
            if 2 % p == 0:
                sequence.extend(a[1:p + 1])
            return
        a[t] = a[t - p]
        extend(t + 1, p)
        for j in range(a[t - p] + 1, k):
            a[t] = j
            extend(t + 1, t)

    extend(1, 1)
    return sequence


def distinct_chain(count: int, narrowest: int = 32):
    """``count`` layers, Linear and ReLU by turns, no two Linear alike."""
    from core.document.compose import Composer, chain
    from core.document.graph import Document, InputSpec

    k = 2
    while k * k < count // 2 + 1:
        k += 1
    order = de_bruijn(k)
    widths = [narrowest + order[i % len(order)] for i in range(count // 2 + 2)]
    c = Composer()
    nodes = [c.layer("Linear", in_features=widths[i // 2], out_features=widths[i // 2 + 1])
             if i % 2 == 0 else c.layer("ReLU") for i in range(count)]
    return Document(root=chain(*nodes), input=InputSpec((2, widths[0])))


def _timed(action: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _timed_as_in_the_app(action: Callable[[], Any], rounds: int = 3) -> float:
    """The median of ``rounds``, with automatic collection off: in the app the core
    passes run on workers while the cycle collector runs only on the GUI thread, between
    turns of its loop (app.collector), so a full collection never falls inside a pass."""
    automatic = gc.isenabled()
    gc.disable()
    try:
        return sorted(_timed(action) for _ in range(rounds))[rounds // 2]
    finally:
        if automatic:
            gc.enable()


def core_passes(document) -> dict[str, float]:
    from core.io.codegen import to_python
    from core.runtime import shapes
    from core.runtime.live import LiveModel
    from core.runtime.plan import plan_document
    from core.runtime.summary import model_summary

    def cold() -> None:
        document.plan_cache = None
        shapes._evaluate.cache_clear()

    def from_cold(action: Callable[[], Any]) -> Callable[[], Any]:
        return lambda: (cold(), action())

    figures = {}
    figures["plan"] = _timed_as_in_the_app(from_cold(lambda: plan_document(document)))
    figures["dry run"] = _timed_as_in_the_app(from_cold(lambda: shapes.infer_shapes(document)))
    figures["codegen"] = _timed_as_in_the_app(from_cold(lambda: to_python(document)))
    figures["summary"] = _timed_as_in_the_app(from_cold(lambda: model_summary(document)))
    cold()
    report = shapes.infer_shapes(document)  # a live build follows a dry run, on its plan
    figures["live build"] = _timed_as_in_the_app(
        lambda: LiveModel("cpu").sync(document, report))
    return figures


def canvas_passes(document, app) -> dict[str, float]:
    from bench_canvas import scratch_settings

    from app.main_window import MainWindow
    from core.workspace import Workspace

    window = MainWindow(Workspace(document), scratch_settings(), ready=False)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    window.scene.flush()
    app.processEvents()
    figures = {}
    for name, action in (("select all", window.do_select_all), ("delete", window.do_delete),
                         ("undo", window.do_undo)):
        figures[name] = _timed(lambda a=action: (a(), app.processEvents()))
    window.workspace.history.mark_clean()
    window.close()
    window.deleteLater()
    app.processEvents()
    return figures


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def open_in_window(count: int = 1_000) -> dict[str, float]:
    """Open a graph.json of ``count`` distinct layers in the full window (model panels
    made, as after start-up), as File → Open does, until the window is idle: the dry
    run, the live model, the panels and the canvas's paint all done."""
    import tempfile
    from pathlib import Path

    from bench_canvas import scratch_settings
    from bench_edit import idle_window
    from PySide6.QtWidgets import QApplication

    from core.io.files import save_document

    app = QApplication.instance() or QApplication([])
    path = Path(tempfile.mkdtemp(prefix="bench_open_")) / "graph.json"
    save_document(distinct_chain(count), path)
    window, idle = idle_window(app, scratch_settings())
    gc.collect()
    before = _resident_mb()
    start = time.perf_counter()
    assert window.open_path(path)
    idle.paint_due = True
    busy = idle.wait(start)
    settled = time.perf_counter() - start
    grown = _resident_mb() - before
    window.workspace.history.mark_clean()
    window.close()
    print(f"Open a graph.json of {count:,} distinct layers in the full window: settled in "
          f"{settled * 1000:.0f} ms (GUI thread {busy * 1000:.0f} ms; target ≤ 1,500), "
          f"resident memory +{grown:.0f} MB (target ≤ +100)")
    return {"open_settled_ms": settled * 1000, "open_gui_ms": busy * 1000,
            "open_grown_mb": grown}


def main(sizes: tuple[int, ...] = SIZES) -> dict[str, dict[int, float]]:
    from PySide6.QtWidgets import QApplication

    from app.collector import set_aside_long_lived
    from core.runtime.summary import model_summary

    app = QApplication.instance() or QApplication([])
    model_summary(distinct_chain(10))  # torch's first meta run and flop count, once
    # As the app does once torch is in (app.main): the cycle collector no longer walks
    # the import's objects; a full collection during a pass walked ~160,000 of them
    set_aside_long_lived()
    passes = CANVAS + CORE if WITH_CANVAS else CORE
    results: dict[str, dict[int, float]] = {name: {} for name in passes}
    for size in sizes:
        figures = canvas_passes(distinct_chain(size), app) if WITH_CANVAS else {}
        figures.update(core_passes(distinct_chain(size)))
        for name, seconds in figures.items():
            results[name][size] = seconds
    first, last = sizes[0], sizes[-1]
    before = sizes[-2] if len(sizes) > 1 else first
    print(f"Growth, a chain of distinct layers (seconds; µs per node at {first:,} and "
          f"{last:,}; growth {before:,} → {last:,}, linear = {last / before:.0f}×):")
    print("  pass        " + "".join(f"{size:>10,}" for size in sizes)
          + f"  {'µs/node':>17}  growth")
    for name in passes:
        row = results[name]
        per_node = f"{row[first] / first * 1e6:7.0f} → {row[last] / last * 1e6:7.0f}"
        growth = row[last] / max(row[before], 1e-9)
        print(f"  {name:<11} " + "".join(f"{row[size]:10.3f}" for size in sizes)
              + f"  {per_node}  {growth:5.1f}×")
    if WITH_CANVAS:
        results["open"] = {1_000: open_in_window(1_000)["open_settled_ms"]}
    return results


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
