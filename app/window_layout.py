"""How the window is laid out: a toggle for every panel in the View menu, named layouts
(Build, Inspect, Teach) and a reset, and a window that never outgrows its screen — a
saved layout that does not fit is not restored as it was."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from widgets.panel_dock import SIDES, PanelDock, needed_width

# name: (menu text, the docks on show — by object name without "dock_", the dock raised
# among its tabs first)
LAYOUTS: dict[str, tuple[str, set[str]]] = {
    "build": ("&Build", {"palette", "inspector"}),
    "inspect": ("&Inspect", {"inspector", "parameters", "histogram"}),
    "teach": ("&Teach", {"palette", "code", "summary", "steps"}),
    "train": ("T&rain", {"inspector", "train"}),
}

SIDE_WIDTH = 280  # a side panel may always be this wide,
SIDE_SHARE = 0.22  # or this share of the window's width


def fits(rect: QRect, room: QRect) -> bool:
    return rect.width() <= room.width() and rect.height() <= room.height()


class WindowLayout(QObject):
    """Adds *Panels* and *Layout* to ``menu`` and remembers the window's first layout,
    which *Reset Layout* brings back."""

    def __init__(self, window: QMainWindow, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.default_state: QByteArray = window.saveState()
        self.default_size = window.size()
        menu.addSeparator()
        self.panels = menu.addMenu("&Panels")
        # Filled when opened, so a dock added after the window was made is listed too.
        self.panels.aboutToShow.connect(self._fill_panels)
        self._fill_panels()
        layouts = menu.addMenu("&Layout")
        self.layout_actions: dict[str, QAction] = {}
        for name, (text, _) in LAYOUTS.items():
            action = layouts.addAction(text)
            action.setObjectName(f"action_layout_{name}")
            action.triggered.connect(lambda _=False, n=name: self.show_layout(n))
            self.layout_actions[name] = action
        layouts.addSeparator()
        self.reset_action = layouts.addAction("&Reset Layout")
        self.reset_action.setObjectName("action_layout_reset")
        self.reset_action.triggered.connect(self.reset)
        self._fit_when_shown = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Show:
            return False
        for dock in self.docks().values():
            if isinstance(dock, PanelDock):
                dock.keep_width()
        # Only once shown does the window have a frame and a screen of its own.
        if self._fit_when_shown:
            self._fit_when_shown = False
            self.fit_to_screen()
        return False

    def balance(self) -> None:
        """Give each side panel the width its content needs, within a share of the
        window, so the canvas keeps most of the width."""
        side = [dock for dock in self.docks().values()
                if isinstance(dock, PanelDock) and dock.isVisible() and not dock.isFloating()
                and self.window.dockWidgetArea(dock) in SIDES]
        most = max(SIDE_WIDTH, int(self.window.width() * SIDE_SHARE))
        if side:
            widths = [min(most, needed_width(dock.panel() or dock)) for dock in side]
            self.window.resizeDocks(side, widths, Qt.Orientation.Horizontal)

    def docks(self) -> dict[str, QDockWidget]:
        return {dock.objectName().removeprefix("dock_"): dock
                for dock in self.window.findChildren(QDockWidget)
                if dock.parent() is self.window}

    def _fill_panels(self) -> None:
        self.panels.clear()
        for dock in sorted(self.docks().values(), key=lambda d: d.windowTitle()):
            self.panels.addAction(dock.toggleViewAction())

    def show_layout(self, name: str) -> None:
        """Show the docks of layout ``name`` and hide the others."""
        shown = LAYOUTS[name][1]
        for dock_name, dock in self.docks().items():
            dock.setVisible(dock_name in shown)
        for dock_name in shown:
            if dock_name in self.docks():
                self.docks()[dock_name].raise_()
                break
        self.fit_to_screen()

    def reset(self) -> None:
        self.window.restoreState(self.default_state)
        self.fit_to_screen()
        self.balance()

    def room(self) -> QRect | None:
        screen = self.window.screen()
        return screen.availableGeometry() if screen is not None else None

    def restore(self, geometry, state) -> None:
        """Restore a saved geometry and dock state; one that does not fit the screen is
        replaced by the default layout at a size that fits."""
        room = self.room()
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        if state is not None:
            self.window.restoreState(state)
        if room is None or (geometry is None and state is None):
            return
        hint = self.window.minimumSizeHint()
        if not fits(QRect(0, 0, hint.width(), hint.height()), room):
            self.window.restoreState(self.default_state)
        self.fit_to_screen()
        self._fit_when_shown = True

    def fit_to_screen(self) -> None:
        """Shrink the window to its screen's free area when it is larger."""
        room = self.room()
        if room is None or fits(self.window.frameGeometry(), room):
            return
        frame = self.window.frameGeometry()
        self.window.resize(min(self.window.width(), room.width() - frame.width()
                               + self.window.width()),
                           min(self.window.height(), room.height() - frame.height()
                               + self.window.height()))
        frame = self.window.frameGeometry()
        self.window.move(max(room.left(), min(frame.left(), room.right() + 1 - frame.width())),
                         max(room.top(), min(frame.top(), room.bottom() + 1 - frame.height())))

