"""A rotating log file in the platform's place for it, holding the errors the error
handler caught; Help ▸ Show Log opens it."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from app.locations import log_folder

LOG_NAME = "torchcanvas.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_file() -> Path | None:
    """The file the log is being written to now (None before `setup_logging`)."""
    for handler in logging.getLogger("torchcanvas").handlers:
        if isinstance(handler, RotatingFileHandler):
            return Path(handler.baseFilename)
    return None


def setup_logging() -> Path:
    """Log to the rotating file (and to stderr); returns the file's path. Once set up,
    the log stays in its file for the whole run, wherever the platform's folders move."""
    current = log_file()
    if current is not None:
        return current
    folder = log_folder()
    path = folder / LOG_NAME
    logger = logging.getLogger("torchcanvas")
    logger.setLevel(logging.INFO)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3,
                                      encoding="utf-8")
    except OSError:
        return path
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    return path


class LogDialog(QDialog):
    def __init__(self, path: Path, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Log")
        self.resize(820, 520)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        try:
            content = path.read_text(encoding="utf-8", errors="replace")[-200_000:]
        except OSError:
            content = "(nothing has been logged yet)"
        self.text.setPlainText(content or "(nothing has been logged yet)")
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        folder = buttons.addButton("Open Folder", QDialogButtonBox.ButtonRole.ActionRole)
        folder.clicked.connect(lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(path.parent))))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(str(path), self))
        layout.addWidget(self.text)
        layout.addWidget(buttons)
