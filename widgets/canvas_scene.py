"""The canvas scene: a mirror of one graph of the document (and of its expanded blocks).

It builds items for what exists, follows the document's events to add, remove and
refresh them, and turns what the person does (drag a connection, move nodes, drop a
layer) into commands for the workspace. It never changes the document itself.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from core.catalog.registry import spec_for
from core.catalog.sizing import sized_arguments
from core.document import navigation, placement
from core.document.edit import Command, Move
from core.document.graph import INPUT, OUTPUT, ROOT, Edge, Node, graph_inputs, graph_outputs
from core.document.layout import (
    across,
    along,
    boundary_positions,
    flow_point,
    flow_step,
    side_step,
)
from core.errors import EditError
from core.runtime.report import ShapeReport, format_shape
from core.workspace import Workspace
from widgets import style
from widgets.canvas_gestures import ConnectDrag
from widgets.edge_item import EdgeItem, TwinLinkItem
from widgets.frame_item import FrameItem
from widgets.node_item import INPUT_ROLE, OUTPUT_ROLE, BoundaryItem, NodeItem, PortedItem
from widgets.node_look import LookContext

SceneItem = NodeItem | FrameItem
# At most this many deleted items are kept for an undo to put back.
MAX_RETIRED = 50_000


class CanvasScene(QGraphicsScene):
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

    def _reroute(self) -> None:
        """Route again the links that pass where nodes came, went or moved, except links
        an undo just put back (they are as they were, with what was around them)."""
        dirty, revived = self._dirty, self._revived
        self._dirty, self._revived = [], set()
        if not dirty:
            return
        if len(dirty) > 64:  # many nodes at once: one test per link, no scene queries
            area = dirty[0]
            for rect in dirty[1:]:
                area = area.united(rect)
            for item in [e for e in self.edges.values() if e not in revived]:
                if item.sceneBoundingRect().intersects(area):
                    item.update_path()
            return
        done: set[EdgeItem] = set()
        for rect in dirty:
            for item in self.items(rect, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
                if isinstance(item, EdgeItem) and item not in revived and item not in done:
                    done.add(item)
                    item.update_path()

    def _batch_started(self) -> None:
        self._batching = True

    def _batch_finished(self) -> None:
        self._batching = False
        self._unselected, self._unselected_edges = set(), set()
        self._settle()

    def _settle(self) -> None:
        """Do what the events since the last call put off (see `_batching`)."""
        if self._batching:
            return
        to_clear, merges, reselect = self._to_clear, self._merges, self._reselect
        self._to_clear, self._merges, self._reselect = [], set(), []
        touched, self._selection_touched = self._selection_touched, False
        if to_clear:
            self._keep_boundaries_clear_of(to_clear)
        for item in merges:
            self._refresh_merge(item)
        back = [i for i in reselect if i.scene() is self]
        if back:  # what a delete took out comes back selected, as it was
            blocked = self.blockSignals(True)
            try:
                for item in back:
                    item.setSelected(True)
            finally:
                self.blockSignals(blocked)
        if back or touched:
            self.selectionChanged.emit()

    def _take_out(self, item: SceneItem | EdgeItem) -> bool:
        """Remove ``item`` from the scene; whether it was selected. A selected item is
        unselected first, without a word: `_settle` tells the selection's listeners
        once, however many selected items go (a redo of a large delete)."""
        if not item.isSelected():
            self.removeItem(item)
            return False
        blocked = self.blockSignals(True)
        try:
            item.setSelected(False)
            self.removeItem(item)
        finally:
            self.blockSignals(blocked)
        self._selection_touched = True
        return True

    def unselect_quietly(self) -> None:
        """Clear the selection without telling anyone (the caller says it once): a delete
        of thousands of selected items would tell every listener once per item. What was
        selected comes back selected if the delete that follows is undone."""
        selected = self.selectedItems()
        self._unselected = {i.node_id for i in selected if isinstance(i, (NodeItem, FrameItem))}
        self._unselected_edges = {(i.graph_id, i.edge) for i in selected
                                  if isinstance(i, EdgeItem)}
        blocked = self.blockSignals(True)
        try:
            self.clearSelection()
        finally:
            self.blockSignals(blocked)

    def _on_node_added(self, graph_id: str, node_id: str) -> None:
        self._drawn[graph_id] = _UNDRAWN  # a block's card counts its nodes
        node = self.document.node(node_id)
        if graph_id == self.graph_id and node.graph is None and not self._needs_rebuild:
            if not self._revive(graph_id, node):
                self._add_node_item(graph_id, node, None)
            self._mark_dirty(self.nodes[node_id].sceneBoundingRect())
            self._to_clear.append(node_id)
            self._settle()
        elif graph_id in self._displayed_graphs() or self._needs_rebuild:
            self._schedule_rebuild()

    def _on_node_removed(self, graph_id: str, node_id: str) -> None:
        self._drawn[graph_id] = _UNDRAWN
        if self.graph_id != ROOT and not self.document.has_node(self.graph_id):
            self.graph_id = ROOT
            self._schedule_rebuild()
            return
        item = self.nodes.pop(node_id, None)
        if item is None:
            return
        if isinstance(item, FrameItem) or item.parentItem() is not None:
            self._schedule_rebuild()
        for edge_item in list(item.edges):
            if isinstance(edge_item, EdgeItem):
                self._remove_edge_item(edge_item)
            else:
                self._remove_twin_links()
        self._mark_dirty(item.sceneBoundingRect())
        selected = self._take_out(item)
        if isinstance(item, NodeItem) and item.parentItem() is None and \
                graph_id == self.graph_id and not item.highlighted and not item.probe:
            if len(self._retired) >= MAX_RETIRED:
                self._retired.clear()
            item.reselect = selected or node_id in self._unselected
            self._retired[node_id] = item
        self._settle()

    def _revive(self, graph_id: str, node: Node) -> bool:
        """Put back the item of ``node`` if it was deleted as it is now (an undo)."""
        item = self._retired.pop(node.id, None)
        if item is None or item.node_ref() is not node or item.graph_id != graph_id:
            return False
        self.addItem(item)
        offset = self.offsets.setdefault(node.id, QPointF())  # below a frame: kept
        item.setPos(QPointF(*self.document.positions.get(node.id, (0.0, 0.0))) + offset)
        self.nodes[node.id] = item
        if item.reselect:
            self._reselect.append(item)
        return True

    def _on_edge_added(self, graph_id: str, edge: Edge) -> None:
        self._drawn[graph_id] = _UNDRAWN  # a block's inputs (a merge's: `_refresh_merge`)
        if graph_id in self._displayed_graphs() and not self._needs_rebuild:
            self._add_edge_item(graph_id, edge)
            self._settle()

    def _on_edge_removed(self, graph_id: str, edge: Edge) -> None:
        self._drawn[graph_id] = _UNDRAWN
        item = self.edges.get((graph_id, edge))
        if item is not None:
            self._remove_edge_item(item)
            self._settle()

    def _on_args_changed(self, node_id: str) -> None:
        if node_id not in self.nodes:
            return
        if self._twin_state_changed():
            self._schedule_rebuild()
        elif not self._needs_rebuild:
            self.refresh_nodes(self.document.twins(node_id))

    def _keep_boundaries_clear(self, node_id: str) -> None:
        self._keep_boundaries_clear_of([node_id])

    def _keep_boundaries_clear_of(self, node_ids: list[str]) -> None:
        """The input stays before every node of the graph on show (above it, or left of
        it when the graph flows right), the output after."""
        right, step = self.horizontal, flow_step(self.horizontal)
        flows = []
        for node_id in node_ids:
            item = self.nodes.get(node_id)
            if item is not None and item.graph_id == self.graph_id:
                spot = item.pos()
                flows.append(spot.x() if right else spot.y())
        if not flows:
            return
        first, last = min(flows), max(flows)
        start, end = self.boundaries.get(INPUT_ROLE), self.boundaries.get(OUTPUT_ROLE)
        if start is not None and first - step < along((start.x(), start.y()), right):
            start.setX(first - step) if right else start.setY(first - step)
        if end is not None and last + step > along((end.x(), end.y()), right):
            end.setX(last + step) if right else end.setY(last + step)

    def set_horizontal(self, horizontal: bool) -> None:
        """Let the graph flow left to right (or top to bottom again): ports move to the
        cards' sides and links are drawn across; positions stay as they are (Arrange
        lays the graph out for the direction)."""
        if horizontal != self.horizontal:
            self.horizontal = horizontal
            self.rebuild()

    def _on_node_moved(self, node_id: str) -> None:
        item = self.nodes.get(node_id)
        position = self.document.positions.get(node_id)
        if item is None or position is None:
            return
        target = QPointF(*position) + self.offsets.get(node_id, QPointF())
        if item.pos() != target:
            self._mark_dirty(item.sceneBoundingRect())
            item.setPos(target)
            self._refit_parents(item)
        self._mark_dirty(item.sceneBoundingRect())
        self._keep_boundaries_clear(node_id)

    def _on_input_changed(self) -> None:
        self._looks_stale = True
        if INPUT_ROLE in self.boundaries:
            self.boundaries[INPUT_ROLE].set_text(self._input_text())

    def _twin_state_changed(self) -> bool:
        pairs = {(t.first.node_id, t.second.node_id) for t in self.twin_links}
        return pairs != set(self._twin_pairs())

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
            keep = item.retired_ends == _ends_state(source, target)
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

    def _remove_edge_item(self, item: EdgeItem) -> None:
        item.detach()
        key = (item.graph_id, item.edge)
        self.edges.pop(key, None)
        selected = self._take_out(item)
        if not self._building:
            if len(self._retired_edges) >= MAX_RETIRED:
                self._retired_edges.clear()
            item.retired_ends = _ends_state(item.source, item.target)
            item.reselect = selected or key in self._unselected_edges
            self._retired_edges[key] = item
            self._merges.add(item.target)

    def _refresh_merge(self, item: PortedItem) -> None:
        """A merge shows one free input more than it has connected."""
        if self._building or not isinstance(item, NodeItem) or \
                not self.document.has_node(item.node_id):
            return
        node = self.document.node(item.node_id)
        if node.graph is None and spec_for(node.type).is_merge:
            context = LookContext(self.document, light=True)
            item.set_look(self._look(context, item.node_id))
            for edge in item.edges:
                edge.update_path()  # type: ignore[attr-defined]

    def _twin_pairs(self) -> list[tuple[str, str]]:
        return [(n.shares, n.id) for _, n in self.document.walk()
                if n.shares and n.id in self.nodes and n.shares in self.nodes]

    def _build_twin_links(self) -> None:
        for owner, twin in self._twin_pairs():
            link = TwinLinkItem(self.nodes[owner], self.nodes[twin])
            link.update_path = link.refresh  # type: ignore[attr-defined]
            self.nodes[owner].edges.append(link)  # type: ignore[arg-type]
            self.nodes[twin].edges.append(link)  # type: ignore[arg-type]
            self.addItem(link)
            self.twin_links.append(link)

    def _remove_twin_links(self) -> None:
        for link in self.twin_links:
            for end in (link.first, link.second):
                if link in end.edges:
                    end.edges.remove(link)  # type: ignore[arg-type]
            if link.scene() is self:
                self.removeItem(link)
        self.twin_links = []

    # Looks ----------------------------------------------------------------------------

    def _look(self, context: LookContext, node_id: str):
        shape = self.report.nodes.get(node_id) if self.report else None
        self._drawn[node_id] = _UNDRAWN if context.light else shape
        return context.look(node_id, shape)

    def apply_report(self, report: ShapeReport) -> None:
        """Show the shapes, counts and errors of the newest dry run: every look when the
        input, the names or the sharing changed since they were drawn, else only the
        nodes drawn from another entry of a report (or in a hurry: a new node, a merge
        whose links changed, a block whose inside changed) and the labels of the links
        leaving them or new since. An undo that puts ten thousand items back redraws
        none of them."""
        previous, self.report = self.report, report
        context = LookContext(self.document)
        renamed = context.labels != self._labels
        # A shared node's card names its twins: with sharing about, redraw them all.
        if self._looks_stale or previous is None or previous.input_shape != report.input_shape \
                or context.owners != self._owners or (renamed and context.owners):
            self.refresh_looks(context)
            return
        drawn, shapes = self._drawn, report.nodes
        changed = {node_id for node_id in self.nodes
                   if drawn.get(node_id, _UNDRAWN) is _UNDRAWN
                   or shapes.get(node_id) != drawn[node_id]}
        if renamed:  # a card shows its own name, and an error the names of others
            old, new = self._labels, context.labels
            changed |= {node_id for node_id, item in self.nodes.items()
                        if old.get(node_id) != new.get(node_id) or item.look.error}
            # Kept for items taken out meanwhile: an undo puts them back as they were.
            self._labels = {**old, **new}
        self._refresh_looks_of(context, changed | {self.graph_id})  # and the input's text

    def refresh_nodes(self, node_ids: list[str]) -> None:
        """Redraw just these nodes (an argument edit changes no other)."""
        context = LookContext(self.document, labels=self._labels)
        for node_id in node_ids:
            if node_id in self.nodes and self.document.has_node(node_id):
                self.nodes[node_id].set_look(self._look(context, node_id))

    def refresh_looks(self, context: LookContext | None = None) -> None:
        context = context or LookContext(self.document)
        self._looks_stale = False
        self._new_edges = set()
        self._labels, self._owners = context.labels, context.owners
        self._refresh_looks_of(context, None)

    def _refresh_looks_of(self, context: LookContext, node_ids: set[str] | None) -> None:
        """Redraw ``node_ids`` (None: all), the labels of edges leaving them and the
        input's text when it is theirs to show."""
        ported = set()  # nodes whose inputs (so their ports) changed
        for node_id, item in self.nodes.items():
            if (node_ids is None or node_id in node_ids) and self.document.has_node(node_id):
                inputs = item.look.inputs
                item.set_look(self._look(context, node_id))
                if item.look.inputs != inputs:
                    ported.add(node_id)
        new_edges, self._new_edges = self._new_edges, set()
        for (graph_id, edge), item in self.edges.items():
            source = graph_id if edge.src == INPUT else edge.src
            if node_ids is None or source in node_ids or edge.dst in node_ids or \
                    item in new_edges:
                item.set_label(self._edge_label(graph_id, edge))
                if source in ported or edge.dst in ported:
                    item.update_path()
        if INPUT_ROLE in self.boundaries and (node_ids is None or self.graph_id in node_ids):
            self.boundaries[INPUT_ROLE].set_text(self._input_text())

    def _input_text(self) -> str:
        if self.graph_id == ROOT:
            return "input " + format_shape(tuple(self.document.input.shape))
        shape = self.report.nodes.get(self.graph_id) if self.report else None
        if shape and shape.input_shapes:
            return ("input " if len(shape.input_shapes) == 1 else "inputs ") + \
                " · ".join(format_shape(s) for s in shape.input_shapes)
        return "input"

    def _edge_label(self, graph_id: str, edge: Edge) -> str:
        if self.report is None:
            return ""
        if edge.src == INPUT:
            if graph_id == ROOT:
                return format_shape(self.report.input_shape)
            outer = self.report.nodes.get(graph_id)
            return format_shape(outer.input_shapes[edge.src_port]) \
                if outer and len(outer.input_shapes) > edge.src_port else ""
        shape = self.report.nodes.get(edge.src)
        return format_shape(shape.output_shape) if shape and shape.output_shape else ""

    def _highlight_twins(self) -> None:
        """Selecting a shared node highlights every node that shares its module."""
        twins: set[str] = set()
        for item in self.selectedItems():
            if isinstance(item, (NodeItem, FrameItem)) and item.look.shared and \
                    self.document.has_node(item.node_id):
                twins.update(self.document.twins(item.node_id))
        for node_id in self._highlighted - twins:
            if node_id in self.nodes:
                self.nodes[node_id].set_highlighted(False)
        for node_id in twins:
            if node_id in self.nodes:
                self.nodes[node_id].set_highlighted(True)
        self._highlighted = twins

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

    def graph_at(self, scene_point: QPointF) -> tuple[str, QPointF]:
        """The graph a drop at ``scene_point`` lands in, and the point in its frame."""
        frames = [i for i in self.items(scene_point) if isinstance(i, FrameItem)]
        if frames:
            return frames[0].inner_graph_id, frames[0].mapFromScene(scene_point)
        return self.graph_id, scene_point

    def drop_layer(self, layer_type: str, scene_point: QPointF) -> str | None:
        """Add ``layer_type`` where it was dropped (see `core.document.placement.drop`)."""
        graph_id, local = self.graph_at(scene_point)
        edge_item = next((i for i in self.items(scene_point) if isinstance(i, EdgeItem)
                          and i.graph_id == graph_id), None)
        graph = self.document.graph(graph_id)
        source = edge_item.edge.src if edge_item is not None else \
            INPUT if not graph.nodes and not graph.edges else None
        node = Node(self.document.new_id(), layer_type,
                    self._sized_after(layer_type, graph_id, source))
        position = (round(local.x(), 1), round(local.y(), 1))
        command = placement.drop(self.document, graph_id, node, position,
                                 edge_item.edge if edge_item is not None else None,
                                 self.horizontal)
        return self._add(command, node.id)

    def add_after_selection(self, layer_type: str) -> str | None:
        """Add ``layer_type`` after the selected node, or at the end of the chain."""
        selected = [i for i in self.selected_node_ids() if i in self.nodes]
        graph_id = self.nodes[selected[0]].graph_id if selected else self.graph_id
        anchor = selected[0] if selected else next(
            (e.src for e in self.document.graph(graph_id).edges if e.dst == OUTPUT), INPUT)
        node = Node(self.document.new_id(), layer_type,
                    self._sized_after(layer_type, graph_id, anchor))
        command = placement.add_after(self.document, graph_id,
                                      selected[0] if selected else None, node, self.horizontal)
        return self._add(command, node.id)

    def add_fed_by(self, layer_type: str, graph_id: str, source: str, source_port: int,
                   scene_point: QPointF) -> str | None:
        """Add ``layer_type`` at ``scene_point``, fed by ``source`` (a link let go there)."""
        node = Node(self.document.new_id(), layer_type,
                    self._sized_after(layer_type, graph_id, source))
        local = self.graph_at(scene_point)[1]
        shift = QPointF(style.NODE_WIDTH / 2, 0) if self.horizontal else \
            QPointF(0, style.NODE_HEIGHT / 2)
        position = (round(local.x() + shift.x(), 1), round(local.y() + shift.y(), 1))
        return self._add(self.connecting.with_pick(
            placement.add_fed_by(graph_id, source, source_port, node, position), source), node.id)

    def item_picker(self, graph_id: str, source: str, item: int) -> tuple[str, list[Command]]:
        """The ``GetItem`` that picks item ``item`` of the tuple ``source`` returns, and
        the commands that add it (none when a GetItem of that item already fed by
        ``source`` is reused). A new one stands just after ``source``, to its side."""
        graph = self.document.graph(graph_id)
        fed = {e.dst for e in graph.edges if e.src == source}
        for node in graph.nodes:
            index = node.args.get("index") if node.type == "GetItem" else None
            if node.id in fed and isinstance(index, (list, tuple)) and tuple(index) == (item,):
                return node.id, []
        args = {**self._sized_after("GetItem", graph_id, source), "index": (item,)}
        node = Node(self.document.new_id(), "GetItem", args)
        right = self.horizontal
        spot = self.document.positions.get(source, (0.0, 0.0))
        position = flow_point(along(spot, right) + flow_step(right),
                              across(spot, right) + side_step(right) * (item or -1), right)
        return node.id, [placement.add_fed_by(graph_id, source, 0, node, position)]

    def output_shape_of(self, graph_id: str, source: str):
        """The shape ``source`` (a node, or the graph's input) gives, as the last dry run
        saw it; None when unknown."""
        if self.report is None:
            return None
        if source == INPUT:
            block = self.report.nodes.get(graph_id)
            return self.report.input_shape if graph_id == ROOT else \
                block.input_shapes[0] if block is not None and block.input_shapes else None
        found = self.report.nodes.get(source)
        return found.output_shape if found is not None else \
            self.connecting.pending_shape(source)  # an item's GetItem, still to be added

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

    def _sized_after(self, layer_type: str, graph_id: str, source: str | None) -> dict:
        """The sizes a new ``layer_type`` takes from what ``source`` gives (a node, or
        the graph's input), as the last dry run saw it."""
        if source is None or self.report is None:
            return {}
        return sized_arguments(layer_type, self.output_shape_of(graph_id, source))

    def _add(self, command: Command, node_id: str) -> str | None:
        if self.execute(command):
            self.select_nodes([node_id])
            return node_id
        return None

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


_UNDRAWN = object()  # a look drawn without the whole document: the next report redraws it


def _ends_state(source: PortedItem, target: PortedItem) -> tuple:
    """What decides where an edge meets its ends: their places, their looks (how many
    ports) and, for a frame, its size. Equal states: a path drawn then still fits. One
    flat tuple: ten thousand deleted edges keep one each, and the collector walks them."""
    start, end = source.scenePos(), target.scenePos()
    return (start.x(), start.y(), getattr(source, "look", None), getattr(source, "_rect", None),
            end.x(), end.y(), getattr(target, "look", None), getattr(target, "_rect", None))
