"""Undo and redo of a step that changed many weights (a large initializer, loaded
weights) run on a worker behind a modal progress dialog, as the step itself did: the
worker puts the tensors back (or changes them again), and the GUI thread only records
it. Smaller steps and document edits undo on the GUI thread.

While such a job runs the workspace is "weights busy" (`Workspace.begin_busy`): what
else writes the weights on the GUI thread (a training run finishing, a build, an Open)
waits for it, and Undo or Redo pressed while another job runs is refused, with a word
in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow

from app.live_builder import OFF_THREAD_BYTES
from core.errors import TorchCanvasError
from widgets.jobs import Job


class HistoryJobs(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.job: Job | None = None

    @property
    def idle(self) -> bool:
        return self.job is None

    def say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)

    def _refused(self, verb: str, command) -> bool:
        """Whether another job keeps the weights busy; the person is told so."""
        reason = job_running(self.window, large=_large(command))
        if reason is not None:
            self.say(f"Cannot {verb.lower()} now: {reason}. Try again when it is done.")
        return reason is not None

    def undo(self) -> None:
        history = self.window.workspace.history
        command = history.next_undo
        if self.job is not None or self._refused("Undo", command):
            return
        if not _large(command):
            self.window.workspace.undo()
            return
        self._start("Undoing", command, command.undo_ahead,  # type: ignore[union-attr]
                    lambda: self._undone(history, command))

    def redo(self) -> None:
        history = self.window.workspace.history
        command = history.next_redo
        if self.job is not None or self._refused("Redo", command):
            return
        if not _large(command):
            self.window.workspace.redo()
            return
        self._start("Redoing", command, command.prepare,  # type: ignore[union-attr]
                    lambda: self._redone(history, command))

    def _start(self, verb: str, command, work, recorded) -> None:
        size = command.size_bytes / 2**20
        self.window.workspace.begin_busy(f"{verb.lower()} {command.text}")
        self.job = Job(self.window, f"{verb} {command.text}: {size:,.0f} MiB of weights…",
                       lambda control: work(), lambda _: self._finish(recorded),
                       lambda error: self._failed(verb, error), late_cancel_discards=False,
                       cancellable=False)  # half put back is no state to stop in
        self.job.dialog.forceShow()  # modal at once: no edit may reach those tensors

    def _finish(self, recorded) -> None:
        self.job = None
        try:
            recorded()
        finally:
            self.window.workspace.end_busy()  # what waited for the weights runs now
        self.window.scene.flush()

    def _undone(self, history, command) -> None:
        if self.window.workspace.history is not history or history.next_undo is not command:
            command.forget_undo_ahead()  # the weights busy state keeps this from happening
            self.say("Undo was not recorded: the history changed meanwhile")
            return
        self.window.workspace.undo()

    def _redone(self, history, command) -> None:
        if self.window.workspace.history is not history or history.next_redo is not command:
            command.withdraw()
            self.say("Redo was not made: the history changed meanwhile")
            return
        self.window.workspace.redo()

    def _failed(self, verb: str, error: Exception) -> None:
        self.job = None
        self.window.workspace.end_busy()
        reason = str(error) if isinstance(error, TorchCanvasError) else \
            f"{type(error).__name__}: {error}"
        after = "nothing was changed" if verb == "Redoing" else \
            "the weights may be partly put back; Undo again puts them back"
        self.say(f"{verb} failed: {reason}; {after}")


def job_running(window, large: bool = True) -> str | None:
    """What keeps the live model busy now, or None: a job writing its weights on a worker
    (`Workspace.busy`: an undo, an initializer, an import, an Open not yet shown) or, for
    a ``large`` step, a build of its layers."""
    if window.workspace.busy is not None:
        return window.workspace.busy
    builder = getattr(window, "live_builder", None)
    if large and builder is not None and not builder.idle:
        return "the model is being built"
    return None


def _large(command) -> bool:
    """A step whose tensors take long to put back (a document edit has no size)."""
    return getattr(command, "size_bytes", 0) >= OFF_THREAD_BYTES
