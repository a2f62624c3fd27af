"""Long work with a progress dialog and a working Cancel.

The dialog appears only for work that lasts over a second; Cancel sets an event the
work checks at safe points, and work that knows its steps reports them as it goes.
The window stays responsive, and modal, so the document cannot change underneath the
work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QProgressDialog, QPushButton, QWidget

from widgets.background import Background

PROGRESS_INTERVAL_S = 0.05


class JobControl(threading.Event):
    """What the work holds: set when the person cancels; `progress` moves the bar (from
    any thread)."""

    def __init__(self, advanced) -> None:
        super().__init__()
        self._advanced = advanced
        self._last = 0.0

    def progress(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S:  # the bar needs no more than this
            self._last = now
            self._advanced.emit(done)


class ProgressDialog(QProgressDialog):
    """Escape (or closing it) cancels, as the Cancel button does; without that button
    the dialog stays until the work ends, so the window stays modal."""

    def reject(self) -> None:
        if self.findChild(QPushButton) is not None:
            self.canceled.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.findChild(QPushButton) is None:
            event.ignore()
            return
        super().closeEvent(event)


class Job(QObject):
    advanced = Signal(int)

    def __init__(self, parent: QWidget, title: str, work: Callable[[JobControl], Any],
                 done: Callable[[Any], None], failed: Callable[[Exception], None],
                 late_cancel_discards: bool = True, steps: int = 0,
                 cancellable: bool = True, modal_until_done: bool = False) -> None:
        """``late_cancel_discards``: a result that arrives after Cancel is dropped (a
        read whose result nobody wants); False when finished work cannot be taken back
        (a file was written) and must be reported as done. ``steps``: how many the work
        reports through `JobControl.progress` (0: it reports none). ``cancellable``:
        False for work that cannot stop half-way (the dialog then has no Cancel).
        ``modal_until_done``: after Cancel the dialog stays, saying so, until the work
        has stopped (work that changes what the window shows puts it back first)."""
        super().__init__(parent)
        self.late_cancel_discards = late_cancel_discards
        self.cancel = JobControl(self.advanced)
        self.dialog = ProgressDialog(title, "Cancel", 0, steps, parent)
        if not cancellable:
            self.dialog.setCancelButton(None)
        if modal_until_done:
            self.dialog.canceled.disconnect(self.dialog.cancel)
            self.dialog.canceled.connect(self._cancelling)
        self.advanced.connect(self._advance)
        self._advancing = False
        self.dialog.setWindowTitle("TorchCanvas")
        self.dialog.findChild(QLabel).setTextFormat(Qt.TextFormat.PlainText)  # file names
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(1000)
        self.dialog.canceled.connect(self.cancel.set)
        self.finished = False
        self.runner = Background(self._done, self._failed, self)
        self.done_callback, self.failed_callback = done, failed
        self.runner.submit(lambda: work(self.cancel))

    def _cancelling(self) -> None:
        self.dialog.setLabelText(f"{self.dialog.labelText()}\nCancelling…")
        self.dialog.canceled.disconnect(self._cancelling)

    def _done(self, result: Any) -> None:
        self._close()
        done, failed = self._callbacks()
        if self.cancel.is_set() and self.late_cancel_discards:
            from core.io.atomic import Cancelled

            failed(Cancelled("cancelled"))
            return
        done(result)

    def _failed(self, error: Exception) -> None:
        self._close()
        self._callbacks()[1](error)

    def _callbacks(self) -> tuple[Callable[[Any], None], Callable[[Exception], None]]:
        """The callbacks, given up: the job stays a child of its window, and what they
        hold (a command with its copies for undo) must not live as long as the window."""
        callbacks = self.done_callback, self.failed_callback
        self.done_callback = self.failed_callback = _ignore
        return callbacks

    def _advance(self, done: int) -> None:
        if self.finished:
            return  # a step reported just before the work ended
        if self._advancing:
            return  # delivered by the outer setValue's turn of the loop; a later step follows
        # A modal progress dialog turns the event loop inside setValue; the work may end
        # there, and a dialog deleted under its own setValue crashes: delete it after.
        self._advancing = True
        try:
            self.dialog.setValue(done)
        finally:
            self._advancing = False
        if self.finished:
            self.dialog.deleteLater()

    def _close(self) -> None:
        self.finished = True
        self.advanced.disconnect(self._advance)
        self.dialog.canceled.disconnect(self.cancel.set)
        self.dialog.reset()
        if not self._advancing:
            self.dialog.deleteLater()


def _ignore(_: Any) -> None:
    return None
