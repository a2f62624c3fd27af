"""An expanded block: a frame around the items of its sub-graph.

The frame is the block node to the graph outside (edges meet its top and bottom ports)
and the input and output of the graph inside (inner edges start at its top port and
end at its bottom port). Its size follows its children.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from widgets import style
from widgets.node_item import PortedItem, _paint_port, flows_right, port_spot
from widgets.node_look import NodeLook


class FrameItem(PortedItem):
    def __init__(self, node_id: str, graph_id: str, look: NodeLook) -> None:
        super().__init__(node_id, graph_id)
        self.look = look
        self.highlighted = False
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges)
        self.setToolTip(look.tooltip)
        self.setZValue(-1)
        self._rect = QRectF(-style.NODE_WIDTH / 2, -40, style.NODE_WIDTH, 80)

    @property
    def inner_graph_id(self) -> str:
        return self.node_id

    def set_look(self, look: NodeLook) -> None:
        if look != self.look:
            self.look = look
            self.setToolTip(look.tooltip)
            self.update()

    def set_highlighted(self, highlighted: bool) -> None:
        self.highlighted = highlighted
        self.update()

    def refit(self) -> None:
        """Grow or shrink around the children."""
        children = [c for c in self.childItems() if isinstance(c, PortedItem)]
        if children:
            bounds = children[0].mapRectToParent(children[0].boundingRect())
            for child in children[1:]:
                bounds = bounds.united(child.mapRectToParent(child.boundingRect()))
        else:
            bounds = QRectF(-style.NODE_WIDTH / 2, 0, style.NODE_WIDTH, 20)
        margin = style.FRAME_MARGIN
        rect = bounds.adjusted(-margin, -margin - style.FRAME_HEADER, margin, margin)
        if rect.width() < style.FRAME_MIN_WIDTH:
            grow = (style.FRAME_MIN_WIDTH - rect.width()) / 2
            rect.adjust(-grow, 0, grow, 0)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            for edge in self.edges:
                edge.update_path()  # type: ignore[attr-defined]

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-8, -8, 8, 8)

    def toggle_rect(self) -> QRectF:
        """Where the ▾ that collapses the block is."""
        return QRectF(self._rect.left() + 6, self._rect.top() + 6, 18, 18)

    def input_port(self, port: int) -> QPointF:
        return self.mapToScene(port_spot(self._rect, "in", 0, 1, flows_right(self)))

    def output_port(self, port: int = 0) -> QPointF:
        return self.mapToScene(port_spot(self._rect, "out", 0, 1, flows_right(self)))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        border = style.ERROR if self.look.error else (
            style.SELECTED if self.isSelected() else style.FRAME_BORDER)
        painter.setPen(QPen(border, 2.0 if self.isSelected() else 1.3, Qt.PenStyle.DashLine))
        painter.setBrush(QBrush(style.FRAME_FILL))
        painter.drawRoundedRect(self._rect, 12, 12)
        header = QRectF(self._rect.left() + 28, self._rect.top() + 4, self._rect.width() - 36, 20)
        summary = f"{self.look.shape}   {self.look.parameters}".strip()
        painter.setFont(style.font(8))
        painter.setPen(style.ERROR if self.look.error else style.MUTED)
        painter.drawText(header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         summary)
        room = header.width() - painter.fontMetrics().horizontalAdvance(summary) - 10
        painter.setPen(style.TEXT)
        painter.setFont(style.font(9, bold=True))
        title = painter.fontMetrics().elidedText(self.look.title, Qt.TextElideMode.ElideRight,
                                                 int(max(room, 40)))
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         title)
        painter.setPen(style.TEXT)
        painter.setFont(style.font(10, bold=True))
        painter.drawText(self.toggle_rect(), Qt.AlignmentFlag.AlignCenter, "▾")
        _paint_port(painter, self.mapFromScene(self.input_port(0)), False)
        _paint_port(painter, self.mapFromScene(self.output_port()), True)
