"""The main window: canvas in the centre, palette and inspector docked beside it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import messages
from app.actions import ACTIONS, make_actions
from app.autosave import Autosaver
from app.direction import lay_out_across
from app.history_jobs import HistoryJobs
from app.importing import ModelImporter
from app.live_builder import LiveBuilder
from app.model_files import ModelFiles
from app.projects import READ_ONLY, Projects
from app.settings import Settings
from app.undo_keys import HistoryKeys, commit_focused_field
from app.window_layout import WindowLayout
from core.document.edit import Command, Group, Move, SetArguments
from core.document.graph import ROOT
from core.document.layout import layered_positions
from core.document.selection import (
    delete_command,
    group_command,
    share_command,
    ungroup_command,
    unshare_command,
)
from core.errors import EditError
from core.runtime.report import ShapeReport, format_shape
from core.workspace import Workspace
from widgets.background import Background
from widgets.breadcrumb import Breadcrumb
from widgets.canvas_scene import CanvasScene
from widgets.canvas_view import CanvasView
from widgets.fix_button import FixButton
from widgets.inspector import Inspector
from widgets.node_look import count_text
from widgets.palette import LayerPalette
from widgets.panel_dock import PanelDock

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
        # Inspector and Initialize share one dock through tabs of their own: a second
        # group of tabbed docks leaves a stray copy of its tab bar on screen (Qt 6.8).
        self.side_tabs = QTabWidget(self)
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.setTabPosition(QTabWidget.TabPosition.South)
        self.side_tabs.addTab(self.inspector, "Inspector")
        self.side_tabs.addTab(self._waiting(), "Initialize")
        self._dock("Inspector", self.side_tabs, Qt.DockWidgetArea.RightDockWidgetArea,
                   "inspector")
        self.model_docks = {
            name: self._dock(title, self._waiting(), area, name)
            for name, title, area in (
                ("parameters", "Parameters", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("histogram", "Histogram", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("code", "Code", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("summary", "Summary", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("steps", "Step Through", Qt.DockWidgetArea.BottomDockWidgetArea),
                ("train", "Train", Qt.DockWidgetArea.BottomDockWidgetArea),
            )}
        for name in ("code", "summary", "steps", "train"):
            self.tabifyDockWidget(self.model_docks["histogram"], self.model_docks[name])
        self.model_docks["histogram"].raise_()
        self.inspection = None
        self.files = ModelFiles(self)
        self.importer = ModelImporter(self)
        self.setAcceptDrops(True)
        self.autosaver = Autosaver(self)
        self.history_keys = HistoryKeys(self)
        self.history_jobs = HistoryJobs(self)  # a large step undoes on a worker
        self.totals = QLabel(self)
        self.totals.setTextFormat(Qt.TextFormat.PlainText)  # errors name the file's nodes
        self.statusBar().addPermanentWidget(self.totals)
        self.fix_button = FixButton(self)
        self.statusBar().addPermanentWidget(self.fix_button)
        self.fix_button.fix_chosen.connect(
            lambda node_id, changes: self.scene.execute(SetArguments(node_id, changes)))
        self.shapes = Background(self._show_report, self._report_failed, self)
        self.live_builder = LiveBuilder(self.workspace, self,
                                        lambda text: self.statusBar().showMessage(text, 10000))
        self._shape_timer = QTimer(self, singleShot=True, interval=0)
        self._shape_timer.timeout.connect(self.request_shapes)
        made = make_actions(self, {name: getattr(self, f"do_{name}") for name in ACTIONS})
        self.actions, self.menus = made["actions"], made["menus"]
        self.view.window_actions = self.actions  # the canvas's right-click menus offer them
        self.recent_menu = self.menus["&File"].addMenu("Open &Recent")
        self.menus["&File"].insertMenu(self.actions["save"], self.recent_menu)
        self.projects = Projects(self)
        self._make_toolbar()
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.scene.graph_shown.connect(self._graph_shown)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.breadcrumb.graph_chosen.connect(self.scene.show_graph)
        self.palette.layer_activated.connect(
            lambda layer_type: self.view.follow(self.scene.add_after_selection(layer_type)))
        self.workspace.state_changed.connect(self.update_title)
        self.workspace.document_replaced.connect(self._document_replaced)
        self._subscription = self.workspace.subscribe(
            {"structure_changed": self._shape_timer.start,
             "input_changed": self._shape_timer.start})
        self.resize(1280, 800)
        self.window_layout = WindowLayout(self, self.menus["&View"])
        self.view.add_view_entries(self.menus["&View"], self.settings.store)
        self._restore_window()
        self.projects.update_recent_menu()
        self.ready = ready
        self._panels_later = False
        self._last_report: ShapeReport | None = None
        self._document_replaced()

    # Layout ----------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area, name: str) -> PanelDock:
        dock = PanelDock(title, self)
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
        self.model_docks["histogram"].visibilityChanged.connect(
            lambda visible: visible and QTimer.singleShot(0, self.histograms.catch_up))
        waiting = self.side_tabs.widget(1)
        self.side_tabs.removeTab(1)
        waiting.deleteLater()
        self.side_tabs.addTab(self.initializers, "Initialize")
        self.window_layout.size_bottom()  # a remembered layout keeps its own sizes
        self.inspection = Inspection(self.workspace, self.scene, self.parameters,
                                     self.tensor_view, self.histograms, self.initializers,
                                     lambda text: self.statusBar().showMessage(text, 8000),
                                     self)
        from app.teaching import Teaching

        self.teaching = Teaching(self)
        from app.training import Training

        self.training = Training(self)
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
            messages.warning(self, "Device", str(error))
            self.devices.show_device(self.workspace.document.device)
            return False
        self.statusBar().showMessage(f"The model is on {self.workspace.live.device}", 5000)
        return True

    def _make_toolbar(self) -> None:
        toolbar = self.toolbar = QToolBar("Main", self)
        toolbar.setObjectName("toolbar_main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # The menu says what will be undone; the toolbar keeps a short fixed label so its
        # buttons do not jump as that text changes.
        self.actions["undo"].setIconText("Undo")
        self.actions["redo"].setIconText("Redo")
        for name in TOOLBAR:
            if name is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(self.actions[name])
        self.addToolBar(toolbar)

    def _restore_window(self) -> None:
        self.window_layout.restore(*self.settings.window_state())

    # Following the workspace -------------------------------------------------------


    def torch_loaded(self, panels_later: bool = False) -> None:
        """PyTorch is in: make the panels that look inside the model — or, with
        ``panels_later``, let the first shapes reach the canvas before them
        (`make_model_panels` then follows)."""
        if not self.ready:
            self.ready = True
            self._panels_later = panels_later
            self._document_replaced()

    def make_model_panels(self) -> None:
        """The panels put off by ``torch_loaded(panels_later=True)``."""
        self._panels_later = False
        if not self.ready or self.inspection is not None:
            return
        self._make_model_panels()
        if self._last_report is not None:
            self.inspection.model_updated(self._last_report)
            self.teaching.document_changed()

    def _document_replaced(self) -> None:
        if self.scene.horizontal and lay_out_across(self.workspace.document):
            self.scene.rebuild()  # opened while left to right: its positions ran down
        self.update_title()
        if self.ready:
            self.request_shapes()  # the dry run goes on while the panels are made
            if self.inspection is None and not self._panels_later:
                self._make_model_panels()
            QTimer.singleShot(0, self.view.fit)

    def request_shapes(self) -> None:
        """Dry-run a snapshot of the document off the GUI thread; the newest wins."""
        from core.runtime.shapes import infer_shapes

        snapshot = self.workspace.document.snapshot()
        revision = self.workspace.revision
        self.shapes.submit(lambda: (revision, infer_shapes(snapshot), snapshot.plan_cache))

    def _show_report(self, result: tuple[int, ShapeReport, object]) -> None:
        revision, report, plan = result
        self._last_report = report
        self.workspace.adopt_plan(revision, plan)  # before the canvas asks for names
        if self.ready:
            self.live_builder.follow(report, revision, plan)
        if revision != self.workspace.revision and self._shape_timer.isActive():
            return  # the document changed since and its dry run is due: draw that one
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

    def update_title(self) -> None:
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
        """A selected node that does not fit says why in the status bar, and offers its
        fix where one is known."""
        looks = [(i, self.scene.nodes[i].look) for i in self.scene.selected_node_ids()
                 if i in self.scene.nodes and self.scene.nodes[i].look.error]
        if looks:
            self.statusBar().showMessage(looks[0][1].error, 15000)
        fixable = next(((i, look) for i, look in looks if look.fix), None)
        if fixable is None:
            self.fix_button.withdraw()
        else:
            self.fix_button.offer(fixable[0], dict(fixable[1].fix), fixable[1].title)

    # File actions -------------------------------------------------------------------

    def _ask(self, box):
        box.exec()
        return box.clickedButton()

    def open_path(self, path: Path) -> bool:
        return self.projects.open_path(path)

    def open_in_background(self, path: Path):
        return self.projects.open_in_background(path)

    def save_to(self, path: Path) -> bool:
        return self.projects.save_to(path)

    def save_in_background(self, path: Path):
        return self.projects.save_in_background(path)

    def maybe_save(self) -> bool:
        return self.projects.maybe_save()

    def do_new(self) -> None:
        self.projects.new()

    def do_open(self) -> None:
        self.projects.open()

    def do_save(self) -> None:
        self.projects.save()

    def do_save_as(self) -> None:
        self.projects.save_as()

    def do_export_python(self) -> None:
        self.projects.export_python()

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
        self.history_jobs.undo()
        self.scene.flush()

    def do_redo(self) -> None:
        commit_focused_field(self)
        self.history_jobs.redo()
        self.scene.flush()

    def _edit_selection(self, make) -> Command | None:
        """Run the command ``make(document, selected ids)`` builds; a refusal is said in
        the status bar."""
        try:
            command = make(self.workspace.document, self.scene.selected_node_ids())
        except EditError as error:
            self.statusBar().showMessage(str(error), 5000)
            return None
        return command if self.scene.execute(command) else None

    def do_delete(self) -> None:
        self._delete(reconnect=True)

    def do_delete_only(self) -> None:
        self._delete(reconnect=False)

    def _delete(self, reconnect: bool) -> None:
        """Delete the selection; what fed a deleted node is joined to what it fed unless
        ``reconnect`` is False (actions pass a bool of their own, hence no default)."""
        edges = [(item.graph_id, item.edge) for item in self.scene.selected_edges()]
        nodes = self.scene.selected_node_ids()
        try:
            command = delete_command(self.workspace.document, nodes, edges, reconnect)
        except EditError as error:
            self.statusBar().showMessage(str(error), 5000)
            return
        # Taken out of the selection at once: removing selected items one by one tells
        # every selection listener once per item, quadratic in a large delete.
        self.scene.unselect_quietly()
        if not self.scene.execute(command):
            self.scene.select_nodes(nodes)
        self.scene.selectionChanged.emit()

    def do_select_all(self) -> None:
        # One selectionChanged for the lot: its listeners look at the whole selection,
        # and ten thousand of them, once per node, froze the window.
        blocked = self.scene.blockSignals(True)
        try:
            for item in self.scene.nodes.values():
                item.setSelected(True)
        finally:
            self.scene.blockSignals(blocked)
        self.scene.selectionChanged.emit()

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
        command = self._edit_selection(group_command)
        if isinstance(command, Group):
            self.scene.select_nodes([command.block_id])

    def do_ungroup(self) -> None:
        self._edit_selection(ungroup_command)

    def do_share(self) -> None:
        self._edit_selection(share_command)

    def do_unshare(self) -> None:
        self._edit_selection(unshare_command)

    # View actions ---------------------------------------------------------------------

    def do_zoom_in(self) -> None:
        self.view.zoom_in()

    def do_zoom_out(self) -> None:
        self.view.zoom_out()

    def do_fit(self) -> None:
        self.view.fit()

    def do_arrange(self) -> None:
        graph = self.workspace.document.graph(self.scene.graph_id)
        layout = layered_positions(graph, right=self.scene.horizontal)
        self.scene.execute(Move({node.id: layout[node.id] for node in graph.nodes}))
        self.scene.rebuild()
        self.view.fit()

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
            messages.warning(self, "Your layer", str(error))
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

    def do_import_model(self):
        return self.importer.ask()

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
            if path.suffix.lower() in (".tcanvas", ".json", ".png"):  # a PNG: its design
                if self.maybe_save():
                    self.open_in_background(path)
            elif path.suffix.lower() in (".safetensors", ".pt", ".pth", ".params"):
                self.files.import_weights(path)
            elif path.suffix.lower() == ".py":
                self.importer.ask(path)
            elif path.suffix.lower() == ".pt2":  # torch.export.save's: read as data
                self.importer.open_program(path)
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
