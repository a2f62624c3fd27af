"""One editor per argument kind: spin boxes within the schema's range, check boxes,
combo boxes, and text fields for floats (scientific notation) and tuples."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from core.catalog.arguments import ArgSpec, format_index, format_sizes, parse_index, parse_sizes
from core.errors import ArgumentError

INT_LIMIT = 2**31 - 1


def format_value(spec: ArgSpec, value: Any) -> str:
    if value is None:
        return ""
    if spec.kind == "index":
        return format_index(value)
    if spec.kind == "sizes":
        return format_sizes(value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value) if abs(value) >= 1e-4 or value == 0 else f"{value:g}"
    return str(value)


def parse_text(spec: ArgSpec, text: str) -> Any:
    """The value a person typed, before the schema checks it."""
    if spec.kind == "text":
        return text
    text = text.strip()
    if not text:
        if spec.optional:
            return None
        raise ValueError("a value is needed")
    if spec.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number (1e-5 and 0.001 both work)") from None
    if spec.kind == "padding" and text in spec.choices:
        return text
    if spec.kind in ("index", "sizes"):
        try:
            return parse_index(text) if spec.kind == "index" else parse_sizes(text)
        except ArgumentError as error:
            raise ValueError(str(error)) from None
    parts = [p for p in text.replace("(", "").replace(")", "").split(",") if p.strip()]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"{text!r}: expected whole numbers separated by commas") from None
    if spec.kind == "int" or (spec.kind in ("size", "padding") and len(numbers) == 1):
        return numbers[0]
    return numbers


class ArgumentEditor(QObject):
    """Wraps the widget for one argument; ``committed`` fires when a person is done."""

    committed = Signal()

    def _toggled(self, _checked: bool) -> None:
        # A bound slot: Qt drops the connection when this editor goes away.
        self.committed.emit()

    def __init__(self, spec: ArgSpec, parent: QWidget) -> None:
        super().__init__(parent)
        self.spec = spec
        self.widget = self._make(parent)
        self.widget.setToolTip(f"{spec.help}" + (f" ({spec.describe_range()})"
                                                 if spec.describe_range() else ""))
        self.widget.setObjectName(f"arg_{spec.name}")

    def _make(self, parent: QWidget) -> QWidget:
        spec = self.spec
        if spec.kind == "bool":
            box = QCheckBox(parent)
            box.toggled.connect(self._toggled)
            return box
        if spec.kind == "choice":
            combo = QComboBox(parent)
            combo.addItems(list(spec.choices))
            combo.activated.connect(lambda _=0: self.committed.emit())
            return combo
        if spec.kind == "int" and not spec.optional:
            spin = QSpinBox(parent)
            spin.setRange(int(spec.minimum if spec.minimum is not None else -INT_LIMIT),
                          int(spec.maximum if spec.maximum is not None else INT_LIMIT))
            spin.setGroupSeparatorShown(True)
            spin.setKeyboardTracking(False)
            spin.editingFinished.connect(self.committed.emit)
            return spin
        line = QLineEdit(parent)
        if spec.optional:
            line.setPlaceholderText("not set")
        elif spec.kind in ("size", "shape", "padding"):
            line.setPlaceholderText("e.g. 3 or 3, 3")
        elif spec.kind == "index":
            line.setPlaceholderText("e.g. -1 or :, 0")
        elif spec.kind == "sizes":
            line.setPlaceholderText("e.g. size(0, 0), -1")
        line.editingFinished.connect(self.committed.emit)
        return line

    def value(self) -> Any:
        """What the widget holds now; raises ValueError saying why it cannot be read."""
        widget = self.widget
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            return widget.currentText()
        if isinstance(widget, QSpinBox):
            return widget.value()
        return parse_text(self.spec, widget.text())

    def set_value(self, value: Any) -> None:
        widget = self.widget
        blocked = widget.blockSignals(True)
        try:
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QSpinBox):
                if value is not None:
                    widget.setValue(int(value))
            else:
                widget.setText(format_value(self.spec, value))
        finally:
            widget.blockSignals(blocked)
