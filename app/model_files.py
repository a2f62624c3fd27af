"""File ▸ weights, tensors, ONNX and images, and Model ▸ Clone and Verify."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from app import messages
from app.history_jobs import job_running
from app.live_builder import OFF_THREAD_BYTES
from core.errors import EditError, TorchCanvasError
from widgets.jobs import Job

WEIGHT_FILTER = "Safetensors (*.safetensors);;PyTorch state_dict (*.pt *.params *.pth)"
TENSOR_FILTER = "Tensor files (*.pt *.pth *.params *.safetensors);;All files (*)"
IMAGE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"
CHANGED = "the network changed meanwhile; nothing was changed"


def read_and_match(path: Path, module):
    """The state_dict in ``path`` and how it fits ``module`` (on any thread). It is read
    into memory, not mapped: the tensors wait for the person's answer and are kept for
    Redo, and a file rewritten meanwhile would end the process when they are read."""
    from core.io.weights import load_weights, match_state

    incoming = load_weights(path, map_file=False)
    return incoming, match_state(module.state_dict(), incoming)


class ModelFiles:
    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.browsers: list = []
        self.job: Job | None = None

    @property
    def workspace(self):
        return self.window.workspace

    def say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)

    def _ask(self, save: bool, title: str, default: str, filters: str) -> Path | None:
        """A file the person picks (None when they cancel the dialog)."""
        dialog = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        name, _ = dialog(self.window, title, default, filters)
        return Path(name) if name else None

    def export_weights(self, path: Path | None = None) -> bool:
        from core.io.export import export_weights

        module = self.workspace.live.module
        if module is None:
            self.say("Export weights: there is no model yet")
            return False
        path = path or self._ask(True, "Export Weights", "weights.safetensors", WEIGHT_FILTER)
        if path is None:
            return False
        try:
            export_weights(module, path)  # refused while a lazy layer has no size
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Cannot export weights", str(error))
            return False
        self.say(f"Wrote the weights to {path}")
        return True

    def import_weights(self, path: Path | None = None) -> bool:
        """Load a state_dict as one undo step; a partial match lists what differs and
        asks first. A file of `OFF_THREAD_BYTES` or more is read, matched and copied on a
        worker behind a progress dialog with Cancel; True then says it began. From the
        read to the record the weights are busy (`Workspace.begin_busy`): a training run
        finishing or an Open meanwhile waits, and the network is checked again after the
        person answers."""
        module = self.workspace.live.module
        if module is None:
            self.say("Import weights: there is no model yet")
            return False
        path = path or self._ask(False, "Import Weights", "", WEIGHT_FILTER + ";;All files (*)")
        if path is None:
            return False
        if self.workspace.read_only:
            messages.warning(self.window, "Cannot import weights",
                             "This project is open read-only: its layer code is not trusted.")
            return False
        reason = job_running(self.window)
        if reason is not None:
            self.say(f"Cannot import weights now: {reason}. Try again when it is done.")
            return False
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # the read says what is wrong
        started = self._network()
        self.workspace.begin_busy(f"importing weights from {path.name}")
        if size >= OFF_THREAD_BYTES:
            self.job = Job(self.window, f"Reading {path.name}…",
                           lambda control: read_and_match(path, module),
                           lambda found: self._matched(path, started, *found),
                           lambda error: self._read_failed(path, error))
            self.job.dialog.forceShow()  # modal at once: the network cannot change meanwhile
            return True
        try:
            incoming, match = read_and_match(path, module)
        except (TorchCanvasError, OSError) as error:
            self._read_failed(path, error)
            return False
        try:
            if not self._agreed(path, started, match):
                return False
            command = self._load_command(path, incoming, match)
            try:
                self.workspace.execute(command)
            except EditError as error:
                messages.warning(self.window, "Cannot import weights", str(error))
                return False
            self._loaded(path, command, match)
            return True
        finally:
            self.workspace.end_busy()

    def _network(self) -> tuple:
        """What an import is made for: the history, the revision and the module."""
        live = self.workspace.live_now
        return (self.workspace.history, self.workspace.revision,
                live.module if live is not None else None)

    def _same_network(self, started: tuple) -> bool:
        (history, revision, module), now = started, self._network()
        return (module is not None and now[0] is history and now[1] == revision
                and now[2] is module)

    def _unchanged(self, path: Path, started: tuple) -> bool:
        """Whether the network is still the one ``started`` (else the person is told)."""
        if self._same_network(started):
            return True
        self._import_failed(path, EditError(CHANGED))
        return False

    def _agreed(self, path: Path, started: tuple, match) -> bool:
        """The tensors that fit are to be loaded, and the network is still the one they
        were matched with (a build or an Open may have finished while the person read)."""
        return (self._unchanged(path, started) and self._accepted(path, match)
                and self._unchanged(path, started))

    def _accepted(self, path: Path, match) -> bool:
        """Whether the tensors that fit are to be loaded: all do, or the person says so."""
        if not match.fitting:
            messages.warning(self.window, "Cannot import weights",
                             f"{path.name} fits nothing in this network.\n\n"
                             f"{match.describe()}")
            return False
        if match.complete:
            return True
        answer = messages.question(
            self.window, "Weights do not all fit",
            f"{path.name} does not match this network exactly.\n\n{match.describe()}\n\n"
            "Load the tensors that fit?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _load_command(self, path: Path, incoming, match):
        from core.runtime.tensors import LoadWeights

        return LoadWeights(self.workspace.live, incoming, match.fitting,
                           f"Import weights from {path.name}")

    def _read_failed(self, path: Path, error: Exception) -> None:
        self.workspace.end_busy()
        self._import_failed(path, error)

    def _matched(self, path: Path, started: tuple, incoming, match) -> None:
        self.job = None
        copying = False
        try:
            copying = self._copy(path, started, incoming, match)
        finally:
            if not copying:
                self.workspace.end_busy()

    def _copy(self, path: Path, started: tuple, incoming, match) -> bool:
        """Start the copy job once the person agrees; False when nothing started."""
        if not self._agreed(path, started, match):
            return False
        command = self._load_command(path, incoming, match)
        del incoming  # the command holds what it needs: a cancelled load lets the file go

        def work(control):
            command.cancelled, command.progress = control.is_set, control.progress
            try:
                command.prepare()
            finally:  # a redo on a worker later reports to no finished job
                command.cancelled, command.progress = (lambda: False), (lambda done: None)

        count = len(match.fitting)
        self.job = Job(self.window, f"Loading {count:,} tensor{'s' if count != 1 else ''} "
                                    f"from {path.name}…", work,
                       lambda _: self._copied(path, started, command, match),
                       lambda error: self._copy_failed(path, command, error), steps=count,
                       modal_until_done=True)  # no edit while the worker puts things back
        self.job.dialog.forceShow()
        return True

    def _copied(self, path: Path, started: tuple, command, match) -> None:
        self.job = None
        try:
            if not self._same_network(started):  # the busy state keeps this from happening
                command.withdraw()
                self._import_failed(path, EditError(CHANGED))
                return
            try:
                self.workspace.execute(command)  # records the change the worker made
            except EditError as error:
                command.withdraw()
                messages.warning(self.window, "Cannot import weights", str(error))
                return
            self._loaded(path, command, match)
        finally:
            self.workspace.end_busy()  # what waited for the weights runs now

    def _copy_failed(self, path: Path, command, error: Exception) -> None:
        command.withdraw()  # a copy finished after Cancel is put back as well
        self.workspace.end_busy()
        self._import_failed(path, error)

    def _import_failed(self, path: Path, error: Exception) -> None:
        from core.io.atomic import Cancelled

        self.job = None
        if isinstance(error, Cancelled):
            self.say(f"Import weights from {path.name} cancelled; nothing was changed")
            return
        reason = str(error) if isinstance(error, (TorchCanvasError, OSError)) else \
            f"{type(error).__name__}: {error}"
        messages.warning(self.window, "Cannot import weights", f"{path.name}: {reason}")

    def _loaded(self, path: Path, command, match) -> None:
        from core.document.history import undo_warning

        warning = undo_warning(command)  # a copy for undo fitting neither memory nor disk
        self.say(f"Loaded {len(match.fitting)} tensors from {path.name}"
                 + (f". {warning}" if warning else ""))

    def open_tensors(self, path: Path | None = None):
        from core.io.weights import load_tensor_file
        from widgets.tensor_browser import TensorBrowser

        path = path or self._ask(False, "Open Tensor File", "", TENSOR_FILTER)
        if path is None:
            return None
        try:
            tensors = load_tensor_file(path)
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Cannot open tensors", f"{path.name}: {error}")
            return None
        browser = TensorBrowser(path.name, tensors, self.window)
        self.browsers.append(browser)
        browser.finished.connect(lambda _=0, b=browser: self.browsers.remove(b))
        browser.show()
        return browser

    def export_onnx(self, path: Path | None = None) -> bool:
        from core.io.export import ONNX_HINT, export_onnx, onnx_available

        if not onnx_available():
            messages.information(self.window, "ONNX export", ONNX_HINT)
            return False
        module = self.workspace.live.module
        if module is None:
            self.say("Export ONNX: there is no model yet")
            return False
        path = path or self._ask(True, "Export ONNX", "model.onnx", "ONNX (*.onnx)")
        if path is None:
            return False
        try:
            export_onnx(module, self.workspace.document, path)
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Cannot export ONNX", str(error))
            return False
        finally:
            module.to(self.workspace.live.device)
        self.say(f"Wrote {path}")
        return True

    def export_image(self, path: Path | None = None) -> bool:
        from core.io.atomic import check_target
        from core.io.files import document_to_json
        from widgets.canvas_image import save_scene_image

        if path is None:
            name, chosen = QFileDialog.getSaveFileName(self.window, "Export Image",
                                                       "network.png", IMAGE_FILTER)
            if not name:
                return False
            path = Path(name)
            if not path.suffix:
                path = path.with_suffix(".svg" if "svg" in chosen else ".png")
        try:
            check_target(path)  # a FIFO or a device is refused, never written
            note = save_scene_image(self.window.scene, path,
                                    design=document_to_json(self.workspace.document))
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Cannot export image", str(error))
            return False
        self.say(f"Wrote {path}" + (f"; {note}" if note else ""))
        return True

    def clone_and_verify(self):
        from core.runtime.verify import clone_and_verify

        try:
            result = clone_and_verify(self.workspace.live, self.workspace.document)
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Clone and verify", str(error))
            return None
        messages.information(
            self.window, "Clone and verify",
            "Saved the weights, built a fresh clone from the design, loaded them into it "
            f"and ran both on the same input.\n\n{result.describe()}")
        self.say(result.describe())
        return result
