"""What the Edit menu does to a selection, as commands: delete, group, ungroup, share
and unshare. Each function returns the one command to run, or raises `EditError` with
the reason a person reads (nothing to do is a reason too)."""

from __future__ import annotations

from collections.abc import Iterable

from core.document.edit import (
    Command,
    Compound,
    Connect,
    Disconnect,
    Group,
    RemoveNodes,
    Share,
    Ungroup,
    Unshare,
)
from core.document.graph import Document, Edge
from core.errors import EditError


def delete_command(document: Document, node_ids: list[str],
                   edges: Iterable[tuple[str, Edge]] = (), reconnect: bool = True) -> Command:
    """Delete the selected nodes, and the selected edges (``(graph_id, edge)``) that do
    not go with a deleted node anyway. With ``reconnect``, what fed a deleted run of
    nodes (each with one input) is connected to what the run fed, as node editors do:
    deleting the middle of a chain keeps the chain."""
    chosen = set(node_ids)
    steps: list[Command] = [Disconnect(graph_id, edge) for graph_id, edge in edges
                            if not {edge.src, edge.dst} & chosen]
    if node_ids:
        steps.append(RemoveNodes(node_ids))
        if reconnect:
            steps += [Connect(graph_id, edge) for graph_id, edge in _bridges(document, chosen)]
    if not steps:
        raise EditError("Delete: select the nodes or edges to delete first")
    return Compound("Delete", steps)


def _bridges(document: Document, chosen: set[str]) -> list[tuple[str, Edge]]:
    """The edges that join what fed the deleted nodes to what they fed."""
    bridges: list[tuple[str, Edge]] = []
    graph_ids = {document.parent_of(n) for n in chosen if document.has_node(n)}
    for graph_id in sorted(graph_ids):
        graph = document.graph(graph_id)
        into: dict[str, list[Edge]] = {}
        for edge in graph.edges:
            into.setdefault(edge.dst, []).append(edge)
        existing = set(graph.edges)
        taken: set[tuple[str, int]] = set()
        for edge in graph.edges:
            if edge.src not in chosen or edge.dst in chosen:
                continue
            feeding = _kept_source(edge.src, into, chosen)
            if feeding is None:
                continue
            bridge = Edge(feeding.src, edge.dst, edge.port, feeding.src_port)
            if bridge not in existing and (bridge.dst, bridge.port) not in taken:
                taken.add((bridge.dst, bridge.port))
                bridges.append((graph_id, bridge))
    return bridges


def _kept_source(node_id: str, into: dict[str, list[Edge]], chosen: set[str]) -> Edge | None:
    """The edge from a kept node into the run of deleted nodes that ends at ``node_id``;
    None where a node of the run has other than one input."""
    seen: set[str] = set()
    while node_id not in seen:
        seen.add(node_id)
        feeding = into.get(node_id, [])
        if len(feeding) != 1:
            return None
        if feeding[0].src not in chosen:
            return feeding[0]
        node_id = feeding[0].src
    return None


def group_command(document: Document, node_ids: list[str]) -> Group:
    """Group the selection into a new block (its id is ``command.block_id``)."""
    if not node_ids:
        raise EditError("Group: select the nodes to group first")
    return Group(node_ids, document.new_id())


def ungroup_command(document: Document, node_ids: list[str]) -> Command:
    blocks = [i for i in node_ids if document.node(i).graph is not None]
    if not blocks:
        raise EditError("Ungroup: select a block first")
    return Compound("Ungroup", [Ungroup(b) for b in blocks])


def share_command(document: Document, node_ids: list[str]) -> Command:
    """Tie the selected layers to one module: the first already shared one's owner, or
    else the first in the network's order."""
    order = {node.id: index for index, (_, node) in enumerate(document.walk())}
    chosen = sorted(node_ids, key=order.__getitem__)
    if len(chosen) < 2:
        raise EditError("Share: select two or more layers of one type")
    owner = document.owner_of(next((i for i in chosen if document.node(i).shares), chosen[0]))
    steps = [Share(i, owner) for i in chosen if document.owner_of(i) != owner]
    if not steps:
        raise EditError("Share: these layers already share one module")
    return Compound("Share parameters", steps)


def unshare_command(document: Document, node_ids: list[str]) -> Command:
    shared = [i for i in node_ids if len(document.twins(i)) > 1]
    if not shared:
        raise EditError("Unshare: none of the selected layers shares its module")
    return Compound("Unshare", [Unshare(i) for i in shared])
