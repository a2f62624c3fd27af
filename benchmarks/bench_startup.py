"""Time from process start to the first painted main window, next to ``import torch``,
and until the first network's shapes are on the canvas. Each figure is the median of
several fresh processes, measured from the moment the parent starts the child; the
window and ``import torch`` take turns, so a busy machine slows both alike."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
import time

RUNS = 5

WINDOW = textwrap.dedent("""
    import json, sys, time
    from PySide6.QtCore import QEvent, QObject, QTimer
    from app.main import start_gui
    marks = {}

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and "painted" not in marks:
                QTimer.singleShot(0, lambda: marks.setdefault("painted", time.time()))
            return False

    app, window = start_gui()
    spy = FirstPaint()
    window.view.viewport().installEventFilter(spy)
    window.shapes.on_result_original = window.shapes.on_result

    def shown(report):
        window.shapes.on_result_original(report)
        if window.scene.nodes and "shapes" not in marks:
            marks["shapes"] = time.time()
            print(json.dumps(marks), flush=True)
            app.quit()

    window.shapes.on_result = shown
    QTimer.singleShot(30_000, app.quit)
    app.exec()
""")

TORCH = "import time, json; import torch; print(json.dumps({'imported': time.time()}))"


def _run(code: str) -> dict[str, float]:
    environment = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM",
                                                                   "offscreen")}
    start = time.time()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=environment, check=True, timeout=120)
    marks = json.loads(run.stdout.strip().splitlines()[-1])
    return {key: value - start for key, value in marks.items()}


def main(runs: int = RUNS) -> dict[str, float]:
    window, torch = [], []
    for _ in range(runs):
        window.append(_run(WINDOW))
        torch.append(_run(TORCH))
    painted = statistics.median(w["painted"] for w in window)
    shapes = statistics.median(w["shapes"] for w in window)
    imported = statistics.median(t["imported"] for t in torch)
    shapes_ratio = statistics.median(w["shapes"] / t["imported"]
                                     for w, t in zip(window, torch, strict=True))
    print(f"Start-up, median of {runs} fresh processes of each, taking turns:")
    print(f"  python -c 'import torch'             {imported * 1000:8.0f} ms")
    print(f"  TorchCanvas window painted           {painted * 1000:8.0f} ms "
          f"({painted / imported:.2f} × import torch; target ≤ 0.6)")
    print(f"  first network's shapes on the canvas {shapes * 1000:8.0f} ms "
          f"({shapes_ratio:.2f} × import torch, median of the pairs; target ≤ 1.5)")
    return {"torch_ms": imported * 1000, "painted_ms": painted * 1000,
            "shapes_ms": shapes * 1000, "ratio": painted / imported,
            "shapes_ratio": shapes_ratio}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)
