"""The parameter panel: every parameter and buffer of the live model, nested like the
modules, with where it lives and what state it is in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from core.runtime.tensors import ParameterRow
from widgets import style

COLUMNS = ("Name", "Shape", "dtype", "Device", "Grad req.", "Gradient", "Kind", "Shared with")
ROW_ROLE = Qt.ItemDataRole.UserRole
SIZED_BY_ROWS = 200  # columns fit the first rows; measuring every row of a big model is slow


class ParameterPanel(QWidget):
    """``tensor_chosen(row)`` when a tensor is clicked; ``nodes_chosen(ids)`` names the
    canvas nodes behind the selection."""

    tensor_chosen = Signal(object)
    nodes_chosen = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setResizeContentsPrecision(SIZED_BY_ROWS)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {style.MUTED.name()};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.note)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        self._syncing = False
        self.tree.itemSelectionChanged.connect(self._selection_changed)

    def show_rows(self, rows: list[ParameterRow], message: str = "") -> None:
        chosen = {i.data(0, ROW_ROLE).qualified for i in self.tree.selectedItems()
                  if i.data(0, ROW_ROLE) is not None}
        self._syncing = True
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        self.items = {}
        # Built detached and handed to the tree at once: one insertion, not one per row.
        tops: list[QTreeWidgetItem] = []
        groups: dict[str, QTreeWidgetItem] = {}
        muted = QBrush(style.MUTED)
        for row in rows:
            path = row.qualified.split(".")
            parent: QTreeWidgetItem | None = None
            for depth in range(1, len(path)):
                key = ".".join(path[:depth])
                group = groups.get(key)
                if group is None:
                    group = groups[key] = QTreeWidgetItem([path[depth - 1]])
                    group.setForeground(0, muted)
                    _attach(group, parent, tops)
                parent = group
            item = QTreeWidgetItem(self._texts(row, path[-1]))
            _attach(item, parent, tops)
            item.setData(0, ROW_ROLE, row)
            item.setToolTip(0, row.qualified)
            if row.lazy:
                item.setForeground(1, QBrush(style.ERROR))
                item.setToolTip(1, "sized by the first forward pass; connect the layer so the "
                                   "dry run reaches it")
            if row.shared_with:
                item.setForeground(7, QBrush(style.TWIN))
            self.items[row.qualified] = item
        self.tree.addTopLevelItems(tops)
        for qualified in chosen & self.items.keys():
            self.items[qualified].setSelected(True)
        self.tree.expandAll()
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self.tree.setUpdatesEnabled(True)
        lazy = sum(1 for row in rows if row.lazy)
        notes = [message] if message else []
        if lazy:
            notes.append(f"{lazy} lazy tensor{'s are' if lazy > 1 else ' is'} not sized yet: "
                         "a lazy layer learns its input size from the first forward pass.")
        if not rows and not message:
            notes.append("This network has no parameters or buffers.")
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))
        self._syncing = False

    @staticmethod
    def _texts(row: ParameterRow, name: str) -> list[str]:
        shape = "uninitialized" if row.lazy else "(" + ", ".join(map(str, row.shape)) + ")"
        return [name, shape, row.dtype, row.device, "yes" if row.requires_grad else "no",
                row.grad, "constant buffer" if row.kind == "buffer" else row.kind,
                ", ".join(row.shared_with)]

    def select_nodes(self, node_ids: list[str]) -> None:
        """Select the tensors of the canvas nodes ``node_ids``."""
        self._syncing = True
        wanted = set(node_ids)
        first = None
        for item in self.items.values():
            row: ParameterRow = item.data(0, ROW_ROLE)
            selected = bool(wanted & set(row.node_ids))
            item.setSelected(selected)
            if selected and first is None:
                first = item
        if first is not None:
            self.tree.scrollToItem(first)
        self._syncing = False
        self._announce_tensor()

    def select_tensor(self, qualified: str) -> None:
        """Select the one tensor named ``qualified`` (nothing when there is none)."""
        item = self.items.get(qualified)
        if item is None:
            return
        self.tree.setCurrentItem(item)  # selects it alone and announces it
        self.tree.scrollToItem(item)

    def selected_rows(self) -> list[ParameterRow]:
        return [i.data(0, ROW_ROLE) for i in self.tree.selectedItems()
                if i.data(0, ROW_ROLE) is not None]

    def _selection_changed(self) -> None:
        if self._syncing:
            return
        rows = self.selected_rows()
        self.nodes_chosen.emit(sorted({i for row in rows for i in row.node_ids}))
        self._announce_tensor()

    def _announce_tensor(self) -> None:
        rows = self.selected_rows()
        current = self.tree.currentItem()
        row = current.data(0, ROW_ROLE) if current is not None else None
        if row is None or row not in rows:
            row = rows[0] if rows else None
        self.tensor_chosen.emit(row)


def _attach(item: QTreeWidgetItem, parent: QTreeWidgetItem | None,
            tops: list[QTreeWidgetItem]) -> None:
    if parent is None:
        tops.append(item)
    else:
        parent.addChild(item)
