"""What the Edit menu does to a selection, as commands: delete, group, ungroup, share
and unshare. Each function returns the one command to run, or raises `EditError` with
the reason a person reads (nothing to do is a reason too)."""

from __future__ import annotations

from collections.abc import Iterable

from core.document.edit import (
    Command,
    Compound,
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
                   edges: Iterable[tuple[str, Edge]] = ()) -> Command:
    """Delete the selected nodes, and the selected edges (``(graph_id, edge)``) that do
    not go with a deleted node anyway."""
    chosen = set(node_ids)
    steps: list[Command] = [Disconnect(graph_id, edge) for graph_id, edge in edges
                            if not {edge.src, edge.dst} & chosen]
    if node_ids:
        steps.append(RemoveNodes(node_ids))
    if not steps:
        raise EditError("Delete: select the nodes or edges to delete first")
    return Compound("Delete", steps)


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
