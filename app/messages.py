"""Message boxes that show their text as it is.

A QMessageBox left to guess renders text that looks like markup as rich text, so a file
named ``report<b><!--.tcanvas`` could hide the rest of a warning. Names, titles and errors
come from files; every box here is plain text, with hidden characters made visible. The
static QMessageBox functions cannot be told so; use these instead."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from core.printable import printable

Button = QMessageBox.StandardButton
Icon = QMessageBox.Icon


def plain_box(icon: Icon, title: str, text: str, parent: QWidget | None,
              buttons: Button = Button.Ok, default: Button = Button.NoButton,
              labels: Mapping[Button, str] | None = None) -> QMessageBox:
    """A box that shows ``text`` as plain text; ``labels`` renames standard buttons."""
    box = QMessageBox(icon, printable(title), printable(text, keep="\n\t"), buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if default != Button.NoButton:
        box.setDefaultButton(default)
    for button, label in (labels or {}).items():
        if box.button(button) is not None:
            box.button(button).setText(label)
    return box


def ask(box: QMessageBox) -> Button:
    """Show ``box`` until the person answers; the standard button they chose (tests put
    an answer here instead of waiting)."""
    box.exec()
    clicked = box.clickedButton()
    return box.standardButton(clicked) if clicked is not None else Button.NoButton


def warning(parent: QWidget | None, title: str, text: str) -> Button:
    return ask(plain_box(Icon.Warning, title, text, parent))


def information(parent: QWidget | None, title: str, text: str) -> Button:
    return ask(plain_box(Icon.Information, title, text, parent))


def question(parent: QWidget | None, title: str, text: str,
             buttons: Button = Button.Yes | Button.No, default: Button = Button.NoButton,
             labels: Mapping[Button, str] | None = None) -> Button:
    return ask(plain_box(Icon.Question, title, text, parent, buttons, default, labels))
