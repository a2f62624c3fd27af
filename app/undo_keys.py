"""Ctrl+Z and Ctrl+Shift+Z mean the document's undo and redo everywhere in the main
window, also while a text field (an inspector editor, the palette filter) has the focus;
a value typed but not yet committed is committed first, so undo takes back exactly it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QWidget

HISTORY_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)
FIELDS = (QLineEdit, QAbstractSpinBox)


def field_of(widget: QWidget | None) -> QWidget | None:
    """The text field ``widget`` is (or is the line edit inside), if any."""
    if isinstance(widget, QLineEdit) and isinstance(widget.parent(), QAbstractSpinBox):
        return widget.parent()  # type: ignore[return-value]
    return widget if isinstance(widget, FIELDS) else None


def commit_focused_field(window: QWidget) -> None:
    """Send the focused field's editingFinished, as leaving it would (editors commit a
    changed value then and ignore an unchanged one)."""
    field = field_of(QApplication.focusWidget())
    if field is not None and field.window() is window:
        field.editingFinished.emit()  # type: ignore[attr-defined]


class HistoryKeys(QObject):
    """Keeps text fields of ``window`` from taking the undo and redo keys for their own
    text, so the window's Undo and Redo actions get them."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride:
            return False
        if not isinstance(event, QKeyEvent) or not any(event.matches(k) for k in HISTORY_KEYS):
            return False
        field = field_of(watched) if isinstance(watched, QWidget) else None
        # Not accepted and not delivered: the shortcut system hands it to the actions.
        return field is not None and field.window() is self.window
