"""The undo and redo stacks of one document, and its clean (saved) state.

A command that could not keep what undo needs (``undoable`` False, with a ``warning``:
a copy of weights too big for memory and disk) is applied but not recorded, and the
history before it is dropped: undoing past it would not give back what was there."""

from __future__ import annotations

from core.document.edit import Command
from core.document.events import Event
from core.document.graph import Document

Position = tuple[int, "Command | None"]
"""A moment in the history: how many commands were applied since the start (counting
those the limit dropped) and the last of them."""


class History:
    """The undo and redo stacks of one document, with its clean state."""

    def __init__(self, document: Document, limit: int = 1000) -> None:
        self.document = document
        self.limit = limit
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._clean: int | None = 0
        self._dropped = 0
        self.changed = Event("history_changed")

    def push(self, command: Command) -> Command:
        """Apply ``command`` and record it; raises `EditError` and changes nothing if
        the edit cannot be made."""
        with self.document.events.batch():
            command.apply(self.document)
        self._redo.clear()
        if not undoable(command):
            self._forget_undo()
            return command
        self._undo.append(command)
        if self._clean is not None and self._clean > len(self._undo) - 1:
            self._clean = None
        if len(self._undo) > self.limit:
            self._undo.pop(0)
            self._dropped += 1
            self._clean = None if self._clean in (None, 0) else self._clean - 1
        self.changed.emit()
        return command

    def undo(self) -> Command | None:
        if not self._undo:
            return None
        command = self._undo.pop()
        with self.document.events.batch():
            command.revert(self.document)
        self._redo.append(command)
        self.changed.emit()
        return command

    def redo(self) -> Command | None:
        if not self._redo:
            return None
        command = self._redo.pop()
        with self.document.events.batch():
            command.apply(self.document)
        if not undoable(command):
            self._redo.clear()
            self._forget_undo()
            return command
        self._undo.append(command)
        self.changed.emit()
        return command

    def _forget_undo(self) -> None:
        """A step that cannot be undone was applied: nothing before it can be undone."""
        self._dropped += len(self._undo) + 1
        self._undo.clear()
        self._clean = None
        self.changed.emit()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def next_undo(self) -> Command | None:
        """The command undo takes back next."""
        return self._undo[-1] if self._undo else None

    @property
    def next_redo(self) -> Command | None:
        return self._redo[-1] if self._redo else None

    @property
    def undo_text(self) -> str:
        return self._undo[-1].text if self._undo else ""

    @property
    def redo_text(self) -> str:
        return self._redo[-1].text if self._redo else ""

    @property
    def is_clean(self) -> bool:
        return self._clean == len(self._undo)

    def position(self) -> Position:
        return (self._dropped + len(self._undo), self._undo[-1] if self._undo else None)

    def mark_clean(self, position: Position | None = None) -> None:
        """The saved state is now (or ``position``, when a save took a snapshot then;
        if undo and new edits have since left that state unreachable, none is)."""
        if position is None:
            self._clean = len(self._undo)
        else:
            depth, last = position
            index = depth - self._dropped
            applied = [*self._undo, *reversed(self._redo)]
            reachable = 0 <= index <= len(applied) and (
                applied[index - 1] is last if index else last is None)
            self._clean = index if reachable else None
        self.changed.emit()

    def mark_dirty(self) -> None:
        """Unsaved, with no way back to a saved state (a restored recovery copy)."""
        self._clean = None
        self.changed.emit()

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._clean = 0
        self._dropped = 0
        self.changed.emit()


def undoable(command: Command) -> bool:
    """Whether ``command`` (and every command inside it) kept what undo needs."""
    return getattr(command, "undoable", True) and all(
        undoable(inner) for inner in getattr(command, "commands", ()))


def undo_warning(command: Command) -> str:
    """Why ``command`` cannot be undone (empty when it can)."""
    if not getattr(command, "undoable", True):
        return str(getattr(command, "warning", "")) or f"{command.text} cannot be undone."
    return next((w for w in map(undo_warning, getattr(command, "commands", ())) if w), "")
