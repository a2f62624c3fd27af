"""The main window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox

from core.errors import TorchCanvasError
from core.files import load_document
from core.graph import Document
from core.shapes import format_shape, infer_shapes
from widgets.layer_tree import LayerTree

FILE_FILTER = "TorchCanvas projects (*.tcanvas *.json);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, document: Document, path: Path | None = None) -> None:
        super().__init__()
        self.document = document
        self.path = path
        self.layers = LayerTree(self)
        self.setCentralWidget(self.layers)
        self.totals = QLabel(self)
        self.statusBar().addPermanentWidget(self.totals)
        self._make_menus()
        self.resize(900, 600)
        self.show_document(document, path)

    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.open_file)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addActions([open_action, quit_action])

    def show_document(self, document: Document, path: Path | None) -> None:
        self.document, self.path = document, path
        name = path.name if path else (document.title or "Untitled")
        self.setWindowTitle(f"{name} — TorchCanvas")
        self.layers.show_document(document)
        report = infer_shapes(document)
        self.totals.setText(
            f"input {format_shape(report.input_shape)} → output "
            f"{format_shape(report.output_shape)} · {report.parameters:,} parameters"
        )

    def open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open", "", FILE_FILTER)
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path) -> bool:
        try:
            document = load_document(path)
        except (TorchCanvasError, OSError) as error:
            QMessageBox.warning(self, "Cannot open", f"{path.name}: {error}")
            return False
        self.show_document(document, path)
        return True
