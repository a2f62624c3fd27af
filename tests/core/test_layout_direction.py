"""The layered layout and placement flowing left to right (issue 12)."""

from core.document.graph import INPUT, OUTPUT, Document, Edge, Graph, Node
from core.document.layout import (
    LAYER_WIDTH,
    ROW_SPACING,
    boundary_positions,
    fill_missing_positions,
    layered_positions,
)
from core.document.placement import insert_on_edge


def branches() -> Graph:
    """input → a → (b1 → b2, c1) → m (Add) → output."""
    nodes = [Node("a", "ReLU"), Node("b1", "ReLU"), Node("b2", "ReLU"), Node("c1", "ReLU"),
             Node("m", "Add")]
    edges = [Edge(INPUT, "a"), Edge("a", "b1"), Edge("b1", "b2"), Edge("a", "c1"),
             Edge("b2", "m"), Edge("c1", "m", 1), Edge("m", OUTPUT)]
    return Graph(nodes, edges)


def test_right_is_the_downward_layout_turned():
    graph = branches()
    down, right = layered_positions(graph), layered_positions(graph, right=True)
    for node in ("a", "b1", "b2", "c1", "m"):
        row = down[node][1] / 110.0
        assert right[node][0] == row * LAYER_WIDTH  # the layer is a column
    assert right["b1"][1] != right["c1"][1]  # branches side by side, one above the other
    assert abs(right["b1"][1] - right["c1"][1]) >= ROW_SPACING
    assert right[OUTPUT][0] > right["m"][0] and right[INPUT][0] < right["a"][0]


def test_boundaries_go_left_and_right_and_an_insert_moves_columns():
    document = Document(root=branches())
    fill_missing_positions(document)
    document.positions.update({k: v for k, v in layered_positions(document.root, True).items()
                               if k not in (INPUT, OUTPUT)})
    spots = boundary_positions(document, "root", right=True)
    xs = [x for x, _ in document.positions.values()]
    assert spots[INPUT][0] < min(xs) and spots[OUTPUT][0] > max(xs)
    before = dict(document.positions)
    command = insert_on_edge(document, "root", Node("n9", "Tanh"), Edge("a", "b1"),
                             (0.0, 0.0), right=True)
    command.apply(document)
    assert document.positions["n9"][0] > before["a"][0]
    assert document.positions["b1"][0] > document.positions["n9"][0]  # pushed right
    assert document.positions["b1"][1] == before["b1"][1]
