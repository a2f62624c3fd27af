"""How the canvas scene follows the document's events: items added, removed and put back
by an undo (the items of deleted nodes and links are kept for it), the links routed
again where nodes came, went or moved, and what a command's batch of events puts off
to its end (boundaries kept clear, merges' free ports, the selection put back)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from core.catalog.registry import spec_for
from core.document.graph import ROOT, Edge, Node
from core.document.layout import along, flow_step
from widgets.canvas_looks import UNDRAWN
from widgets.edge_item import EdgeItem
from widgets.frame_item import FrameItem
from widgets.node_item import INPUT_ROLE, OUTPUT_ROLE, NodeItem, PortedItem
from widgets.node_look import LookContext

SceneItem = NodeItem | FrameItem
# At most this many deleted items are kept for an undo to put back.
MAX_RETIRED = 50_000


class FollowsDocument:
    """The document-event half of `CanvasScene` (it owns the state these methods use)."""

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
        self._drawn[graph_id] = UNDRAWN  # a block's card counts its nodes
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
        self._drawn[graph_id] = UNDRAWN
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
        self._drawn[graph_id] = UNDRAWN  # a block's inputs (a merge's: `_refresh_merge`)
        if graph_id in self._displayed_graphs() and not self._needs_rebuild:
            self._add_edge_item(graph_id, edge)
            self._settle()

    def _on_edge_removed(self, graph_id: str, edge: Edge) -> None:
        self._drawn[graph_id] = UNDRAWN
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

    def _remove_edge_item(self, item: EdgeItem) -> None:
        item.detach()
        key = (item.graph_id, item.edge)
        self.edges.pop(key, None)
        selected = self._take_out(item)
        if not self._building:
            if len(self._retired_edges) >= MAX_RETIRED:
                self._retired_edges.clear()
            item.retired_ends = ends_state(item.source, item.target)
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


def ends_state(source: PortedItem, target: PortedItem) -> tuple:
    """What decides where an edge meets its ends: their places, their looks (how many
    ports) and, for a frame, its size. Equal states: a path drawn then still fits. One
    flat tuple: ten thousand deleted edges keep one each, and the collector walks them."""
    start, end = source.scenePos(), target.scenePos()
    return (start.x(), start.y(), getattr(source, "look", None), getattr(source, "_rect", None),
            end.x(), end.y(), getattr(target, "look", None), getattr(target, "_rect", None))
