"""The canvas scene: a mirror of one graph of the document (and of its expanded blocks).

It builds items for what exists, follows the document's events to add, remove and
refresh them, and turns what the person does (drag a connection, move nodes, drop a
layer) into commands for the workspace. It never changes the document itself.
Following the document's events (`canvas_following`), drawing the dry run
(`canvas_looks`), twin links (`canvas_twins`) and adding layers (`canvas_adding`) are
mixins of their own files; building the items, selection and the mouse are here.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from core.document import navigation, placement
from core.document.edit import Command, Move
from core.document.graph import INPUT, OUTPUT, ROOT, Edge, Node, graph_inputs, graph_outputs
from core.document.layout import boundary_positions
from core.errors import EditError
from core.runtime.report import ShapeReport
from core.workspace import Workspace
from widgets import style
from widgets.canvas_adding import LayerAdding
from widgets.canvas_following import FollowsDocument, SceneItem, ends_state
from widgets.canvas_gestures import ConnectDrag
from widgets.canvas_looks import SceneLooks
from widgets.canvas_twins import TwinLinks
from widgets.edge_item import EdgeItem, TwinLinkItem
from widgets.frame_item import FrameItem
from widgets.node_item import INPUT_ROLE, OUTPUT_ROLE, BoundaryItem, NodeItem, PortedItem
from widgets.node_look import LookContext


class CanvasScene(FollowsDocument, SceneLooks, TwinLinks, LayerAdding, QGraphicsScene):
    graph_shown = Signal(str)
    message = Signal(str)
    # A dragged link let go on empty canvas: graph, source, source port, scene point.
    link_dropped = Signal(str, str, int, QPointF)
    # Nodes came, went or moved (not a mere change of selection or look).
    layout_changed = Signal()

    def __init__(self, workspace: Workspace, parent=None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.graph_id = ROOT
        self.expanded: set[str] = set()
        self.report: ShapeReport | None = None
        self.nodes: dict[str, SceneItem] = {}
        self.boundaries: dict[str, BoundaryItem] = {}
        self.edges: dict[tuple[str, Edge], EdgeItem] = {}
        self.twin_links: list[TwinLinkItem] = []
        self.offsets: dict[str, QPointF] = {}
        # The graph flows left to right (ports on the cards' sides) instead of down.
        self.horizontal = False
        self.connecting = ConnectDrag(self)
        self._needs_rebuild = False
        self._building = False
        # Looks drawn before the input changed need a full refresh at the next dry run;
        # otherwise only the nodes drawn from another report entry than the new one, or
        # drawn without the whole document (`_drawn`), and the labels of new links.
        self._looks_stale = True
        self._drawn: dict[str, object] = {}
        self._new_edges: set[EdgeItem] = set()
        self._labels: dict[str, str] = {}
        self._owners: set[str | None] = set()
        self._highlighted: set[str] = set()
        # Items of nodes and edges just deleted, kept so that an undo puts the same items
        # back instead of building ten thousand new ones (see `_revive`).
        self._retired: dict[str, NodeItem] = {}
        self._retired_edges: dict[tuple[str, Edge], EdgeItem] = {}
        self._rebuild_timer = QTimer(self, singleShot=True, interval=0)
        self._rebuild_timer.timeout.connect(self.flush)
        # Where nodes came, went or moved since the last turn: the links there are routed
        # again (`_reroute`), not every link of the graph after each dry run.
        self._dirty: list[QRectF] = []
        self._revived: set[EdgeItem] = set()
        self._reroute_timer = QTimer(self, singleShot=True, interval=0)
        self._reroute_timer.timeout.connect(self._reroute)
        # While a command runs (between the document's batch_started and batch_finished)
        # what each event would redo is gathered here and done once at the end: the
        # boundaries kept clear of new nodes, merges' free ports, the selection put back.
        self._batching = False
        self._to_clear: list[str] = []
        self._merges: set[PortedItem] = set()
        self._reselect: list[SceneItem | EdgeItem] = []
        self._selection_touched = False
        # What was selected when a delete unselected it quietly (`unselect_quietly`):
        # the items it retires come back selected when the delete is undone.
        self._unselected: set[str] = set()
        self._unselected_edges: set[tuple[str, Edge]] = set()
        self.setBackgroundBrush(style.BACKGROUND)
        self.selectionChanged.connect(self._highlight_twins)
        self._subscription = workspace.subscribe({
            "node_added": self._on_node_added, "node_removed": self._on_node_removed,
            "edge_added": self._on_edge_added, "edge_removed": self._on_edge_removed,
            "args_changed": self._on_args_changed, "node_moved": self._on_node_moved,
            "input_changed": self._on_input_changed, "batch_started": self._batch_started,
            "batch_finished": self._batch_finished}, replaced=self._document_replaced)
        self.rebuild()

    # Following the document ---------------------------------------------------------

    @property
    def document(self):
        return self.workspace.document

    def _document_replaced(self) -> None:
        self.graph_id, self.expanded, self.report = ROOT, set(), None
        self._batching = False  # the old document's batch_finished goes elsewhere
        self.rebuild()

    def detach(self) -> None:
        """Stop following the workspace (the window is closing)."""
        self._subscription.clear()

    def _displayed_graphs(self) -> set[str]:
        return {self.graph_id} | {g for g in self.expanded if g in self.nodes}

    def _schedule_rebuild(self) -> None:
        self._needs_rebuild = True
        self._rebuild_timer.start()

    def flush(self) -> None:
        """Do a rebuild that events asked for, now, and route the links again where
        nodes came, went or moved."""
        if self._needs_rebuild:
            self.rebuild()
        self._reroute()

    def _mark_dirty(self, rect: QRectF) -> None:
        self._dirty.append(rect)
        if not self._reroute_timer.isActive():
            self._reroute_timer.start()
            self.layout_changed.emit()

    def set_horizontal(self, horizontal: bool) -> None:
        """Let the graph flow left to right (or top to bottom again): ports move to the
        cards' sides and links are drawn across; positions stay as they are (Arrange
        lays the graph out for the direction)."""
        if horizontal != self.horizontal:
            self.horizontal = horizontal
            self.rebuild()

    # Building -----------------------------------------------------------------------

    def show_graph(self, graph_id: str) -> None:
        """Show the root graph or open block ``graph_id`` on its own."""
        self.graph_id = graph_id
        self.rebuild()

    def rebuild(self) -> None:
        self._needs_rebuild = False
        selected = self.selected_node_ids()
        blocked = self.blockSignals(True)
        self.clearSelection()
        self.clear()
        self.blockSignals(blocked)
        self.nodes, self.boundaries, self.edges, self.twin_links = {}, {}, {}, []
        self.offsets = {}
        self._retired, self._retired_edges = {}, {}
        self._dirty, self._revived = [], set()
        self._to_clear, self._merges, self._reselect = [], set(), []
        self._drawn, self._new_edges = {}, set()
        if self.graph_id != ROOT and not self.document.has_node(self.graph_id):
            self.graph_id = ROOT
        self.expanded = {b for b in self.expanded if self.document.has_node(b)}
        context = LookContext(self.document)
        graph = self.document.graph(self.graph_id)
        spots = boundary_positions(self.document, self.graph_id, self.horizontal)
        self._building = True
        ports = {INPUT_ROLE: graph_inputs(graph), OUTPUT_ROLE: graph_outputs(graph)}
        for role, text in ((INPUT_ROLE, self._input_text()), (OUTPUT_ROLE, "output")):
            item = BoundaryItem(self.graph_id, role, text, ports[role])
            item.setPos(*spots[INPUT if role == INPUT_ROLE else OUTPUT])
            self.addItem(item)
            self.boundaries[role] = item
        self._build_nodes(self.graph_id, graph.nodes, None, context)
        self._build_edges(self.graph_id)
        self._building = False
        self._build_twin_links()
        self.layout_changed.emit()
        self.graph_shown.emit(self.graph_id)
        self.select_nodes([i for i in selected if i in self.nodes])

    def _build_nodes(self, graph_id, nodes, parent: FrameItem | None, context) -> None:
        """Items for ``nodes``; an expanded block becomes a frame, and what lies below it
        in the same graph moves down to make room (a view offset, not a new position)."""
        shift = self._frame_shift(nodes) if parent is not None else QPointF()
        for node in nodes:
            self.offsets[node.id] = QPointF(shift)
            if node.graph is not None and node.id in self.expanded:
                frame = FrameItem(node.id, graph_id, self._look(context, node.id))
                self._place(frame, node.id, parent)
                self.nodes[node.id] = frame
                self._build_nodes(node.id, node.graph.nodes, frame, context)
                frame.refit()
            else:
                self._add_node_item(graph_id, node, parent, context)
        frames = sorted((self.nodes[n.id] for n in nodes
                         if isinstance(self.nodes[n.id], FrameItem)), key=lambda f: f.pos().y())
        for frame in frames:
            extra = frame.boundingRect().bottom() - 8 - style.NODE_HEIGHT / 2
            below = [self.nodes[n.id] for n in nodes
                     if self.nodes[n.id].pos().y() > frame.pos().y()]
            for item in below:
                self.offsets[item.node_id] += QPointF(0, extra)
                item.moveBy(0, extra)
            if parent is None and OUTPUT_ROLE in self.boundaries:
                self.boundaries[OUTPUT_ROLE].moveBy(0, extra)

    def _frame_shift(self, nodes) -> QPointF:
        """Inside a frame, children start just under its header, centred on it."""
        spots = [self.document.positions.get(n.id, (0.0, 0.0)) for n in nodes]
        if not spots:
            return QPointF()
        centre = (min(x for x, _ in spots) + max(x for x, _ in spots)) / 2
        top = -style.NODE_HEIGHT / 2 + style.FRAME_HEADER + style.FRAME_MARGIN + \
            style.NODE_HEIGHT / 2
        return QPointF(-centre, top - min(y for _, y in spots))

    def _build_edges(self, graph_id: str) -> None:
        for edge in self.document.graph(graph_id).edges:
            self._add_edge_item(graph_id, edge)
        for node in self.document.graph(graph_id).nodes:
            if node.id in self.expanded and isinstance(self.nodes.get(node.id), FrameItem):
                self._build_edges(node.id)

    def _place(self, item, node_id: str, parent: FrameItem | None) -> None:
        position = self.document.positions.get(node_id, (0.0, 0.0))
        if parent is not None:
            item.setParentItem(parent)
        else:
            self.addItem(item)
        item.setPos(QPointF(*position) + self.offsets.get(node_id, QPointF()))
        item.follow_moves()

    def _add_node_item(self, graph_id, node: Node, parent, context=None) -> NodeItem:
        context = context or LookContext(self.document, light=True)
        item = NodeItem(node.id, graph_id, self._look(context, node.id))
        item.node_ref = weakref.ref(node)  # which node it drew, for `_revive`
        if parent is None and graph_id != self.graph_id:
            parent = self.nodes.get(graph_id)
        self._place(item, node.id, parent)
        self.nodes[node.id] = item
        return item

    def _endpoint(self, graph_id: str, end: str) -> tuple[PortedItem | None, bool]:
        """The item an edge end attaches to, and whether it is a frame's inner side."""
        if end in (INPUT, OUTPUT):
            if graph_id == self.graph_id:
                return self.boundaries.get(INPUT_ROLE if end == INPUT else OUTPUT_ROLE), False
            return self.nodes.get(graph_id), True
        return self.nodes.get(end), False

    def _add_edge_item(self, graph_id: str, edge: Edge) -> None:
        source, source_inner = self._endpoint(graph_id, edge.src)
        target, target_inner = self._endpoint(graph_id, edge.dst)
        if source is None or target is None or (graph_id, edge) in self.edges:
            return
        item = self._retired_edges.pop((graph_id, edge), None)
        keep = False
        if item is not None and item.source is source and item.target is target and \
                (item.source_is_inner, item.target_is_inner) == (source_inner, target_inner):
            item.attach()
            # Its ends are drawn where they were when it was taken out: the path holds.
            keep = item.retired_ends == ends_state(source, target)
            item.retired_ends = ()
            if item.reselect:
                self._reselect.append(item)
        else:
            item = EdgeItem(graph_id, edge, source, target, source_inner, target_inner)
        self.addItem(item)
        if keep:
            self._revived.add(item)
        else:
            item.update_path()  # in the scene now, where the nodes in its way can be seen
        self.edges[(graph_id, edge)] = item
        item.set_label(self._edge_label(graph_id, edge))
        self._new_edges.add(item)  # labelled again from the next report
        if not self._building:
            self._merges.add(target)

    # Editing -------------------------------------------------------------------------

    def execute(self, command: Command) -> bool:
        """Run ``command``; a refused edit becomes a message, never an exception."""
        try:
            self.workspace.execute(command)
        except EditError as error:
            self.message.emit(str(error))
            return False
        self.flush()
        return True

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems()
                if isinstance(i, (NodeItem, FrameItem))]

    def selected_edges(self) -> list[EdgeItem]:
        return [i for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids) -> None:
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)

    def step_selection(self, direction: str) -> str | None:
        """Select the node the arrow key ``direction`` leads to from the selected one."""
        selected = self.selected_node_ids()
        if len(selected) != 1 or not self.document.has_node(selected[0]):
            return None
        def across(node_id: str) -> float:  # siblings lie side by side across the flow
            if node_id not in self.nodes:
                return 0.0
            spot = self.nodes[node_id].scenePos()
            return spot.y() if self.horizontal else spot.x()

        found = navigation.neighbour(self.document, selected[0], direction, across)
        if found is None or found not in self.nodes:
            return None
        self.select_nodes([found])
        return found

    def show_probes(self, probes: dict[str, str]) -> None:
        """Label nodes with what a step-through found (others are cleared)."""
        for node_id, item in self.nodes.items():
            if isinstance(item, NodeItem):
                item.set_probe(probes.get(node_id, ""))

    def toggle_block(self, block_id: str) -> None:
        """Expand a collapsed block into a frame, or collapse it back into one node."""
        self.expanded ^= {block_id}
        self.rebuild()

    # Mouse -----------------------------------------------------------------------------

    def _ported_at(self, point: QPointF) -> PortedItem | None:
        for item in self.items(point):
            if isinstance(item, PortedItem):
                return item
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        point = event.scenePos()
        item = self._ported_at(point)
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            local = item.mapFromScene(point)
            # An accepted press is the scene's own: the view starts no rubber band.
            if isinstance(item, FrameItem) and item.toggle_rect().contains(local):
                event.accept()
                self.toggle_block(item.node_id)
                return
            if isinstance(item, NodeItem) and item.look.is_block:
                corner = QPointF(-style.NODE_WIDTH / 2, -style.NODE_HEIGHT / 2)
                if (local - corner).x() < 30 and (local - corner).y() < 24:
                    event.accept()
                    self.toggle_block(item.node_id)
                    return
            if self.connecting.start(item, point):
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.connecting.active:
            self.connecting.follow(event.scenePos())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.connecting.active:
            self.connecting.finish(event.scenePos())
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """One Move command for every node a drag left somewhere new; a lone node with
        no links let go on a link is wired into it in the same step."""
        moved = {}
        for item in self.selectedItems():
            if not isinstance(item, (NodeItem, FrameItem)):
                continue
            node_id = item.node_id
            old = self.document.positions.get(node_id)
            place = item.pos() - self.offsets.get(node_id, QPointF())
            new = (round(place.x(), 1), round(place.y(), 1))
            if old is None or (abs(old[0] - new[0]) > 0.05 or abs(old[1] - new[1]) > 0.05):
                moved[node_id] = new
                if old is not None:  # links that went around it may now go straight
                    self._mark_dirty(item.sceneBoundingRect().translated(
                        QPointF(*old) - QPointF(*new)))
        if len(moved) == 1 and self._insert_dragged(*next(iter(moved.items()))):
            return
        if moved:
            self.execute(Move(moved))

    def _insert_dragged(self, node_id: str, position: tuple[float, float]) -> bool:
        item = self.nodes.get(node_id)
        if not isinstance(item, NodeItem):
            return False
        graph = self.document.graph(item.graph_id)
        if any(node_id in (e.src, e.dst) for e in graph.edges):
            return False
        centre = item.sceneBoundingRect().center()
        under = next((i for i in self.items(QRectF(centre.x() - 30, centre.y() - 14, 60, 28))
                      if isinstance(i, EdgeItem) and i.graph_id == item.graph_id), None)
        if under is None:
            return False
        try:
            command = placement.insert_existing(self.document, item.graph_id, node_id,
                                                under.edge, position)
        except EditError as error:
            self.message.emit(str(error))
            return False
        return self.execute(command)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        item = self._ported_at(event.scenePos())
        if isinstance(item, (NodeItem, FrameItem)) and item.look.is_block:
            self.show_graph(item.node_id)
            return
        super().mouseDoubleClickEvent(event)

    def _refit_parents(self, item) -> None:
        parent = item.parentItem()
        while isinstance(parent, FrameItem):
            parent.refit()
            parent = parent.parentItem()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if painter.worldTransform().m11() < 0.5:
            return
        painter.setPen(QPen(style.GRID, 1))
        step = 40
        left = int(rect.left()) - int(rect.left()) % step
        top = int(rect.top()) - int(rect.top()) % step
        for x in range(left, int(rect.right()), step):
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        for y in range(top, int(rect.bottom()), step):
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
