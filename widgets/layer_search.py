"""The search box at the cursor (issue 12), as Blender and ComfyUI have it: double-click
the canvas or press Tab, type, press Enter, and the layer is added where you pointed.
An exact name wins over a name that merely contains what was typed ("sigmoid" is
Sigmoid, not SiLU)."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from core.catalog.registry import CATALOG, LayerSpec

SHOWN = 12


def ranked(text: str, entries: list[tuple[str, str]]) -> list[str]:
    """The layer types of ``entries`` ((type, help)) that match ``text``, best first:
    the exact name, names that start with it, names that hold it, then the help."""
    words = text.lower().split()
    if not words:
        return [name for name, _ in entries]
    whole = " ".join(words)
    scored = []
    for order, (name, help_text) in enumerate(entries):
        lowered = name.lower()
        haystack = f"{lowered} {help_text.lower()}"
        if not all(word in haystack for word in words):
            continue
        rank = 0 if lowered == whole else 1 if lowered.startswith(whole) else \
            2 if whole in lowered else 3
        scored.append((rank, order, name))
    return [name for _, _, name in sorted(scored)]


def takes_rank(spec: LayerSpec, rank: int) -> bool:
    """Whether a ``rank``-dimensional tensor suits ``spec``, as its ``input_rank`` or the
    shapes its ``expects`` lists say ("(N, C, H, W)": 4; "(*, H)": 1 or more); a layer
    that says neither takes it."""
    if spec.input_rank is not None:
        return spec.input_rank == rank
    shapes = re.findall(r"\(([^()]*)\)", spec.expects)
    if not shapes:
        return True
    for shape in shapes:
        dims = [d.strip() for d in shape.split(",") if d.strip()]
        if any(d in ("*", "...") for d in dims):
            if rank >= len(dims) - 1:
                return True
        elif rank == len(dims):
            return True
    return False


class LayerSearch(QFrame):
    """``chosen(layer_type)`` when a layer is picked; the box then closes."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)  # over the canvas, not a window: no grab, no stray popup
        self.setObjectName("layer_search")
        self.setAutoFillBackground(True)
        self.hide()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Add a layer…")
        self.matches = QListWidget(self)
        self.matches.setMinimumHeight(160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text)
        layout.addWidget(self.matches)
        self.resize(260, 240)
        self.text.textChanged.connect(self._filter)
        self.text.returnPressed.connect(self._choose)
        self.matches.itemActivated.connect(lambda item: self._choose())
        self.text.installEventFilter(self)
        self._accepts: Callable[[LayerSpec], bool] | None = None

    def entries(self) -> list[tuple[str, str]]:
        return [(spec.type, spec.help) for spec in CATALOG.values()
                if self._accepts is None or self._accepts(spec)]

    def open_at(self, where: QPoint, accepts: Callable[[LayerSpec], bool] | None = None,
                hint: str = "Add a layer…") -> None:
        """Open with its corner at ``where`` (in the parent's coordinates), kept inside,
        listing the layers ``accepts`` lets through (all without it)."""
        self._accepts = accepts
        self.text.setPlaceholderText(hint)
        self.text.clear()
        self._filter("")
        room = self.parentWidget().rect() if self.parentWidget() is not None else self.rect()
        self.move(max(0, min(where.x(), room.width() - self.width())),
                  max(0, min(where.y(), room.height() - self.height())))
        self.show()
        self.raise_()
        self.text.setFocus()

    def _filter(self, text: str) -> None:
        self.matches.clear()
        self.matches.addItems(ranked(text, self.entries())[:SHOWN * 4])
        if self.matches.count():
            self.matches.setCurrentRow(0)

    def _choose(self) -> None:
        item = self.matches.currentItem()
        if item is None:
            return
        self.hide()
        self.chosen.emit(item.text())

    def eventFilter(self, watched, event) -> bool:
        """Up and Down in the text move through the matches; Escape closes the box, and
        so does the focus going elsewhere."""
        if event.type() == QEvent.Type.FocusOut:
            QTimer.singleShot(0, self, self._close_unless_focused)
            return False
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress and \
                event.key() == Qt.Key.Key_Escape:
            self.hide()
            return True
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = max(0, min(self.matches.count() - 1, self.matches.currentRow() + step))
            self.matches.setCurrentRow(row)
            return True
        return False

    def _close_unless_focused(self) -> None:
        focused = QApplication.focusWidget()
        if focused is None or not self.isAncestorOf(focused):
            self.hide()
