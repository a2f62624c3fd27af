"""Where TorchCanvas keeps its log and its recovery files (overridable for tests)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths


def _folder(variable: str, location: QStandardPaths.StandardLocation, name: str) -> Path:
    if os.environ.get(variable):
        return Path(os.environ[variable])
    base = QStandardPaths.writableLocation(location) or str(Path.home() / ".torchcanvas")
    return Path(base) / name


def log_folder() -> Path:
    return _folder("TORCHCANVAS_LOG_DIR", QStandardPaths.StandardLocation.AppLocalDataLocation,
                   "logs")


def recovery_folder() -> Path:
    return _folder("TORCHCANVAS_RECOVERY_DIR",
                   QStandardPaths.StandardLocation.AppLocalDataLocation, "recovery")


def autosave_seconds() -> float:
    try:
        return max(0.05, float(os.environ.get("TORCHCANVAS_AUTOSAVE_SECONDS", "30")))
    except ValueError:
        return 30.0
