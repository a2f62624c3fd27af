"""Automatic layered layout: positions for nodes the person has not placed.

Nodes flow from top (input) to bottom (output). A node's row is the length of the
longest path that reaches it; nodes in a row keep their registration order. Positions
are in scene units; a block's inner positions are relative to its frame.
"""

from __future__ import annotations

from core.document.graph import INPUT, OUTPUT, Document, Graph
from core.document.validate import topological_order
from core.errors import DocumentError

ROW_HEIGHT = 110.0
COLUMN_WIDTH = 230.0


def layered_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """A position for every node of ``graph``, and for ``INPUT`` and ``OUTPUT``."""
    try:
        order = topological_order(graph)
    except DocumentError:
        order = [node.id for node in graph.nodes]
    row = {node_id: 1 for node_id in order}
    incoming: dict[str, list[str]] = {}
    for edge in graph.edges:
        incoming.setdefault(edge.dst, []).append(edge.src)
    for node_id in order:
        sources = [s for s in incoming.get(node_id, []) if s in row]
        if sources:
            row[node_id] = max(row[s] for s in sources) + 1
    rows: dict[int, list[str]] = {}
    for node_id in order:
        rows.setdefault(row[node_id], []).append(node_id)
    positions: dict[str, tuple[float, float]] = {INPUT: (0.0, 0.0)}
    for number, members in rows.items():
        width = (len(members) - 1) * COLUMN_WIDTH
        for index, node_id in enumerate(members):
            positions[node_id] = (index * COLUMN_WIDTH - width / 2, number * ROW_HEIGHT)
    positions[OUTPUT] = (0.0, (max(rows, default=0) + 1) * ROW_HEIGHT)
    return positions


def fill_missing_positions(document: Document) -> None:
    """Give every node without a position one from the layered layout (a view hint,
    so no event and no undo step)."""
    graph_ids = ["root"] + [n.id for _, n in document.walk() if n.graph is not None]
    for graph_id in graph_ids:
        graph = document.graph(graph_id)
        if all(node.id in document.positions for node in graph.nodes):
            continue
        layout = layered_positions(graph)
        for node in graph.nodes:
            document.positions.setdefault(node.id, layout[node.id])


def boundary_positions(document: Document, graph_id: str) -> dict[str, tuple[float, float]]:
    """Where the input and output of a graph go: above and below its nodes."""
    graph = document.graph(graph_id)
    spots = [document.positions[n.id] for n in graph.nodes if n.id in document.positions]
    if not spots:
        return {INPUT: (0.0, 0.0), OUTPUT: (0.0, 2 * ROW_HEIGHT)}
    xs = [x for x, _ in spots]
    ys = [y for _, y in spots]
    middle = (min(xs) + max(xs)) / 2
    return {INPUT: (middle, min(ys) - ROW_HEIGHT), OUTPUT: (middle, max(ys) + ROW_HEIGHT)}
