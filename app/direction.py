"""A network opened while the canvas lays graphs out left to right: the direction is a
setting of the window, not of the file, so a file whose positions were made top to bottom
(or that has none) is laid out across as Arrange would, and one made across keeps its own.
A graph is judged only by the nodes it places: the person's arrangement of a mostly
placed graph stays, and only its unplaced nodes get places, across."""

from __future__ import annotations

from core.document.graph import Document, Graph
from core.document.layout import layered_positions

Point = tuple[float, float]


def flows_down(graph: Graph, positions: dict[str, Point]) -> bool:
    """Whether ``graph``'s links between placed nodes clearly run down: more than twice
    as many run down as across (a few steep links in an arrangement made across do not
    make it one made down)."""
    down = across = 0
    for edge in graph.edges:
        start, end = positions.get(edge.src), positions.get(edge.dst)
        if start is None or end is None:
            continue
        dx, dy = abs(end[0] - start[0]), abs(end[1] - start[1])
        down += dy > dx
        across += dx > dy
    return down > 2 * across


def lay_out_across(document: Document) -> bool:
    """Lay out left to right each graph of ``document`` that clearly flows down or has no
    node placed, and give the unplaced nodes of the others places from the layout across
    (as ``fill_missing_positions`` does down); True when any node moved or was placed.
    The document's history is untouched: positions are how it is shown, as on opening."""
    graphs = [document.root] + [node.graph for _, node in document.walk()
                                if node.graph is not None]
    moved = False
    for graph in graphs:
        placed = [node.id for node in graph.nodes if node.id in document.positions]
        if len(placed) == len(graph.nodes) and not flows_down(graph, document.positions):
            continue
        layout = layered_positions(graph, right=True)
        if not placed or flows_down(graph, document.positions):
            document.positions.update({node.id: layout[node.id] for node in graph.nodes})
        else:
            for node in graph.nodes:
                document.positions.setdefault(node.id, layout[node.id])
        moved = True
    return moved
