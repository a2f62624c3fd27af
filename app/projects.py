"""The project's file: New, Open (also recent and dropped files), Save, Save As, the
trust prompt for layer code a project carries, and Export Python.

Saving writes a snapshot taken when the person asked (`Workspace.snapshot`), on a
worker, and marks the document saved at that snapshot's place in the history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import messages
from core.document.graph import Document
from core.errors import TorchCanvasError

if TYPE_CHECKING:
    from app.main_window import MainWindow

READ_ONLY = ("This project's layer code is not trusted, so it is open read-only and its "
             "code has not run; reopen it and trust it to edit")
PROJECT_FILTER = "TorchCanvas projects (*.tcanvas);;Graph only (*.json)"
OPEN_FILTER = "TorchCanvas files (*.tcanvas *.json);;All files (*)"


class Projects:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.workspace = window.workspace
        self.settings = window.settings
        self.recent_menu = window.recent_menu

    def open_path(self, path: Path) -> bool:
        """Open a project or graph.json and wait; False (with a message) if it cannot."""
        from core.io.files import read_project

        try:
            project = read_project(path)
        except (TorchCanvasError, OSError) as error:
            self._open_failed(path, error)
            return False
        self._show_project(path, project)
        return True

    def open_in_background(self, path: Path):
        """Read the file and build its model on a worker (progress after a second, Cancel
        keeps what is open); the GUI thread only puts them in place. Until then the
        weights are busy (`Workspace.begin_busy`): an Undo of a large step pressed before
        the progress shows is refused rather than run on a model about to go."""
        from widgets.jobs import Job

        self.workspace.begin_busy(f"opening {path.name}")
        ended: list[bool] = []

        def done_with_weights() -> None:  # once: at Cancel or when the read ends
            if not ended:
                ended.append(True)
                self.workspace.end_busy()

        def read(found) -> None:
            done_with_weights()
            self._show_project(path, *found)

        def failed(error: Exception) -> None:
            done_with_weights()
            self._open_failed(path, error)

        job = Job(self.window, f"Opening {path.name}…", lambda cancel: _read(path),
                  read, failed)
        # cancelled, its late result is dropped: nothing need wait for the read to end
        job.dialog.canceled.connect(done_with_weights)
        return job

    def _open_failed(self, path: Path, error: Exception) -> None:
        from core.io.atomic import Cancelled

        if isinstance(error, Cancelled):
            self.window.statusBar().showMessage(f"Opening {path.name} was cancelled", 8000)
            return
        messages.warning(self.window, "Cannot open", f"{path.name}: {error}")

    def _show_project(self, path: Path, project, opened=None) -> None:
        """Put the project read from ``path`` in place once no job writes the weights of
        the open one on a worker (`Workspace.when_idle`)."""
        self.workspace.when_idle(lambda: self._show_project_now(path, project, opened))

    def _show_project_now(self, path: Path, project, opened=None) -> None:
        self.settings.add_recent(path)
        self.update_recent_menu()
        if self._show(project, path, path, opened=opened):
            self.window.statusBar().showMessage(f"Opened {path}", 5000)
        if project.check is not None:  # the weights' checksum, still being summed
            from widgets.background import Background

            self.checker = Background(
                lambda _: None, lambda error: self._damaged(path, project, error),
                self.window)
            self.checker.submit(project.verify)

    def _damaged(self, path: Path, project, error: Exception) -> None:
        """The weights' checksum failed after the document was shown: nothing of them may
        be saved back under a fresh checksum, so the network stays open with new weights,
        as an unsaved copy, and the file is left as it is."""
        self.workspace.replace(project.document, None, None)
        self.window.update_title()
        messages.warning(self.window, "Damaged weights",
                         f"{error}\n\nThe network of {path.name} is open with new weights, "
                         "as an unsaved copy; the file was not changed.")

    def show_recovered(self, project, recovery_file: Path, original: Path | None) -> None:
        """Put a recovered copy in place, unsaved, under the trust rules of opening it:
        layer code it carries runs only if the person trusts it."""
        origin = f"a recovered copy of {original}" if original else "a recovered copy"
        self._show(project, original, recovery_file, origin)
        self.workspace.history.mark_dirty()
        self.window.update_title()

    def _show(self, project, path: Path | None, source: Path, origin: str = "",
              opened=None) -> bool:
        """Show ``project`` as the file ``path`` (``opened``: its model, built on the
        worker that read it); False when it opened read-only."""
        if not self._trust_layer_code(project.document, source, origin):
            self.workspace.replace(project.document, path, None)
            self.workspace.read_only = True
            self.window.update_title()
            self.window.statusBar().showMessage(READ_ONLY, 15000)
            return False
        notes = self.workspace.replace(project.document, path, project.weights, opened)
        if notes:
            messages.information(self.window, "Opened with changes", "\n\n".join(notes))
        return True

    def _snapshot(self, path: Path):
        """What Save writes: the document and weights as they are at this moment."""
        return self.workspace.snapshot(with_weights=path.suffix.lower() != ".json")

    def _trust_layer_code(self, document: Document, path: Path, origin: str = "") -> bool:
        """A project that carries layer code runs it only if the person trusts it; the
        prompt shows the file's full path and the code, as plain text. Returns True when
        nothing untrusted is left."""
        from core.catalog.custom import CustomLayerError, register
        from core.document.validate import untrusted_layers
        from widgets.trust_dialog import TrustDialog

        untrusted = untrusted_layers(document)
        if not untrusted:
            return True
        code = "\n\n".join(document.custom_layers[name] for name in untrusted)
        dialog = TrustDialog(path.absolute(), untrusted, code, self.window, origin)
        try:
            if self.window._ask(dialog) is not dialog.trust:
                return False
        finally:
            dialog.deleteLater()
        try:
            for name in untrusted:
                self.window.palette.add_layer(register(document.custom_layers[name]))
        except CustomLayerError as error:
            messages.warning(self.window, "Layer code", f"{path.name}: {error}")
            return False
        return True

    def save_to(self, path: Path) -> bool:
        """Save the design, and in a .tcanvas project the weights too, and wait."""
        from core.io.files import save_document

        snapshot = self._snapshot(path)
        try:
            save_document(snapshot.document, path, weights=snapshot.weights)
        except (TorchCanvasError, OSError) as error:
            self._save_failed(path, error)
            return False
        self._saved(path, snapshot.position)
        return True

    def save_in_background(self, path: Path):
        """Save on a worker with progress and Cancel; the document stays unsaved if the
        save fails or is cancelled, and the file that was there is untouched."""
        from core.io.files import save_document
        from widgets.jobs import Job

        snapshot = self._snapshot(path)
        return Job(self.window, f"Saving {path.name}…",
                   lambda cancel: save_document(snapshot.document, path,
                                                weights=snapshot.weights, cancel=cancel),
                   lambda _: self._saved(path, snapshot.position),
                   lambda error: self._save_failed(path, error), late_cancel_discards=False)

    def _saved(self, path: Path, position=None) -> None:
        self.workspace.mark_saved(path, position)
        self.settings.add_recent(path)
        self.update_recent_menu()
        self.window.statusBar().showMessage(f"Saved {path}", 5000)

    def _save_failed(self, path: Path, error: Exception) -> None:
        from core.io.atomic import Cancelled

        if isinstance(error, Cancelled):
            self.window.statusBar().showMessage(f"Saving {path.name} was cancelled; nothing "
                                         "changed on disk", 8000)
            return
        messages.warning(self.window, "Cannot save", f"{path.name}: {error}")

    def update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files():
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(self.settings.recent_files()))

    def _open_recent(self, path: Path) -> None:
        if not self.maybe_save():
            return
        if not path.exists():
            messages.warning(self.window, "Cannot open", f"{path} is no longer there")
            self.settings.remove_recent(path)
            self.update_recent_menu()
            return
        self.open_in_background(path)

    def maybe_save(self) -> bool:
        """True when it is fine to drop the document: saved, discarded, or unchanged."""
        if not self.workspace.modified:
            return True
        answer = messages.question(
            self.window, "Unsaved changes", f"Save the changes to {self.workspace.display_name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save_now()
        return answer == QMessageBox.StandardButton.Discard

    def new(self) -> None:
        if self.maybe_save():
            from core.runtime.devices import try_gpu

            self.workspace.replace(Document(device=try_gpu()))

    def open(self) -> None:
        if not self.maybe_save():
            return
        name, _ = QFileDialog.getOpenFileName(self.window, "Open", "", OPEN_FILTER)
        if name:
            self.open_in_background(Path(name))

    def save(self) -> None:
        path = self.workspace.path
        if path is None or path.suffix.lower() not in (".tcanvas", ".json"):
            path = self._ask_save_path()
        if path is not None:
            self.save_in_background(path)

    def save_as(self) -> None:
        path = self._ask_save_path()
        if path is not None:
            self.save_in_background(path)

    def save_now(self) -> bool:
        """Save and wait (closing with unsaved changes must know it worked)."""
        path = self.workspace.path
        if path is None or path.suffix.lower() not in (".tcanvas", ".json"):
            path = self._ask_save_path()
        return path is not None and self.save_to(path)

    def _ask_save_path(self) -> Path | None:
        name, chosen = QFileDialog.getSaveFileName(self.window, "Save As",
                                                   f"{self.workspace.display_name}",
                                                   PROJECT_FILTER)
        if not name:
            return None
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".json" if "json" in chosen else ".tcanvas")
        return path

    def export_python(self) -> None:
        from core.io.atomic import write_atomically
        from core.io.codegen import python_for_export

        name, _ = QFileDialog.getSaveFileName(self.window, "Export Python", "model.py",
                                              "Python source (*.py)")
        if not name:
            return
        try:
            source = python_for_export(self.workspace.document)  # compiled first
            write_atomically(name, lambda stream: stream.write(source))
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Cannot export", str(error))
            return
        self.window.statusBar().showMessage(f"Wrote {name}", 5000)


def _read(path: Path):
    """On the opening worker: the project, and its model built with its weights where no
    layer code waits for the person's trust (that model is built after the prompt)."""
    from core.document.validate import untrusted_layers
    from core.io.files import read_project
    from core.workspace import open_model

    project = read_project(path, wait_for_check=False)
    if project.weights is None or untrusted_layers(project.document):
        return project, None
    try:
        return project, open_model(project.document, project.weights)
    except Exception:  # the GUI thread builds it as it always did, and meets the fault there
        return project, None
