"""The minimap: the whole graph in a corner of the canvas, with the part on screen as a
rectangle. Click or drag in it to look elsewhere. It shows itself only while the graph
does not fit the view (Fit stops at a legible zoom, so a large graph never fits).

The graph is drawn into a picture once after each change (a few hundred ms later at
most); scrolling and zooming only move the rectangle."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsView, QWidget

from widgets import style
from widgets.edge_item import EdgeItem

MAX_SIZE = QSize(200, 150)
MARGIN = 10
MAX_EDGES_DRAWN = 5000
FRAME = QColor(37, 99, 235, 40)


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
        view.scene().changed.connect(lambda _rects: self._redraw.start())
        view.horizontalScrollBar().valueChanged.connect(self._view_moved)
        view.verticalScrollBar().valueChanged.connect(self._view_moved)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("The whole graph: click or drag to look elsewhere")
        self.hide()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self.refresh()

    # What is drawn -----------------------------------------------------------------

    def refresh(self) -> None:
        """Measure the graph again, show or hide, and redraw the picture."""
        scene = self.view.scene()
        nodes = [*scene.nodes.values(), *scene.boundaries.values()]  # type: ignore[attr-defined]
        if not nodes:
            self.graph, self.bounds = QRectF(), QRectF()
        else:
            rects = [item.sceneBoundingRect() for item in nodes]
            self.graph = QRectF(QPointF(min(r.left() for r in rects), min(r.top() for r in rects)),
                                QPointF(max(r.right() for r in rects),
                                        max(r.bottom() for r in rects)))
            self.bounds = self.graph.adjusted(-40, -40, 40, 40)
        self._place()
        if self.isVisible():
            self._paint_picture(nodes)
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

    def _paint_picture(self, nodes) -> None:
        picture = QImage(self.size(), QImage.Format.Format_ARGB32_Premultiplied)
        picture.fill(QColor(255, 255, 255, 230))
        painter = QPainter(picture)
        scene = self.view.scene()
        edges = [i for i in scene.edges.values() if isinstance(i, EdgeItem)]  # type: ignore
        if len(edges) <= MAX_EDGES_DRAWN:
            painter.setPen(QPen(style.EDGE, 1))
            for edge in edges:
                start, end = edge.endpoints()
                painter.drawLine(self._map_point(start), self._map_point(end))
        painter.setPen(Qt.PenStyle.NoPen)
        for item in nodes:
            rect = self.to_map(item.sceneBoundingRect())
            error = getattr(getattr(item, "look", None), "error", None)
            painter.setBrush(style.ERROR if error else style.NODE_BORDER)
            grow = QPointF(max(0.0, 3 - rect.width()) / 2, max(0.0, 2 - rect.height()) / 2)
            painter.drawRect(QRectF(rect.topLeft() - grow, rect.bottomRight() + grow))
        painter.end()
        self._picture = picture

    def _map_point(self, point: QPointF) -> QPointF:
        scale, origin = self._scale(), self._origin()
        return QPointF(origin.x() + (point.x() - self.bounds.left()) * scale,
                       origin.y() + (point.y() - self.bounds.top()) * scale)

    def viewport_rect(self) -> QRectF:
        """Where the part on screen lies in the minimap."""
        return self.to_map(self._visible_part())

    def _view_moved(self) -> None:
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
