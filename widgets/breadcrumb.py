"""Where you are: Network › NestMLP › net, each part a button that goes back there."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from core.document.graph import ROOT, Document


class Breadcrumb(QWidget):
    graph_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 2, 6, 2)
        self._layout.setSpacing(2)
        self.parts: list[str] = []

    def show_path(self, document: Document, graph_id: str) -> None:
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        path = [] if graph_id == ROOT else list(reversed([graph_id, *document.ancestors(graph_id)]))
        path = [ROOT] + [g for g in path if g != ROOT]
        self.parts = []
        for index, part in enumerate(path):
            if index:
                self._layout.addWidget(QLabel("›"))
            text = self._label(document, part)
            self.parts.append(text)
            if index == len(path) - 1:
                here = QLabel(f"<b>{html.escape(text)}</b>", self)
                here.setContentsMargins(4, 0, 4, 0)
                self._layout.addWidget(here)
                continue
            button = QToolButton(self)
            button.setAutoRaise(True)
            button.setText(text)
            button.clicked.connect(lambda _=False, g=part: self.graph_chosen.emit(g))
            self._layout.addWidget(button)
        self._layout.addStretch(1)

    @staticmethod
    def _label(document: Document, graph_id: str) -> str:
        if graph_id == ROOT:
            return document.root.class_name or document.title or "Network"
        node = document.node(graph_id)
        kind = node.graph.class_name if node.graph and node.graph.class_name else "Sequential"
        return f"{node.name} ({kind})" if node.name else kind
