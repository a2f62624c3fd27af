"""The minimap: the whole graph in a corner of the canvas, with the part on screen as a
rectangle. Click or drag in it to look elsewhere. It shows itself only while the graph
does not fit the view (Fit stops at a legible zoom, so a large graph never fits).

The graph is drawn into a picture once after each change (a few hundred ms later at
most); scrolling and zooming only move the rectangle."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsView, QWidget

from widgets import style
from widgets.node_item import NodeItem

MAX_SIZE = QSize(200, 150)
MARGIN = 10
LARGE = 2000  # nodes
FRAME = QColor(37, 99, 235, 40)


def _box(item) -> tuple[float, float, float, float]:
    """A node's card in the scene (left, top, right, bottom); a top-level card is found
    from its position alone (a tenth of the cost of asking for its bounds)."""
    if isinstance(item, NodeItem) and item.parentItem() is None:
        pos = item.pos()
        x, y = pos.x(), pos.y()
        return (x - style.NODE_WIDTH / 2, y - style.NODE_HEIGHT / 2,
                x + style.NODE_WIDTH / 2, y + style.NODE_HEIGHT / 2)
    rect = item.sceneBoundingRect()
    return rect.left(), rect.top(), rect.right(), rect.bottom()


class Minimap(QWidget):
    def __init__(self, view: QGraphicsView) -> None:
        super().__init__(view)
        self.setObjectName("minimap")
        self.view = view
        self.enabled = True
        self.bounds = QRectF()  # the graph and a margin: what the map shows
        self.graph = QRectF()
        self._picture = QImage()
        self._redraw = QTimer(self, singleShot=True, interval=150)
        self._redraw.timeout.connect(self.refresh)
        view.scene().layout_changed.connect(self._later)  # type: ignore[attr-defined]
        view.horizontalScrollBar().valueChanged.connect(self.view_moved)
        view.verticalScrollBar().valueChanged.connect(self.view_moved)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("The whole graph: click or drag to look elsewhere")
        self.hide()

    def _later(self) -> None:
        """Redraw once the changes have stopped coming (later on a large graph)."""
        large = len(self.view.scene().nodes) > LARGE  # type: ignore[attr-defined]
        self._redraw.start(600 if large else 150)

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self.refresh()

    # What is drawn -----------------------------------------------------------------

    def refresh(self) -> None:
        """Measure the graph again, show or hide, and redraw the picture."""
        scene = self.view.scene()
        nodes = [*scene.nodes.values(), *scene.boundaries.values()]  # type: ignore[attr-defined]
        boxes = [_box(item) for item in nodes]
        if not boxes:
            self.graph, self.bounds = QRectF(), QRectF()
        else:
            self.graph = QRectF(QPointF(min(b[0] for b in boxes), min(b[1] for b in boxes)),
                                QPointF(max(b[2] for b in boxes), max(b[3] for b in boxes)))
            self.bounds = self.graph.adjusted(-40, -40, 40, 40)
        self._place()
        if self.isVisible():
            self._paint_picture(nodes, boxes)
            self.update()

    def _visible_part(self) -> QRectF:
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def _needed(self) -> bool:
        return self.enabled and not self.bounds.isEmpty() and \
            not self._visible_part().contains(self.graph)

    def _place(self) -> None:
        """Size it to the graph's proportions in the viewport's bottom-right corner."""
        if not self._needed():
            self.hide()
            return
        scale = min(MAX_SIZE.width() / self.bounds.width(),
                    MAX_SIZE.height() / self.bounds.height())
        size = QSize(max(60, int(self.bounds.width() * scale)),
                     max(60, int(self.bounds.height() * scale)))
        area = self.view.viewport().geometry()
        self.setGeometry(area.right() - size.width() - MARGIN,
                         area.bottom() - size.height() - MARGIN, size.width(), size.height())
        if not self.isVisible():
            self.show()
            self.raise_()

    def _scale(self) -> float:
        return min(self.width() / self.bounds.width(), self.height() / self.bounds.height())

    def _origin(self) -> QPointF:
        """Where the map's top-left corner lies: the graph is centred in the widget."""
        scale = self._scale()
        return QPointF((self.width() - self.bounds.width() * scale) / 2,
                       (self.height() - self.bounds.height() * scale) / 2)

    def to_scene(self, point: QPointF) -> QPointF:
        scale, origin = self._scale(), self._origin()
        return QPointF(self.bounds.left() + (point.x() - origin.x()) / scale,
                       self.bounds.top() + (point.y() - origin.y()) / scale)

    def to_map(self, rect: QRectF) -> QRectF:
        return QRectF(self._map_point(rect.topLeft()), self._map_point(rect.bottomRight()))

    def _paint_picture(self, nodes, boxes: list[tuple[float, float, float, float]]) -> None:
        """The graph at the map's scale, as whole pixels: nodes (and links between their
        centres) that land on the same pixels are drawn once, so ten thousand nodes cost
        about as much as the few hundred places the map has room for."""
        picture = QImage(self.size(), QImage.Format.Format_ARGB32_Premultiplied)
        picture.fill(QColor(255, 255, 255, 230))
        scale, origin = self._scale(), self._origin()
        ox = origin.x() - self.bounds.left() * scale
        oy = origin.y() - self.bounds.top() * scale
        centres: dict[str, tuple[int, int]] = {}
        cells: set[tuple[int, int, int, int, bool]] = set()
        for item, (left, top, right, bottom) in zip(nodes, boxes, strict=True):
            width, height = max(3, round((right - left) * scale)), \
                max(2, round((bottom - top) * scale))
            x, y = round(ox + (left + right) / 2 * scale), round(oy + (top + bottom) / 2 * scale)
            centres[item.node_id] = (x, y)
            look = getattr(item, "look", None)
            cells.add((x - width // 2, y - height // 2, width, height,
                       bool(look is not None and look.error)))
        lines = set()
        for edge in self.view.scene().edges.values():  # type: ignore[attr-defined]
            a, b = centres.get(edge.source.node_id), centres.get(edge.target.node_id)
            if a is not None and b is not None:
                lines.add((*a, *b))
        painter = QPainter(picture)
        painter.setPen(QPen(style.EDGE, 1))
        painter.drawLines([QLineF(*line) for line in lines])
        painter.setPen(Qt.PenStyle.NoPen)
        for error, colour in ((False, style.NODE_BORDER), (True, style.ERROR)):
            rects = [QRectF(x, y, w, h) for x, y, w, h, e in cells if e == error]
            if rects:
                painter.setBrush(colour)
                painter.drawRects(rects)
        painter.end()
        self._picture = picture

    def _map_point(self, point: QPointF) -> QPointF:
        scale, origin = self._scale(), self._origin()
        return QPointF(origin.x() + (point.x() - self.bounds.left()) * scale,
                       origin.y() + (point.y() - self.bounds.top()) * scale)

    def viewport_rect(self) -> QRectF:
        """Where the part on screen lies in the minimap."""
        return self.to_map(self._visible_part())

    def view_moved(self) -> None:
        if self.enabled and not self.bounds.isEmpty():
            was = self.isVisible()
            self._place()
            if self.isVisible() and not was:
                self.refresh()
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawImage(0, 0, self._picture)
        painter.setPen(QPen(style.SELECTED, 1.5))
        painter.setBrush(FRAME)
        painter.drawRect(self.viewport_rect().intersected(QRectF(self.rect()).adjusted(
            0.5, 0.5, -1, -1)))
        painter.setPen(QPen(style.NODE_BORDER, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))

    # Looking elsewhere ----------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.view.centerOn(self.to_scene(event.position()))
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.centerOn(self.to_scene(event.position()))
            event.accept()
