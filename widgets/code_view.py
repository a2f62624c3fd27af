"""The live code view: the Python source of the document, regenerated as the graph
changes, read-only and highlighted, with the selected node's lines marked."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from widgets import style

KEYWORDS = (
    "def", "class", "return", "import", "from", "as", "if", "else", "elif", "for", "while",
    "in", "not", "and", "or", "is", "None", "True", "False", "with", "try", "except",
    "finally", "raise", "lambda", "pass", "yield", "super", "self",
)


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    result = QTextCharFormat()
    result.setForeground(QColor(color))
    if bold:
        result.setFontWeight(QFont.Weight.Bold)
    result.setFontItalic(italic)
    return result


class PythonHighlighter(QSyntaxHighlighter):
    RULES = (
        (re.compile(r"\b(" + "|".join(KEYWORDS) + r")\b"), _format("#7c3aed", bold=True)),
        (re.compile(r"\b(nn|torch|OrderedDict)\b"), _format("#0f766e")),
        (re.compile(r"\b[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\b"), _format("#b45309")),
        (re.compile(r"\bclass\s+(\w+)|\bdef\s+(\w+)"), _format("#1d4ed8", bold=True)),
        (re.compile(r"'[^']*'|\"[^\"]*\""), _format("#15803d")),
        (re.compile(r"#.*$"), _format("#6b7280", italic=True)),
    )

    def highlightBlock(self, text: str) -> None:
        for pattern, form in self.RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), form)


class CodeView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit(self)
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = PythonHighlighter(self.editor.document())
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.copy = QPushButton("Copy", self)
        self.save = QPushButton("Save…", self)
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        self.save.clicked.connect(self._save)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.copy)
        row.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addWidget(self.editor)
        self.text = ""
        self.spans: dict[str, list[int]] = {}
        self.highlighted: list[int] = []

    def show_source(self, text: str, spans: dict[str, list[int]]) -> None:
        if text != self.text:
            scroll = self.editor.verticalScrollBar().value()
            self.editor.setPlainText(text)
            self.editor.verticalScrollBar().setValue(scroll)
        self.text, self.spans = text, spans
        self.status.setText("The network as plain PyTorch: run it with python, or import "
                            "build_model() and load_weights().")
        self.status.setStyleSheet("")

    def show_problem(self, message: str) -> None:
        self.status.setText(f"⚠ No code while the graph cannot be built: {message}")
        self.status.setStyleSheet(f"color: {style.ERROR.name()};")

    def highlight_nodes(self, node_ids: list[str]) -> None:
        """Mark the lines that define and call the selected nodes."""
        lines = sorted({n for node_id in node_ids for n in self.spans.get(node_id, [])})
        self.highlighted = lines
        selections = []
        document = self.editor.document()
        for number in lines:
            block = document.findBlockByNumber(number - 1)
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(QColor(37, 99, 235, 45))
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            selections.append(selection)
        self.editor.setExtraSelections(selections)
        if lines:
            cursor = QTextCursor(document.findBlockByNumber(lines[0] - 1))
            self.editor.setTextCursor(cursor)
            self.editor.centerCursor()

    def _save(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save Python", "model.py",
                                              "Python source (*.py)")
        if name:
            from core.io.atomic import write_atomically

            data = self.text.encode()
            write_atomically(name, lambda stream: stream.write(data))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.editor.setExtraSelections([])
        super().keyPressEvent(event)
