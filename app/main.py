"""Entry point of the desktop application."""

from __future__ import annotations

import sys
from pathlib import Path

from core.errors import TorchCanvasError

DEFAULT_TEMPLATE = "mlp"


def run_gui(path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from core.files import load_document
    from core.templates import load_template

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("TorchCanvas")
    app.setOrganizationName("TorchCanvas")
    document, opened = load_template(DEFAULT_TEMPLATE), None
    problem = None
    if path:
        try:
            document, opened = load_document(path), Path(path)
        except (TorchCanvasError, OSError) as error:
            problem = f"{path}: {error}"
    window = MainWindow(document, opened)
    window.show()
    if problem:
        window.statusBar().showMessage(f"Could not open {problem}", 10000)
    return app.exec()
