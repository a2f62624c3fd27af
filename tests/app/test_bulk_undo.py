"""A large delete and its undo in the main window (issue 14): the scene takes the
document's events of one command together, and the undo puts back exactly what was
there — the same items where they were, the same links drawn the same way, the same
selection — telling the selection's listeners once, not once per item."""

from __future__ import annotations

from PySide6.QtCore import QPointF

from app.main_window import MainWindow
from core.document.graph import INPUT, OUTPUT, Document, Edge, Graph, InputSpec, Node
from core.io.files import document_to_dict
from core.workspace import Workspace
from tests.app.driver import assert_canvas_matches, trigger

BLOCKS = 200  # five nodes each: three layers, an Add fed by a skip link, a ReLU


def residual_document(blocks: int) -> Document:
    nodes, edges, last = [], [], INPUT
    for index in range(blocks):
        ids = [f"b{index}_{part}" for part in ("fc1", "fc2", "fc3", "add", "relu")]
        nodes += [Node(i, "Linear", {"in_features": 16, "out_features": 16}) for i in ids[:3]]
        nodes += [Node(ids[3], "Add"), Node(ids[4], "ReLU")]
        edges += [Edge(last, ids[0]), Edge(ids[0], ids[1]), Edge(ids[1], ids[2]),
                  Edge(ids[2], ids[3]), Edge(last, ids[3], 1), Edge(ids[3], ids[4])]
        last = ids[4]
    edges.append(Edge(last, OUTPUT))
    return Document(root=Graph(nodes, edges), input=InputSpec((2, 16)))


def open_window(qtbot, settings) -> MainWindow:
    window = MainWindow(Workspace(residual_document(BLOCKS)), settings, ready=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.scene.flush()
    return window


def canvas_state(window) -> dict:
    """Everything the canvas shows that an undo must give back, items by identity."""
    scene = window.scene
    return {
        "document": document_to_dict(window.workspace.document),
        "items": dict(scene.nodes),
        "places": {i: (item.pos().x(), item.pos().y()) for i, item in scene.nodes.items()},
        "edges": dict(scene.edges),
        "paths": {key: item.path() for key, item in scene.edges.items()},
        "boundaries": {r: (b.pos().x(), b.pos().y()) for r, b in scene.boundaries.items()},
        "selected": sorted(scene.selected_node_ids()),
        "selected edges": sorted((g, e.src, e.dst, e.port) for g, e in
                                 ((i.graph_id, i.edge) for i in scene.selected_edges())),
    }


def assert_same(window, before: dict) -> None:
    after = canvas_state(window)
    assert after["document"] == before["document"]
    assert after["items"].keys() == before["items"].keys()
    assert all(after["items"][i] is item for i, item in before["items"].items())
    assert after["places"] == before["places"]
    assert after["edges"].keys() == before["edges"].keys()
    assert all(after["edges"][k] is item for k, item in before["edges"].items())
    assert after["paths"] == before["paths"]  # skip links still go around their blocks
    assert after["boundaries"] == before["boundaries"]
    assert after["selected"] == before["selected"]
    assert after["selected edges"] == before["selected edges"]
    assert_canvas_matches(window)


def test_undo_of_deleting_everything_puts_back_exactly_what_was_there(qtbot, settings):
    window = open_window(qtbot, settings)
    skips = [item for (_, edge), item in window.scene.edges.items() if edge.port == 1]
    assert any(item.path().boundingRect().width() > 40 for item in skips)  # detours drawn
    trigger(window, "select_all")
    before = canvas_state(window)
    assert len(before["selected"]) == BLOCKS * 5
    heard = []
    window.scene.selectionChanged.connect(lambda: heard.append(1))
    trigger(window, "delete")
    assert not window.scene.nodes and not window.scene.edges
    assert not window.scene.selected_node_ids()
    heard.clear()
    trigger(window, "undo")
    assert_same(window, before)
    assert len(heard) == 1  # once for the lot
    trigger(window, "redo")  # the items are selected now: taken out all the same
    assert not window.scene.nodes and window.workspace.document.root.nodes == []
    assert not window.scene.selectedItems()
    trigger(window, "undo")
    assert_same(window, before)
    window.workspace.history.mark_clean()


def test_undo_of_deleting_the_layers_of_many_blocks_takes_out_the_links_it_made(
        qtbot, settings):
    window = open_window(qtbot, settings)
    scene = window.scene
    doomed = [f"b{b}_fc{i}" for b in range(50, 150) for i in (1, 2, 3)]
    blocked = scene.blockSignals(True)
    for node_id in doomed:
        scene.nodes[node_id].setSelected(True)
    scene.blockSignals(blocked)
    scene.selectionChanged.emit()
    before = canvas_state(window)
    assert before["selected"] == sorted(doomed)
    trigger(window, "delete")  # what fed each block's layers now feeds its Add
    bridges = {("root", Edge(f"b{b - 1}_relu", f"b{b}_add")) for b in range(50, 150)}
    assert bridges <= scene.edges.keys() and not scene.nodes.keys() & set(doomed)
    assert_canvas_matches(window)
    trigger(window, "undo")
    assert_same(window, before)
    assert not bridges & scene.edges.keys()
    trigger(window, "redo")
    assert bridges <= scene.edges.keys()
    trigger(window, "undo")
    assert_same(window, before)
    window.workspace.history.mark_clean()


def test_undo_of_deleting_selected_links_selects_them_again(qtbot, settings):
    window = open_window(qtbot, settings)
    scene = window.scene
    skips = [item for (_, edge), item in scene.edges.items() if edge.port == 1][:40]
    blocked = scene.blockSignals(True)
    for item in skips:
        item.setSelected(True)
    scene.blockSignals(blocked)
    scene.selectionChanged.emit()
    before = canvas_state(window)
    assert len(before["selected edges"]) == 40
    trigger(window, "delete")
    assert not scene.selected_edges() and all(i.scene() is None for i in skips)
    trigger(window, "undo")
    assert_same(window, before)
    moved = scene.nodes["b0_fc1"]
    assert moved.pos() == QPointF(*window.workspace.document.positions["b0_fc1"])
    window.workspace.history.mark_clean()
