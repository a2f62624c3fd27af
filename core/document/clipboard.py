"""Copy and paste: nodes (with their blocks and the edges between them) as plain data."""

from __future__ import annotations

import copy
import json
from typing import Any

from core.document.edit import AddNode, Command, Compound, Recorder
from core.document.graph import ROOT, Document, Edge, Node
from core.document.validate import MAX_COORDINATE, check_added_nodes, check_position
from core.errors import DanglingEdgeError, DocumentError, EditError, InvalidFormatError
from core.io.files import _graph_to_dict, _node_to_dict, _Reader

FORMAT = "torchcanvas-nodes"


def copy_nodes(document: Document, node_ids: list[str]) -> str:
    """JSON for the nodes ``node_ids`` of one graph and the edges among them."""
    if not node_ids:
        return ""
    graph = document.graph(document.parent_of(node_ids[0]))
    chosen = [n for n in graph.nodes if n.id in set(node_ids)]
    ids = {n.id for n in chosen}
    edges = [e for e in graph.edges if e.src in ids and e.dst in ids]
    return json.dumps({
        "format": FORMAT,
        "nodes": [_node_to_dict(n) for n in chosen],
        "edges": _graph_to_dict(type(graph)(edges=edges))["edges"],
        "positions": {i: list(document.positions[i]) for _, n in document.walk()
                      for i in [n.id] if i in document.positions and _inside(document, i, ids)},
    })


def _inside(document: Document, node_id: str, ids: set[str]) -> bool:
    return node_id in ids or any(a in ids for a in document.ancestors(node_id))


def paste_command(document: Document, text: str, graph_id: str,
                  offset: tuple[float, float] = (40.0, 40.0)) -> Command:
    """A command that adds a copy of the clipboard's nodes to ``graph_id`` with new ids.

    The clipboard is read as a file is: every node's type and arguments, every block to
    the bottom (names, class names, edges, nesting below the graph it lands in), the
    edges and the positions. Anything wrong refuses the paste with the reason, here or
    when the command runs, and the document stays as it was.
    """
    depth = 0 if graph_id == ROOT else len(document.ancestors(graph_id))
    try:
        data: Any = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise EditError("Paste: the clipboard holds no TorchCanvas nodes")
        reader = _Reader()
        items, edge_items = data.get("nodes"), data.get("edges", [])
        if not isinstance(items, list) or not isinstance(edge_items, list):
            raise InvalidFormatError("nodes and edges must be lists")
        nodes = [reader.node(item, f"nodes[{i}]", depth) for i, item in enumerate(items)]
        edges = [reader.edge(item, f"edges[{i}]") for i, item in enumerate(edge_items)]
        top = {node.id for node in nodes}
        for i, edge in enumerate(edges):
            if edge.src not in top or edge.dst not in top:
                raise DanglingEdgeError("an edge leads to a node that is not in the "
                                        "clipboard", f"edges[{i}]")
        raw_positions = data.get("positions", {})
        if not isinstance(raw_positions, dict):
            raise InvalidFormatError("positions must be an object")
        positions = {k: check_position(v, f"positions.{k}") for k, v in raw_positions.items()
                     if k in reader.ids}
    except EditError:
        raise
    except (ValueError, RecursionError) as error:
        raise EditError(f"Paste: the clipboard cannot be read ({error})") from None
    except DocumentError as error:
        raise EditError(f"Paste: the clipboard cannot be pasted: {error}") from None
    renamed: dict[str, str] = {}
    fresh = [_renumber(document, node, renamed) for node in nodes]
    for node in fresh:
        _fix_shares(document, node, renamed)
    steps: list[Command] = []
    for old, node in zip(nodes, fresh, strict=True):
        x, y = positions.get(old.id, (0.0, 0.0))
        place = (min(max(x + offset[0], -MAX_COORDINATE), MAX_COORDINATE),
                 min(max(y + offset[1], -MAX_COORDINATE), MAX_COORDINATE))
        steps.append(AddNode(graph_id, node, position=place))
    new_edges = [Edge(renamed[e.src], renamed[e.dst], e.port) for e in edges]
    return _PasteCommand(graph_id, steps, new_edges,
                         {renamed[k]: v for k, v in positions.items()
                          if k in renamed and k not in top})


class _PasteCommand(Compound):
    def __init__(self, graph_id: str, steps: list[Command], edges: list[Edge],
                 inner_positions: dict[str, tuple[float, float]]) -> None:
        super().__init__("Paste", steps)
        self.graph_id, self.edges = graph_id, edges
        self.inner_positions = inner_positions
        self.node_ids = [s.node.id for s in steps if isinstance(s, AddNode)]

    def _do(self, r: Recorder) -> None:
        super()._do(r)
        for edge in self.edges:  # checked below, with the nodes, in one pass
            r.insert_edge(self.graph_id, edge)
        for node_id, position in self.inner_positions.items():
            r.set_position(node_id, position)
        check_added_nodes(r.document, self.graph_id, self.node_ids)


def _renumber(document: Document, node: Node, renamed: dict[str, str]) -> Node:
    copied = copy.deepcopy(node)
    taken = set(renamed.values())
    new_id = document.new_id()
    while new_id in taken:
        new_id = document.new_id()
    renamed[node.id] = new_id
    copied.id = new_id
    copied.name = ""
    if copied.graph is not None:
        copied.graph.nodes = [_renumber_inner(document, n, renamed) for n in copied.graph.nodes]
        copied.graph.edges = [Edge(renamed.get(e.src, e.src), renamed.get(e.dst, e.dst), e.port,
                                   e.src_port) for e in copied.graph.edges]
    return copied


def _renumber_inner(document: Document, node: Node, renamed: dict[str, str]) -> Node:
    result = _renumber(document, node, renamed)
    result.name = node.name
    return result


def _fix_shares(document: Document, node: Node, renamed: dict[str, str]) -> None:
    """A twin of a copied node follows the copy; a twin of a node outside the clipboard
    keeps sharing it when it is still an owner of its type (and takes its arguments),
    and otherwise gets a module of its own."""
    if node.shares is not None:
        if node.shares in renamed:
            node.shares = renamed[node.shares]
        elif document.has_node(node.shares) and not document.node(node.shares).shares \
                and document.node(node.shares).type == node.type:
            node.args = dict(document.node(node.shares).args)
        else:
            node.shares = None
    for inner in node.graph.nodes if node.graph is not None else ():
        _fix_shares(document, inner, renamed)
