"""An edge: a curve from an output port down to an input port, labelled with the shape
of the tensor that flows along it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from core.document.graph import Edge
from widgets import style
from widgets.node_item import PortedItem


class EdgeItem(QGraphicsPathItem):
    def __init__(self, graph_id: str, edge: Edge, source: PortedItem, target: PortedItem,
                 source_is_inner: bool = False, target_is_inner: bool = False) -> None:
        super().__init__()
        self.graph_id = graph_id
        self.edge = edge
        self.source = source
        self.target = target
        self.source_is_inner = source_is_inner
        self.target_is_inner = target_is_inner
        self.label = ""
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-2)
        self.setPen(QPen(style.EDGE, 1.6))
        source.edges.append(self)
        target.edges.append(self)
        self.update_path()

    def detach(self) -> None:
        for end in (self.source, self.target):
            if self in end.edges:
                end.edges.remove(self)

    def endpoints(self) -> tuple[QPointF, QPointF]:
        start = self.source.input_port(0) if self.source_is_inner else self.source.output_port()
        end = self.target.output_port() if self.target_is_inner else \
            self.target.input_port(self.edge.port)
        return start, end

    def update_path(self) -> None:
        start, end = self.endpoints()
        path = QPainterPath(start)
        bend = max(40.0, abs(end.y() - start.y()) / 2)
        path.cubicTo(start + QPointF(0, bend), end - QPointF(0, bend), end)
        self.setPath(path)

    def set_label(self, text: str) -> None:
        if text != self.label:
            self.label = text
            self.update()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-60, -12, 60, 12)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        pen = QPen(style.SELECTED if self.isSelected() else style.EDGE,
                   2.6 if self.isSelected() else 1.6)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if self.label and option.levelOfDetailFromTransform(painter.worldTransform()) > 0.5:
            middle = self.path().pointAtPercent(0.5)
            painter.setFont(style.font(7.5))
            width = painter.fontMetrics().horizontalAdvance(self.label) + 8
            box = QRectF(middle.x() + 6, middle.y() - 8, width, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.BACKGROUND)
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(style.EDGE_LABEL)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)


class TwinLinkItem(QGraphicsItem):
    """A dotted line between two nodes that share one module."""

    def __init__(self, first: PortedItem, second: PortedItem) -> None:
        super().__init__()
        self.first, self.second = first, second
        self.setZValue(-3)

    def boundingRect(self) -> QRectF:
        a, b = self.first.scenePos(), self.second.scenePos()
        return QRectF(a, b).normalized().adjusted(-4, -4, 4, 4)

    def refresh(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(QPen(style.TWIN, 1.4, Qt.PenStyle.DotLine))
        painter.drawLine(self.first.scenePos(), self.second.scenePos())
