"""A big build of the live model runs on a worker, with progress and a Cancel that
leaves the model as it was; what it makes equals the model built on the GUI thread."""

from __future__ import annotations

import threading

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from app.live_builder import CANCELLED, OFF_THREAD_LAYERS
from app.main_window import MainWindow
from core.document.compose import Composer, chain
from core.document.edit import SetArgument
from core.document.graph import Document, InputSpec
from core.io.files import read_project
from core.runtime.live import LiveModel
from core.workspace import Workspace
from tests.app.driver import wait_for_shapes

LINEARS = OFF_THREAD_LAYERS + 6


def big_document() -> Document:
    c = Composer()
    layers = []
    for _ in range(LINEARS):
        layers += [c.layer("Linear", in_features=16, out_features=16), c.layer("ReLU")]
    return Document(root=chain(*layers), input=InputSpec((2, 16)))


@pytest.fixture
def gate(monkeypatch):
    """Layers made off the GUI thread wait until the test opens the gate; on the GUI
    thread they are made at once."""
    opened = threading.Event()
    make = LiveModel._new_module

    def gated(self, node, seed):
        if threading.current_thread() is not threading.main_thread():
            assert opened.wait(10)
        return make(self, node, seed)

    monkeypatch.setattr(LiveModel, "_new_module", gated)
    return opened


@pytest.fixture
def big_window(qtbot, settings):
    def make() -> MainWindow:
        window = MainWindow(Workspace(big_document()), settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


def press_cancel(qtbot, window: MainWindow) -> None:
    """As a person does: once the progress dialog shows (after a second), click Cancel."""
    dialog = window.live_builder.job.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert "Building" in dialog.labelText()
    QTest.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)


def test_a_big_build_is_made_off_the_gui_thread_and_equals_one_made_inline(
        qtbot, big_window, gate):
    window = big_window()
    qtbot.waitUntil(lambda: window.live_builder.job is not None, timeout=10_000)
    job = window.live_builder.job
    assert job.dialog.maximum() == LINEARS * 2  # every layer node, ReLUs too
    assert window.workspace.live.error is not None  # held as it was, not built here
    gate.set()
    wait_for_shapes(qtbot, window)
    built = window.workspace.live.module.state_dict()
    inline = Workspace(big_document()).live.module.state_dict()
    assert built.keys() == inline.keys() and len(built) == LINEARS * 2
    assert all(torch.equal(built[key], inline[key]) for key in built)
    assert window.workspace.live.error is None
    assert not window.parameters.note.text().startswith("⚠")


def test_cancel_leaves_the_model_as_it_was_and_the_next_edit_builds_it(
        qtbot, big_window, gate, tmp_path):
    window = big_window()
    qtbot.waitUntil(lambda: window.live_builder.job is not None, timeout=10_000)
    press_cancel(qtbot, window)
    gate.set()
    wait_for_shapes(qtbot, window)
    workspace = window.workspace
    assert workspace.live.error == CANCELLED
    assert workspace.live.module is None  # nothing half-built was put in place
    assert CANCELLED in window.parameters.note.text()
    assert CANCELLED in window.statusBar().currentMessage()
    assert not workspace.modified
    first = workspace.document.root.nodes[0]
    workspace.execute(SetArgument(first.id, "bias", False))
    wait_for_shapes(qtbot, window)
    assert workspace.live.error is None
    assert "0.bias" not in workspace.live.module.state_dict()
    assert len(workspace.live.module.state_dict()) == LINEARS * 2 - 1


def test_saving_after_cancel_writes_weights_that_match_the_graph(
        qtbot, big_window, gate, tmp_path):
    window = big_window()
    qtbot.waitUntil(lambda: window.live_builder.job is not None, timeout=10_000)
    press_cancel(qtbot, window)
    gate.set()
    wait_for_shapes(qtbot, window)
    assert window.save_to(tmp_path / "big.tcanvas")
    weights = read_project(tmp_path / "big.tcanvas").weights
    assert weights is not None and len(weights) == LINEARS * 2
    assert {tuple(t.shape) for t in weights.values()} == {(16, 16), (16,)}
