"""The one-click fix of a layer in error, in the status bar: "Fix: set in_features to
64". Hidden while the selection holds nothing it can fix."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QWidget

from core.catalog.sizing import describe_fix


class FixButton(QPushButton):
    """``fix_chosen(node_id, changes)`` when clicked."""

    fix_chosen = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fix_button")
        self.node_id = ""
        self.changes: dict = {}
        self.clicked.connect(lambda: self.fix_chosen.emit(self.node_id, dict(self.changes)))
        self.hide()

    def offer(self, node_id: str, changes: dict, name: str) -> None:
        self.node_id, self.changes = node_id, dict(changes)
        self.setText(f"Fix: {describe_fix(changes)}")
        self.setToolTip(f"Change {name} so that it takes its input")
        self.show()

    def withdraw(self) -> None:
        self.node_id, self.changes = "", {}
        self.hide()
