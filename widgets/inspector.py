"""The inspector: the selected node's name and arguments as typed editors, a block's
container, or the document's input when nothing is selected. Every change is one
undoable command; a value the layer would reject is refused with the reason."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.catalog.registry import spec_for
from core.document.edit import Command, Rename, SetArguments, SetContainer, SetInput, Unshare
from core.document.graph import MODULE, ROOT, SEQUENTIAL
from core.workspace import Workspace
from widgets import style
from widgets.argument_editor import ArgumentEditor

DTYPES = ("float32", "float64", "int64")


class Inspector(QScrollArea):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.node_id: str | None = None
        self.page_node: str | None = None
        self._forget_page()
        self.setWidgetResizable(True)
        self.setMinimumWidth(250)
        self._count = 0
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self.refresh)
        self._subscription = workspace.subscribe(
            {"args_changed": self._on_args_changed, "input_changed": self._on_input_changed},
            replaced=self._document_replaced)
        self.refresh()

    def _document_replaced(self) -> None:
        self.node_id, self._count = None, 0
        self.refresh()

    def _forget_page(self) -> None:
        """Drop every reference into the page on show: it is about to be replaced."""
        self.editors: dict[str, ArgumentEditor] = {}
        self.name_edit: QLineEdit | None = None
        self.input_shape: QLineEdit | None = None
        self.input_dtype: QComboBox | None = None
        self.container: QComboBox | None = None
        self.class_name: QLineEdit | None = None

    def execute(self, command: Command) -> bool:
        """Run ``command``; a refusal shows the core's reason under the page."""
        outcome = self.workspace.run(command)
        self.error.setText("" if outcome else outcome.reason)
        return outcome.done

    def _on_args_changed(self, node_id: str) -> None:
        """Mirror the change in place: the editor that caused it may still be busy."""
        document = self.workspace.document
        if node_id != (self.page_node or ROOT) or \
                (node_id != ROOT and not document.has_node(node_id)):
            return
        if self.container is not None and self.class_name is not None:
            graph = document.graph(node_id)
            self.container.setCurrentIndex(0 if graph.container == SEQUENTIAL else 1)
            if self.class_name.text() != graph.class_name:
                self.class_name.setText(graph.class_name)
        if node_id == ROOT:
            return
        node = document.node(node_id)
        for name, editor in self.editors.items():
            editor.set_value(node.args.get(name))
        if self.name_edit is not None and self.name_edit.text() != node.name:
            self.name_edit.setText(node.name)

    def _on_input_changed(self) -> None:
        if self.input_shape is not None and self.input_dtype is not None:
            spec = self.workspace.document.input
            self.input_shape.setText(", ".join(map(str, spec.shape)))
            self.input_dtype.setCurrentText(spec.dtype)

    def show_nodes(self, node_ids: list[str]) -> None:
        """Show the selection; the page is rebuilt once the selection has settled."""
        self.node_id = node_ids[0] if len(node_ids) == 1 else None
        self._count = len(node_ids)
        self._pending.start()

    def refresh(self) -> None:
        """Build the page for the current selection from scratch."""
        self._pending.stop()
        page = QWidget()
        layout = QVBoxLayout(page)
        self.error = QLabel(page)
        self.error.setObjectName("inspector_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.ERROR.name()};")
        self._forget_page()
        document = self.workspace.document
        if self.node_id is not None and not document.has_node(self.node_id):
            self.node_id = None
        self.page_node = self.node_id
        if self.node_id is None and self._count > 1:
            layout.addWidget(QLabel(f"{self._count} nodes selected"))
        elif self.node_id is None:
            self._document_page(layout)
        else:
            self._node_page(layout)
        layout.addWidget(self.error)
        layout.addStretch(1)
        for label in page.findChildren(QLabel):  # titles, names and errors from files
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.setWidget(page)

    def _heading(self, layout: QVBoxLayout, title: str, text: str) -> None:
        heading = QLabel(title)
        heading.setFont(style.font(11, bold=True))
        heading.setWordWrap(True)  # a long title wraps instead of widening the panel
        layout.addWidget(heading)
        help_label = QLabel(text)
        help_label.setWordWrap(True)
        help_label.setStyleSheet(f"color: {style.MUTED.name()};")
        layout.addWidget(help_label)

    def _document_page(self, layout: QVBoxLayout) -> None:
        document = self.workspace.document
        self._heading(layout, document.title or "Network",
                      "Nothing is selected: these settings belong to the whole network.")
        form = QFormLayout()
        self.input_shape = QLineEdit(", ".join(map(str, document.input.shape)))
        self.input_shape.setObjectName("input_shape")
        self.input_shape.setToolTip("the shape of the sample input, batch first, e.g. 2, 20")
        self.input_shape.editingFinished.connect(self._commit_input)
        self.input_dtype = QComboBox()
        self.input_dtype.addItems(list(DTYPES))
        self.input_dtype.setCurrentText(document.input.dtype)
        self.input_dtype.activated.connect(lambda _=0: self._commit_input())
        form.addRow("Input shape", self.input_shape)
        form.addRow("Input dtype", self.input_dtype)
        self._container_rows(form, ROOT, document.root)
        layout.addLayout(form)
        if document.description:
            about = QLabel(document.description)
            about.setWordWrap(True)
            layout.addWidget(about)

    def _commit_input(self) -> None:
        text = self.input_shape.text().replace("(", "").replace(")", "")
        try:
            shape = tuple(int(p) for p in text.split(",") if p.strip())
        except ValueError:
            self.error.setText(f"Input shape: {text!r} is not a list of whole numbers")
            return
        document = self.workspace.document
        if shape == tuple(document.input.shape) and \
                self.input_dtype.currentText() == document.input.dtype:
            return
        if not self.execute(SetInput(shape, self.input_dtype.currentText())):
            self.input_shape.setText(", ".join(map(str, document.input.shape)))

    def _node_page(self, layout: QVBoxLayout) -> None:
        document = self.workspace.document
        node = document.node(self.node_id)
        form = QFormLayout()
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setObjectName("node_name")
        self.name_edit.setPlaceholderText("automatic")
        self.name_edit.setToolTip("the attribute name in the built module")
        self.name_edit.editingFinished.connect(
            lambda edit=self.name_edit, n=node.id: self._commit_name(n, edit))
        if node.graph is not None:
            self._heading(layout, "Block", "A nested module. Its layers run in order inside "
                          "it; double-click it on the canvas to open it.")
            form.addRow("Name", self.name_edit)
            self._container_rows(form, node.id, node.graph)
            layout.addLayout(form)
            return
        spec = spec_for(node.type)
        self._heading(layout, node.type, spec.help)
        form.addRow("Name", self.name_edit)
        for arg in spec.args:
            editor = ArgumentEditor(arg, self)
            editor.set_value(node.args.get(arg.name, arg.default))
            editor.committed.connect(
                lambda e=editor, n=node.id: self._commit_argument(n, e))
            self.editors[arg.name] = editor
            label = QLabel(arg.name)
            label.setToolTip(arg.help)
            form.addRow(label, editor.widget)
        layout.addLayout(form)
        twins = [t for t in document.twins(node.id) if t != node.id]
        if twins:
            note = QLabel(f"Shares one module with {', '.join(twins)}: a change here changes "
                          "every twin, and their parameters are one set.")
            note.setWordWrap(True)
            note.setStyleSheet(f"color: {style.TWIN.name()};")
            layout.addWidget(note)
            unshare = QPushButton("Give this node its own module")
            unshare.clicked.connect(lambda: self.execute(Unshare(node.id)))
            layout.addWidget(unshare)

    def _container_rows(self, form: QFormLayout, graph_id: str, graph) -> None:
        """What a graph becomes: an nn.Sequential, or a class of its own and its name."""
        self.container = QComboBox()
        self.container.setObjectName("container")
        self.container.addItems(["nn.Sequential", "a class of its own"])
        self.container.setCurrentIndex(0 if graph.container == SEQUENTIAL else 1)
        self.container.setToolTip("a chain can be an nn.Sequential; a branching graph always "
                                  "becomes a class with a generated forward")
        self.container.activated.connect(lambda _=0, g=graph_id: self._commit_container(g))
        self.class_name = QLineEdit(graph.class_name)
        self.class_name.setObjectName("class_name")
        self.class_name.setPlaceholderText("automatic")
        self.class_name.editingFinished.connect(lambda g=graph_id: self._commit_container(g))
        form.addRow("Container", self.container)
        form.addRow("Class name", self.class_name)

    def _commit_name(self, node_id: str, edit: QLineEdit) -> None:
        if not self.workspace.document.has_node(node_id):
            return
        node = self.workspace.document.node(node_id)
        name = edit.text().strip()
        if name != node.name and not self.execute(Rename(node.id, name)):
            edit.setText(node.name)

    def _commit_container(self, graph_id: str) -> None:
        document = self.workspace.document
        if graph_id != (self.page_node or ROOT) or self.container is None or \
                self.class_name is None or \
                (graph_id != ROOT and not document.has_node(graph_id)):
            return
        graph = document.graph(graph_id)
        container = SEQUENTIAL if self.container.currentIndex() == 0 else MODULE
        class_name = self.class_name.text().strip()
        if (container, class_name) == (graph.container, graph.class_name):
            return
        if not self.execute(SetContainer(graph_id, container, class_name)):
            self.class_name.setText(graph.class_name)

    def _commit_argument(self, node_id: str, editor: ArgumentEditor) -> None:
        """Commit what ``editor`` holds to ``node_id``, the node its page was made for."""
        if not self.workspace.document.has_node(node_id):
            return
        name = editor.spec.name
        node = self.workspace.document.node(node_id)
        try:
            value = editor.value()
        except ValueError as error:  # text that is not a value of the editor's kind
            reason = str(error)
            self.error.setText(reason if reason.startswith(name) else f"{name}: {reason}")
            editor.set_value(node.args.get(name))
            return
        if value == node.args.get(name):
            self.error.setText("")
            return
        if not self.execute(SetArguments(node.id, {name: value})):
            editor.set_value(node.args.get(name))
