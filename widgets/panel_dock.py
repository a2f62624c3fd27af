"""A dock whose panel scrolls inside it, so no panel can make the window larger than
the screen: however tall or wide a panel asks to be, the dock asks only for a little."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QStyle, QWidget

# What a dock asks for at least: a panel is usable, if cramped, at this size.
SMALLEST_WIDTH = 120
SMALLEST_HEIGHT = 80
WIDEST_SIDE = 320  # a side dock never asks for more than this
SIDES = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)


class _PanelScroll(QScrollArea):
    """Beside the canvas it asks for the width its panel needs, not the width it would
    like, so the canvas keeps most of the window."""

    def __init__(self, dock: QDockWidget) -> None:
        super().__init__(dock)
        self.dock = dock

    def beside(self) -> QWidget | None:
        """The panel, when this dock is beside the canvas."""
        window = self.dock.parentWidget()
        if isinstance(window, QMainWindow) and not self.dock.isFloating() and \
                window.dockWidgetArea(self.dock) in SIDES:
            return self.widget()
        return None

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        panel = self.beside()
        if panel is None:
            return hint
        return QSize(min(hint.width(), needed_width(panel)), hint.height())


def needed_width(panel: QWidget) -> int:
    """The width at which ``panel`` shows without a horizontal scroll bar."""
    wanted = max(panel.minimumSizeHint().width(), panel.minimumWidth())
    return wanted + panel.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 8


class PanelDock(QDockWidget):
    """``setWidget(panel)`` puts the panel into a scroll area; ``panel()`` gives it back."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self._panel: QWidget | None = None
        self.dockLocationChanged.connect(self.keep_width)
        self.topLevelChanged.connect(self.keep_width)

    def setWidget(self, widget: QWidget | None) -> None:
        self._panel = widget
        if widget is None:
            super().setWidget(None)
            return
        area = _PanelScroll(self)
        area.setObjectName("panel_scroll")
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setWidget(widget)
        old = super().widget()
        super().setWidget(area)
        if old is not None:  # the scroll area of the panel shown before, and that panel
            old.deleteLater()
        self.keep_width()

    def keep_width(self) -> None:
        """Beside the canvas a panel keeps the width it needs, up to a limit, rather than
        scrolling sideways; below or floating it may be as narrow as it likes."""
        area = super().widget()
        if not isinstance(area, _PanelScroll):
            return
        panel = area.beside()
        width = SMALLEST_WIDTH if panel is None else min(needed_width(panel), WIDEST_SIDE)
        area.setMinimumSize(width, SMALLEST_HEIGHT)

    def panel(self) -> QWidget | None:
        return self._panel
