"""Long work with a progress dialog and a working Cancel.

The dialog appears only for work that lasts over a second; Cancel sets an event the
work checks at safe points. The window stays responsive, and modal, so the document
cannot change underneath the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from widgets.background import Background


class Job(QObject):
    def __init__(self, parent: QWidget, title: str, work: Callable[[threading.Event], Any],
                 done: Callable[[Any], None], failed: Callable[[Exception], None],
                 late_cancel_discards: bool = True) -> None:
        """``late_cancel_discards``: a result that arrives after Cancel is dropped (a
        read whose result nobody wants); False when finished work cannot be taken back
        (a file was written) and must be reported as done."""
        super().__init__(parent)
        self.late_cancel_discards = late_cancel_discards
        self.cancel = threading.Event()
        self.dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle("TorchCanvas")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(1000)
        self.dialog.canceled.connect(self.cancel.set)
        self.finished = False
        self.runner = Background(self._done, self._failed, self)
        self.done_callback, self.failed_callback = done, failed
        self.runner.submit(lambda: work(self.cancel))

    def _done(self, result: Any) -> None:
        self._close()
        if self.cancel.is_set() and self.late_cancel_discards:
            from core.io.atomic import Cancelled

            self.failed_callback(Cancelled("cancelled"))
            return
        self.done_callback(result)

    def _failed(self, error: Exception) -> None:
        self._close()
        self.failed_callback(error)

    def _close(self) -> None:
        self.finished = True
        self.dialog.canceled.disconnect(self.cancel.set)
        self.dialog.reset()
        self.dialog.deleteLater()
