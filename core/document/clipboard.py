"""Copy and paste: nodes (with their blocks and the edges between them) as plain data."""

from __future__ import annotations

import copy
import json
from typing import Any

from core.document.edit import AddNode, Command, Compound, Connect
from core.document.graph import Document, Edge, Node
from core.errors import DocumentError, EditError
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
    """A command that adds a copy of the clipboard's nodes to ``graph_id`` with new ids."""
    try:
        data: Any = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise EditError("Paste: the clipboard holds no TorchCanvas nodes")
        reader = _Reader()
        nodes = [reader.node(item, f"nodes[{i}]", 0) for i, item in enumerate(data["nodes"])]
        edges = [reader.edge(item, f"edges[{i}]") for i, item in enumerate(data["edges"])]
        positions = {k: tuple(v) for k, v in data.get("positions", {}).items()}
    except (ValueError, KeyError, TypeError, DocumentError) as error:
        raise EditError(f"Paste: the clipboard cannot be read ({error})") from None
    renamed: dict[str, str] = {}
    fresh = [_renumber(document, node, renamed) for node in nodes]
    for node in fresh:
        _fix_shares(document, node, renamed)
    steps: list[Command] = []
    for old, node in zip(nodes, fresh, strict=True):
        x, y = positions.get(old.id, (0.0, 0.0))
        steps.append(AddNode(graph_id, node, position=(x + offset[0], y + offset[1])))
    for edge in edges:
        steps.append(Connect(graph_id, Edge(renamed[edge.src], renamed[edge.dst], edge.port)))
    return _PasteCommand(steps, {renamed[k]: v for k, v in positions.items()
                                 if k in renamed and k not in {n.id for n in nodes}})


class _PasteCommand(Compound):
    def __init__(self, steps: list[Command], inner_positions) -> None:
        super().__init__("Paste", steps)
        self.inner_positions = inner_positions
        self.node_ids = [s.node.id for s in steps if isinstance(s, AddNode)]

    def _do(self, r) -> None:
        super()._do(r)
        for node_id, position in self.inner_positions.items():
            r.set_position(node_id, position)


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
        copied.graph.edges = [Edge(renamed.get(e.src, e.src), renamed.get(e.dst, e.dst), e.port)
                              for e in copied.graph.edges]
    return copied


def _renumber_inner(document: Document, node: Node, renamed: dict[str, str]) -> Node:
    result = _renumber(document, node, renamed)
    result.name = node.name
    return result


def _fix_shares(document: Document, node: Node, renamed: dict[str, str]) -> None:
    if node.shares is not None:
        if node.shares in renamed:
            node.shares = renamed[node.shares]
        elif not document.has_node(node.shares) or document.node(node.shares).shares:
            node.shares = None
    for inner in node.graph.nodes if node.graph is not None else ():
        _fix_shares(document, inner, renamed)
