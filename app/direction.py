"""A network opened while the canvas lays graphs out left to right: the direction is a
setting of the window, not of the file, so a file whose positions were made top to bottom
(or that has none) is laid out across as Arrange would, and one made across keeps its own."""

from __future__ import annotations

from core.document.graph import Document, Graph
from core.document.layout import layered_positions

Point = tuple[float, float]


def flows_down(graph: Graph, positions: dict[str, Point]) -> bool:
    """Whether more of ``graph``'s links between placed nodes run down than across."""
    down = across = 0
    for edge in graph.edges:
        start, end = positions.get(edge.src), positions.get(edge.dst)
        if start is None or end is None:
            continue
        dx, dy = abs(end[0] - start[0]), abs(end[1] - start[1])
        down += dy > dx
        across += dx > dy
    return down > across


def lay_out_across(document: Document) -> bool:
    """Lay out left to right each graph of ``document`` that flows down or has nodes
    without a place; True when any node moved. The document's history is untouched:
    positions are how it is shown, as on opening it."""
    graphs = [document.root] + [node.graph for _, node in document.walk()
                                if node.graph is not None]
    moved = False
    for graph in graphs:
        if not graph.nodes:
            continue
        if any(node.id not in document.positions for node in graph.nodes) or \
                flows_down(graph, document.positions):
            layout = layered_positions(graph, right=True)
            document.positions.update({node.id: layout[node.id] for node in graph.nodes})
            moved = True
    return moved
