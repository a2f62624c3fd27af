"""Autosave: while the document has unsaved changes, a recovery copy is written at most
every 30 seconds, off the GUI thread; saving or closing normally removes it. When the
recovery folder cannot be used (a file in its place, no space, no rights) the person is
told once, in the status bar and the log, and the work goes on. While a job writes the
weights or builds the model on a worker, a round is skipped: its copy would be torn."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from app.history_jobs import job_running
from app.locations import autosave_seconds, recovery_folder
from core.errors import TorchCanvasError
from core.io.recovery import RecoveryStore
from widgets.background import Background

log = logging.getLogger("torchcanvas")


class Autosaver(QObject):
    def __init__(self, window, store: RecoveryStore | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.store = store or RecoveryStore(recovery_folder())
        self.key = self.store.new_key()
        self.changed = False
        self.written = 0
        self.reported: str | None = None  # the last failure told, told only once
        self.timer = QTimer(self, interval=int(autosave_seconds() * 1000))
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        self.writer = Background(self._written, self._failed, self)
        window.workspace.state_changed.connect(self._state_changed)
        window.workspace.document_replaced.connect(self._state_changed)

    def _state_changed(self) -> None:
        if self.window.workspace.modified:
            self.changed = True
        else:
            self.changed = False
            self.discard()

    def autosave(self) -> None:
        """Write the recovery copy if something changed since the last one."""
        workspace = self.window.workspace
        if not (self.changed and workspace.modified) or not self.writer.idle:
            return
        if job_running(self.window) is not None:
            return  # a worker is writing the weights, or building: the next round copies
        self.changed = False
        snapshot = workspace.snapshot()
        key, store, original = self.key, self.store, workspace.path
        self.writer.submit(lambda: store.write(key, snapshot.document, snapshot.weights,
                                               original))

    def _written(self, _: object) -> None:
        self.written += 1
        self.reported = None
        if not self.window.workspace.modified:
            self.discard()  # saved while the copy was being written

    def _failed(self, error: Exception) -> None:
        self._report(f"Autosave failed: {error}")

    def _report(self, text: str) -> None:
        if text == self.reported:
            return
        self.reported = text
        log.warning("%s", text)
        self.window.statusBar().showMessage(text, 15000)

    def discard(self) -> None:
        try:
            self.store.discard(self.key)
        except (TorchCanvasError, OSError) as error:
            self._report(f"Autosave could not remove its copy: {error}")

    def stop(self) -> None:
        self.timer.stop()
        self.discard()
