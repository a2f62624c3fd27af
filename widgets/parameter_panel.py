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
TEXT_MARGIN = 16  # a cell's padding either side of its text
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
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {style.MUTED.name()};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.note)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}  # the tensors, by qualified name
        self._nodes: dict[str, QTreeWidgetItem] = {}  # tensors and module headings
        self._children: dict[str, list[str]] = {}  # as `_children_of` gives, on show
        self._rows: dict[str, ParameterRow] = {}  # the rows on show, by qualified name
        self._muted = QBrush(style.MUTED)
        self._syncing = False
        self.tree.itemSelectionChanged.connect(self._selection_changed)

    def show_rows(self, rows: list[ParameterRow], message: str = "") -> None:
        """Show ``rows``, changing only what differs from the rows on show: a big model's
        tree is not rebuilt for one new tensor, and selection and scrolling stay put."""
        chosen = {row.qualified for row in self.selected_rows()}
        self._syncing = True
        first_fill = not self._rows
        wanted = _children_of(rows)
        by_name = {row.qualified: row for row in rows}
        for key in [k for k in self._nodes if k not in wanted and k not in by_name]:
            del self._nodes[key]
            self.items.pop(key, None)
            self._rows.pop(key, None)
            self._children.pop(key, None)
        for key in wanted:
            if key and key not in self._nodes:
                self._nodes[key] = self._heading(key)
        shown: list[QTreeWidgetItem] = []  # new or changed rows
        for qualified, row in by_name.items():
            if self._rows.get(qualified) == row:
                continue
            item = self.items.get(qualified)
            if item is None:
                item = self.items[qualified] = self._nodes[qualified] = QTreeWidgetItem()
            self._show_row(item, row)
            self._rows[qualified] = row
            shown.append(item)
        moved = False
        for key, children in wanted.items():
            if self._children.get(key) != children:
                parent = self._nodes[key] if key else self.tree.invisibleRootItem()
                parent.takeChildren()
                parent.addChildren([self._nodes[child] for child in children])
                self._children[key] = children
                moved = True
        for key in [k for k in self._children if k not in wanted]:
            del self._children[key]
        if moved:
            self.tree.expandAll()
            for qualified in chosen & self.items.keys():
                self.items[qualified].setSelected(True)
        if first_fill:
            for column in range(len(COLUMNS)):
                self.tree.resizeColumnToContents(column)
        elif shown:
            self._widen_for(shown)
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

    def _widen_for(self, items: list[QTreeWidgetItem]) -> None:
        """Widen the columns the texts of ``items`` do not fit (measuring only them; the
        columns were fitted to every row when the tree was first filled)."""
        metrics = self.tree.fontMetrics()
        indent = self.tree.indentation()
        for column in range(len(COLUMNS)):
            needed = 0
            for item in items:
                width = metrics.horizontalAdvance(item.text(column)) + TEXT_MARGIN
                if column == 0:
                    width += indent * (item.data(0, ROW_ROLE).qualified.count(".") + 1)
                needed = max(needed, width)
            if needed > self.tree.columnWidth(column):
                self.tree.setColumnWidth(column, needed)

    def _heading(self, path: str) -> QTreeWidgetItem:
        """A module on the way to its tensors: its name, muted, selectable as a node."""
        item = QTreeWidgetItem([path.rpartition(".")[2]])
        item.setForeground(0, self._muted)
        return item

    def _show_row(self, item: QTreeWidgetItem, row: ParameterRow) -> None:
        shape = "uninitialized" if row.lazy else "(" + ", ".join(map(str, row.shape)) + ")"
        texts = [row.qualified.rpartition(".")[2], shape, row.dtype, row.device,
                 "yes" if row.requires_grad else "no", row.grad,
                 "constant buffer" if row.kind == "buffer" else row.kind,
                 ", ".join(row.shared_with)]
        for column, text in enumerate(texts):
            item.setText(column, text)
        item.setData(0, ROW_ROLE, row)
        item.setToolTip(0, row.qualified)
        item.setForeground(1, QBrush(style.ERROR) if row.lazy else QBrush())
        item.setToolTip(1, "sized by the first forward pass; connect the layer so the dry "
                           "run reaches it" if row.lazy else "")
        item.setForeground(7, QBrush(style.TWIN) if row.shared_with else QBrush())

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



def _children_of(rows: list[ParameterRow]) -> dict[str, list[str]]:
    """Module path ("" for the top) → the paths of its headings and tensors, in order."""
    children: dict[str, list[str]] = {"": []}
    for row in rows:
        path = row.qualified.split(".")
        parent = ""
        for depth in range(1, len(path)):
            key = ".".join(path[:depth])
            if key not in children:
                children[key] = []
                children[parent].append(key)
            parent = key
        children[parent].append(row.qualified)
    return children
