"""How the window is laid out: a toggle for every panel in the View menu, named layouts
(Build, Inspect, Teach) and a reset, and a window that never outgrows its screen — a
saved layout that does not fit is not restored as it was. Until the person arranges the
panels, the default follows the window's size so the canvas keeps most of it: a small
window tabs the bottom panels together and keeps them low."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, Qt, QTimer
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

# A window narrower or shorter than this shows the bottom panels as tabs of one dock.
COMPACT_BELOW = QSize(1200, 760)
BOTTOM_SHARE = 0.27  # the bottom panels' share of the window's height, by default,
BOTTOM_HEIGHTS = (150, 300)  # within these bounds
PARAMETERS_SHARE = 0.58  # of the width, beside the histogram, when not tabbed
# The bottom panels, in the order of their tabs in a small window.
BOTTOM_TABS = ("parameters", "histogram", "code", "summary", "steps", "train")


def fits(rect: QRect, room: QRect) -> bool:
    return rect.width() <= room.width() and rect.height() <= room.height()


class WindowLayout(QObject):
    """Adds *Panels* and *Layout* to ``menu`` and remembers the window's first layout,
    which *Reset Layout* brings back (tabbed at the bottom in a small window)."""

    def __init__(self, window: QMainWindow, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.default_state: QByteArray = window.saveState()
        self.default_size = window.size()
        # While True the layout is the default, which follows the window's size; the
        # person's own arrangement (a dock moved, floated, toggled, closed or resized by
        # its separator, a named layout or a remembered one) ends it, Reset Layout starts
        # it again.
        self.following_size = True
        self._compact = False
        self._arranging = False
        self._on_separator = False
        self._follow_later = QTimer(self, singleShot=True, interval=0)
        self._follow_later.timeout.connect(self.follow_size)
        self._size_later = QTimer(self, singleShot=True, interval=0)
        self._size_later.timeout.connect(self.size_bottom)
        for dock in self.docks().values():
            dock.dockLocationChanged.connect(self._arranged_by_person)
            dock.topLevelChanged.connect(self._arranged_by_person)
            dock.toggleViewAction().triggered.connect(self._arranged_by_person)
            dock.installEventFilter(self)  # its title bar's close button
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
        if watched is not self.window:
            if event.type() == QEvent.Type.Close:
                self._arranged_by_person()
            return False
        # A press on no child is on a separator between docks (a child's press that it
        # ignores reaches the window too): a drag from there resizes them.
        if event.type() == QEvent.Type.MouseButtonPress:
            self._on_separator = self.window.childAt(event.position().toPoint()) is None
        elif event.type() == QEvent.Type.MouseMove and self._on_separator and \
                event.buttons() & Qt.MouseButton.LeftButton:
            self._arranged_by_person()
        if event.type() == QEvent.Type.Resize and self.following_size \
                and self.compact() != self._compact:
            self._follow_later.start()  # not inside the layout's own resize
        if event.type() != QEvent.Type.Show:
            return False
        if self.following_size:
            self._follow_later.start()
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

    @property
    def idle(self) -> bool:
        """Whether the layout has followed the window's last size."""
        return not (self._follow_later.isActive() or self._size_later.isActive())

    def compact(self) -> bool:
        return self.window.width() < COMPACT_BELOW.width() or \
            self.window.height() < COMPACT_BELOW.height()

    def _arranged_by_person(self) -> None:
        if not self._arranging:
            self.following_size = False

    def follow_size(self) -> None:
        """While the layout is the default: the default for the window's size, with the
        bottom panels at their share of its height."""
        if not self.following_size or len(self._bottom_docks()) < 2:
            return
        compact = self.compact()
        if compact == self._compact:
            self.size_bottom()
            return
        self._arranging = True
        try:
            self._tab_bottom() if compact else self._split_bottom()
        finally:
            self._arranging = False
        self._compact = compact
        # Once the layout has taken the new arrangement in: sizes given before that
        # are not kept.
        self._size_later.start()

    def _restore_state(self, state: QByteArray) -> bool:
        self._arranging = True
        try:
            return self.window.restoreState(state)
        finally:
            self._arranging = False

    def _bottom_docks(self) -> list[QDockWidget]:
        docks = self.docks()
        return [docks[name] for name in BOTTOM_TABS if name in docks]

    def _on_top(self, dock: QDockWidget) -> bool:
        """Whether ``dock`` is shown and, among tabs, the one picked: Qt keeps the other
        tabs' docks "visible", moved above and left of the window."""
        where = dock.geometry()
        return dock.isVisible() and where.right() >= 0 and where.bottom() >= 0

    def _tab_bottom(self) -> None:
        """The bottom panels as tabs of one dock; on top the one the person picked
        among the tabs beside Parameters, else Parameters."""
        docks = self._bottom_docks()
        first, *rest = docks
        picked = next((dock for dock in [*docks[2:], *docks[:2]] if self._on_top(dock)),
                      first)
        for dock in rest:
            self.window.tabifyDockWidget(first, dock)
        picked.raise_()

    def _split_bottom(self) -> None:
        """The first bottom panel (Parameters) beside the others, which share tabs; a
        panel the person closed stays closed, and the tab they picked stays on top."""
        _, second, *rest = self._bottom_docks()
        others = [second, *rest]
        shown = [dock for dock in others if not dock.isHidden()]
        picked = next((dock for dock in others if self._on_top(dock)), second)
        for dock in others:
            self.window.removeDockWidget(dock)
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, second,
                                  Qt.Orientation.Horizontal)
        for dock in rest:
            self.window.tabifyDockWidget(second, dock)
        for dock in shown:
            dock.show()
        picked.raise_()

    def size_bottom(self) -> None:
        """Give the bottom panels their default share of the window (only while the
        layout is the default: a remembered one keeps its sizes)."""
        if not self.following_size:
            return
        docks = self.docks()
        bottom: list[QDockWidget] = []
        for name in BOTTOM_TABS:  # one dock of each group of tabs
            dock = docks.get(name)
            if dock is not None and dock.isVisible() and not dock.isFloating() and \
                    self.window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea \
                    and not set(self.window.tabifiedDockWidgets(dock)) & set(bottom):
                bottom.append(dock)
        if not bottom:
            return
        least, most = BOTTOM_HEIGHTS
        height = max(least, min(most, int(self.window.height() * BOTTOM_SHARE)))
        self.window.resizeDocks(bottom, [height] * len(bottom), Qt.Orientation.Vertical)
        pair = [docks[name] for name in ("parameters", "histogram")
                if name in docks and docks[name] in bottom]
        if len(pair) == 2:
            width = self.window.width()
            share = int(width * PARAMETERS_SHARE)
            self.window.resizeDocks(pair, [share, width - share], Qt.Orientation.Horizontal)

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
        self.following_size = False
        shown = LAYOUTS[name][1]
        for dock_name, dock in self.docks().items():
            dock.setVisible(dock_name in shown)
        for dock_name in shown:
            if dock_name in self.docks():
                self.docks()[dock_name].raise_()
                break
        self.fit_to_screen()

    def reset(self) -> None:
        self._restore_default()
        self.fit_to_screen()
        self.balance()
        self.follow_size()

    def _restore_default(self) -> None:
        """The first layout, which follows the window's size from now on."""
        self._restore_state(self.default_state)
        self.following_size, self._compact = True, False

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
            self.following_size = not self._restore_state(state)
        if room is None:
            return
        if geometry is None and state is None:  # the first start: the default size may not fit
            self.fit_to_screen()
            self._fit_when_shown = True
            return
        hint = self.window.minimumSizeHint()
        if not fits(QRect(0, 0, hint.width(), hint.height()), room):
            self._restore_default()
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

