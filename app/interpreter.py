"""How the Python interpreter is set for a window that shares it with worker threads
(dry runs, histograms, saves)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject

from app.collector import GuiThreadCollector

# A worker running Python hands the interpreter back after this long; Python's default
# (5 ms) lets one worker hold up a paint or a key press by up to that much each time.
SWITCH_INTERVAL_S = 0.001


def share_with_workers(window: QObject) -> GuiThreadCollector:
    """Keep the GUI thread responsive while workers run Python, and collect cycles on
    the GUI thread only (see `GuiThreadCollector`)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return GuiThreadCollector(window)
