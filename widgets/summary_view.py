"""The model summary as a table: one row per module, totals, shared rows marked."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.runtime.report import format_shape
from widgets import style

COLUMNS = ("Module", "Type", "Output shape", "Parameters", "Trainable", "Buffers",
           "Memory (bytes)", "MACs")


class SummaryView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.copy = QPushButton("Copy as text", self)
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.copy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addWidget(self.table)
        self.summary = None
        self.text = ""

    def show_summary(self, summary, title: str = "") -> None:
        self.summary = summary
        self.text = summary.text(title)
        rows = summary.rows
        self.table.setRowCount(len(rows) + 1)
        for index, row in enumerate(rows):
            values = ("  " * row.depth + row.name, row.type, format_shape(row.output_shape),
                      f"{row.parameters:,}" + (" ↔ shared" if row.shared else ""),
                      f"{row.trainable:,}", f"{row.buffers:,}", f"{row.memory:,}",
                      "?" if row.macs is None else f"{row.macs:,}")
            self._fill(index, values)
            if row.shared:
                self.table.item(index, 3).setForeground(QBrush(style.TWIN))
        totals = ("Total (shared counted once)", "", format_shape(summary.output_shape),
                  f"{summary.parameters:,}", f"{summary.trainable:,}", f"{summary.buffers:,}",
                  f"{summary.memory:,}", "?" if summary.macs is None else f"{summary.macs:,}")
        self._fill(len(rows), totals)
        bold = QFont()
        bold.setBold(True)
        for column in range(len(COLUMNS)):
            self.table.item(len(rows), column).setFont(bold)
        self.table.resizeColumnsToContents()
        self.note.setText(f"⚠ {summary.error}" if summary.error else
                          "Multiply-accumulates counted by torch.utils.flop_counter on the "
                          "meta device.")
        self.note.setStyleSheet(f"color: {style.ERROR.name()};" if summary.error else "")

    def _fill(self, row: int, values) -> None:
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column >= 3:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
