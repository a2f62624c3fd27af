"""A read-only tree of a document's layers: name, type, output shape, parameters."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from core.graph import Document
from core.inspect import layer_rows
from core.shapes import format_shape, infer_shapes

COLUMNS = ("Layer", "Type", "Output shape", "Parameters")
ERROR_COLOR = QColor("#b3261e")


class LayerTree(QTreeWidget):
    """Shows what the dry run of a document found, nested like the module."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(COLUMNS)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)

    def show_document(self, document: Document) -> None:
        self.clear()
        report = infer_shapes(document)
        if report.error:
            item = QTreeWidgetItem(self, [report.error])
            item.setForeground(0, QBrush(ERROR_COLOR))
            return
        parents: list[QTreeWidgetItem | QTreeWidget] = [self]
        for row in layer_rows(document, report):
            del parents[row.depth + 1:]
            label = row.name.rsplit(".", 1)[-1]
            parameters = f"{row.parameters:,}" + (" (shared)" if row.shared else "")
            item = QTreeWidgetItem(parents[-1], [label, row.type,
                                                 format_shape(row.output_shape), parameters])
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row.error:
                item.setToolTip(0, row.error)
                for column in range(len(COLUMNS)):
                    item.setForeground(column, QBrush(ERROR_COLOR))
            parents.append(item)
        self.expandAll()
        for column in range(len(COLUMNS)):
            self.resizeColumnToContents(column)
