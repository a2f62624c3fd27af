"""Opening a 1 GiB project (4 × Linear(8192, 8192), `.tcanvas`) in the full window, as
File → Open does, until the window is settled (the dry run, the live model, the panels,
the canvas's paint and the checksum all done): the GUI thread's longest stretch (the
longest turn of its event loop), its time in all, and the wall time to settled.

Side by side, in fresh processes taking turns: the window as it opens a project now (the
worker that reads the file also builds the model, filling each layer from the file
without a random init) and as it opened one before (the same code with the model made
as before: on the GUI thread, every layer from its seed, then filled from the file).
``python benchmarks/bench_open.py [rounds] [source tree]`` runs another source tree (an
earlier commit's, unpacked) as a third column."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 3

WRITE = textwrap.dedent("""
    import sys, torch
    from core.document.compose import Composer
    from core.io.files import save_document
    c = Composer()
    document = c.document(*[c.layer("Linear", in_features=8192, out_features=8192)
                            for _ in range(4)], input_shape=(1, 8192))
    generator = torch.Generator().manual_seed(0)
    state = {f"{i}.{name}": torch.randn(shape, generator=generator) for i in range(4)
             for name, shape in (("weight", (8192, 8192)), ("bias", (8192,)))}
    save_document(document, sys.argv[1], weights=state)
""")

OPEN = textwrap.dedent("""
    import gc, json, os, sys, time
    from pathlib import Path
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path[:0] = [os.getcwd(), sys.argv[3]]
    from PySide6.QtWidgets import QApplication
    from bench_canvas import scratch_settings
    from bench_edit import idle_window

    path, how = Path(sys.argv[1]), sys.argv[2]
    app = QApplication.instance() or QApplication([])
    window, idle = idle_window(app, scratch_settings())
    gc.collect()

    if how == "before":  # the file read on a worker, the model made on the GUI thread
        import app.projects as projects_module
        from core.io.files import read_project
        from core.runtime.live import LiveModel

        def read_only(path):
            return read_project(path, wait_for_check=False), None

        def built_then_loaded(self, document, report, weights):
            if self.sync(document, report):  # every layer from its seed
                self.materialize(document, report)
            return self.load_state(weights)

        projects_module._read = read_only
        LiveModel.load_project = built_then_loaded

    turns = []
    start = time.perf_counter()
    job = window.open_in_background(path)
    turns.append(time.perf_counter() - start)

    def settled():
        checker = getattr(window.projects, "checker", None)
        return job.finished and idle.idle() and (checker is None or checker.idle) and \\
            window.workspace.path == path
    while not settled():
        turn = time.perf_counter()
        app.processEvents()
        turns.append(time.perf_counter() - turn)
        if turns[-1] < 0.001:
            time.sleep(0.001)  # nothing ran: leave the workers the GIL a moment
        assert time.perf_counter() - start < 300, idle.waiting_for()
    wall = time.perf_counter() - start
    live = window.workspace.live_now
    assert live is not None and live.module is not None
    import torch
    from core.io.files import read_project
    stored = read_project(path).weights
    assert all(torch.equal(live.module.state_dict()[k], v) for k, v in stored.items())
    window.workspace.history.mark_clean()
    print(json.dumps({"longest": max(turns), "gui": sum(turns), "wall": wall}))
""")


def _open(path: Path, how: str, tree: Path) -> dict[str, float]:
    run = subprocess.run([sys.executable, "-c", OPEN, str(path), how,
                          str(ROOT / "benchmarks")], capture_output=True, text=True,
                         cwd=tree, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(rounds: int = ROUNDS, other: Path | None = None) -> dict[str, dict[str, float]]:
    columns = [("now", "now", ROOT), ("before", "before", ROOT)]
    if other is not None:
        columns.append((f"tree {other}", "now", other))
    with tempfile.TemporaryDirectory(prefix="bench_open_") as folder:
        path = Path(folder) / "net.tcanvas"
        subprocess.run([sys.executable, "-c", WRITE, str(path)], cwd=ROOT, check=True)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in columns}
        for round in range(rounds):
            for name, how, tree in columns if round % 2 == 0 else columns[::-1]:
                runs[name].append(_open(path, how, tree))
    medians = {name: {figure: statistics.median(run[figure] for run in figures)
                      for figure in ("longest", "gui", "wall")}
               for name, figures in runs.items()}
    print(f"Open a 1 GiB project (4 × Linear(8192, 8192)) in the full window, until "
          f"settled; median of {rounds} fresh processes taking turns:")
    labels = {"now": "now (model built on the reading worker)",
              "before": "before (model made on the GUI thread)"}
    for name, figures in medians.items():
        print(f"  {labels.get(name, name):42s} longest GUI-thread stretch "
              f"{figures['longest'] * 1000:6.0f} ms · GUI thread in all "
              f"{figures['gui'] * 1000:6.0f} ms · wall {figures['wall']:5.2f} s")
    now, before = medians["now"], medians["before"]
    print(f"  ratio now / before: longest stretch {now['longest'] / before['longest']:.2f}, "
          f"wall {now['wall'] / before['wall']:.2f} (target: no stretch over ~100 ms)")
    return medians


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS,
         Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None)
