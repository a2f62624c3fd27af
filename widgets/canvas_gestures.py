"""Dragging a connection on the canvas: which port a press starts from, the dashed line
that follows the mouse, and which port the release lands on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from core.document.edit import Command, Compound
from core.document.graph import INPUT, OUTPUT, Edge
from core.document.placement import replace_link
from core.document.validate import input_range
from widgets import style
from widgets.frame_item import FrameItem
from widgets.node_item import FULL_FROM, BoundaryItem, NodeItem, PortedItem

if TYPE_CHECKING:
    from widgets.canvas_scene import CanvasScene

SOURCE_RADIUS = 12
TARGET_RADIUS = 18


def connection_source(item: PortedItem, point: QPointF) -> tuple[str, str, int] | None:
    """``(graph_id, source, source port)`` when ``point`` is on an output port of ``item``
    (the port names one of a graph's inputs)."""
    if isinstance(item, BoundaryItem):
        hit = item.port_at(point)
        return (item.graph_id, INPUT, hit[1]) if hit and hit[0] == "out" else None
    if isinstance(item, FrameItem):
        if (item.input_port(0) - point).manhattanLength() <= SOURCE_RADIUS:
            return item.inner_graph_id, INPUT, 0
        if (item.output_port() - point).manhattanLength() <= SOURCE_RADIUS:
            return item.graph_id, item.node_id, 0
        return None
    hit = item.port_at(point)
    return (item.graph_id, item.node_id, 0) if hit == ("out", 0) else None


class ConnectDrag:
    """One connection being dragged in ``scene`` (at most one at a time)."""

    def __init__(self, scene: CanvasScene) -> None:
        self.scene = scene
        self._active: tuple[str, str, int, int | None, QGraphicsPathItem, QPointF] | None \
            = None
        # An item's link let go on empty canvas: the GetItem not yet added, the commands
        # that add it along with the layer the search then adds (`with_pick`), and the
        # shape of the item it picks, which the new layer is sized from.
        self._pending_pick: tuple[str, list[Command], object] | None = None

    @property
    def active(self) -> bool:
        return self._active is not None

    def start(self, item: PortedItem, point: QPointF) -> bool:
        """Begin a drag if ``point`` is on an output port of ``item``."""
        self._pending_pick = None
        source = connection_source(item, point)
        picked = item.item_at(point) if source is None and isinstance(item, NodeItem) \
            and self._items_shown() else None
        if source is None and picked is None:
            return False
        line = QGraphicsPathItem()
        line.setPen(QPen(style.SELECTED, 1.8, Qt.PenStyle.DashLine))
        self.scene.addItem(line)
        # From an item port: the node's own output, and which item of its tuple.
        self._active = (*(source or (item.graph_id, item.node_id, 0)), picked, line, point)
        return True

    def _items_shown(self) -> bool:
        """Whether cards are drawn in full, item ports included (not zoomed out)."""
        views = self.scene.views()
        return not views or views[0].transform().m11() >= FULL_FROM

    def follow(self, point: QPointF) -> None:
        assert self._active is not None
        *_, line, start = self._active
        path = QPainterPath(start)
        path.lineTo(point)
        line.setPath(path)

    def finish(self, point: QPointF) -> bool:
        """Drop the line; connect to the port under ``point`` if there is one. Dropped
        on empty canvas, the scene is told (`CanvasScene.link_dropped`): the view opens
        the layer search there."""
        assert self._active is not None
        graph_id, source, source_port, picked, line, _ = self._active
        self._active = None
        self.scene.removeItem(line)
        empty = self.target(point) is None and not any(
            isinstance(i, PortedItem) and not isinstance(i, FrameItem)
            for i in self.scene.items(point))
        if picked is not None:
            return self._connect_item(graph_id, source, picked, point, empty)
        if empty:
            if self.scene.graph_at(point)[0] == graph_id:
                self.scene.link_dropped.emit(graph_id, source, source_port, point)
            return False
        return self.connect_at(graph_id, source, point, source_port)

    def connect_at(self, graph_id: str, source: str, point: QPointF,
                   source_port: int = 0) -> bool:
        """Connect ``source`` (output ``source_port`` of the graph's input) to the port
        under ``point``; a link already into that port is replaced (one undo step)."""
        target = self._target_in(graph_id, point)
        if target is None:
            return False
        edge = Edge(source, target[1], target[2], source_port)
        return self.scene.execute(replace_link(self.scene.document, graph_id, edge))

    def _target_in(self, graph_id: str, point: QPointF):
        """The input port under ``point`` if it is in ``graph_id`` (else a message)."""
        target = self.target(point)
        if target is not None and target[0] != graph_id:
            self.scene.message.emit("Connect: both ends must be in the same graph")
            return None
        return target

    def _connect_item(self, graph_id: str, source: str, item: int, point: QPointF,
                      empty: bool) -> bool:
        """A link from the port of item ``item`` of ``source``'s tuple: a ``GetItem``
        picking it (one already there is reused) feeds the port under ``point``, all one
        undo step. Let go on empty canvas, the layer search is fed by the GetItem, which
        is added only with the layer chosen there, in the same undo step."""
        picker, steps = self.scene.item_picker(graph_id, source, item)
        if empty:
            if self.scene.graph_at(point)[0] != graph_id:
                return False
            shape = self.scene.output_shape_of(graph_id, source)
            self._pending_pick = (picker, steps, shape[item] if isinstance(shape, tuple)
                                  and item < len(shape) else None) if steps else None
            self.scene.link_dropped.emit(graph_id, picker, 0, point)
            return False
        target = self._target_in(graph_id, point)
        if target is None:
            return False
        if target[1] in (source, picker):
            self.scene.message.emit("Connect: an item cannot feed the node it comes from")
            return False
        link = replace_link(self.scene.document, graph_id, Edge(picker, target[1], target[2]))
        return self.scene.execute(Compound(f"Connect item {item}", [*steps, link]))

    def with_pick(self, command: Command, source: str) -> Command:
        """``command``, which adds a layer fed by ``source``, preceded by the commands
        that add ``source`` when it is the GetItem of an item's link let go on empty
        canvas and not yet added; a search cancelled leaves nothing behind."""
        pending, self._pending_pick = self._pending_pick, None
        if pending is None or pending[0] != source or self.scene.document.has_node(source):
            return command
        return Compound(command.text, [*pending[1], command])

    def pending_shape(self, source: str):
        """The shape the GetItem ``source``, not yet added, will give; None when
        ``source`` is no such GetItem or the shape is unknown."""
        pending = self._pending_pick
        return pending[2] if pending is not None and pending[0] == source else None

    def target(self, point: QPointF) -> tuple[str, str, int] | None:
        """``(graph_id, node, port)`` a release at ``point`` connects to."""
        for item in self.scene.items(point):
            if isinstance(item, BoundaryItem) and item.port_at(point, TARGET_RADIUS) == \
                    ("in", 0):
                return item.graph_id, OUTPUT, 0
            if isinstance(item, FrameItem):
                if (item.input_port(0) - point).manhattanLength() <= TARGET_RADIUS:
                    return item.graph_id, item.node_id, 0
                if (item.output_port() - point).manhattanLength() <= TARGET_RADIUS:
                    return item.inner_graph_id, OUTPUT, 0
            if isinstance(item, NodeItem):
                hit = item.port_at(point, TARGET_RADIUS)
                if hit and hit[0] == "in":
                    return item.graph_id, item.node_id, hit[1]
                return item.graph_id, item.node_id, self._first_free_port(item)
        return None

    def _first_free_port(self, item: NodeItem) -> int:
        """The first input not yet fed, or the last input when all are (a drop there
        replaces its link)."""
        graph = self.scene.document.graph(item.graph_id)
        used = {e.port for e in graph.edges if e.dst == item.node_id}
        port = 0
        while port in used:
            port += 1
        if self.scene.document.has_node(item.node_id):
            high = input_range(self.scene.document.node(item.node_id))[1]
            if high is not None and high > 0:
                port = min(port, high - 1)
        return port
