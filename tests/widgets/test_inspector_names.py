"""The inspector shows the core's reason when a name is refused, and keeps the old one."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from core.document.names import class_name_problem, node_name_problem
from tests.widgets.support import steps
from widgets.inspector import Inspector


def set_text(widget: QLineEdit, text: str) -> None:
    """Put ``text`` in the field and press Enter (QTest cannot type fullwidth letters)."""
    widget.setFocus()
    widget.setText(text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


@pytest.fixture
def inspector(qtbot, mlp):
    view = Inspector(mlp)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_refused_node_name_shows_why_and_changes_nothing(inspector, mlp):
    inspector.show_nodes(["n1"])
    QApplication.processEvents()
    before = mlp.document.clone()
    for name in ("ｈｉｄｄｅｎ", "forward", "²", "__init__", "x", "class"):
        set_text(inspector.name_edit, name)
        assert inspector.error.text() == f"Rename: {node_name_problem(name)}"
        assert inspector.name_edit.text() == "hidden"
    assert mlp.document == before and steps(mlp) == 0


def test_a_refused_class_name_shows_why_and_changes_nothing(inspector, mlp):
    inspector.show_nodes([])
    QApplication.processEvents()
    for name in ("None", "nn", "print", "Ｎet"):
        set_text(inspector.class_name, name)
        assert inspector.error.text() == f"Set container: {class_name_problem(name)}"
        assert mlp.document.root.class_name == "MLP"
    assert steps(mlp) == 0
