"""The layer palette: the catalog by category, with a filter box.

Drag an entry onto the canvas to add it there; double-click it (or press Enter) to add
it after the selected node.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.catalog.registry import CATALOG, CATEGORIES, spec_for
from widgets import style

LAYER_MIME_TYPE = "application/x-torchcanvas-layer"
TYPE_ROLE = Qt.ItemDataRole.UserRole
HELP_ROLE = Qt.ItemDataRole.UserRole + 1


class _EntryDelegate(QStyledItemDelegate):
    """Paints a layer as its name over its one-line help."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        if index.data(TYPE_ROLE) is None:
            return super().sizeHint(option, index)
        return QSize(200, 38)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        layer_type = index.data(TYPE_ROLE)
        if layer_type is None:
            return super().paint(painter, option, index)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        rect: QRect = option.rect.adjusted(8, 3, -4, -3)
        painter.setPen(style.category_color(spec_for(layer_type).category))
        painter.setBrush(style.category_color(spec_for(layer_type).category))
        painter.drawRoundedRect(rect.left() - 6, rect.top() + 3, 3, rect.height() - 6, 1, 1)
        painter.setFont(style.font(9.5, bold=True))
        painter.setPen(option.palette.color(option.palette.ColorRole.Text))
        painter.drawText(rect.adjusted(2, 0, 0, -rect.height() // 2),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, layer_type)
        painter.setFont(style.font(8))
        painter.setPen(style.MUTED)
        help_text = painter.fontMetrics().elidedText(
            index.data(HELP_ROLE), Qt.TextElideMode.ElideRight, rect.width() - 4)
        painter.drawText(rect.adjusted(2, rect.height() // 2, 0, 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, help_text)
        painter.restore()


class _PaletteTree(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setItemDelegate(_EntryDelegate(self))
        self.setIndentation(12)
        self.setUniformRowHeights(False)

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME_TYPE]

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        types = [item.data(0, TYPE_ROLE) for item in items if item.data(0, TYPE_ROLE)]
        if types:
            data.setData(LAYER_MIME_TYPE, types[0].encode())
            data.setText(types[0])
        return data


class LayerPalette(QWidget):
    """The catalog, grouped by category; ``layer_activated`` names the chosen type."""

    layer_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter layers…")
        self.filter.setClearButtonEnabled(True)
        self.tree = _PaletteTree(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.categories: dict[str, QTreeWidgetItem] = {}
        # The categories a person had open when they began to type a filter: a filter
        # opens every category with a match, and clearing it closes them again.
        self.open_before_filter: set[str] | None = None
        for category in CATEGORIES:
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setFont(0, style.font(9, bold=True))
            self.categories[category] = group
        for spec in CATALOG.values():
            item = QTreeWidgetItem(self.categories[spec.category], [spec.type])
            item.setData(0, TYPE_ROLE, spec.type)
            item.setData(0, HELP_ROLE, spec.help)
            item.setToolTip(0, f"{spec.type}: {spec.help}\nDrag onto the canvas, or "
                               "double-click to add after the selected node.")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
        self.tree.expandAll()
        self.filter.textChanged.connect(self.apply_filter)
        self.tree.itemActivated.connect(self._activated)
        self.filter.returnPressed.connect(self._activate_first_visible)

    def add_layer(self, spec) -> None:
        """A layer added while the program runs (one the person wrote)."""
        if spec.category not in self.categories:
            group = QTreeWidgetItem(self.tree, [spec.category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setFont(0, style.font(9, bold=True))
            self.categories[spec.category] = group
        group = self.categories[spec.category]
        for index in range(group.childCount()):
            if group.child(index).data(0, TYPE_ROLE) == spec.type:
                group.child(index).setData(0, HELP_ROLE, spec.help)
                return
        item = QTreeWidgetItem(group, [spec.type])
        item.setData(0, TYPE_ROLE, spec.type)
        item.setData(0, HELP_ROLE, spec.help)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                      | Qt.ItemFlag.ItemIsDragEnabled)
        group.setExpanded(True)

    def entry(self, layer_type: str) -> QTreeWidgetItem:
        category = self.categories[spec_for(layer_type).category]
        for index in range(category.childCount()):
            if category.child(index).data(0, TYPE_ROLE) == layer_type:
                return category.child(index)
        raise KeyError(layer_type)

    def visible_types(self) -> list[str]:
        return [group.child(i).data(0, TYPE_ROLE) for group in self.categories.values()
                for i in range(group.childCount()) if not group.child(i).isHidden()]

    def apply_filter(self, text: str) -> None:
        words = text.lower().split()
        if words and self.open_before_filter is None:
            self.open_before_filter = {category for category, group in self.categories.items()
                                       if group.isExpanded()}
        for category, group in self.categories.items():
            shown = 0
            for index in range(group.childCount()):
                item = group.child(index)
                haystack = f"{item.data(0, TYPE_ROLE)} {item.data(0, HELP_ROLE)} {category}"
                visible = all(word in haystack.lower() for word in words)
                item.setHidden(not visible)
                shown += visible
            group.setHidden(shown == 0)
            if words and shown:
                group.setExpanded(True)  # a match in a closed category is still found
        if not words and self.open_before_filter is not None:
            for category, group in self.categories.items():
                group.setExpanded(category in self.open_before_filter)
            self.open_before_filter = None

    def mime_data_for(self, layer_type: str) -> QMimeData:
        """What dragging ``layer_type`` out of the palette carries."""
        return self.tree.mimeData([self.entry(layer_type)])

    def _activated(self, item: QTreeWidgetItem) -> None:
        if item.data(0, TYPE_ROLE):
            self.layer_activated.emit(item.data(0, TYPE_ROLE))

    def _activate_first_visible(self) -> None:
        """Enter in the filter adds the best match: an exact name before a name that
        merely holds the text (sigmoid is Sigmoid, not SiLU)."""
        from widgets.layer_search import ranked

        visible = self.visible_types()
        best = ranked(self.filter.text(), [(name, "") for name in visible]) or visible
        if best:
            self.layer_activated.emit(best[0])
