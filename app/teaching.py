"""The teaching panels: live code, the model summary, the example gallery and the
step-through forward pass."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

from core.errors import TorchCanvasError
from widgets.background import Background
from widgets.code_view import CodeView
from widgets.on_show import on_show
from widgets.step_panel import StepPanel
from widgets.summary_view import SummaryView, summary_texts


class Teaching(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.code = CodeView(window)
        self.summary = SummaryView(window)
        self.steps = StepPanel(window)
        docks = window.model_docks
        docks["code"].setWidget(self.code)
        docks["summary"].setWidget(self.summary)
        docks["steps"].setWidget(self.steps)
        self.coder = Background(self._show_code, self._code_failed, self)
        self.summarizer = Background(self.summary_ready, self._summary_failed, self)
        self._pending = QTimer(self, singleShot=True, interval=150)
        self._pending.timeout.connect(self.refresh)
        # Written while on show only; a panel out of sight is brought up to date when shown.
        self._stale = {"code": True, "summary": True}
        for name in self._stale:
            docks[name].visibilityChanged.connect(
                lambda visible, n=name: visible and self._stale[n] and self._pending.start())
        window.scene.selectionChanged.connect(self._selection)
        self.steps.run_requested.connect(self.run_steps)
        self.steps.step_chosen.connect(self.show_step)
        self.walk: list = []
        self._add_examples_menu()

    @property
    def idle(self) -> bool:
        return self.coder.idle and self.summarizer.idle and not self._pending.isActive()

    def document_changed(self) -> None:
        self._stale = dict.fromkeys(self._stale, True)
        self._pending.start()

    def refresh(self) -> None:
        """Regenerate the code and the summary that are on show from a snapshot, off the
        GUI thread."""
        from core.io.codegen import to_python_with_lines
        from core.runtime.summary import model_summary

        shown = [name for name, stale in self._stale.items()
                 if stale and on_show(self.window.model_docks[name])]
        if not shown:
            return
        snapshot = self.window.workspace.document.snapshot()
        if "code" in shown:
            self.coder.submit(lambda: to_python_with_lines(snapshot))
        if "summary" in shown:
            self.summarizer.submit(lambda: _summary_with_texts(model_summary(snapshot),
                                                              snapshot.title))
        for name in shown:
            self._stale[name] = False

    def _show_code(self, result) -> None:
        source, spans = result
        self.code.show_source(source, spans)
        self._selection()

    def _code_failed(self, error: Exception) -> None:
        self.code.show_problem(str(error))

    def summary_ready(self, result) -> None:
        summary, title, texts = result
        self.summary.show_summary(summary, title, texts)

    def _summary_failed(self, error: Exception) -> None:
        self.summary.note.setText(f"⚠ {error}")

    def _selection(self) -> None:
        import shiboken6

        if shiboken6.isValid(self.window.scene):
            self.code.highlight_nodes(self.window.scene.selected_node_ids())

    # Examples ------------------------------------------------------------------------

    def _add_examples_menu(self) -> None:
        from core.catalog.templates import list_templates

        menu = self.window.menus["&File"].addMenu("E&xamples")
        self.window.menus["&File"].insertMenu(self.window.actions["save"], menu)
        gallery = QAction("Example &Gallery…", self.window)
        gallery.triggered.connect(self.show_gallery)
        menu.addAction(gallery)
        menu.addSeparator()
        for template in list_templates():
            action = QAction(template.title, self.window)
            action.setStatusTip(template.description)
            action.triggered.connect(lambda _=False, n=template.name: self.open_example(n))
            menu.addAction(action)
        self.examples_menu = menu

    def show_gallery(self):
        from widgets.gallery import Gallery

        gallery = Gallery(self.window)
        gallery.example_chosen.connect(self.open_example)
        gallery.open()
        return gallery

    def open_example(self, name: str) -> None:
        from core.catalog.templates import load_template
        from core.runtime.devices import try_gpu

        if not self.window.maybe_save():
            return
        document = load_template(name)
        document.device = try_gpu()
        self.window.workspace.replace(document)

    # Step-through ---------------------------------------------------------------------

    def run_steps(self) -> None:
        from core.runtime.stepper import step_through
        from core.runtime.tensors import sample_input

        workspace = self.window.workspace
        dock = self.window.model_docks["steps"]
        dock.show()
        dock.raise_()
        try:
            sample = sample_input(workspace.document, workspace.live.device,
                                  workspace.document.seed)
            self.walk, output = step_through(workspace.live, workspace.document, sample)
        except TorchCanvasError as error:
            self.steps.show_steps([], f"⚠ {error}")
            return
        document = workspace.document
        labels = [f"{index + 1}. {self._label(step.node_id)} — {step.describe()}"
                  for index, step in enumerate(self.walk)
                  if document.has_node(step.node_id)]
        shape = tuple(output.shape) if output is not None else "no output"
        self.steps.show_steps(labels, f"A sample of shape {tuple(sample.shape)} went through "
                                      f"{len(self.walk)} calls; the output has shape {shape}.")

    def _label(self, node_id: str) -> str:
        node = self.window.workspace.document.node(node_id)
        look = self.window.scene.nodes.get(node_id)
        return look.look.title if look is not None else (node.name or node.type)

    def show_step(self, index: int) -> None:
        """Show the graph that holds this step's node, select it and label the nodes."""
        if not 0 <= index < len(self.walk):
            return
        step = self.walk[index]
        scene = self.window.scene
        if step.node_id not in scene.nodes:
            scene.show_graph(step.graph_id)
        scene.show_probes({s.node_id: s.describe() for s in self.walk[:index + 1]})
        scene.select_nodes([step.node_id])
        item = scene.nodes.get(step.node_id)
        if item is not None:
            self.window.view.centerOn(item)
        self.window.statusBar().showMessage(self.steps.list.item(index).text(), 10000)

    def clear_probes(self) -> None:
        self.window.scene.show_probes({})


def _summary_with_texts(summary, title: str):
    """On the worker: the summary and its table's cells, so the GUI thread only shows them."""
    return summary, title, summary_texts(summary)
