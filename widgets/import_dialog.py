"""File ▸ Import Model…: which model (a Python file and a class or function in it, or a
module path), the example input's shape, and the code that will run, shown before the
person agrees to run it. A ``.pt2`` file from torch.export.save runs no code: it records
its operations and its input's shape, so it is imported without either question."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import TorchCanvasError
from core.io.model_source import candidates, read_source
from core.printable import printable
from widgets import style

WARNING = ("Importing runs this code on your computer, with your permissions. Import only "
           "code you trust.")
PROGRAM = ("A program saved by torch.export.save. No code from it runs: its operations and "
           "its weights are read as data, and its input's shape is the one it records.")


class ImportDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, path: Path | None = None,
                 shape: str = "1, 3, 224, 224") -> None:
        super().__init__(parent)
        self.setWindowTitle("Import Model")
        self.resize(760, 560)
        self.source = QLineEdit(self)
        self.source.setPlaceholderText("path/to/model.py, or package.module")
        self.source.editingFinished.connect(self._source_changed)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.source, 1)
        where.addWidget(browse)
        self.name = QComboBox(self)
        self.name.setEditable(True)
        self.name.setToolTip("the class or function that makes the model, called with no "
                             "arguments")
        self.shape = QLineEdit(shape, self)
        self.shape.setToolTip("the shape of an example input, e.g. 1, 3, 224, 224")
        form = QFormLayout()
        form.addRow("Model", where)
        form.addRow("Class or function", self.name)
        form.addRow("Example input", self.shape)
        self.path_label = QLabel(self)
        self.path_label.setTextFormat(Qt.TextFormat.PlainText)
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code = QPlainTextEdit(self)
        self.code.setReadOnly(True)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.warning = warning = QLabel(WARNING, self)
        warning.setTextFormat(Qt.TextFormat.PlainText)
        warning.setWordWrap(True)
        warning.setStyleSheet(f"color: {style.ERROR.name()}; font-weight: bold;")
        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.ERROR.name()};")
        self.buttons = QDialogButtonBox(self)
        self.run = self.buttons.addButton("Trust and Import",
                                          QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.path_label)
        layout.addWidget(self.code, 1)
        layout.addWidget(warning)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if path is not None:
            self.choose_file(path)
        self._source_changed()

    # What is chosen

    @property
    def is_program(self) -> bool:
        """A ``.pt2`` file is chosen: nothing runs, nothing more is asked."""
        return self.source.text().strip().lower().endswith(".pt2")

    @property
    def spec(self) -> str:
        """``where:Name`` as the command line writes it."""
        return f"{self.source.text().strip()}:{self.name.currentText().strip()}"

    def input_shape(self) -> tuple[int, ...] | None:
        try:
            shape = tuple(int(p) for p in self.shape.text().replace(" ", "").split(",") if p)
        except ValueError:
            return None
        return shape if shape and all(size > 0 for size in shape) else None

    def choose_file(self, path: Path) -> None:
        self.source.setText(str(path))
        self._source_changed()

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import Model", "", "Models (*.py *.pt2);;Python files (*.py);;"
            "Programs from torch.export (*.pt2);;All files (*)")
        if name:
            self.choose_file(Path(name))

    def _source_changed(self) -> None:
        text = self.source.text().strip()
        self.error.setText("")
        self.code.clear()
        self.path_label.setText("")
        program = self.is_program
        self.name.setEnabled(not program)
        self.shape.setEnabled(not program)
        self.warning.setVisible(not program)
        self.run.setText("Import" if program else "Trust and Import")
        if program:
            path = Path(text).expanduser().resolve()
            self.path_label.setText(f"File: {printable(str(path))}")
            self.code.setPlainText(PROGRAM)
            return
        if not text.endswith(".py"):
            self.path_label.setText(f"Module: {printable(text)}" if text else
                                    "Choose a Python file, or type a module path.")
            return
        path = Path(text).expanduser().resolve()
        self.path_label.setText(f"File: {printable(str(path))}")
        try:
            source = read_source(path)
            names = candidates(source)
        except TorchCanvasError as error:
            self.error.setText(str(error))
            return
        self.code.setPlainText(printable(source, keep="\n\t"))
        chosen = self.name.currentText()
        self.name.clear()
        self.name.addItems(names)
        if chosen in names:
            self.name.setCurrentText(chosen)

    def _accept(self) -> None:
        if self.is_program:
            self.accept()
            return
        if not self.source.text().strip() or not self.name.currentText().strip():
            self.error.setText("Say which model: a file or module, and a class or function.")
            return
        if self.input_shape() is None:
            self.error.setText("The example input is sizes separated by commas, e.g. "
                               "1, 3, 224, 224.")
            return
        self.accept()
