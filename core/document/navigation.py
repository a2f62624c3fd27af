"""Where the arrow keys take the selection on the canvas: down and up along the flow,
left and right to the branches beside it (Blender's and Orange's habit)."""

from __future__ import annotations

from collections.abc import Callable

from core.document.graph import Document

DOWN, UP, LEFT, RIGHT = "down", "up", "left", "right"


def neighbour(document: Document, node_id: str, direction: str,
              x_of: Callable[[str], float] | None = None) -> str | None:
    """The node the selection moves to from ``node_id``, or None at the end of the way.

    Down and up take the next (previous) node along an edge, the leftmost when there are
    several. Left and right take the next sibling on that side, in the order of their x
    (then their ids): a node fed by the same node or feeding the same node. ``x_of`` gives
    a node's x where it is drawn (default: its stored position)."""
    graph = document.graph(document.parent_of(node_id))
    ids = {n.id for n in graph.nodes}
    _x = x_of or (lambda n: document.positions.get(n, (0.0, 0.0))[0])
    if direction in (DOWN, UP):
        ahead = {e.dst for e in graph.edges if e.src == node_id} if direction == DOWN else \
            {e.src for e in graph.edges if e.dst == node_id}
        ahead &= ids
        return min(ahead, key=lambda n: (_x(n), n), default=None)
    sources = {e.src for e in graph.edges if e.dst == node_id}
    targets = {e.dst for e in graph.edges if e.src == node_id}
    siblings = {e.dst for e in graph.edges if e.src in sources} | \
        {e.src for e in graph.edges if e.dst in targets}
    row = sorted((siblings & ids) | {node_id}, key=lambda n: (_x(n), n))
    index = row.index(node_id) + (1 if direction == RIGHT else -1)
    return row[index] if 0 <= index < len(row) and len(row) > 1 else None
