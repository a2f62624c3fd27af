"""Write your own layer: an nn.Module subclass, checked (it must construct and run on a
dummy input) before it joins the palette under "My layers"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from core.catalog.custom import CENTERED_LAYER, CustomLayerError, check_layer
from widgets import style
from widgets.code_view import PythonHighlighter


class LayerEditor(QDialog):
    """``layer_added(name, source)`` once a checked layer is added."""

    layer_added = Signal(str, str)

    def __init__(self, parent=None, source: str = CENTERED_LAYER) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your own layer")
        self.resize(720, 520)
        self.code = QPlainTextEdit(self)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.setPlainText(source)
        self.highlighter = PythonHighlighter(self.code.document())
        self.shape = QLineEdit("2, 8", self)
        self.shape.setToolTip("the shape of the random input the check runs the layer on")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.check = QPushButton("Check", self)
        self.add = QPushButton("Add to palette", self)
        self.check.clicked.connect(self.run_check)
        self.add.clicked.connect(self.add_layer)
        row = QHBoxLayout()
        row.addWidget(QLabel("Check on an input of shape", self))
        row.addWidget(self.shape)
        row.addWidget(self.check)
        row.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Write one nn.Module subclass (torch, nn and F are imported). "
                                "Its constructor's arguments become editable in the "
                                "inspector.", self))
        layout.addWidget(self.code)
        layout.addLayout(row)
        layout.addWidget(self.result)

    def run_check(self) -> str | None:
        """Run the code: on success the layer's name, otherwise None (reason shown)."""
        try:
            shape = tuple(int(p) for p in self.shape.text().replace("(", "").replace(
                ")", "").split(",") if p.strip())
            if not shape or any(s < 1 for s in shape):
                raise ValueError
        except ValueError:
            self._say(f"{self.shape.text()!r} is not a shape like 2, 8", error=True)
            return None
        try:
            name, output = check_layer(self.code.toPlainText(), shape)
        except CustomLayerError as error:
            self._say(str(error), error=True)
            return None
        self._say(f"{name} constructs and maps {shape} to {output}.", error=False)
        return name

    def add_layer(self) -> None:
        name = self.run_check()
        if name is not None:
            self.layer_added.emit(name, self.code.toPlainText())
            self.accept()

    def _say(self, text: str, error: bool) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(f"color: {(style.ERROR if error else style.SELECTED).name()};")
