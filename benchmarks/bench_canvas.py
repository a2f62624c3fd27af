"""A canvas of 10,000 nodes: building the scene, repainting after one node moves,
fitting the view, and handling one more drop."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NODES = 10_000



def scratch_settings():
    """Settings in a folder of their own. Never `os.devnull`: QSettings writes its file by
    replacing it, which turns /dev/null into a regular file."""
    from PySide6.QtCore import QSettings

    from app.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench_settings_"))
    return Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))


def main() -> dict[str, float]:
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from core.document.compose import Composer, chain
    from core.document.graph import Document, InputSpec
    from core.workspace import Workspace

    app = QApplication.instance() or QApplication([])
    c = Composer()
    nodes = []
    for index in range(NODES):
        nodes.append(c.layer("Linear", in_features=64, out_features=64) if index % 2 == 0
                     else c.layer("ReLU"))
    document = Document(root=chain(*nodes), input=InputSpec((2, 64)))
    workspace = Workspace(document)
    settings = scratch_settings()
    window = MainWindow(workspace, settings, ready=False)
    window.resize(1280, 800)
    window.show()
    app.processEvents()

    start = time.perf_counter()
    window.scene.rebuild()
    build = time.perf_counter() - start

    view = window.view
    target = window.scene.nodes[nodes[NODES // 2].id]
    view.centerOn(target)
    app.processEvents()
    viewport = view.viewport()
    repaints = []
    for step in range(20):
        start = time.perf_counter()
        target.setPos(target.pos() + QPointF(3 if step % 2 == 0 else -3, 0))
        viewport.repaint()
        repaints.append(time.perf_counter() - start)

    start = time.perf_counter()
    view.fit()
    viewport.repaint()
    fit = time.perf_counter() - start
    view.resetTransform()
    view.centerOn(target)
    app.processEvents()

    drops = []
    for step in range(20):
        point = target.pos() + QPointF(400, 120 * step)
        start = time.perf_counter()
        window.scene.drop_layer("ReLU", point)
        drops.append(time.perf_counter() - start)

    repaint = statistics.median(repaints)
    drop = statistics.median(drops)
    print(f"Canvas of {NODES:,} nodes ({NODES - 1:,} edges):")
    print(f"  build the scene                   {build * 1000:8.1f} ms (target ≤ 1000)")
    print(f"  move one node and repaint         {repaint * 1000:8.2f} ms (median of 20; "
          "target ≤ 16)")
    print(f"  fit the view and repaint          {fit * 1000:8.1f} ms")
    print(f"  handle a drop (command + item)    {drop * 1000:8.3f} ms (median of 20; "
          "target ≤ 1)")
    window.workspace.history.mark_clean()
    window.close()
    return {"build_ms": build * 1000, "repaint_ms": repaint * 1000, "fit_ms": fit * 1000,
            "drop_ms": drop * 1000}


if __name__ == "__main__":
    main()
