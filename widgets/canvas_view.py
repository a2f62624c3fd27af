"""The view onto the canvas: zoom with the wheel, pan with the middle button or space,
rubber-band selection, and drops from the layer palette."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QPainter,
)
from PySide6.QtWidgets import QGraphicsView, QMenu, QWidget

from core.catalog.registry import LayerSpec
from core.document.navigation import DOWN, LEFT, RIGHT, UP
from widgets.canvas_menus import CanvasMenus
from widgets.canvas_scene import CanvasScene
from widgets.layer_search import LayerSearch, takes_rank
from widgets.minimap import Minimap
from widgets.palette import LAYER_MIME_TYPE

ARROWS = {Qt.Key.Key_Down: DOWN, Qt.Key.Key_Up: UP, Qt.Key.Key_Left: LEFT,
          Qt.Key.Key_Right: RIGHT}
# When the graph flows right, Right and Left go along the links, Down and Up to siblings.
ARROWS_RIGHT = {Qt.Key.Key_Right: DOWN, Qt.Key.Key_Left: UP, Qt.Key.Key_Down: RIGHT,
                Qt.Key.Key_Up: LEFT}
ZOOM_STEP = 1.15
MIN_ZOOM, MAX_ZOOM = 0.05, 4.0
# Fit stops here: the zoomed-out cards (see node_item.FULL_FROM) still read well.
LEGIBLE_ZOOM = 0.45


def _flag(value) -> bool:
    """A boolean read back from QSettings (an INI file gives it back as text)."""
    return value not in (False, "false", "0", 0, None)


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setAcceptDrops(True)
        self.setMinimumSize(240, 200)
        self._panning: QPointF | None = None
        # A child of the view, not of its viewport: above the minimap, and not moved
        # when the viewport scrolls.
        self.search = LayerSearch(self)
        self.search.chosen.connect(self._add_searched)
        self._search_point = QPointF()
        self._search_link: tuple[str, str, int] | None = None
        # The window's actions by name, offered again by the right-click menus.
        self.window_actions: dict = {}
        self.menus = CanvasMenus(self)
        self.context_menu: QMenu | None = None
        scene.link_dropped.connect(self._link_dropped)
        self.minimap = Minimap(self)
        self.zoom_changed.connect(self._zoomed)
        self._graph_bounds = QRectF()  # of every item, as of the last layout change
        self._room_timer = QTimer(self, singleShot=True)
        self._room_timer.timeout.connect(self.fit_scene_rect)
        scene.layout_changed.connect(self._layout_changed)

    @property
    def canvas(self) -> CanvasScene:
        return self.scene()  # type: ignore[return-value]

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        self.scale(factor, factor)
        self.zoom_changed.emit(self.zoom())

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def fit_scene_rect(self) -> None:
        """Let the scroll bars reach the graph as it is now and a view's size around it.
        The scene's own rectangle only ever grows, so a graph arranged smaller (or turned
        from rows into columns) would otherwise stay off-centre after Fit."""
        self._graph_bounds = self.canvas.itemsBoundingRect()
        self._set_room()

    def _set_room(self) -> None:
        bounds = self._graph_bounds
        if bounds.isEmpty():
            return
        seen = self.mapToScene(self.viewport().rect()).boundingRect()
        room = bounds.adjusted(-seen.width(), -seen.height(), seen.width(), seen.height())
        if room != self.sceneRect():
            self.setSceneRect(room)
            self.centerOn(seen.center())  # the part on screen stays on screen

    def _layout_changed(self) -> None:
        large = len(self.canvas.nodes) > 2000
        self._room_timer.start(600 if large else 0)

    def _zoomed(self, _zoom: float) -> None:
        # The graph is where it was: only the room around it and the map's frame change.
        self._set_room()
        self.minimap.view_moved()

    def fit(self) -> None:
        """Show every item, no larger than actual size and no smaller than legible: a
        graph too large for that is framed at its selection, or else at its top."""
        bounds = self.canvas.itemsBoundingRect().adjusted(-40, -40, 40, 40)
        if bounds.isEmpty():
            return
        self.fit_scene_rect()
        self.fitInView(bounds, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.resetTransform()
            self.centerOn(bounds.center())
        elif self.zoom() < LEGIBLE_ZOOM:
            self.resetTransform()
            self.scale(LEGIBLE_ZOOM, LEGIBLE_ZOOM)
            self.centerOn(self._part_to_frame(bounds))
        self.zoom_changed.emit(self.zoom())

    def _part_to_frame(self, bounds: QRectF) -> QPointF:
        """Where to centre a graph that does not fit at a legible zoom: on the selected
        nodes, or on the top of the graph where its input comes in."""
        selected = [item.sceneBoundingRect() for item in self.canvas.selectedItems()]
        if selected:
            around = selected[0]
            for rect in selected[1:]:
                around = around.united(rect)
            return around.center()
        seen = self.mapToScene(self.viewport().rect()).boundingRect()
        start = self.canvas.boundaries.get("input")
        if self.canvas.horizontal:  # the graph starts at its left
            y = start.sceneBoundingRect().center().y() if start is not None else \
                bounds.center().y()
            y = min(max(y, bounds.top() + seen.height() / 2),
                    bounds.bottom() - seen.height() / 2) \
                if bounds.height() > seen.height() else bounds.center().y()
            return QPointF(bounds.left() + seen.width() / 2, y)
        x = start.sceneBoundingRect().center().x() if start is not None else bounds.center().x()
        x = min(max(x, bounds.left() + seen.width() / 2), bounds.right() - seen.width() / 2) \
            if bounds.width() > seen.width() else bounds.center().x()
        return QPointF(x, bounds.top() + seen.height() / 2)

    def follow(self, node_id: str | None) -> None:
        """Scroll so that node ``node_id`` (just added, say) is in view."""
        if node_id is None:
            return
        self.canvas.flush()
        item = self.canvas.nodes.get(node_id)
        if item is not None:
            if not self.sceneRect().contains(item.sceneBoundingRect()):
                self.fit_scene_rect()
            self.ensureVisible(item.sceneBoundingRect(), 60, 60)

    def open_search(self, view_point: QPoint) -> None:
        """The search box at ``view_point``; the layer chosen is added there."""
        self._search_point = self.mapToScene(view_point)
        self._search_link = None
        self.search.open_at(self.viewport().mapTo(self, view_point))

    def _link_dropped(self, graph_id: str, source: str, source_port: int,
                      scene_point: QPointF) -> None:
        """A link let go on empty canvas: the search there lists the layers that take
        what flows along it, and the one chosen is added and fed by the link."""
        shape = self.canvas.output_shape_of(graph_id, source)
        rank = len(shape) if isinstance(shape, tuple) and \
            all(isinstance(d, int) for d in shape) else None

        def accepts(spec: LayerSpec) -> bool:
            if spec.inputs[1] == 0:  # a parameter: nothing flows in
                return False
            return rank is None or takes_rank(spec, rank)

        self._search_point = scene_point
        self._search_link = (graph_id, source, source_port)
        self.search.open_at(self.viewport().mapTo(self, self.mapFromScene(scene_point)), accepts,
                            "Add a layer fed by this link…")

    def _add_searched(self, layer_type: str) -> None:
        link, self._search_link = self._search_link, None
        if link is not None:
            self.follow(self.canvas.add_fed_by(layer_type, *link, self._search_point))
        else:
            self.follow(self.canvas.drop_layer(layer_type, self._search_point))

    def contextMenuEvent(self, event) -> None:
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = self.menus.menu_at(event.pos())
        self.context_menu.popup(event.globalPos())
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        point = event.position().toPoint()
        if event.button() == Qt.MouseButton.LeftButton and self.itemAt(point) is None:
            self.open_search(point)
            return
        super().mouseDoubleClickEvent(event)

    def event(self, event) -> bool:
        # Tab opens the search at the cursor instead of moving the focus on.
        if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Tab and \
                not event.modifiers():
            point = self.viewport().mapFromGlobal(QCursor.pos())
            if not self.viewport().rect().contains(point):
                point = self.viewport().rect().center()
            self.open_search(point)
            return True
        return super().event(event)

    def add_view_entries(self, menu: QMenu, store: QSettings) -> None:
        """The canvas's own View-menu entries, remembered in ``store``."""
        menu.addSeparator()
        minimap = menu.addAction("&Minimap")
        minimap.setObjectName("action_minimap")
        minimap.setCheckable(True)
        minimap.setStatusTip("Show the whole graph in a corner while it does not fit the view")
        minimap.setChecked(_flag(store.value("canvas/minimap", True)))
        self.minimap.set_enabled(minimap.isChecked())

        def show_minimap(on: bool) -> None:
            store.setValue("canvas/minimap", on)
            self.minimap.set_enabled(on)

        minimap.toggled.connect(show_minimap)
        sideways = menu.addAction("Lay Out &Left to Right")
        sideways.setObjectName("action_left_to_right")
        sideways.setCheckable(True)
        sideways.setStatusTip("Let the graph flow from left to right instead of top to bottom")
        sideways.setChecked(_flag(store.value("canvas/left_to_right", False)))
        self.canvas.set_horizontal(sideways.isChecked())

        def lay_out_sideways(on: bool) -> None:
            store.setValue("canvas/left_to_right", on)
            self.canvas.set_horizontal(on)
            if "arrange" in self.window_actions:  # one undo step, like Arrange itself
                self.window_actions["arrange"].trigger()

        sideways.toggled.connect(lay_out_sideways)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._set_room()
        self.minimap.view_moved()

    def wheelEvent(self, event) -> None:
        if event.angleDelta().y() == 0:
            return super().wheelEvent(event)
        self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._panning = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._panning is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._panning = None
            self.unsetCursor()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in ARROWS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier \
                and self.canvas.selected_node_ids():
            arrows = ARROWS_RIGHT if self.canvas.horizontal else ARROWS
            found = self.canvas.step_selection(arrows[event.key()])
            if found is not None:
                self.follow(found)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        super().keyReleaseEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(LAYER_MIME_TYPE):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(LAYER_MIME_TYPE):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(LAYER_MIME_TYPE):
            return super().dropEvent(event)
        layer_type = bytes(event.mimeData().data(LAYER_MIME_TYPE).data()).decode()
        point = self.mapToScene(event.position().toPoint())
        node_id = self.canvas.drop_layer(layer_type, point)
        if node_id is not None:
            event.acceptProposedAction()
            self.follow(node_id)
        else:
            event.ignore()
