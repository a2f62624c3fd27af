"""Select all, delete and undo on a large canvas do not freeze the window (issue 12):
the selection's listeners hear of a select-all or a delete once, not once per node."""

import time

from app.main_window import MainWindow
from core.workspace import Workspace
from tests.app.driver import trigger
from tests.core.test_large_delete import chain_document

NODES = 2_000


def make_large(qtbot, settings) -> MainWindow:
    window = MainWindow(Workspace(chain_document(NODES)), settings, ready=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.scene.flush()
    return window


def test_select_all_tells_the_listeners_once(qtbot, settings):
    window = make_large(qtbot, settings)
    heard = []
    window.scene.selectionChanged.connect(lambda: heard.append(1))
    start = time.process_time()
    trigger(window, "select_all")
    spent = time.process_time() - start
    assert len(window.scene.selected_node_ids()) == NODES
    assert heard == [1]
    assert spent < 1.0, f"{spent:.2f} s"  # once per node: over a second at 1,000
    window.workspace.history.mark_clean()


def test_delete_all_and_undo_stay_quick(qtbot, settings):
    window = make_large(qtbot, settings)
    trigger(window, "select_all")
    heard = []
    window.scene.selectionChanged.connect(lambda: heard.append(1))
    start = time.process_time()
    trigger(window, "delete")
    spent = time.process_time() - start
    assert window.workspace.document.root.nodes == [] and not window.scene.nodes
    assert len(heard) <= 2
    trigger(window, "undo")
    assert len(window.scene.nodes) == NODES
    assert spent < 2.0, f"{spent:.2f} s"
    window.workspace.history.mark_clean()


def test_a_refused_delete_keeps_the_selection(qtbot, make_window, monkeypatch):
    window = make_window("mlp")
    trigger(window, "select_all")
    monkeypatch.setattr(window.scene, "execute", lambda command: False)
    trigger(window, "delete")
    assert len(window.scene.selected_node_ids()) == 3
