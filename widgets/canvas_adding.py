"""Adding layers from the canvas scene: dropped on the canvas or a link, after the
selection, fed by a link let go on empty canvas, or a GetItem picking a tuple's item;
each new layer sized from what feeds it, as the last dry run saw it."""

from __future__ import annotations

from PySide6.QtCore import QPointF

from core.catalog.sizing import sized_arguments
from core.document import placement
from core.document.edit import Command
from core.document.graph import INPUT, OUTPUT, ROOT, Node
from core.document.layout import across, along, flow_point, flow_step, side_step
from widgets import style
from widgets.edge_item import EdgeItem
from widgets.frame_item import FrameItem


class LayerAdding:
    """The add-a-layer commands of `CanvasScene`."""

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
