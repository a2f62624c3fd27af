"""Python's cycle collector, run on the GUI thread only: left automatic, it may run on a
worker thread and destroy Qt objects (timers, widgets) there, which Qt does not allow.

What the imports of torch, torch._dynamo and pyqtgraph leave (over 300,000 objects) is
frozen out of its sight once loaded: a full collection walking them cost the GUI thread
300-500 ms every few minutes, and they live as long as the process anyway."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, QTimer

THRESHOLDS = gc.get_threshold()
# Imported later than start-up, by whichever worker first needs them, and large:
# torch._dynamo and sympy come with the first elementwise operation on meta (a dry run's)
# or the first optimizer, about 120,000 objects that a full collection walked in 80 ms.
LATE_IMPORTS = ("torch._dynamo", "sympy")


def set_aside_long_lived() -> None:
    """Every object tracked now is ignored by later collections (any thread; constant
    time). For the moments after a large import, whose objects never become garbage."""
    gc.freeze()


def imported(name: str) -> bool:
    """Whether module ``name`` is in and done importing."""
    module = sys.modules.get(name)
    return module is not None and not getattr(module.__spec__, "_initializing", True)


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        gc.disable()
        self.awaited = [name for name in LATE_IMPORTS if not imported(name)]
        self.modules = len(sys.modules)
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> None:
        """Collect each generation that has passed the threshold automatic collection
        would have used; set aside a late import once it is done, and leave the oldest
        generation while modules are still being imported (it would walk them)."""
        importing, self.modules = len(sys.modules) != self.modules, len(sys.modules)
        arrived = [name for name in self.awaited if imported(name)]
        if arrived:
            self.awaited = [name for name in self.awaited if name not in arrived]
            gc.collect()  # all garbage goes first (set aside, it would stay for good)
            set_aside_long_lived()  # once a process for each: see LATE_IMPORTS
            return
        for generation, (count, threshold) in enumerate(zip(gc.get_count(), THRESHOLDS,
                                                            strict=True)):
            if count > threshold and not (importing and generation == 2):
                gc.collect(generation)
