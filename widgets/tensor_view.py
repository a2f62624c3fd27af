"""The values of one tensor in a table (a 2-D slice of any rank), its statistics, edits
in place (each one an undoable command) and copy as text."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.runtime.tensors import tensor_stats
from widgets import style

MAX_SHOWN = 2000


class TensorTableModel(QAbstractTableModel):
    """A 2-D view of a tensor; editing a cell calls ``on_edit(index, value)``."""

    def __init__(self, on_edit: Callable[[tuple[int, ...], float], None]) -> None:
        super().__init__()
        self.on_edit = on_edit
        self.values = np.zeros((0, 0))
        self.prefix: tuple[int, ...] = ()
        self.rank = 0

    def show(self, tensor: torch.Tensor | None, prefix: tuple[int, ...]) -> None:
        self.beginResetModel()
        if tensor is None:
            self.values, self.rank = np.zeros((0, 0)), 0
        else:
            self.rank = tensor.dim()
            view = tensor.detach()[prefix] if prefix else tensor.detach()
            if view.dim() == 0:
                view = view.reshape(1, 1)
            elif view.dim() == 1:
                view = view.reshape(-1, 1)
            view = view[:MAX_SHOWN, :MAX_SHOWN]
            self.values = view.float().cpu().numpy() if view.is_floating_point() else \
                view.cpu().numpy()
        self.prefix = prefix
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.values.shape[0]

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.values.shape[1]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.values[index.row(), index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return f"{value:.6g}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and value == 0:
            return style.MUTED
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section)
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def element_index(self, row: int, column: int) -> tuple[int, ...]:
        if self.rank == 0:
            return ()
        if self.rank == 1:
            return (row,)
        return (*self.prefix, row, column)

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole:
            return False
        try:
            number = float(str(value).strip())
        except ValueError:
            return False
        self.on_edit(self.element_index(index.row(), index.column()), number)
        return True

    def as_text(self) -> str:
        return "\n".join("\t".join(f"{v:.6g}" for v in row) for row in self.values)


class TensorView(QWidget):
    """``edit(index, value)`` is called for a typed-in value; it decides what happens."""

    def __init__(self, edit: Callable[[tuple[int, ...], float], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tensor: torch.Tensor | None = None
        self.title = QLabel("Select a parameter to see its values", self)
        self.title.setFont(style.font(10, bold=True))
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # tensor names come from files
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.stats = QLabel(self)
        self.stats.setWordWrap(True)  # a long line would widen the window past the screen
        self.stats.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.slices = QHBoxLayout()
        self.spins: list[QSpinBox] = []
        self.model = TensorTableModel(edit)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.horizontalHeader().setDefaultSectionSize(78)
        self.copy = QPushButton("Copy as text", self)
        self.copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.model.as_text()))
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.copy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(header)
        layout.addWidget(self.stats)
        layout.addLayout(self.slices)
        layout.addWidget(self.table)

    def show_tensor(self, name: str, tensor: torch.Tensor | None) -> None:
        same_shape = self.tensor is not None and tensor is not None and \
            tuple(self.tensor.shape) == tuple(tensor.shape)
        self.tensor = tensor
        self.title.setText(name if tensor is not None else "Select a parameter to see its values")
        if not same_shape:
            self._make_slice_pickers()
        self.refresh()

    def _make_slice_pickers(self) -> None:
        while self.slices.count():
            widget = self.slices.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.spins = []
        if self.tensor is None or self.tensor.dim() <= 2:
            return
        self.slices.addWidget(QLabel("slice", self))
        for dim in range(self.tensor.dim() - 2):
            spin = QSpinBox(self)
            spin.setRange(0, max(0, self.tensor.shape[dim] - 1))
            spin.setPrefix(f"[{dim}] ")
            spin.valueChanged.connect(self.refresh)
            self.slices.addWidget(spin)
            self.spins.append(spin)
        self.slices.addWidget(QLabel(", :, :", self))
        self.slices.addStretch(1)

    def refresh(self) -> None:
        tensor = self.tensor
        if tensor is None or tensor.is_meta:
            self.model.show(None, ())
            self.stats.setText("")
            return
        prefix = tuple(spin.value() for spin in self.spins)
        self.model.show(tensor, prefix)
        stats = tensor_stats(tensor)
        shown = "" if all(n <= MAX_SHOWN for n in tensor.shape[-2:]) else \
            f" · showing the first {MAX_SHOWN} rows and columns"
        self.stats.setText(
            f"{tuple(tensor.shape)} {str(tensor.dtype).removeprefix('torch.')} on "
            f"{tensor.device} · mean {stats.mean:.4g} · std {stats.std:.4g} · "
            f"min {stats.minimum:.4g} · max {stats.maximum:.4g} · zeros {stats.zeros:,} of "
            f"{stats.numel:,}{shown}")
