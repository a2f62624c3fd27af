"""Choose an initializer, its arguments, the scope and a seed, and apply it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.runtime.init import INITIALIZERS, TARGETS
from widgets import style
from widgets.argument_editor import ArgumentEditor

TARGET_LABELS = {"weights": "weights", "biases": "biases", "all": "weights and biases"}


class InitPanel(QWidget):
    """``apply_requested(name, args, selected_only, target, seed)`` on Apply."""

    apply_requested = Signal(str, dict, bool, str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = QComboBox(self)
        self.choice.setObjectName("initializer")
        for spec in INITIALIZERS.values():
            self.choice.addItem(spec.label, spec.name)
        self.help = QLabel(self)
        self.help.setWordWrap(True)
        self.help.setStyleSheet(f"color: {style.MUTED.name()};")
        self.arguments = QFormLayout()
        self.editors: dict[str, ArgumentEditor] = {}
        self.whole = QRadioButton("the whole network", self)
        self.selected = QRadioButton("the selected nodes and blocks", self)
        self.whole.setChecked(True)
        self.target = QComboBox(self)
        for target in TARGETS:
            self.target.addItem(TARGET_LABELS[target], target)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.apply = QPushButton("Apply", self)
        self.apply.setObjectName("apply_initializer")
        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.ERROR.name()};")
        form = QFormLayout()
        form.addRow("Initializer", self.choice)
        form.addRow("", self.help)
        scope = QVBoxLayout()
        scope.addWidget(self.whole)
        scope.addWidget(self.selected)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self.arguments)
        extra = QFormLayout()
        # On rows of their own: beside a label the long choices would widen the side
        # panel past its share and give it a horizontal scroll bar.
        extra.addRow(QLabel("Apply to", self))
        extra.addRow(scope)
        extra.addRow("Tensors", self.target)
        extra.addRow("Seed", self.seed)
        layout.addLayout(extra)
        layout.addWidget(self.apply)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.choice.currentIndexChanged.connect(lambda _: self._show_arguments())
        self.apply.clicked.connect(self._apply)
        self._show_arguments()

    def choose(self, name: str) -> None:
        self.choice.setCurrentIndex(self.choice.findData(name))

    def _show_arguments(self) -> None:
        while self.arguments.rowCount():
            self.arguments.removeRow(0)
        spec = INITIALIZERS[self.choice.currentData()]
        self.help.setText(spec.help)
        self.editors = {}
        for arg in spec.args:
            editor = ArgumentEditor(arg, self)
            editor.set_value(arg.default)
            self.editors[arg.name] = editor
            self.arguments.addRow(arg.name, editor.widget)
        self.error.setText("")

    def values(self) -> dict:
        return {name: editor.value() for name, editor in self.editors.items()}

    def _apply(self) -> None:
        try:
            args = self.values()
            INITIALIZERS[self.choice.currentData()].validate_args(args)
        except Exception as error:  # the schema's reason, shown beside the form
            self.error.setText(str(error))
            return
        self.error.setText("")
        self.apply_requested.emit(self.choice.currentData(), args, self.selected.isChecked(),
                                  self.target.currentData(), self.seed.value())
