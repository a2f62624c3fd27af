"""Importing a model from Python code into the window: the dialog, the person's consent
to run the code, the work on a worker with progress and Cancel, and the result put in
place of the open network (after asking to save it). A ``.pt2`` file from
torch.export.save runs no code and needs no consent (`open_program`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from app import messages
from core.errors import TorchCanvasError
from widgets.import_dialog import ImportDialog
from widgets.jobs import Job


class ModelImporter(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.job: Job | None = None

    def ask(self, path=None) -> ImportDialog:
        """Show the dialog (for ``path`` when a file was dropped); importing starts when
        the person trusts the code."""
        dialog = ImportDialog(self.window, path)
        dialog.accepted.connect(lambda: self.open_program(Path(dialog.source.text().strip()))
                                if dialog.is_program else
                                self.start(dialog.spec, dialog.input_shape()))
        dialog.open()
        return dialog

    def open_program(self, path: Path) -> Job | None:
        """Read the program a ``.pt2`` file holds (as data) and open it."""
        if not self.window.maybe_save():
            return None
        self.job = Job(self.window, f"Importing {path.name}…",
                       lambda control: _import_program(path),
                       lambda result: self._done(path.name, result),
                       lambda error: self._failed(path.name, error))
        return self.job

    def start(self, spec: str, shape: tuple[int, ...]) -> Job | None:
        """Run ``spec``'s code, import the model it makes, and open it."""
        if not self.window.maybe_save():
            return None
        self.job = Job(self.window, f"Importing {spec.rpartition(':')[2]}…",
                       lambda control: _import(spec, shape),
                       lambda result: self._done(spec, result),
                       lambda error: self._failed(spec, error))
        return self.job

    def _done(self, spec: str, result) -> None:
        self.job = None
        document, weights, class_name, kept = result
        notes = kept + self.window.workspace.replace(document, weights=weights)
        layers = sum(1 for _, node in document.walk() if node.graph is None)
        self.window.statusBar().showMessage(
            f"Imported {class_name}: {layers:,} layers; its weights are loaded", 10000)
        if notes:
            messages.warning(self.window, "Import Model", "\n".join(notes))

    def _failed(self, spec: str, error: Exception) -> None:
        from core.io.atomic import Cancelled

        self.job = None
        if isinstance(error, Cancelled):
            return
        if not isinstance(error, TorchCanvasError):
            error = TorchCanvasError(f"{type(error).__name__}: {error}")
        messages.warning(self.window, "Import Model",
                         f"{spec} could not be imported: {error}")


def _import_program(path: Path):
    from core.io.import_pt2 import import_pt2

    document, weights = import_pt2(path)
    return document, weights, document.title or path.stem, []


def _import(spec: str, shape: tuple[int, ...]):
    import torch

    from core.io.model_source import make_model
    from core.io.module_import import import_module_noting

    model = make_model(spec)
    document, weights, notes = import_module_noting(model, torch.randn(shape))
    return document, weights, type(model).__name__, notes
