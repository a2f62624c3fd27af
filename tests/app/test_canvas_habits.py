"""The editing habits of the best node editors on the real window (issue 12): right-click
menus on nodes, links and the canvas; a link let go on empty canvas opens the search
filtered to layers that take it; a link dropped on a fed input replaces the old one; a
node dragged onto a link is wired into it; arrow keys walk the graph."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog

from core.document.edit import SetArguments
from tests.app.driver import drag, edge_item, edge_midpoint, select, view_point, wait_for_shapes

# A popup menu on the offscreen platform: it cannot raise it or grab the keyboard.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")


def right_click(window, scene_point: QPointF):
    """A real context-menu event on the canvas; returns the menu it opened."""
    point = view_point(window, scene_point)
    viewport = window.view.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                              viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)
    menu = window.view.context_menu
    assert menu is not None and menu.isVisible()
    return menu


def entry(menu, text: str):
    """The menu's entry whose text (without mnemonics) is ``text``."""
    for action in menu.actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"{text!r} not in {[a.text() for a in menu.actions()]}")


def texts(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def node_centre(window, node_id: str) -> QPointF:
    return window.scene.nodes[node_id].mapToScene(QPointF(0, 8))


def empty_scene_point(window) -> QPointF:
    view = window.view
    for y in range(20, view.viewport().height() - 20, 20):
        for x in range(20, view.viewport().width() - 20, 20):
            if not window.scene.items(view.mapToScene(QPoint(x, y))):
                return view.mapToScene(QPoint(x, y))
    raise AssertionError("no empty spot on the canvas")


def edges(window) -> set[tuple[str, str, int]]:
    return {(e.src, e.dst, e.port) for e in window.workspace.document.root.edges}


def test_node_menu_offers_the_window_actions_and_deletes(qtbot, make_window):
    window = make_window("mlp")
    menu = right_click(window, node_centre(window, "n2"))
    assert window.scene.selected_node_ids() == ["n2"]
    shown = texts(menu)
    for wanted in ("Rename…", "Duplicate", "Cut", "Copy", "Delete", "Group into Block",
                   "Share Parameters"):
        assert wanted in shown
    assert entry(menu, "Delete") is window.actions["delete"]  # the same action, not a copy
    menu.hide()
    entry(menu, "Delete").trigger()
    assert not window.workspace.document.has_node("n2")
    assert ("n1", "n3", 0) in edges(window)  # Delete reconnects, as the menu bar's does
    window.do_undo()
    assert window.workspace.document.has_node("n2") and ("n1", "n2", 0) in edges(window)
    window.workspace.history.mark_clean()


def test_rename_and_duplicate_from_the_node_menu(qtbot, make_window, monkeypatch):
    window = make_window("mlp")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("encoder", True))
    menu = right_click(window, node_centre(window, "n1"))
    menu.hide()
    entry(menu, "Rename…").trigger()
    assert window.workspace.document.node("n1").name == "encoder"
    before = {n.id for n in window.workspace.document.root.nodes}
    menu = right_click(window, node_centre(window, "n2"))
    menu.hide()
    entry(menu, "Duplicate").trigger()
    (copy,) = {n.id for n in window.workspace.document.root.nodes} - before
    assert window.workspace.document.node(copy).type == "ReLU"
    assert window.scene.selected_node_ids() == [copy]
    window.do_undo()
    assert not window.workspace.document.has_node(copy)
    window.workspace.history.mark_clean()


def test_fix_from_the_node_menu(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    select(window, "n1")
    # Linear with the wrong in_features after the (2, 20) input: it turns red, with a fix.
    window.scene.add_after_selection("Linear")
    added = window.scene.selected_node_ids()[0]
    window.scene.execute(SetArguments(added, {"in_features": 7}))
    wait_for_shapes(qtbot, window)
    assert window.scene.nodes[added].look.fix
    menu = right_click(window, node_centre(window, added))
    fix = next(a for a in menu.actions() if a.text().startswith("Fix: set in_features"))
    menu.hide()
    fix.trigger()
    wait_for_shapes(qtbot, window)
    assert not window.scene.nodes[added].look.error
    window.workspace.history.mark_clean()


def test_link_menu_inserts_a_layer_on_it(qtbot, make_window):
    window = make_window("mlp")
    menu = right_click(window, edge_midpoint(window, "n2", "n3"))
    assert window.scene.selected_edges() == [edge_item(window, "n2", "n3")]
    assert "Delete" in texts(menu)
    menu.hide()
    entry(menu, "Insert Layer…").trigger()
    search = window.view.search
    assert search.isVisible()
    QTest.keyClicks(search.text, "dropout")
    QTest.keyClick(search.text, Qt.Key.Key_Return)
    (added,) = [n.id for n in window.workspace.document.root.nodes if n.type == "Dropout"]
    assert {("n2", added, 0), (added, "n3", 0)} <= edges(window)
    assert ("n2", "n3", 0) not in edges(window)
    window.workspace.history.mark_clean()


def test_canvas_menu_adds_a_layer_here_and_arranges(qtbot, make_window):
    window = make_window("mlp")
    spot = empty_scene_point(window)
    menu = right_click(window, spot)
    assert {"Add Layer Here…", "Paste", "Arrange", "Fit to View", "Select All"} <= \
        set(texts(menu))
    menu.hide()
    entry(menu, "Add Layer Here…").trigger()
    QTest.keyClicks(window.view.search.text, "tanh")
    QTest.keyClick(window.view.search.text, Qt.Key.Key_Return)
    node = window.workspace.document.root.nodes[-1]
    assert node.type == "Tanh"
    x, y = window.workspace.document.positions[node.id]
    assert abs(x - spot.x()) < 25 and abs(y - spot.y()) < 25
    window.workspace.history.mark_clean()


def test_a_link_let_go_on_empty_canvas_opens_a_filtered_search(qtbot, make_window):
    window = make_window("small-cnn")
    wait_for_shapes(qtbot, window)
    source = window.scene.nodes["n2"]  # a 4-D image tensor flows out of it
    start = source.output_port()
    end = start + QPointF(420, 60)
    while window.scene.items(end):
        end += QPointF(60, 0)
    drag(window, start, end)
    search = window.view.search
    assert search.isVisible()
    listed = [search.matches.item(i).text() for i in range(search.matches.count())]
    assert "Conv2d" in listed and "MaxPool2d" in listed
    assert "Conv1d" not in listed and "Conv3d" not in listed  # they take 3-D and 5-D input
    assert "Linear" in listed  # (*, in_features): any rank
    assert "Add" in listed  # a merge: the link feeds its first input
    assert "Parameter" not in listed  # nothing flows into a parameter
    QTest.keyClicks(search.text, "conv2d")
    QTest.keyClick(search.text, Qt.Key.Key_Return)
    (added,) = [n.id for n in window.workspace.document.root.nodes
                if n.type == "Conv2d"]
    assert ("n2", added, 0) in edges(window)
    wait_for_shapes(qtbot, window)
    assert not window.scene.nodes[added].look.error  # sized from the incoming shape
    steps = window.workspace.history.position()[0]
    window.do_undo()
    assert not window.workspace.document.has_node(added)
    assert window.workspace.history.position()[0] == steps - 1
    window.workspace.history.mark_clean()


def test_a_link_dropped_on_a_fed_input_replaces_it_in_one_step(qtbot, make_window):
    window = make_window("mlp")
    before = edges(window)
    steps = window.workspace.history.position()[0]
    drag(window, window.scene.nodes["n1"].output_port(), window.scene.nodes["n3"].input_port(0))
    assert ("n1", "n3", 0) in edges(window) and ("n2", "n3", 0) not in edges(window)
    assert window.workspace.history.position()[0] == steps + 1
    window.do_undo()
    assert edges(window) == before
    window.workspace.history.mark_clean()


def test_a_loose_node_dragged_onto_a_link_is_wired_in(qtbot, make_window):
    window = make_window("mlp")
    spot = empty_scene_point(window)
    node_id = window.scene.drop_layer("Dropout", spot)
    assert node_id and not any(node_id in (e.src, e.dst)
                               for e in window.workspace.document.root.edges)
    before = edges(window)
    steps = window.workspace.history.position()[0]
    item = window.scene.nodes[node_id]
    target = edge_midpoint(window, "n1", "n2")
    drag(window, item.mapToScene(QPointF(0, 8)), target + QPointF(0, 8))
    assert {("n1", node_id, 0), (node_id, "n2", 0)} <= edges(window)
    assert ("n1", "n2", 0) not in edges(window)
    assert window.workspace.history.position()[0] == steps + 1
    window.do_undo()
    assert edges(window) == before
    window.workspace.history.mark_clean()


def test_a_connected_node_dragged_over_a_link_only_moves(qtbot, make_window):
    window = make_window("residual-block")
    before = edges(window)
    item = window.scene.nodes["n3"]
    drag(window, item.mapToScene(QPointF(0, 8)), edge_midpoint(window, "n1", "n5"))
    assert edges(window) == before
    window.workspace.history.mark_clean()


def test_arrow_keys_walk_along_the_edges(qtbot, make_window):
    window = make_window("residual-block")
    select(window, "n1")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Down)
    document = window.workspace.document
    fed = sorted((e.dst for e in document.root.edges if e.src == "n1"),
                 key=lambda n: window.scene.nodes[n].scenePos().x())
    assert len(fed) == 2
    assert window.scene.selected_node_ids() == [fed[0]]
    QTest.keyClick(window.view, Qt.Key.Key_Right)
    assert window.scene.selected_node_ids() == [fed[1]]
    QTest.keyClick(window.view, Qt.Key.Key_Left)
    assert window.scene.selected_node_ids() == [fed[0]]
    QTest.keyClick(window.view, Qt.Key.Key_Up)
    assert window.scene.selected_node_ids() == ["n1"]
    QTest.keyClick(window.view, Qt.Key.Key_Up)  # the input is no node: it stays
    assert window.scene.selected_node_ids() == ["n1"]
    select(window, "n4")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Down)
    assert window.scene.selected_node_ids() == ["n5"]
