"""How the canvas scene draws the dry run: each card's look, the links' shape labels and
the input's text, redrawn only where the newest report differs from what was drawn."""

from __future__ import annotations

from core.document.graph import INPUT, ROOT, Edge
from core.runtime.report import ShapeReport, format_shape
from widgets.node_item import INPUT_ROLE
from widgets.node_look import LookContext


class SceneLooks:
    """The looks of `CanvasScene`'s items (it owns the state these methods use)."""

    def _look(self, context: LookContext, node_id: str):
        shape = self.report.nodes.get(node_id) if self.report else None
        self._drawn[node_id] = UNDRAWN if context.light else shape
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
                   if drawn.get(node_id, UNDRAWN) is UNDRAWN
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


UNDRAWN = object()  # a look drawn without the whole document: the next report redraws it
