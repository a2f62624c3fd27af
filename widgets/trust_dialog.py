"""The question before a project's layer code runs: which file, which layers, what code.

Everything the file chose — its path, the layer names, the code — is plain text with
hidden characters made visible: the path on its own line and the code in a read-only
monospace box, so nothing in a file can pass for the question or hide part of it. Open
read-only is the default answer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QTextOption
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from core.printable import hidden_characters, printable

QUESTION = ("This file carries Python code for its own layers. The code runs with your "
            "rights: trust it only if you trust where the file came from. Without trust "
            "the project opens read-only and the code does not run.")


def _label(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _text_box(text: str, parent: QWidget, wrap: bool) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setReadOnly(True)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setPlainText(text)
    if wrap:
        box.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
    else:
        box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return box


class TrustDialog(QDialog):
    """Asks whether to run ``code`` (the layers ``names``) carried by the file at
    ``path``; ``origin`` says more about the file (e.g. that it is a recovered copy)."""

    def __init__(self, path: Path, names: list[str], code: str, parent: QWidget | None = None,
                 origin: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Run the code in this project?")
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        self.question = _label(QUESTION, self)
        layout.addWidget(self.question)
        layout.addWidget(_label(f"File{' (' + origin + ')' if origin else ''}:", self))
        self.path = _text_box(printable(str(path)), self, wrap=True)
        self.path.setFixedHeight(self.path.fontMetrics().lineSpacing() * 3 + 12)
        layout.addWidget(self.path)
        self.layers = _label("Layers: " + ", ".join(printable(name) for name in names), self)
        layout.addWidget(self.layers)
        hidden = hidden_characters(code)
        self.hidden = _label(
            f"⚠ The code holds {hidden} invisible or direction-changing character"
            f"{'s' if hidden > 1 else ''}; each is shown as a \\u escape." if hidden else "",
            self)
        self.hidden.setVisible(bool(hidden))
        layout.addWidget(self.hidden)
        self.code = _text_box(printable(code, keep="\n\t"), self, wrap=False)
        layout.addWidget(self.code, 1)
        self.box = QDialogButtonBox(self)
        self.read_only = self.box.addButton("Open read-only",
                                            QDialogButtonBox.ButtonRole.RejectRole)
        self.trust = self.box.addButton("Trust and run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.read_only.setDefault(True)
        self.read_only.setFocus()
        self._clicked: QAbstractButton | None = None
        self.box.clicked.connect(self._chosen)
        layout.addWidget(self.box)

    def _chosen(self, button: QAbstractButton) -> None:
        self._clicked = button
        if button is self.trust:
            self.accept()
        else:
            self.reject()

    def buttons(self) -> list[QAbstractButton]:
        return self.box.buttons()

    def buttonRole(self, button: QAbstractButton) -> QDialogButtonBox.ButtonRole:
        return self.box.buttonRole(button)

    def clickedButton(self) -> QAbstractButton | None:
        """The button that closed the dialog (None when it was closed otherwise)."""
        return self._clicked

    def shown_code(self) -> str:
        return self.code.toPlainText()
