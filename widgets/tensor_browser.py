"""Browse the tensors of a file (a tensor, a list or a dict of them) with the same table
and histogram as the parameter panel."""

from __future__ import annotations

import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout

from widgets.histogram_panel import HistogramPanel
from widgets.tensor_view import TensorView


class TensorBrowser(QDialog):
    def __init__(self, title: str, tensors: dict[str, torch.Tensor], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — tensors")
        self.resize(1100, 650)
        self.tensors = tensors
        self.names = QListWidget(self)
        for name, tensor in tensors.items():
            item = QListWidgetItem(f"{name}  {tuple(tensor.shape)} "
                                   f"{str(tensor.dtype).removeprefix('torch.')}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.names.addItem(item)
        self.values = TensorView(lambda index, value: None, self)
        self.values.table.setEditTriggers(self.values.table.EditTrigger.NoEditTriggers)
        self.histogram = HistogramPanel(self)
        split = QSplitter(self)
        split.addWidget(self.names)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.values)
        right.addWidget(self.histogram)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.names.currentRowChanged.connect(self._show)
        if tensors:
            self.names.setCurrentRow(0)

    def _show(self, row: int) -> None:
        if row < 0:
            return
        name = self.names.item(row).data(Qt.ItemDataRole.UserRole)
        self.values.show_tensor(name, self.tensors[name])
        self.histogram.show_tensor(name, self.tensors[name])
