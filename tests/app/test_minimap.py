"""The minimap (issue 12): a graph too large for a legible Fit shows the whole of itself
in a corner, with the part on screen as a rectangle; a click there looks elsewhere."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from app.main_window import MainWindow
from core.workspace import Workspace
from tests.app.test_canvas_legible import chain_document


@pytest.fixture
def long_chain(qtbot, settings):
    window = MainWindow(Workspace(chain_document(200)), settings, ready=False)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    window.scene.flush()
    window.view.fit()
    window.view.minimap.refresh()
    return window


def visible(window):
    return window.view.mapToScene(window.view.viewport().rect()).boundingRect()


def test_a_large_graph_shows_a_minimap_of_all_of_it(long_chain, screenshots):
    window = long_chain
    minimap = window.view.minimap
    assert minimap.isVisible()
    assert window.view.viewport().geometry().contains(minimap.geometry())
    for item in window.scene.nodes.values():  # every node lies inside the map
        assert minimap.bounds.contains(item.sceneBoundingRect())
    frame = minimap.viewport_rect()
    assert 0 < frame.height() < minimap.height() / 4  # the view shows a small part
    assert frame.top() <= 2  # Fit framed the top of the graph
    window.grab().save(str(screenshots / "minimap.png"))


def test_a_click_in_the_minimap_moves_the_view_there(long_chain):
    window = long_chain
    minimap = window.view.minimap
    last = window.scene.nodes[window.workspace.document.root.nodes[-1].id]
    assert not visible(window).intersects(last.sceneBoundingRect())
    spot = minimap.to_map(last.sceneBoundingRect()).center()
    QTest.mouseClick(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(spot.x()), int(spot.y())))
    assert visible(window).intersects(last.sceneBoundingRect())
    frame = minimap.viewport_rect()
    assert frame.contains(QPointF(spot.x(), min(spot.y(), frame.bottom() - 1)))


def test_a_drag_in_the_minimap_pans(long_chain):
    window = long_chain
    minimap = window.view.minimap
    top = visible(window).top()
    middle = QPoint(minimap.width() // 2, minimap.height() // 2)
    QTest.mousePress(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(middle.x(), 5))
    QTest.mouseMove(minimap, middle)
    QTest.mouseRelease(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       middle)
    assert visible(window).top() > top + 100
    target = minimap.to_scene(QPointF(middle)).y()
    assert visible(window).top() < target < visible(window).bottom()


def test_a_graph_that_fits_needs_no_minimap(qtbot, make_window):
    window = make_window("mlp")
    window.view.fit()
    window.view.minimap.refresh()
    assert not window.view.minimap.isVisible()


def test_the_minimap_can_be_switched_off_from_the_view_menu(long_chain):
    window = long_chain
    action = window.findChild(type(window.actions["fit"]), "action_minimap")
    assert action is not None and action.isChecked()
    action.trigger()
    assert not window.view.minimap.isVisible()
    assert window.settings.store.value("canvas/minimap") in (False, "false")
    action.trigger()
    assert window.view.minimap.isVisible()
