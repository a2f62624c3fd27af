"""File ▸ weights, tensors, ONNX and images, and Model ▸ Clone and Verify."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from app import messages
from core.errors import EditError, TorchCanvasError

WEIGHT_FILTER = "Safetensors (*.safetensors);;PyTorch state_dict (*.pt *.params *.pth)"
TENSOR_FILTER = "Tensor files (*.pt *.pth *.params *.safetensors);;All files (*)"
IMAGE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"


class ModelFiles:
    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.browsers: list = []

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
        """Load a state_dict; a partial match lists what differs and asks first."""
        from core.io.weights import load_weights, match_state
        from core.runtime.tensors import LoadWeights

        module = self.workspace.live.module
        if module is None:
            self.say("Import weights: there is no model yet")
            return False
        path = path or self._ask(False, "Import Weights", "", WEIGHT_FILTER + ";;All files (*)")
        if path is None:
            return False
        try:
            incoming = load_weights(path)
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Cannot import weights", f"{path.name}: {error}")
            return False
        match = match_state(module.state_dict(), incoming)
        if not match.fitting:
            messages.warning(self.window, "Cannot import weights",
                                f"{path.name} fits nothing in this network.\n\n"
                                f"{match.describe()}")
            return False
        if not match.complete:
            answer = messages.question(
                self.window, "Weights do not all fit",
                f"{path.name} does not match this network exactly.\n\n{match.describe()}\n\n"
                "Load the tensors that fit?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            command = self.workspace.execute(LoadWeights(
                self.workspace.live, incoming, match.fitting, f"Import weights from {path.name}"))
        except EditError as error:
            messages.warning(self.window, "Cannot import weights", str(error))
            return False
        from core.document.history import undo_warning

        warning = undo_warning(command)  # a copy for undo fitting neither memory nor disk
        self.say(f"Loaded {len(match.fitting)} tensors from {path.name}"
                 + (f". {warning}" if warning else ""))
        return True

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
