"""Wires the panels that look inside the model (parameters, tensor values, histograms,
initializers) to the workspace's live model and to the canvas selection."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer

from app.history_jobs import job_running
from app.live_builder import OFF_THREAD_BYTES
from core.errors import EditError, TorchCanvasError
from core.runtime.report import ShapeReport
from core.workspace import Workspace
from widgets.canvas_scene import CanvasScene
from widgets.histogram_panel import HistogramPanel
from widgets.init_panel import InitPanel
from widgets.parameter_panel import ParameterPanel
from widgets.tensor_view import TensorView


class Inspection(QObject):
    def __init__(self, workspace: Workspace, scene: CanvasScene, parameters: ParameterPanel,
                 values: TensorView, histograms: HistogramPanel, initializers: InitPanel,
                 say, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.scene = workspace, scene
        self.parameters, self.values = parameters, values
        self.histograms, self.initializers = histograms, initializers
        self.say = say
        self.row = None
        self.job = None
        self._from_panel = False
        self._refresh = QTimer(self, singleShot=True, interval=0)
        self._refresh.timeout.connect(self.refresh)
        parameters.tensor_chosen.connect(self.show_row)
        parameters.nodes_chosen.connect(self._select_on_canvas)
        scene.selectionChanged.connect(self._canvas_selection)
        histograms.tensor_requested.connect(parameters.select_tensor)
        initializers.apply_requested.connect(self.apply_initializer)
        values.model.on_edit = self.edit_value
        self._subscription = workspace.subscribe({"weights_changed": self._refresh.start},
                                                 replaced=self._document_replaced)
        workspace.live_changed.connect(self._refresh.start)
        self._refresh.start()

    def _document_replaced(self) -> None:
        self.row = None
        self._refresh.start()

    def model_updated(self, report: ShapeReport) -> None:
        """A new dry run: the live model has followed the document; show it."""
        self._refresh.start()

    def refresh(self) -> None:
        from core.runtime.tensors import parameter_rows

        live = self.workspace.live_now
        if live is None:
            self.parameters.show_rows([], "The model is being built…")
            return
        rows = parameter_rows(live, self.workspace.document)
        self.parameters.show_rows(rows, f"⚠ {live.error}" if live.error else "")
        if self.row is None:
            self.parameters.select_nodes(self._with_contents(self.scene.selected_node_ids()))
        else:
            self.show_row(next((r for r in rows if r.qualified == self.row.qualified), None))
        module = live.module
        if module is not None:
            tensors = dict(module.named_parameters(remove_duplicate=False))
            self.histograms.show_all([
                (r.qualified, tensors[r.qualified]) for r in rows
                if r.kind == "parameter" and not r.lazy and r.qualified.endswith("weight")
                and not (r.shared_with and r.shared_with[0] < r.qualified)])

    def _tensor(self, qualified: str):
        live = self.workspace.live_now
        module = live.module if live is not None else None
        if module is None:
            return None
        from torch.nn.parameter import UninitializedTensorMixin

        for getter in (module.get_parameter, module.get_buffer):
            try:
                tensor = getter(qualified)
            except AttributeError:
                continue
            return None if isinstance(tensor, UninitializedTensorMixin) else tensor
        return None

    def show_row(self, row) -> None:
        self.row = row
        tensor = self._tensor(row.qualified) if row is not None and not row.lazy else None
        name = row.qualified if row is not None else ""
        self.values.show_tensor(name, tensor)
        self.histograms.show_tensor(name, tensor)

    def _canvas_selection(self) -> None:
        # The scene announces its last selection change while Qt is destroying it.
        if self._from_panel or not shiboken6.isValid(self.scene):
            return
        self.row = None
        self.parameters.select_nodes(self._with_contents(self.scene.selected_node_ids()))

    def _with_contents(self, node_ids: list[str]) -> list[str]:
        """A selected block stands for the layers inside it."""
        document = self.workspace.document
        ids = []
        for node_id in node_ids:
            ids.append(node_id)
            if document.has_node(node_id) and document.node(node_id).graph is not None:
                ids += [n.id for _, n in document.walk(node_id)]
        return ids

    def _select_on_canvas(self, node_ids: list[str]) -> None:
        self._from_panel = True
        try:
            self.scene.select_nodes(node_ids)
        finally:
            self._from_panel = False

    def edit_value(self, index: tuple[int, ...], value: float) -> None:
        from core.runtime.tensors import SetTensorValue

        if self.row is None:
            return
        self.scene.execute(SetTensorValue(self.workspace.live, self.row.ref, index, value))

    def apply_initializer(self, name: str, args: dict, selected_only: bool, target: str,
                          seed: int) -> None:
        """Initialize the chosen tensors as one undo step; a large scope is filled on a
        worker behind a progress dialog (the window is modal meanwhile)."""
        from core.runtime.init import ApplyInitializer, select_tensors

        nodes = self.scene.selected_node_ids() if selected_only else None
        if selected_only and not nodes:
            self.initializers.error.setText("Select the nodes or blocks to initialize first.")
            return
        if self.workspace.read_only:
            self.initializers.error.setText(
                "This project is open read-only: its layer code is not trusted.")
            return
        try:
            command = ApplyInitializer(self.workspace.live, self.workspace.document, name,
                                       args, nodes, target, seed)
        except TorchCanvasError as error:
            self.initializers.error.setText(str(error))
            return
        self.histograms.keep_as_before(name, args)
        size = sum(tensor.numel() * tensor.element_size() for _, tensor in select_tensors(
            self.workspace.live, self.workspace.document, nodes, target))
        if size < OFF_THREAD_BYTES:
            self._record_initializer(command)
            return
        from widgets.jobs import Job

        reason = job_running(self.parent())
        if reason is not None:
            self.histograms.expected = None
            self.initializers.error.setText(f"Cannot initialize now: {reason}. Try again "
                                            "when it is done.")
            return
        revision = self.workspace.revision
        self.workspace.begin_busy("initializing the weights")  # writers wait for it
        self.job = Job(self.parent(), f"Initializing {size / 2**20:,.0f} MiB of weights…",
                       lambda control: command.prepare(),
                       lambda _: self._prepared(command, revision),
                       self._prepare_failed, late_cancel_discards=False,
                       cancellable=False)  # its Cancel hid the dialog and stopped nothing
        self.job.dialog.forceShow()  # modal at once: no edit may reach the tensors it fills

    def _prepared(self, command, revision: int) -> None:
        self.job = None
        try:
            if revision != self.workspace.revision:  # the weights busy state prevents it
                command.withdraw()                   # a change to a network that moved on
                self._initializer_failed(EditError("the network changed meanwhile; nothing "
                                                   "was changed"))
                return
            self._record_initializer(command)
        finally:
            self.workspace.end_busy()

    def _prepare_failed(self, error: Exception) -> None:
        self.workspace.end_busy()
        self._initializer_failed(error)

    def _initializer_failed(self, error: Exception) -> None:
        self.job = None
        self.histograms.expected = None
        self.initializers.error.setText(
            str(error) if isinstance(error, TorchCanvasError)
            else f"The initializer failed: {type(error).__name__}: {error}")

    def _record_initializer(self, command) -> None:
        try:
            self.workspace.execute(command)
        except EditError as error:
            self.initializers.error.setText(str(error))
            self.histograms.expected = None
            return
        from core.document.history import undo_warning

        warning = undo_warning(command)  # a copy for undo fitting neither memory nor disk
        self.initializers.error.setText(warning)
        self.say(f"{command.text}: {len(command.refs)} tensor"
                 f"{'s' if len(command.refs) != 1 else ''}" + (f". {warning}" if warning else ""))

    def backward_once(self, sample=None) -> None:
        """Run a sample (random, or a tensor from a file) forward and backpropagate."""
        from core.runtime.tensors import backward_once

        live = self.workspace.live
        try:
            if sample is not None:
                sample = sample.to(live.device)
            total = backward_once(live, self.workspace.document, sample)
        except TorchCanvasError as error:
            self.say(f"Backward once: {error}")
            return
        self.say(f"Backward once: the output summed to {total:.6g}; gradients are present")

    def backward_from_file(self, path) -> None:
        from core.io.weights import load_tensor_file

        try:
            tensors = load_tensor_file(path)
        except TorchCanvasError as error:
            self.say(f"Backward once: {error}")
            return
        name, tensor = next(iter(tensors.items()))
        wanted = tuple(self.workspace.document.input.shape)
        if tuple(tensor.shape) != wanted:
            self.say(f"Backward once: {path.name}'s {name} has shape {tuple(tensor.shape)}, "
                     f"the network takes {wanted}")
            return
        self.backward_once(tensor)

    def clear_gradients(self) -> None:
        from core.runtime.tensors import clear_gradients

        clear_gradients(self.workspace.live)
        self.say("Gradients cleared")
