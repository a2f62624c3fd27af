"""Forward, step by step: the calls of one forward pass, in order, with the shape and
statistics of what each produced."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class StepPanel(QWidget):
    """``step_chosen(index)`` as a person walks through the steps."""

    step_chosen = Signal(int)
    run_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Run a sample input through the network, one node at a time.",
                              self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.list = QListWidget(self)
        self.run = QPushButton("Run a sample", self)
        self.previous = QPushButton("◀ Previous", self)
        self.next = QPushButton("Next ▶", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run)
        buttons.addStretch(1)
        buttons.addWidget(self.previous)
        buttons.addWidget(self.next)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addWidget(self.list)
        self.run.clicked.connect(self.run_requested.emit)
        self.previous.clicked.connect(lambda: self.go(self.list.currentRow() - 1))
        self.next.clicked.connect(lambda: self.go(self.list.currentRow() + 1))
        self.list.currentRowChanged.connect(self._chosen)

    def show_steps(self, labels: list[str], summary: str) -> None:
        self.list.clear()
        self.list.addItems(labels)
        self.summary.setText(summary)
        self.go(0)

    def go(self, row: int) -> None:
        if 0 <= row < self.list.count():
            self.list.setCurrentRow(row)

    def _chosen(self, row: int) -> None:
        self.previous.setEnabled(row > 0)
        self.next.setEnabled(0 <= row < self.list.count() - 1)
        if row >= 0:
            self.step_chosen.emit(row)
