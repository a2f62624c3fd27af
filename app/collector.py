"""Python's cycle collector, run on the GUI thread only: left automatic, it may run on a
worker thread and destroy Qt objects (timers, widgets) there, which Qt does not allow.

What the imports of torch, torch._dynamo and pyqtgraph leave (over 300,000 objects) is
frozen out of its sight once loaded: a full collection walking them cost the GUI thread
300-500 ms every few minutes, and they live as long as the process anyway."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

THRESHOLDS = gc.get_threshold()


def set_aside_long_lived() -> None:
    """Every object tracked now is ignored by later collections (any thread; constant
    time). For the moments after a large import, whose objects never become garbage."""
    gc.freeze()


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> None:
        """Collect each generation that has passed the threshold automatic collection
        would have used."""
        for generation, (count, threshold) in enumerate(zip(gc.get_count(), THRESHOLDS,
                                                            strict=True)):
            if count > threshold:
                gc.collect(generation)
