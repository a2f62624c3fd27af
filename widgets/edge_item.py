"""An edge: a curve from an output port down to an input port, labelled with the shape
of the tensor that flows along it. An edge with nodes in its way (a skip connection
beside the chain it skips) is routed around them in a lane of its own."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from core.document.graph import Edge
from widgets import style
from widgets.node_item import PortedItem, flows_right

TURN = 24.0  # how far a routed edge runs before it turns
LANE_GAP = 28.0  # between a lane and the nodes it passes
LANE_MARGIN = 10.0
MAX_LANE_TRIES = 6
SWAP = QTransform(0, 1, 1, 0, 0, 0)  # (x, y) -> (y, x)


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
        self._bounds: QRectF | None = None  # see boundingRect
        # Set while deleted (see CanvasScene._remove_edge_item): where its ends were, and
        # whether it was selected, for an undo that puts it back.
        self.retired_ends: tuple = ()
        self.reselect = False
        self._right = False  # the scene flows left to right (see update_path)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-2)
        self.setPen(QPen(style.EDGE, 1.6))
        self.attach()
        # No path yet: the scene draws it (`update_path`) once the edge is in it, where
        # the nodes in its way can be seen. No itemChange either: Qt calls it from C++ a
        # few times for every item added, removed or first shown, which cost more than
        # anything else when ten thousand edges come back at once.

    def attach(self) -> None:
        """Be one of the edges its ends move (again, after `detach`)."""
        self.source.edges.append(self)
        self.target.edges.append(self)

    def detach(self) -> None:
        for end in (self.source, self.target):
            if self in end.edges:
                end.edges.remove(self)

    def endpoints(self) -> tuple[QPointF, QPointF]:
        start = self.source.input_port(self.edge.src_port) if self.source_is_inner else \
            self.source.output_port(self.edge.src_port)
        end = self.target.output_port() if self.target_is_inner else \
            self.target.input_port(self.edge.port)
        return start, end

    def update_path(self) -> None:
        """The curve from port to port. It is worked out as if the graph flowed down; in
        a scene that flows right, x and y are swapped on the way in and out."""
        self._right = flows_right(self)
        start, end = self.endpoints()
        if self._right:
            start, end = SWAP.map(start), SWAP.map(end)
        detour = self._detour(start, end)
        path = QPainterPath(start)
        if detour is None:
            bend = max(40.0, abs(end.y() - start.y()) / 2)
            path.cubicTo(start + QPointF(0, bend), end - QPointF(0, bend), end)
        else:
            # Out of the port, across to a lane beside the nodes in the way (turning
            # before the first of them), down the lane, and back in to the port.
            lane, top, bottom = detour
            middle_top, middle_bottom = (start.y() + top) / 2, (bottom + end.y()) / 2
            path.cubicTo(QPointF(start.x(), middle_top), QPointF(lane, middle_top),
                         QPointF(lane, top))
            path.lineTo(lane, bottom)
            path.cubicTo(QPointF(lane, middle_bottom), QPointF(end.x(), middle_bottom), end)
        self._bounds = None
        self.setPath(SWAP.map(path) if self._right else path)
        self._bounds = None  # Qt may have asked while the old path was still in place

    def _detour(self, start: QPointF, end: QPointF) -> tuple[float, float, float] | None:
        """A lane that passes the nodes between ``start`` and ``end``: its x and where
        it starts and ends; None when nothing is in the way or there is no room."""
        scene = self.scene()
        if scene is None or end.y() - start.y() < 2 * TURN:
            return None
        band = QRectF(QPointF(min(start.x(), end.x()) - LANE_MARGIN, start.y() + 6),
                      QPointF(max(start.x(), end.x()) + LANE_MARGIN, end.y() - 6))
        blocking = self._blocking(scene, band)
        if blocking is None:
            return None
        middle = (start.x() + end.x()) / 2
        right = blocking.right() + LANE_GAP
        left = blocking.left() - LANE_GAP
        lane = right if right - middle <= middle - left else left
        for _ in range(MAX_LANE_TRIES):  # something else may stand in the lane itself
            beside = self._blocking(scene, QRectF(lane - LANE_MARGIN, band.top(),
                                                  2 * LANE_MARGIN, band.height()))
            if beside is None:
                break
            blocking = blocking.united(beside)
            lane = beside.right() + LANE_GAP if lane >= middle else beside.left() - LANE_GAP
        top = min(start.y() + 2 * TURN, max(start.y() + 8, blocking.top() - 2))
        bottom = max(end.y() - 2 * TURN, min(end.y() - 8, blocking.bottom() + 2))
        if bottom <= top:
            return None
        return lane, top, bottom

    def _blocking(self, scene, band: QRectF) -> QRectF | None:
        """The bounds of the nodes in ``band`` other than this edge's own ends and the
        blocks that hold them."""
        found: QRectF | None = None
        if self._right:  # ``band`` is in the flow's frame: swap it to the scene's and back
            band = SWAP.mapRect(band)
        for item in scene.items(band, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
            if not isinstance(item, PortedItem) or item is self.source or \
                    item is self.target or item.isAncestorOf(self.source) or \
                    item.isAncestorOf(self.target):
                continue
            rect = item.sceneBoundingRect()
            found = rect if found is None else found.united(rect)
        return SWAP.mapRect(found) if found is not None and self._right else found

    def set_label(self, text: str) -> None:
        if text != self.label:
            self.label = text
            self.update()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        # Asked a few times for every edge added or shown; the path changes only in
        # update_path (the pen, which the base class counts in, never after __init__).
        bounds = self._bounds
        if bounds is None:
            bounds = self._bounds = super().boundingRect().adjusted(-60, -12, 60, 12)
        return bounds

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
