"""Where new nodes go and how they are wired, without the window."""

from core import build_module
from core.catalog.templates import load_template
from core.document.graph import INPUT, OUTPUT, ROOT, Document, Edge, Node
from core.document.history import History
from core.document.layout import ROW_HEIGHT, fill_missing_positions
from core.document.placement import add_after, drop, insert_on_edge


def test_a_drop_into_an_empty_graph_is_wired_between_input_and_output():
    document = Document()
    History(document).push(drop(document, ROOT, Node("n1", "ReLU"), (0, 0)))
    assert set(document.root.edges) == {Edge(INPUT, "n1"), Edge("n1", OUTPUT)}


def test_inserting_on_a_short_edge_moves_what_is_below_down_a_row():
    document = load_template("sequential-mlp")
    fill_missing_positions(document)
    first, second, third = (n.id for n in document.root.nodes)
    before = dict(document.positions)
    History(document).push(insert_on_edge(document, ROOT, Node("n9", "Dropout"),
                                          Edge(first, second), (0, 0)))
    assert document.positions["n9"][1] == before[first][1] + ROW_HEIGHT
    assert document.positions[second][1] == before[second][1] + ROW_HEIGHT
    assert document.positions[third][1] == before[third][1] + ROW_HEIGHT
    assert type(build_module(document)[1]).__name__ == "Dropout"


def test_add_after_without_a_selection_extends_the_chain():
    document = load_template("sequential-mlp")
    fill_missing_positions(document)
    last = document.root.nodes[-1].id
    History(document).push(add_after(document, ROOT, None, Node("n9", "Softmax")))
    assert Edge(last, "n9") in document.root.edges and Edge("n9", OUTPUT) in document.root.edges
    assert type(build_module(document)[-1]).__name__ == "Softmax"
