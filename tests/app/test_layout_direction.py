"""Left to right or top to bottom (issue 12): View ▸ Lay Out Left to Right moves the
ports to the cards' sides and arranges the graph in columns, as one undo step; the
choice is remembered; Arrange, new layers and the skip lanes follow it."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from app.main_window import MainWindow
from core.catalog.templates import load_template
from core.workspace import Workspace
from tests.app.driver import trigger
from tests.widgets.test_edge_routing import crossings

CHAIN = ["n1", "n2", "n3", "n4", "n5", "n6"]  # the residual block, stem to out


def sideways(window) -> QAction:
    action = window.findChild(QAction, "action_left_to_right")
    assert action is not None
    return action


def test_left_to_right_lays_the_graph_out_in_columns(qtbot, make_window):
    window = make_window("residual-block")
    steps = window.workspace.history.position()[0]
    sideways(window).trigger()
    assert window.scene.horizontal
    assert window.workspace.history.position()[0] == steps + 1  # the arrangement
    at = window.workspace.document.positions
    xs = [at[n][0] for n in CHAIN]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # each layer a column further right
    main = [n for n in CHAIN if n != "n5"]
    assert len({at[n][1] for n in main}) == 1  # the main chain in one row
    start, end = window.scene.boundaries["input"], window.scene.boundaries["output"]
    assert start.pos().x() < min(xs) and end.pos().x() > max(xs)
    item = window.scene.nodes["n2"]
    rect = item.sceneBoundingRect()
    assert abs(item.output_port().x() - (item.pos().x() + 95)) < 1  # on the right side
    assert abs(item.input_port(0).x() - (item.pos().x() - 95)) < 1
    assert rect.contains(item.output_port())
    for edge in window.scene.edges.values():  # the skip goes around, not through
        assert not crossings(window.scene, edge), edge.edge
    window.do_undo()
    assert window.workspace.history.position()[0] == steps
    window.workspace.history.mark_clean()


def test_the_direction_is_remembered_and_back_again(qtbot, make_window, settings):
    window = make_window("mlp")
    sideways(window).trigger()
    window.workspace.history.mark_clean()
    again = MainWindow(Workspace(load_template("mlp")), settings)
    qtbot.addWidget(again)
    assert again.scene.horizontal and sideways(again).isChecked()
    sideways(again).trigger()
    assert not again.scene.horizontal
    at = again.workspace.document.positions
    ys = [at[n][1] for n in ("n1", "n2", "n3")]
    assert ys == sorted(ys) and len(set(ys)) == 3  # rows again
    item = again.scene.nodes["n2"]
    assert abs(item.output_port().y() - (item.pos().y() + 33)) < 1  # at the bottom
    again.workspace.history.mark_clean()


def test_a_layer_added_after_the_selection_goes_to_its_right(qtbot, make_window):
    window = make_window("mlp")
    sideways(window).trigger()
    window.scene.select_nodes(["n2"])
    added = window.scene.add_after_selection("Dropout")
    at = window.workspace.document.positions
    assert at[added][0] > at["n2"][0] and abs(at[added][1] - at["n2"][1]) < 1
    assert at["n3"][0] > at[added][0]  # what came after moved one column on
    trigger(window, "arrange")
    assert at["n3"][0] > at[added][0] > at["n2"][0]
    edge = next(i for (g, e), i in window.scene.edges.items()
                if e.src == "n2" and e.dst == added)
    path = edge.mapToScene(edge.path())
    assert path.pointAtPercent(0).x() < path.pointAtPercent(1).x()
    assert abs(path.pointAtPercent(0).y() - path.pointAtPercent(1).y()) < 1
    window.workspace.history.mark_clean()


def test_arrow_keys_follow_the_flow_to_the_right(qtbot, make_window):
    window = make_window("residual-block")
    sideways(window).trigger()
    window.scene.select_nodes(["n1"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Right)  # along the links
    fed = sorted((e.dst for e in window.workspace.document.root.edges if e.src == "n1"),
                 key=lambda n: window.scene.nodes[n].scenePos().y())
    assert window.scene.selected_node_ids() == [fed[0]]
    QTest.keyClick(window.view, Qt.Key.Key_Down)  # to the branch below
    assert window.scene.selected_node_ids() == [fed[1]]
    QTest.keyClick(window.view, Qt.Key.Key_Up)
    assert window.scene.selected_node_ids() == [fed[0]]
    QTest.keyClick(window.view, Qt.Key.Key_Left)
    assert window.scene.selected_node_ids() == ["n1"]
    window.workspace.history.mark_clean()


def test_fit_centres_the_graph_after_it_turned_into_a_row(qtbot, make_window):
    window = make_window("mlp")
    window.resize(1280, 800)  # room for the row at a legible zoom (the test screen is smaller)
    qtbot.wait(20)
    sideways(window).trigger()  # the graph was a tall column, now it is a flat row
    window.view.fit()
    bounds = window.scene.itemsBoundingRect()
    centre = window.view.mapFromScene(bounds.center())
    middle = window.view.viewport().rect().center()
    assert abs(centre.x() - middle.x()) <= 2 and abs(centre.y() - middle.y()) <= 2
    window.workspace.history.mark_clean()
