"""The one facade the GUI talks to: the open document, its history, its file, and the
live model built from it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.document.edit import Command
from core.document.events import Event
from core.document.graph import Document
from core.document.history import History
from core.document.layout import fill_missing_positions
from core.errors import EditError

if TYPE_CHECKING:
    from core.runtime.live import LiveModel


class Workspace:
    """Holds the document being edited; every edit goes through `execute`.

    ``document_replaced`` fires when New or Open puts another document in place; views
    then reconnect to ``workspace.document.events``. ``state_changed`` fires when the
    file name or the saved state changes.
    """

    def __init__(self, document: Document | None = None, path: Path | None = None) -> None:
        self.document_replaced = Event("document_replaced")
        self.state_changed = Event("state_changed")
        self.document = document or Document()
        self.path = path
        self._live: LiveModel | None = None
        self._device = self.document.device
        self.read_only = False
        self.history = History(self.document)
        self.history.changed.connect(self.state_changed.emit)
        fill_missing_positions(self.document)

    def replace(self, document: Document, path: Path | None = None,
                weights: dict | None = None) -> list[str]:
        """Put ``document`` (with its saved ``weights``) in place of the open one.

        Returns notes for the person: a device this machine lacks (the model then runs
        on the cpu), or weights that did not all fit.
        """
        notes = []
        if weights is not None or document.device != "cpu":
            from core.runtime.devices import DeviceError, check_device

            try:
                check_device(document.device)
            except DeviceError as error:
                notes.append(f"This project was saved for {document.device}: {error}; it "
                             "runs on the cpu instead.")
                document.device = "cpu"
        self.history.changed.disconnect(self.state_changed.emit)
        self.document = document
        self.path = path
        self.read_only = False
        self._live = None
        self._device = document.device
        self.history = History(document)
        self.history.changed.connect(self.state_changed.emit)
        fill_missing_positions(document)
        if weights is not None:
            self.live.sync(document)
            notes += [f"Weights: {p}" for p in self.live.load_state(weights)]
        self.document_replaced.emit()
        self.state_changed.emit()
        return notes

    @property
    def live(self) -> LiveModel:
        """The document built into real modules (created on first use: it needs torch)."""
        if self._live is None:
            from core.runtime.live import LiveModel

            self._live = LiveModel(self._device)
        return self._live

    def execute(self, command: Command) -> Command:
        """Apply ``command`` as one undo step; raises `EditError` and changes nothing if
        it cannot be made (or if the document is open read-only)."""
        if self.read_only:
            raise EditError("this project is open read-only: its layer code is not trusted")
        return self.history.push(command)

    def undo(self) -> None:
        self.history.undo()

    def redo(self) -> None:
        self.history.redo()

    @property
    def modified(self) -> bool:
        return not self.history.is_clean

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self.history.mark_clean()
        self.state_changed.emit()

    @property
    def display_name(self) -> str:
        if self.path is not None:
            return self.path.name
        return self.document.title or "Untitled"
