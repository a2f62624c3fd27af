"""The device box alone, against a bare workspace. There is no GPU here: a tiny command
moves the document to "mps" so the box has something to follow."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.catalog.templates import load_template
from core.document.edit import Command, Recorder
from core.document.graph import Document
from core.runtime.devices import available_devices
from core.workspace import Workspace
from tests.app.driver import set_text
from tests.widgets.support import steps
from widgets.device_selector import DeviceSelector


class PretendDevice(Command):
    """Asks for another device in the document only (the live model is not touched)."""

    def __init__(self, device: str) -> None:
        super().__init__()
        self.device = device
        self.text = f"Move to {device}"

    def _do(self, r: Recorder) -> None:
        r.set_device(self.device)


@pytest.fixture
def make_selector(qtbot):
    def make(workspace: Workspace) -> DeviceSelector:
        selector = DeviceSelector(workspace)
        qtbot.addWidget(selector)
        selector.show()
        qtbot.waitExposed(selector)
        return selector

    return make


def entries(selector: DeviceSelector) -> list[str]:
    return [selector.combo.itemData(i) for i in range(selector.combo.count())]


def test_it_lists_the_devices_of_this_machine_cpu_first(make_selector, mlp):
    selector = make_selector(mlp)
    assert entries(selector) == [info.name for info in available_devices()]
    assert entries(selector)[0] == "cpu"
    assert selector.combo.itemText(0) == "cpu"


def test_it_shows_the_documents_device(make_selector, mlp):
    selector = make_selector(mlp)
    assert mlp.document.device == "cpu"
    assert selector.combo.currentData() == "cpu"
    assert selector.combo.currentText() == "cpu"


def test_it_follows_a_command_that_changes_the_device_and_its_undo(make_selector, mlp):
    selector = make_selector(mlp)
    listed = entries(selector)
    chosen = []
    selector.device_chosen.connect(chosen.append)
    mlp.execute(PretendDevice("mps"))
    assert mlp.document.device == "mps"
    assert selector.combo.currentText() == "mps"
    mlp.undo()
    assert selector.combo.currentText() == "cpu"
    assert selector.combo.currentData() == "cpu"
    mlp.redo()
    assert selector.combo.currentText() == "mps"
    assert entries(selector) == listed  # shown, never added
    assert chosen == []  # following the document is not a choice


def test_a_typed_absent_device_is_asked_for_once_and_never_listed(qtbot, make_selector, mlp):
    selector = make_selector(mlp)
    selector.activateWindow()
    qtbot.waitUntil(selector.isActiveWindow)
    listed = entries(selector)
    chosen = []
    selector.device_chosen.connect(chosen.append)
    set_text(selector.combo.lineEdit(), "cuda:7")
    assert chosen == ["cuda:7"]
    assert entries(selector) == listed
    # Nobody moved the model, so the box goes on showing where it is.
    assert selector.combo.currentText() == "cpu"
    selector.combo.lineEdit().clearFocus()
    QApplication.processEvents()
    assert chosen == ["cuda:7"]
    assert mlp.document.device == "cpu" and steps(mlp) == 0


def test_typing_the_device_already_shown_asks_for_nothing(make_selector, mlp):
    selector = make_selector(mlp)
    chosen = []
    selector.device_chosen.connect(chosen.append)
    set_text(selector.combo.lineEdit(), "cpu")
    assert chosen == []
    QTest.keyClick(selector.combo.lineEdit(), Qt.Key.Key_Return)
    assert chosen == []


def test_after_replace_it_shows_the_new_documents_device(make_selector, mlp):
    selector = make_selector(mlp)
    mlp.execute(PretendDevice("mps"))
    assert selector.combo.currentText() == "mps"
    mlp.replace(Document(device="cpu"))
    assert selector.combo.currentText() == "cpu"
    assert selector.combo.currentData() == "cpu"


def test_after_replace_the_old_document_no_longer_moves_the_box(make_selector, mlp):
    old = mlp.document
    selector = make_selector(mlp)
    mlp.replace(load_template("mlp"))
    Workspace(old).execute(PretendDevice("mps"))
    assert selector.combo.currentText() == "cpu"
    mlp.execute(PretendDevice("mps"))
    assert selector.combo.currentText() == "mps"


def test_typing_a_listed_device_while_elsewhere_asks_for_it(make_selector, mlp):
    selector = make_selector(mlp)
    mlp.execute(PretendDevice("mps"))
    chosen = []
    selector.device_chosen.connect(chosen.append)
    set_text(selector.combo.lineEdit(), "cpu")
    assert chosen == ["cpu"]
    assert selector.combo.currentText() == "mps"  # until the document moves
    mlp.undo()
    assert selector.combo.currentText() == "cpu"
