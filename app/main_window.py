"""The main window: canvas in the centre, palette and inspector docked beside it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.actions import ACTIONS, make_actions
from app.autosave import Autosaver
from app.model_files import ModelFiles
from app.settings import Settings
from app.undo_keys import HistoryKeys, commit_focused_field
from core.document.edit import (
    Compound,
    Disconnect,
    Group,
    Move,
    RemoveNodes,
    Share,
    Ungroup,
    Unshare,
)
from core.document.graph import ROOT, Document
from core.document.layout import layered_positions
from core.errors import EditError, TorchCanvasError
from core.runtime.report import ShapeReport, format_shape
from core.workspace import Workspace
from widgets.background import Background
from widgets.breadcrumb import Breadcrumb
from widgets.canvas_scene import CanvasScene
from widgets.canvas_view import CanvasView
from widgets.inspector import Inspector
from widgets.node_look import count_text
from widgets.palette import LayerPalette

READ_ONLY = ("This project's layer code is not trusted, so it is open read-only and its "
             "code has not run; reopen it and trust it to edit")
PROJECT_FILTER = "TorchCanvas projects (*.tcanvas);;Graph only (*.json)"
OPEN_FILTER = "TorchCanvas files (*.tcanvas *.json);;All files (*)"
TOOLBAR = ["new", "open", "save", None, "undo", "redo", None, "group", "ungroup", "share",
           None, "zoom_in", "zoom_out", "fit", "arrange"]


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace | None = None, settings: Settings | None = None,
                 ready: bool = True) -> None:
        super().__init__()
        self.workspace = workspace or Workspace()
        self.settings = settings or Settings()
        self.scene = CanvasScene(self.workspace, self)
        self.view = CanvasView(self.scene, self)
        self.breadcrumb = Breadcrumb(self)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.breadcrumb)
        layout.addWidget(self.view)
        self.setCentralWidget(central)
        self.palette = LayerPalette(self)
        self.palette.setMinimumWidth(200)
        self.inspector = Inspector(self.workspace, self)
        self._dock("Layers", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea, "palette")
        inspector_dock = self._dock("Inspector", self.inspector,
                                    Qt.DockWidgetArea.RightDockWidgetArea, "inspector")
        self.model_docks = {
            name: self._dock(title, self._waiting(), area, name)
            for name, title, area in (
                ("parameters", "Parameters", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("histogram", "Histogram", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("code", "Code", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("summary", "Summary", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("steps", "Step Through", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("initialize", "Initialize", Qt.DockWidgetArea.RightDockWidgetArea),
            )}
        self.tabifyDockWidget(inspector_dock, self.model_docks["initialize"])
        for name in ("code", "summary", "steps"):
            self.tabifyDockWidget(self.model_docks["histogram"], self.model_docks[name])
        self.model_docks["histogram"].raise_()
        inspector_dock.raise_()
        self.inspection = None
        self.files = ModelFiles(self)
        self.setAcceptDrops(True)
        self.autosaver = Autosaver(self)
        self.history_keys = HistoryKeys(self)
        self.totals = QLabel(self)
        self.statusBar().addPermanentWidget(self.totals)
        self.shapes = Background(self._show_report, self._report_failed, self)
        self._shape_timer = QTimer(self, singleShot=True, interval=0)
        self._shape_timer.timeout.connect(self.request_shapes)
        made = make_actions(self, {name: getattr(self, f"do_{name}") for name in ACTIONS})
        self.actions, self.menus = made["actions"], made["menus"]
        self.recent_menu = self.menus["&File"].addMenu("Open &Recent")
        self.menus["&File"].insertMenu(self.actions["save"], self.recent_menu)
        self._make_toolbar()
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.scene.graph_shown.connect(self._graph_shown)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.breadcrumb.graph_chosen.connect(self.scene.show_graph)
        self.palette.layer_activated.connect(self.scene.add_after_selection)
        self.workspace.state_changed.connect(self._update_title)
        self.workspace.document_replaced.connect(self._document_replaced)
        self._subscription = self.workspace.subscribe(
            {"structure_changed": self._shape_timer.start,
             "input_changed": self._shape_timer.start})
        self.resize(1280, 800)
        self._restore_window()
        self._update_recent_menu()
        self.ready = ready
        self._document_replaced()

    # Layout ----------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _waiting(self) -> QWidget:
        label = QLabel("Loading PyTorch…", self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label

    def _make_model_panels(self) -> None:
        """The panels that look inside the live model; they need torch, so they are made
        once it has loaded."""
        from app.inspection import Inspection
        from widgets.histogram_panel import HistogramPanel
        from widgets.init_panel import InitPanel
        from widgets.parameter_panel import ParameterPanel
        from widgets.tensor_view import TensorView

        self.parameters = ParameterPanel(self)
        self.tensor_view = TensorView(lambda index, value: None, self)
        self.histograms = HistogramPanel(self)
        self.initializers = InitPanel(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.parameters)
        split.addWidget(self.tensor_view)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        self.model_docks["parameters"].setWidget(split)
        self.model_docks["histogram"].setWidget(self.histograms)
        self.model_docks["initialize"].setWidget(self.initializers)
        bottom = [self.model_docks["parameters"], self.model_docks["histogram"]]
        self.resizeDocks(bottom, [300, 300], Qt.Orientation.Vertical)
        self.resizeDocks(bottom, [700, 500], Qt.Orientation.Horizontal)
        self.inspection = Inspection(self.workspace, self.scene, self.parameters,
                                     self.tensor_view, self.histograms, self.initializers,
                                     lambda text: self.statusBar().showMessage(text, 8000),
                                     self)
        from app.teaching import Teaching

        self.teaching = Teaching(self)
        from widgets.device_selector import DeviceSelector

        self.devices = DeviceSelector(self.workspace, self)
        self.devices.device_chosen.connect(self.move_to_device)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(self.devices)

    def move_to_device(self, name: str) -> bool:
        """Move the live model to ``name``; an absent device is refused with the reason."""
        from core.runtime.devices import SetDevice

        try:
            self.workspace.execute(SetDevice(self.workspace.live, name))
        except EditError as error:
            QMessageBox.warning(self, "Device", str(error))
            self.devices.show_device(self.workspace.document.device)
            return False
        self.statusBar().showMessage(f"The model is on {self.workspace.live.device}", 5000)
        return True

    def _make_toolbar(self) -> None:
        toolbar = self.toolbar = QToolBar("Main", self)
        toolbar.setObjectName("toolbar_main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for name in TOOLBAR:
            if name is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(self.actions[name])
        self.addToolBar(toolbar)

    def _restore_window(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    # Following the workspace -------------------------------------------------------


    def torch_loaded(self) -> None:
        """PyTorch is in: make the panels that look inside the model."""
        if not self.ready:
            self.ready = True
            self._document_replaced()

    def _document_replaced(self) -> None:
        self._update_title()
        if self.ready:
            if self.inspection is None:
                self._make_model_panels()
            self.request_shapes()
            QTimer.singleShot(0, self.view.fit)

    def request_shapes(self) -> None:
        """Dry-run a snapshot of the document off the GUI thread; the newest wins."""
        from core.runtime.shapes import infer_shapes

        snapshot = self.workspace.document.snapshot()
        revision = self.workspace.revision
        self.shapes.submit(lambda: (revision, infer_shapes(snapshot)))

    def _show_report(self, result: tuple[int, ShapeReport]) -> None:
        revision, report = result
        if self.ready:
            self.workspace.adopt_report(report, revision)
        self.scene.apply_report(report)
        self._announce_errors()
        if self.inspection is not None:
            self.inspection.model_updated(report)
            self.teaching.document_changed()
        if report.error:
            self.totals.setText(f"⚠ {report.error}")
            return
        errors = report.node_errors()
        text = (f"input {format_shape(report.input_shape)} → output "
                f"{format_shape(report.output_shape)} · {count_text(report.parameters)} "
                "parameters")
        if errors:
            text = f"⚠ {len(errors)} node{'s' if len(errors) > 1 else ''} in error · " + text
        self.totals.setText(text)

    def _report_failed(self, error: Exception) -> None:
        self.totals.setText(f"⚠ shapes could not be checked: {error}")

    def _update_title(self) -> None:
        suffix = " (read-only)" if self.workspace.read_only else ""
        self.setWindowTitle(f"{self.workspace.display_name}{suffix}[*] — TorchCanvas")
        self.setWindowModified(self.workspace.modified)
        history = self.workspace.history
        self.actions["undo"].setEnabled(history.can_undo)
        self.actions["redo"].setEnabled(history.can_redo)
        self.actions["undo"].setText(f"&Undo {history.undo_text}".rstrip())
        self.actions["redo"].setText(f"&Redo {history.redo_text}".rstrip())

    def _graph_shown(self, graph_id: str) -> None:
        self.breadcrumb.show_path(self.workspace.document, graph_id)
        self.actions["up"].setEnabled(graph_id != ROOT)

    def _selection_changed(self) -> None:
        self.inspector.show_nodes(self.scene.selected_node_ids())
        self._announce_errors()

    def _announce_errors(self) -> None:
        """A selected node that does not fit says why in the status bar."""
        errors = [self.scene.nodes[i].look.error for i in self.scene.selected_node_ids()
                  if i in self.scene.nodes and self.scene.nodes[i].look.error]
        if errors:
            self.statusBar().showMessage(errors[0], 15000)

    # File actions -------------------------------------------------------------------

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
        """Read the file on a worker (progress after a second, Cancel keeps what is open)."""
        from core.io.files import read_project
        from widgets.jobs import Job

        return Job(self, f"Opening {path.name}…", lambda cancel: read_project(path),
                   lambda project: self._show_project(path, project),
                   lambda error: self._open_failed(path, error))

    def _open_failed(self, path: Path, error: Exception) -> None:
        from core.io.atomic import Cancelled

        if isinstance(error, Cancelled):
            self.statusBar().showMessage(f"Opening {path.name} was cancelled", 8000)
            return
        QMessageBox.warning(self, "Cannot open", f"{path.name}: {error}")

    def _show_project(self, path: Path, project) -> None:
        self.settings.add_recent(path)
        self._update_recent_menu()
        if not self._trust_layer_code(project.document, path):
            self.workspace.replace(project.document, path, None)
            self.workspace.read_only = True
            self._update_title()
            self.statusBar().showMessage(READ_ONLY, 15000)
            return
        notes = self.workspace.replace(project.document, path, project.weights)
        if notes:
            QMessageBox.information(self, "Opened with changes", "\n\n".join(notes))
        self.statusBar().showMessage(f"Opened {path}", 5000)

    def _snapshot(self, path: Path):
        """What Save writes: the document and weights as they are at this moment."""
        return self.workspace.snapshot(with_weights=path.suffix.lower() != ".json")

    def _trust_layer_code(self, document: Document, path: Path) -> bool:
        """A project that carries layer code runs it only if the person trusts it; the
        prompt shows the code. Returns True when nothing untrusted is left."""
        from core.catalog.custom import CustomLayerError, register
        from core.document.validate import untrusted_layers

        untrusted = untrusted_layers(document)
        if not untrusted:
            return True
        code = "\n\n".join(document.custom_layers[name] for name in untrusted)
        box = QMessageBox(QMessageBox.Icon.Warning, "Run the code in this project?",
                          f"{path.name} carries Python code for {', '.join(untrusted)}. "
                          "Code runs with your rights: trust it only if you trust where the "
                          "file came from. Without trust the project opens read-only and "
                          "the code does not run.", parent=self)
        box.setDetailedText(code)
        trust = box.addButton("Trust and run", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Open read-only", QMessageBox.ButtonRole.RejectRole)
        if self._ask(box) is not trust:
            return False
        try:
            for name in untrusted:
                self.palette.add_layer(register(document.custom_layers[name]))
        except CustomLayerError as error:
            QMessageBox.warning(self, "Layer code", f"{path.name}: {error}")
            return False
        return True

    def _ask(self, box: QMessageBox):
        box.exec()
        return box.clickedButton()

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
        return Job(self, f"Saving {path.name}…",
                   lambda cancel: save_document(snapshot.document, path,
                                                weights=snapshot.weights, cancel=cancel),
                   lambda _: self._saved(path, snapshot.position),
                   lambda error: self._save_failed(path, error), late_cancel_discards=False)

    def _saved(self, path: Path, position=None) -> None:
        self.workspace.mark_saved(path, position)
        self.settings.add_recent(path)
        self._update_recent_menu()
        self.statusBar().showMessage(f"Saved {path}", 5000)

    def _save_failed(self, path: Path, error: Exception) -> None:
        from core.io.atomic import Cancelled

        if isinstance(error, Cancelled):
            self.statusBar().showMessage(f"Saving {path.name} was cancelled; nothing "
                                         "changed on disk", 8000)
            return
        QMessageBox.warning(self, "Cannot save", f"{path.name}: {error}")

    def _update_recent_menu(self) -> None:
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
            QMessageBox.warning(self, "Cannot open", f"{path} is no longer there")
            self.settings.remove_recent(path)
            self._update_recent_menu()
            return
        self.open_in_background(path)

    def maybe_save(self) -> bool:
        """True when it is fine to drop the document: saved, discarded, or unchanged."""
        if not self.workspace.modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.workspace.display_name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save_now()
        return answer == QMessageBox.StandardButton.Discard

    def do_new(self) -> None:
        if self.maybe_save():
            from core.runtime.devices import try_gpu

            self.workspace.replace(Document(device=try_gpu()))

    def do_open(self) -> None:
        if not self.maybe_save():
            return
        name, _ = QFileDialog.getOpenFileName(self, "Open", "", OPEN_FILTER)
        if name:
            self.open_in_background(Path(name))

    def do_save(self) -> None:
        path = self.workspace.path
        if path is None or path.suffix.lower() not in (".tcanvas", ".json"):
            path = self._ask_save_path()
        if path is not None:
            self.save_in_background(path)

    def do_save_as(self) -> None:
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
        name, chosen = QFileDialog.getSaveFileName(self, "Save As",
                                                   f"{self.workspace.display_name}",
                                                   PROJECT_FILTER)
        if not name:
            return None
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".json" if "json" in chosen else ".tcanvas")
        return path

    def do_export_python(self) -> None:
        from core.io.atomic import write_atomically
        from core.io.codegen import to_python

        name, _ = QFileDialog.getSaveFileName(self, "Export Python", "model.py",
                                              "Python source (*.py)")
        if not name:
            return
        try:
            source = to_python(self.workspace.document).encode()
            write_atomically(name, lambda stream: stream.write(source))
        except (TorchCanvasError, OSError) as error:
            QMessageBox.warning(self, "Cannot export", str(error))
            return
        self.statusBar().showMessage(f"Wrote {name}", 5000)

    def do_quit(self) -> None:
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.autosaver.stop()
        self.scene.detach()
        event.accept()

    # Edit actions -------------------------------------------------------------------

    def do_undo(self) -> None:
        commit_focused_field(self)
        self.workspace.undo()
        self.scene.flush()

    def do_redo(self) -> None:
        commit_focused_field(self)
        self.workspace.redo()
        self.scene.flush()

    def do_delete(self) -> None:
        nodes = self.scene.selected_node_ids()
        edges = [item for item in self.scene.selected_edges()
                 if not {item.edge.src, item.edge.dst} & set(nodes)]
        steps = [Disconnect(item.graph_id, item.edge) for item in edges]
        if nodes:
            steps.append(RemoveNodes(nodes))
        if steps:
            self.scene.execute(Compound("Delete", steps))

    def do_select_all(self) -> None:
        for item in self.scene.nodes.values():
            item.setSelected(True)

    def do_copy(self) -> None:
        from core.document.clipboard import copy_nodes

        nodes = self.scene.selected_node_ids()
        if nodes:
            try:
                QGuiApplication.clipboard().setText(copy_nodes(self.workspace.document, nodes))
            except KeyError:
                self.statusBar().showMessage("Copy: select nodes of one graph", 5000)

    def do_cut(self) -> None:
        self.do_copy()
        self.do_delete()

    def do_paste(self) -> None:
        from core.document.clipboard import paste_command

        try:
            command = paste_command(self.workspace.document,
                                    QGuiApplication.clipboard().text(), self.scene.graph_id)
        except EditError as error:
            self.statusBar().showMessage(str(error), 5000)
            return
        if self.scene.execute(command):
            self.scene.select_nodes(command.node_ids)

    def do_group(self) -> None:
        nodes = self.scene.selected_node_ids()
        if not nodes:
            self.statusBar().showMessage("Group: select the nodes to group first", 5000)
            return
        block = self.workspace.document.new_id()
        if self.scene.execute(Group(nodes, block)):
            self.scene.select_nodes([block])

    def do_ungroup(self) -> None:
        blocks = [i for i in self.scene.selected_node_ids()
                  if self.workspace.document.node(i).graph is not None]
        if blocks:
            self.scene.execute(Compound("Ungroup", [Ungroup(b) for b in blocks]))

    def do_share(self) -> None:
        document = self.workspace.document
        chosen = self.scene.selected_node_ids()
        order = {node.id: index for index, (_, node) in enumerate(document.walk())}
        chosen.sort(key=order.__getitem__)
        if len(chosen) < 2:
            self.statusBar().showMessage("Share: select two or more layers of one type", 5000)
            return
        owner = next((i for i in chosen if document.node(i).shares), chosen[0])
        owner = document.owner_of(owner)
        steps = [Share(i, owner) for i in chosen if document.owner_of(i) != owner]
        if steps:
            self.scene.execute(Compound("Share parameters", steps))

    def do_unshare(self) -> None:
        document = self.workspace.document
        shared = [i for i in self.scene.selected_node_ids() if len(document.twins(i)) > 1]
        if shared:
            self.scene.execute(Compound("Unshare", [Unshare(i) for i in shared]))

    # View actions ---------------------------------------------------------------------

    def do_zoom_in(self) -> None:
        self.view.zoom_in()

    def do_zoom_out(self) -> None:
        self.view.zoom_out()

    def do_fit(self) -> None:
        self.view.fit()

    def do_arrange(self) -> None:
        graph = self.workspace.document.graph(self.scene.graph_id)
        layout = layered_positions(graph)
        self.scene.execute(Move({node.id: layout[node.id] for node in graph.nodes}))
        self.scene.rebuild()

    def do_toggle_block(self) -> None:
        for node_id in self.scene.selected_node_ids():
            if self.workspace.document.node(node_id).graph is not None:
                self.scene.toggle_block(node_id)
                return

    def do_open_block(self) -> None:
        for node_id in self.scene.selected_node_ids():
            if self.workspace.document.node(node_id).graph is not None:
                self.scene.show_graph(node_id)
                return

    def do_up(self) -> None:
        if self.scene.graph_id != ROOT:
            self.scene.show_graph(self.workspace.document.parent_of(self.scene.graph_id))

    def do_backward(self) -> None:
        if self.inspection is not None:
            self.inspection.backward_once()

    def do_backward_file(self) -> None:
        if self.inspection is None:
            return
        name, _ = QFileDialog.getOpenFileName(self, "Sample Input", "",
                                              "Tensor files (*.pt *.pth *.safetensors);;"
                                              "All files (*)")
        if name:
            self.inspection.backward_from_file(Path(name))

    def do_new_layer(self):
        """Write a layer of your own, check it and add it to the palette."""
        from widgets.layer_editor import LayerEditor

        if self.workspace.read_only:
            self.statusBar().showMessage(READ_ONLY, 8000)
            return None
        editor = LayerEditor(self)
        editor.layer_added.connect(self.add_users_layer)
        editor.open()
        return editor

    def add_users_layer(self, name: str, source: str) -> None:
        from core.catalog.custom import CustomLayerError, register
        from core.document.edit import AddLayerCode

        try:
            spec = register(source)
        except CustomLayerError as error:
            QMessageBox.warning(self, "Your layer", str(error))
            return
        self.palette.add_layer(spec)
        self.scene.execute(AddLayerCode(name, source))
        self.statusBar().showMessage(f"{name} is in the palette under My layers", 8000)

    def do_step_through(self) -> None:
        if self.inspection is not None:
            self.teaching.run_steps()

    def do_gallery(self) -> None:
        if self.inspection is not None:
            self.teaching.show_gallery()

    def do_clear_gradients(self) -> None:
        if self.inspection is not None:
            self.inspection.clear_gradients()

    def do_import_weights(self) -> None:
        self.files.import_weights()

    def do_export_weights(self) -> None:
        self.files.export_weights()

    def do_open_tensors(self) -> None:
        self.files.open_tensors()

    def do_export_onnx(self) -> None:
        self.files.export_onnx()

    def do_export_image(self) -> None:
        self.files.export_image()

    def do_clone_verify(self) -> None:
        self.files.clone_and_verify()

    # Dropping files onto the window ------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls()[:1]:
            path = Path(url.toLocalFile())
            if path.suffix.lower() in (".tcanvas", ".json"):
                if self.maybe_save():
                    self.open_in_background(path)
            elif path.suffix.lower() in (".safetensors", ".pt", ".pth", ".params"):
                self.files.import_weights(path)
        event.acceptProposedAction()

    def do_show_log(self):
        from app.logs import LogDialog, setup_logging

        dialog = LogDialog(setup_logging(), self)  # the file being written, once set up
        dialog.open()
        return dialog

    def do_about(self) -> None:
        QMessageBox.about(self, "About TorchCanvas",
                          "TorchCanvas builds PyTorch networks by pointing and clicking, and "
                          "shows what is inside them.")
