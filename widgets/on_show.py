"""Whether a widget can be seen: a panel out of sight skips work until it is shown.

A dock tabbed behind another is not hidden: Qt moves it off the window and it stays
"visible", so `isVisible` alone cannot tell."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def on_show(widget: QWidget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
