"""The default layout follows the window's size: at 1024×700 the canvas keeps most of the
window (the bottom panels become tabs of one low dock), at 1600×1000 Parameters and
Histogram sit side by side; the side panels need no horizontal scroll bar; a remembered
layout is restored as it was, sizes included; a panel the person closed stays closed, one
they resized keeps its size and the tab they picked stays on top."""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QScrollArea

from app.main_window import MainWindow
from core.catalog.templates import load_template
from core.workspace import Workspace
from tests.app.driver import wait_for_shapes

SMALL = (1024, 700)
LARGE = (1600, 1000)
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


def settle(qtbot, window) -> None:
    """Until the layout has followed the window's size and the window has laid out."""
    qtbot.waitUntil(lambda: window.window_layout.idle, timeout=10_000)
    qtbot.wait(20)


def eventually(qtbot, condition) -> None:
    """``condition`` holds once the window has laid itself out (a loaded machine may
    take a few turns of the event loop); it fails if it never does."""
    qtbot.waitUntil(condition, timeout=5_000)


def tabbed_together(window, first: str, second: str) -> bool:
    return window.model_docks[second] in window.tabifiedDockWidgets(window.model_docks[first])


def late_window(qtbot, settings, size) -> MainWindow:
    """As the application starts: the window is shown, then torch loads, the first
    shapes arrive and the model panels follow."""
    window = MainWindow(Workspace(load_template("chimera")), settings, ready=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(*size)
    settle(qtbot, window)
    window.torch_loaded(panels_later=True)
    window.make_model_panels()
    wait_for_shapes(qtbot, window)
    settle(qtbot, window)
    return window


def side_scroll(window, name: str) -> QScrollArea:
    return window.window_layout.docks()[name].widget()


def test_a_small_window_gives_the_canvas_most_of_its_height(qtbot, make_window):
    window = make_window("chimera")
    window.resize(*SMALL)
    settle(qtbot, window)
    eventually(qtbot, lambda: window.view.height() >= 0.55 * window.height())  # was 305
    assert tabbed_together(window, "parameters", "histogram")
    # Every bottom panel is still one click away, Parameters on top.
    parameters = window.model_docks["parameters"]
    assert not parameters.visibleRegion().isEmpty()
    assert window.dockWidgetArea(window.model_docks["histogram"]) == BOTTOM
    window.model_docks["histogram"].raise_()
    window.histograms.caption.setText("conv1.weight · 9,408 values · mean 0.0001 · "
                                      "std 0.0312 · min -0.09 · max 0.09 " * 2)
    settle(qtbot, window)
    assert not window.model_docks["histogram"].visibleRegion().isEmpty()
    eventually(qtbot, lambda: not side_scroll(window, "histogram").verticalScrollBar()
               .isVisible())


def test_a_large_window_keeps_parameters_beside_the_histogram(qtbot, make_window):
    window = make_window("chimera")
    window.resize(*SMALL)
    settle(qtbot, window)
    window.resize(*LARGE)
    settle(qtbot, window)
    assert not tabbed_together(window, "parameters", "histogram")
    parameters, histogram = window.model_docks["parameters"], window.model_docks["histogram"]
    assert parameters.geometry().right() < histogram.geometry().left()
    assert abs(parameters.geometry().top() - histogram.geometry().top()) <= 2
    eventually(qtbot, lambda: window.view.height() >= 0.6 * window.height())
    for name in ("parameters", "histogram"):  # neither panel scrolls at this size
        eventually(qtbot, lambda n=name: not side_scroll(window, n).verticalScrollBar()
                   .isVisible())


def test_panels_made_after_the_window_is_shown_follow_its_size(qtbot, settings):
    window = late_window(qtbot, settings, SMALL)
    eventually(qtbot, lambda: window.view.height() >= 0.55 * window.height())
    assert tabbed_together(window, "parameters", "histogram")


def test_the_inspector_and_initialize_tabs_need_no_horizontal_scroll_bar(qtbot, settings):
    window = late_window(qtbot, settings, SMALL)
    scroll = side_scroll(window, "inspector")
    for tab in range(window.side_tabs.count()):
        window.side_tabs.setCurrentIndex(tab)
        settle(qtbot, window)
        eventually(qtbot, lambda: not scroll.horizontalScrollBar().isVisible())


def test_a_remembered_layout_is_restored_with_its_sizes(qtbot, settings):
    first = late_window(qtbot, settings, SMALL)
    histogram = first.model_docks["histogram"]
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, histogram)  # the person's
    first.resizeDocks([first.model_docks["parameters"]], [240], Qt.Orientation.Vertical)
    settle(qtbot, first)
    height = first.model_docks["parameters"].height()
    assert first.close()
    window = late_window(qtbot, settings, SMALL)
    assert window.dockWidgetArea(window.model_docks["histogram"]) == \
        Qt.DockWidgetArea.RightDockWidgetArea
    assert abs(window.model_docks["parameters"].height() - height) <= 4
    window.resize(*LARGE)  # a remembered layout does not follow the size either
    settle(qtbot, window)
    assert window.dockWidgetArea(window.model_docks["histogram"]) == \
        Qt.DockWidgetArea.RightDockWidgetArea


def test_moving_a_panel_ends_the_default_and_reset_brings_it_back(qtbot, make_window):
    window = make_window("mlp")
    window.resize(*LARGE)
    settle(qtbot, window)
    code = window.model_docks["code"]
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, code)
    window.resize(*SMALL)
    settle(qtbot, window)
    assert window.dockWidgetArea(code) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not tabbed_together(window, "parameters", "histogram")
    window.window_layout.reset_action.trigger()
    settle(qtbot, window)
    assert window.dockWidgetArea(code) == BOTTOM
    assert tabbed_together(window, "parameters", "histogram")
    eventually(qtbot, lambda: window.view.height() >= 0.55 * window.height())


def test_the_first_start_fits_a_screen_smaller_than_the_default_size(qtbot, make_window):
    window = make_window("mlp")  # no remembered geometry: the default size is 1280×800
    room = window.screen().availableGeometry()
    assert room.width() < 1280 or room.height() < 800, "the test screen must be smaller"
    frame = window.frameGeometry()
    assert room.contains(frame), f"{frame} does not fit the screen {room}"


def drag_above_bottom(qtbot, window, by: int) -> None:
    """Drag the separator above the bottom panels ``by`` pixels up, as a person does."""
    where = window.model_docks["parameters"].geometry()
    start = QPoint(where.center().x(), where.top() - 3)
    end = start - QPoint(0, by)
    QTest.mouseMove(window, start)
    qtbot.wait(30)
    QTest.mousePress(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in (start - QPoint(0, 10), end):
        QTest.mouseMove(window, step)
        qtbot.wait(30)
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    settle(qtbot, window)


def test_a_panel_closed_by_its_own_button_stays_closed(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    window.resize(*SMALL)
    settle(qtbot, window)
    code = window.model_docks["code"]
    code.close()  # what the dock's title-bar button does
    for size in (LARGE, SMALL, LARGE):
        window.resize(*size)
        settle(qtbot, window)
        assert code.isHidden(), f"the closed panel came back at {size}"
    assert window.model_docks["summary"].isVisible()


def test_a_bottom_panel_resized_by_hand_keeps_its_height(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    window.resize(*SMALL)
    settle(qtbot, window)
    parameters = window.model_docks["parameters"]
    before = parameters.height()
    drag_above_bottom(qtbot, window, 80)
    height = parameters.height()
    assert height >= before + 60, (before, height)
    window.hide()  # as when a minimized window comes back
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot, window)
    assert abs(parameters.height() - height) <= 4, (height, parameters.height())
    window.resize(1100, 740)  # still small: the tabs stay as the person left them
    settle(qtbot, window)
    assert tabbed_together(window, "parameters", "histogram")
    assert abs(parameters.height() - height) <= 4, (height, parameters.height())


def test_the_tab_the_person_picked_stays_on_top_as_the_window_changes(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    window.resize(*SMALL)
    settle(qtbot, window)
    code = window.model_docks["code"]
    code.raise_()  # the person picks the Code tab
    settle(qtbot, window)
    for size in (LARGE, SMALL):
        window.resize(*size)
        settle(qtbot, window)
        eventually(qtbot, lambda: not code.visibleRegion().isEmpty())
    assert tabbed_together(window, "parameters", "code")


def test_a_drag_inside_a_panel_is_no_arrangement(qtbot, make_window):
    window = make_window("mlp")
    wait_for_shapes(qtbot, window)
    window.resize(*SMALL)
    settle(qtbot, window)
    bar = window.statusBar()  # a press it ignores goes on to the window
    start = QPoint(bar.width() // 2, bar.height() // 2)
    QTest.mousePress(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(bar, start - QPoint(40, 0))
    QTest.mouseRelease(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start - QPoint(40, 0))
    settle(qtbot, window)
    assert window.window_layout.following_size
    window.resize(*LARGE)
    settle(qtbot, window)
    assert not tabbed_together(window, "parameters", "histogram")
