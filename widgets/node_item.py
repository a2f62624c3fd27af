"""Scene items for nodes: a layer or collapsed block, a graph's input and output.

An item holds a node id and the `NodeLook` it paints, never the node itself. Ports are
painted, not child items, so a scene of ten thousand nodes stays light: inputs along the
top edge, the output at the bottom centre.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from widgets import style
from widgets.node_look import NodeLook

# Below FULL_FROM a card shows its title alone, in a font that grows as the view zooms
# out so it stays about SUMMARY_PIXELS high on screen (the same on every card); below
# PLAIN_BELOW only its shape.
FULL_FROM = 0.7
PLAIN_BELOW = 0.12
SUMMARY_PIXELS = 10.5  # a whole "BatchNorm2d" from a zoom of 0.5
SUMMARY_LINES = 2.4  # a summary's title font fits two lines, with their spacing, in a card
SMALLEST_PIXELS = 8.5  # two lines smaller than this on screen: one line

# The small ports of a tuple's items: their radius, the label font, and the room
# between one item's label and the next port.
ITEM_RADIUS = 3.5
ITEM_FONT_POINTS = 7.0
ITEM_GAP = 10.0

_SCENE_POSITION_CHANGED = QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged

INPUT_ROLE = "input"
OUTPUT_ROLE = "output"


def flows_right(item: QGraphicsItem) -> bool:
    """Whether the scene ``item`` is in lays its graph out left to right (inputs on the
    left of a card, the output on its right) rather than top to bottom."""
    scene = item.scene()
    return bool(getattr(scene, "horizontal", False))


def port_spot(rect: QRectF, side: str, index: int, count: int, right: bool) -> QPointF:
    """Where port ``index`` of ``count`` on ``side`` ("in" or "out") of ``rect`` lies:
    along the top and bottom edges, or the left and right ones when the flow runs right."""
    if right:
        y = rect.top() + rect.height() / (count + 1) * (index + 1)
        return QPointF(rect.left() if side == "in" else rect.right(), y)
    x = rect.left() + rect.width() / (count + 1) * (index + 1)
    return QPointF(x, rect.top() if side == "in" else rect.bottom())


class PortedItem(QGraphicsItem):
    """Something edges attach to. ``graph_id`` is the graph the item's node lives in.

    Call `follow_moves` once the item is placed: from then on its edges follow it.
    """

    def __init__(self, node_id: str, graph_id: str) -> None:
        super().__init__()
        self.node_id = node_id
        self.graph_id = graph_id
        self.edges: list[QGraphicsItem] = []

    def follow_moves(self) -> None:
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges)

    def input_port(self, port: int) -> QPointF:
        raise NotImplementedError

    def output_port(self, port: int = 0) -> QPointF:
        raise NotImplementedError

    def input_count(self) -> int:
        return 1

    def output_count(self) -> int:
        return 1

    def port_at(self, scene_point: QPointF, radius: float = 12.0) -> tuple[str, int] | None:
        """``("out", port)`` or ``("in", port)`` when ``scene_point`` is on a port."""
        for port in range(self.output_count()):
            if (self.output_port(port) - scene_point).manhattanLength() <= radius:
                return ("out", port)
        for port in range(self.input_count()):
            if (self.input_port(port) - scene_point).manhattanLength() <= radius:
                return ("in", port)
        return None

    def itemChange(self, change, value):
        # Called from C++ several times for every item added, shown or removed: the
        # other changes return at once (QGraphicsItem's own itemChange returns value).
        if change is not _SCENE_POSITION_CHANGED:
            return value
        for edge in self.edges:
            edge.update_path()  # type: ignore[attr-defined]
        parent = self.parentItem()
        if parent is not None and hasattr(parent, "refit"):
            parent.refit()
        return value


def summary_title(title: str, width: float, height: float,
                  detail_level: float) -> tuple[QFont, str]:
    """The font and text of a zoomed-out card's title: the name above the layer's kind
    (``"conv1 · Conv2d"`` on two lines), each line elided on its own to ``width``. The
    size depends on the zoom alone, about SUMMARY_PIXELS high on screen and at most what
    lets two lines fit ``height``, so every card of a graph shows the same size; zoomed
    out so far that two lines would not read, one larger line: the name, or the kind
    where the name is only a position in a sequence ("3")."""
    font = style.font(9, bold=True)
    wanted = round(SUMMARY_PIXELS / max(detail_level, 1e-3))
    name, between, kind = title.partition(" · ")
    lines = [name, kind] if between else [title]
    pixels = min(wanted, int(height / SUMMARY_LINES))
    if pixels * detail_level < SMALLEST_PIXELS:  # far out: one line, larger
        pixels = min(wanted, int(height / (SUMMARY_LINES / 2)))
        lines = [kind if between and name.lstrip("▸ ").isdigit() else lines[0]]
    font.setPixelSize(max(1, pixels))
    metrics = QFontMetricsF(font)
    return font, "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
                           for line in lines)


def item_spots(rect: QRectF, items: tuple[str, ...], right: bool) -> list[QPointF]:
    """Where the item ports of a card ``rect`` lie (item coordinates): beside the main
    output, each followed by its label. Flowing down they run along the bottom edge to
    the right of the main port; flowing right, down the right edge below it."""
    if right:
        return [QPointF(rect.right(), 14.0 + 14.0 * i) for i in range(len(items))]
    metrics = QFontMetricsF(style.font(ITEM_FONT_POINTS))
    spots, x = [], 20.0
    for name in items:
        spots.append(QPointF(x, rect.bottom()))
        x += ITEM_RADIUS + 3 + metrics.horizontalAdvance(name) + ITEM_GAP
    return spots


def _paint_port(painter: QPainter, centre: QPointF, filled: bool) -> None:
    painter.setPen(QPen(style.EDGE, 1.2))
    painter.setBrush(QBrush(style.EDGE if filled else style.NODE_FILL))
    painter.drawEllipse(centre, style.PORT_RADIUS, style.PORT_RADIUS)


class NodeItem(PortedItem):
    """A layer, or a collapsed block, centred on its position."""

    def __init__(self, node_id: str, graph_id: str, look: NodeLook) -> None:
        super().__init__(node_id, graph_id)
        self.look = look
        self.highlighted = False
        self.probe = ""
        self.node_ref: Callable[[], object] = lambda: None
        self.reselect = False  # selected when deleted: an undo selects it again
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setAcceptHoverEvents(True)
        self._rect = QRectF(-style.NODE_WIDTH / 2, -style.NODE_HEIGHT / 2,
                            style.NODE_WIDTH, style.NODE_HEIGHT)
        self._item_spots: tuple[tuple[str, ...], bool, list[QPointF]] | None = None
        # Qt asks a few times for every item added or shown: worked out once per look
        # and probe (cards with item ports, whose spots follow the flow, are not kept).
        self._bounds: QRectF | None = None

    def set_look(self, look: NodeLook) -> None:
        if look != self.look:
            if look.inputs != self.look.inputs or look.items != self.look.items:
                self.prepareGeometryChange()
            self.look = look
            self._bounds = None
            self.update()

    def hoverEnterEvent(self, event) -> None:
        # Set on demand: ten thousand tooltips set up front cost a noticeable fraction
        # of building the scene.
        self._tip_at(event.scenePos())
        super().hoverEnterEvent(event)

    def hoverMoveEvent(self, event) -> None:
        if self.look.items:
            self._tip_at(event.scenePos())
        super().hoverMoveEvent(event)

    def _tip_at(self, scene_point: QPointF) -> None:
        """The card's tooltip, or an item port's (its name and shape) over one."""
        item = self.item_at(scene_point)
        tip = self.look.tooltip if item is None or item >= len(self.look.item_tips) else \
            self.look.item_tips[item]
        if tip != self.toolTip():
            self.setToolTip(tip)

    def item_spots(self) -> list[QPointF]:
        """The item ports, in item coordinates (worked out once per look and flow)."""
        right = flows_right(self)
        cached = self._item_spots
        if cached is None or cached[0] != self.look.items or cached[1] != right:
            cached = (self.look.items, right, item_spots(self._rect, self.look.items, right))
            self._item_spots = cached
        return cached[2]

    def item_port(self, item: int) -> QPointF:
        """Where the port of the tuple's item ``item`` lies, in the scene."""
        return self.mapToScene(self.item_spots()[item])

    def item_at(self, scene_point: QPointF, radius: float = 8.0) -> int | None:
        """The tuple item whose small port ``scene_point`` is on, if any."""
        for item, spot in enumerate(self.item_spots()):
            if (self.mapToScene(spot) - scene_point).manhattanLength() <= radius:
                return item
        return None

    def set_highlighted(self, highlighted: bool) -> None:
        if highlighted != self.highlighted:
            self.highlighted = highlighted
            self.update()

    def set_probe(self, text: str) -> None:
        """What a step-through found here (shape and statistics), shown under the node."""
        if text != self.probe:
            self.prepareGeometryChange()
            self.probe = text
            self._bounds = None
            self.update()

    def boundingRect(self) -> QRectF:
        bounds = self._bounds
        if bounds is None:
            bounds = self._rect.adjusted(-8, -18, 8, 30 if self.probe else 8)
            if self.look.items:
                return bounds.united(self._items_rect())
            self._bounds = bounds
        return bounds

    def _items_rect(self) -> QRectF:
        """What the item ports and their labels cover."""
        spots = self.item_spots()
        metrics = QFontMetricsF(style.font(ITEM_FONT_POINTS))
        wide = max(metrics.horizontalAdvance(n) for n in self.look.items)
        return QRectF(spots[0].x() - 8, spots[0].y() - 8,
                      spots[-1].x() - spots[0].x() + wide + 24,
                      spots[-1].y() - spots[0].y() + 24)

    def shape(self) -> QPainterPath:
        """The body and its ports, so a press on a port's rim still finds the node."""
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.WindingFill)
        path.addRoundedRect(self._rect, 8, 8)
        grab = style.PORT_RADIUS + 4
        for port in range(self.look.inputs):
            path.addEllipse(self.mapFromScene(self.input_port(port)), grab, grab)
        path.addEllipse(self.mapFromScene(self.output_port()), grab, grab)
        for spot in self.item_spots() if self.look.items else ():
            path.addEllipse(spot, ITEM_RADIUS + 4, ITEM_RADIUS + 4)
        return path

    def input_count(self) -> int:
        return self.look.inputs

    def input_port(self, port: int) -> QPointF:
        count = max(1, self.look.inputs)
        return self.mapToScene(port_spot(self._rect, "in", port, count, flows_right(self)))

    def output_port(self, port: int = 0) -> QPointF:
        return self.mapToScene(port_spot(self._rect, "out", 0, 1, flows_right(self)))

    def _paint_summary(self, painter: QPainter, detail_level: float) -> None:
        """The card zoomed out: its accent and its title, large enough to read."""
        look = self.look
        painter.drawRoundedRect(self._rect, 8, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.category_color(look.category))
        painter.drawRoundedRect(QRectF(self._rect.left() + 1, self._rect.top() + 1, 10,
                                       self._rect.height() - 2), 4, 4)
        painter.setPen(style.ERROR if look.error else style.TEXT)
        box = self._rect.adjusted(16, 2, -6, -2)
        font, text = summary_title(("▸ " if look.is_block else "") + look.title, box.width(),
                                   box.height(), detail_level)
        painter.setFont(font)
        painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        look = self.look
        detail_level = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        border = style.ERROR if look.error else (
            style.SELECTED if selected else style.TWIN if look.shared else style.NODE_BORDER)
        width = 2.4 if selected or self.highlighted or look.error else 1.2
        pen = QPen(border, width)
        if look.shared:
            pen.setStyle(Qt.PenStyle.DashLine if look.twin_of else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(style.ERROR_FILL if look.error else style.NODE_FILL))
        if detail_level < PLAIN_BELOW:
            painter.drawRect(self._rect)  # ten thousand nodes at a glance: shapes only
            return
        if detail_level < FULL_FROM:
            self._paint_summary(painter, detail_level)
            return
        painter.drawRoundedRect(self._rect, 8, 8)
        if look.is_block:
            painter.drawRoundedRect(self._rect.adjusted(4, 4, -4, -4), 6, 6)
        accent = style.category_color(look.category)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawRoundedRect(QRectF(self._rect.left() + 1, self._rect.top() + 1, 6,
                                       self._rect.height() - 2), 3, 3)
        if self.highlighted and not selected:
            painter.setPen(QPen(style.TWIN, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self._rect.adjusted(-4, -4, 4, 4), 10, 10)
        left = self._rect.left() + 14
        text_width = self._rect.width() - 22
        painter.setPen(style.TEXT)
        painter.setFont(style.font(9, bold=True))
        title = ("▸ " if look.is_block else "") + look.title
        painter.drawText(QRectF(left, self._rect.top() + 5, text_width, 16),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight,
                                                          int(text_width)))
        painter.setFont(style.font(8))
        painter.setPen(style.MUTED)
        painter.drawText(QRectF(left, self._rect.top() + 23, text_width, 14),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(look.detail, Qt.TextElideMode.ElideRight,
                                                          int(text_width)))
        bottom = QRectF(left, self._rect.top() + 41, text_width, 16)
        painter.setPen(style.MUTED)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         look.parameters)
        room = int(text_width - painter.fontMetrics().horizontalAdvance(look.parameters) - 8)
        painter.setPen(style.ERROR if look.error else style.TEXT)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(
                             "⚠ does not fit" if look.error else look.shape,
                             Qt.TextElideMode.ElideRight, room))
        if look.shared:
            painter.setPen(style.TWIN)
            painter.setFont(style.font(7.5, bold=True))
            badge = f"↔ {look.twin_of}" if look.twin_of else "↔ shared"
            painter.drawText(QRectF(self._rect.right() - 84, self._rect.top() - 15, 84, 13),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, badge)
        for port in range(self.look.inputs):
            _paint_port(painter, self.mapFromScene(self.input_port(port)), False)
        _paint_port(painter, self.mapFromScene(self.output_port()), True)
        if look.items:
            self._paint_items(painter)
        if self.probe:
            painter.setFont(style.font(7.5, bold=True))
            width = painter.fontMetrics().horizontalAdvance(self.probe) + 12
            box = QRectF(-width / 2, self._rect.bottom() + 8, width, 17)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.PROBE)
            painter.drawRoundedRect(box, 8, 8)
            painter.setPen(style.NODE_FILL)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.probe)


    def _paint_items(self, painter: QPainter) -> None:
        """The small port of each item of the tuple, its name beside it."""
        right = flows_right(self)
        painter.setFont(style.font(ITEM_FONT_POINTS))
        metrics = painter.fontMetrics()
        for spot, name in zip(self.item_spots(), self.look.items, strict=True):
            painter.setPen(QPen(style.EDGE, 1.0))
            painter.setBrush(QBrush(style.NODE_FILL))
            painter.drawEllipse(spot, ITEM_RADIUS, ITEM_RADIUS)
            painter.setPen(style.MUTED)
            left = spot.x() + ITEM_RADIUS + 3
            top = spot.y() - 7 if right else spot.y() + 1
            painter.drawText(QRectF(left, top, metrics.horizontalAdvance(name) + 2, 14),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)


class BoundaryItem(PortedItem):
    """The input or the output of the graph on show. It stays above (below) the graph's
    nodes by itself, and cannot be moved or deleted. A graph of several inputs (outputs)
    has a port for each, left to right."""

    def __init__(self, graph_id: str, role: str, text: str, ports: int = 1) -> None:
        super().__init__(role, graph_id)
        self.role = role
        self.text = text
        self.ports = max(1, ports)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges)
        self._rect = QRectF(-style.BOUNDARY_WIDTH / 2, -style.BOUNDARY_HEIGHT / 2,
                            style.BOUNDARY_WIDTH, style.BOUNDARY_HEIGHT)

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-8, -8, 8, 8)

    def input_count(self) -> int:
        return self.ports if self.role == OUTPUT_ROLE else 0

    def output_count(self) -> int:
        return self.ports if self.role == INPUT_ROLE else 0

    def _spot(self, port: int) -> QPointF:
        side = "out" if self.role == INPUT_ROLE else "in"
        return port_spot(self._rect, side, port, self.ports, flows_right(self))

    def input_port(self, port: int) -> QPointF:
        return self.mapToScene(self._spot(port))

    def output_port(self, port: int = 0) -> QPointF:
        if self.role == OUTPUT_ROLE:
            return QPointF(1e9, 1e9)  # the output has no outgoing port
        return self.mapToScene(self._spot(port))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(QPen(style.NODE_BORDER, 1.2))
        painter.setBrush(style.BOUNDARY_FILL)
        painter.drawRoundedRect(self._rect, 15, 15)
        painter.setPen(style.TEXT)
        painter.setFont(style.font(9, bold=True))
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)
        for port in range(self.ports):
            _paint_port(painter, self._spot(port), self.role == INPUT_ROLE)
