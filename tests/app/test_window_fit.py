"""The window fits the screen (issue 12): no panel makes it larger than 1024×700, every
panel can be shown from the View menu, named layouts and a reset, and a saved layout that
does not fit is not restored as it was."""

import torch
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QDockWidget

from app.main_window import MainWindow
from app.window_layout import LAYOUTS
from core.catalog.templates import load_template
from core.workspace import Workspace
from tests.app.driver import wait_for_shapes
from widgets.panel_dock import WIDEST_SIDE

SMALL = (1024, 700)


def settle(qtbot) -> None:
    qtbot.wait(50)


def test_no_panel_asks_for_more_than_a_small_screen(qtbot, make_window):
    window = make_window("chimera")
    wait_for_shapes(qtbot, window)
    window.resize(*SMALL)
    settle(qtbot)
    assert (window.width(), window.height()) == SMALL
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1]
    for dock in window.findChildren(QDockWidget):
        dock_hint = dock.minimumSizeHint()
        assert dock_hint.width() <= WIDEST_SIDE and dock_hint.height() <= 200, dock.objectName()


def test_a_long_stats_line_does_not_widen_the_window(qtbot, make_window):
    window = make_window("chimera")
    window.resize(*SMALL)
    settle(qtbot)
    window.model_docks["parameters"].raise_()
    window.tensor_view.show_tensor("a.rather.long.name.of.a.weight.inside.blocks" * 3,
                                   torch.randn(300, 4000) * 1e-7)
    settle(qtbot)
    assert len(window.tensor_view.stats.text()) > 100
    assert window.width() == SMALL[0]
    assert window.minimumSizeHint().width() <= SMALL[0]


def test_many_histograms_do_not_make_the_window_taller(qtbot, make_window):
    window = make_window("chimera")
    window.resize(*SMALL)
    window.model_docks["histogram"].raise_()
    window.histograms.tabs.setCurrentIndex(1)
    window.histograms.show_all([(f"layer{i}.weight", torch.randn(64)) for i in range(400)])
    qtbot.waitUntil(lambda: window.histograms.idle, timeout=10_000)
    settle(qtbot)
    assert window.height() == SMALL[1]
    assert window.minimumSizeHint().height() <= SMALL[1]


def test_every_panel_has_a_toggle_and_layouts_show_their_panels(qtbot, make_window):
    window = make_window("mlp")
    panels = window.window_layout.panels
    panels.aboutToShow.emit()
    toggles = {action.text() for action in panels.actions()}
    docks = {dock.windowTitle() for dock in window.findChildren(QDockWidget)}
    assert docks <= toggles
    for name, (_, shown) in LAYOUTS.items():
        window.window_layout.layout_actions[name].trigger()
        settle(qtbot)
        visible = {n for n, d in window.window_layout.docks().items() if d.isVisible()}
        assert visible == shown, name
    window.window_layout.reset_action.trigger()
    settle(qtbot)
    assert window.model_docks["histogram"].isVisible()
    assert window.findChild(QDockWidget, "dock_palette").isVisible()


def test_a_saved_layout_larger_than_the_screen_is_not_restored_as_is(qtbot, settings):
    first = MainWindow(Workspace(load_template("mlp")), settings)
    qtbot.addWidget(first)
    first.show()
    room = first.screen().availableGeometry()
    # A layout saved on a larger screen, or squeezed by a panel that once grew.
    first.setGeometry(QRect(0, 0, room.width() + 900, room.height() + 1600))
    settings.save_window_state(first.saveGeometry(), first.saveState())
    first.close()
    window = MainWindow(Workspace(load_template("mlp")), settings)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot)
    frame = window.frameGeometry()
    assert frame.width() <= room.width() and frame.height() <= room.height()


def test_a_layout_whose_docks_cannot_fit_falls_back_to_the_default(qtbot, settings):
    window = MainWindow(Workspace(load_template("mlp")), settings)
    qtbot.addWidget(window)
    saved = window.saveState()
    restored = []
    original = window.restoreState
    window.restoreState = lambda state: restored.append(state) or original(state)
    window.minimumSizeHint = lambda: QSize(5000, 5000)  # docks that once grew too large
    window.window_layout.restore(None, saved)
    assert restored == [saved, window.window_layout.default_state]


def test_the_toolbar_does_not_jump_as_the_undo_text_changes(qtbot, make_window):
    window = make_window("mlp")
    button = window.toolbar.widgetForAction(window.actions["undo"])
    width = button.sizeHint().width()
    window.palette.layer_activated.emit("ReLU")
    assert window.actions["undo"].text().startswith("&Undo Add")
    assert button.text() == "Undo" and button.sizeHint().width() == width
    window.workspace.history.mark_clean()
