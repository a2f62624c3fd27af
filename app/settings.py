"""What the program remembers between runs: recent files, window geometry and docks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10


class Settings:
    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings("TorchCanvas", "TorchCanvas")

    def recent_files(self) -> list[Path]:
        value = self.store.value("recent_files", [])
        names = [value] if isinstance(value, str) else list(value or [])
        return [Path(name) for name in names if name]

    def add_recent(self, path: Path) -> None:
        names = [str(path.resolve())] + [str(p) for p in self.recent_files()
                                         if p.resolve() != path.resolve()]
        self.store.setValue("recent_files", names[:MAX_RECENT])

    def remove_recent(self, path: Path) -> None:
        self.store.setValue("recent_files", [str(p) for p in self.recent_files() if p != path])

    def window_state(self) -> tuple[object, object]:
        return self.store.value("geometry"), self.store.value("window_state")

    def save_window_state(self, geometry, state) -> None:
        self.store.setValue("geometry", geometry)
        self.store.setValue("window_state", state)
