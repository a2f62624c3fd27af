"""Soak: thousands of random actions on the real main window (offscreen).

Drops, connections, argument edits, groups, shares, initializers, device switches,
saves, undo and redo, chosen at random. Afterwards: no exception reached the event
loop, undoing everything returns the starting document, and the memory the process
grew by is printed next to the bound it must stay under. ``make soak`` runs it.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ACTIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
GROWTH_BOUND_MB = 400
LAYERS = ["ReLU", "LazyLinear", "Dropout", "Tanh", "Add", "Identity", "GELU", "LayerNorm"]


def rss_mb() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    from PySide6.QtCore import QPointF, QSettings
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.main_window import MainWindow
    from app.settings import Settings
    from core.catalog.templates import load_template
    from core.document.edit import Connect, Group, SetArgument, Share, Ungroup
    from core.document.graph import INPUT, OUTPUT, Edge
    from core.errors import EditError
    from core.io.files import document_to_dict
    from core.runtime.devices import SetDevice
    from core.runtime.init import INITIALIZERS, ApplyInitializer
    from core.workspace import Workspace

    folder = tempfile.mkdtemp()
    os.environ.setdefault("TORCHCANVAS_RECOVERY_DIR", os.path.join(folder, "recovery"))
    os.environ.setdefault("TORCHCANVAS_LOG_DIR", os.path.join(folder, "logs"))
    for name in ("question", "warning", "information", "critical"):
        setattr(QMessageBox, name, staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    __import__("app.messages").messages.ask = lambda box: QMessageBox.StandardButton.Ok
    errors: list[str] = []
    sys.excepthook = lambda kind, error, trace: errors.append(
        "".join(traceback.format_exception(kind, error, trace)))
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Workspace(load_template("chimera")),
                        Settings(QSettings(os.path.join(folder, "s.ini"),
                                           QSettings.Format.IniFormat)))
    window.show()
    scene, workspace = window.scene, window.workspace
    # The window keeps the last 1,000 steps; here every step is kept so that undoing
    # all of them can be checked against the start.
    workspace.history.limit = ACTIONS + 10
    rng = random.Random(1)
    start_document = document_to_dict(workspace.document)

    def settle() -> None:
        deadline = time.time() + 5
        while time.time() < deadline and not (window.shapes.idle and
                                              not window._shape_timer.isActive()):
            app.processEvents()
        app.processEvents()

    settle()
    before = rss_mb()
    started = time.perf_counter()
    done = refused = 0
    for step in range(ACTIONS):
        document = workspace.document
        nodes = [n for _, n in document.walk()]
        kind = rng.choice(["drop", "drop", "connect", "arg", "group", "ungroup", "share",
                           "init", "device", "undo", "undo", "redo", "save", "select"])
        try:
            if kind == "drop":
                scene.drop_layer(rng.choice(LAYERS),
                                 QPointF(rng.uniform(-300, 300), rng.uniform(-200, 900)))
            elif kind == "connect" and document.root.nodes:
                ids = [n.id for n in document.root.nodes]
                scene.execute(Connect("root", Edge(rng.choice([*ids, INPUT]),
                                                   rng.choice([*ids, OUTPUT]),
                                                   rng.randint(0, 1))))
            elif kind == "arg":
                linear = [n for n in nodes if n.type == "LazyLinear"]
                if linear:
                    scene.execute(SetArgument(rng.choice(linear).id, "out_features",
                                              rng.randint(1, 64)))
            elif kind == "group" and document.root.nodes:
                count = rng.randint(1, min(3, len(document.root.nodes)))
                scene.execute(Group([n.id for n in document.root.nodes[:count]],
                                    document.new_id()))
            elif kind == "ungroup":
                blocks = [n for n in document.root.nodes if n.graph is not None]
                if blocks:
                    scene.execute(Ungroup(rng.choice(blocks).id))
            elif kind == "share" and len(nodes) > 1:
                scene.execute(Share(rng.choice(nodes).id, rng.choice(nodes).id))
            elif kind == "init" and workspace.live_if_built is not None:
                workspace.execute(ApplyInitializer(workspace.live, document,
                                                   rng.choice(list(INITIALIZERS)), seed=step))
            elif kind == "device":
                workspace.execute(SetDevice(workspace.live, "cpu"))
            elif kind == "undo":
                window.do_undo()
            elif kind == "redo":
                window.do_redo()
            elif kind == "save":
                window.save_to(Path(folder) / "soak.tcanvas")
            elif kind == "select" and scene.nodes:
                scene.select_nodes([rng.choice(list(scene.nodes))])
            done += 1
        except EditError:
            refused += 1
        if step % 10 == 0:
            settle()
        if step % 500 == 499:
            print(f"  {step + 1:,} actions, {len(list(workspace.document.walk()))} nodes, "
                  f"{rss_mb():.0f} MB", flush=True)
    settle()
    elapsed = time.perf_counter() - started
    while workspace.history.can_undo:
        window.do_undo()
    settle()
    back_to_start = document_to_dict(workspace.document)["graph"] == start_document["graph"]
    grown = rss_mb() - before
    print(f"{ACTIONS:,} random actions in {elapsed:.0f} s ({done:,} carried out, {refused:,} "
          f"refused as edits a person could not make)")
    print(f"exceptions that reached the event loop: {len(errors)}")
    print(f"undo of everything returns the start: {back_to_start}")
    print(f"memory: {before:.0f} MB before, {before + grown:.0f} MB after "
          f"(grew {grown:.0f} MB; bound {GROWTH_BOUND_MB} MB)")
    for error in errors[:3]:
        print(error)
    window.workspace.history.mark_clean()
    window.close()
    return 0 if not errors and back_to_start and grown < GROWTH_BOUND_MB else 1


if __name__ == "__main__":
    sys.exit(main())
