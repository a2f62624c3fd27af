"""The search box at the cursor (issue 12): double-click the empty canvas or press Tab,
type, Enter: the layer is added where the pointer was; an exact name wins."""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from widgets.layer_search import ranked


def test_an_exact_name_wins():
    entries = [("SiLU", "x * sigmoid(x)"), ("Sigmoid", "1 / (1 + exp(-x))"),
               ("LazyLinear", "linear layer that infers in_features"), ("Linear", "y = xW + b")]
    assert ranked("sigmoid", entries)[0] == "Sigmoid"
    assert ranked("linear", entries)[0] == "Linear"
    assert ranked("", entries) == [name for name, _ in entries]
    assert ranked("nothing like it", entries) == []


def empty_spot(window) -> QPoint:
    view = window.view
    for x in range(10, view.viewport().width() - 10, 20):
        point = QPoint(x, view.viewport().height() // 2)
        if view.itemAt(point) is None:
            return point
    raise AssertionError("no empty spot on the canvas")


def test_double_click_on_the_canvas_adds_the_layer_there(qtbot, make_window):
    window = make_window("mlp")
    before = len(window.workspace.document.root.nodes)
    spot = empty_spot(window)
    QTest.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier, spot)
    search = window.view.search
    assert search.isVisible()
    scene_spot = window.view.mapToScene(spot)  # the view then follows the new layer
    QTest.keyClicks(search.text, "sigmoid")
    assert search.matches.item(0).text() == "Sigmoid"
    QTest.keyClick(search.text, Qt.Key.Key_Return)
    assert not search.isVisible()
    nodes = window.workspace.document.root.nodes
    assert len(nodes) == before + 1 and nodes[-1].type == "Sigmoid"
    x, y = window.workspace.document.positions[nodes[-1].id]
    assert abs(x - scene_spot.x()) < 2 and abs(y - scene_spot.y()) < 2
    window.workspace.history.mark_clean()


def test_tab_opens_the_search(qtbot, make_window):
    window = make_window("mlp")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    assert window.view.search.isVisible()
    QTest.keyClick(window.view.search.text, Qt.Key.Key_Escape)
    assert not window.view.search.isVisible()
