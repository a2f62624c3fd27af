"""Histograms of tensors (pyqtgraph): the selected tensor's values or gradients, the
previous state as an overlay after an initializer, the initializer's expected density
and bounds, and small multiples that compare every layer at a glance (computed only while that tab
is on show).

Bins are computed with `torch.histc` on a worker thread, where the tensor lives; a newer
request makes an older one's answer stale.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.runtime.tensor_summary import describe
from core.runtime.tensors import Histogram
from widgets import style
from widgets.background import Background
from widgets.histogram_grid import HistogramGrid
from widgets.on_show import on_show

AFTER = (37, 99, 235)
BEFORE = (148, 163, 184)
THEORY = (124, 58, 237)
MULTIPLE_BINS = 40


class _Plot(pg.PlotWidget):
    """A plot that asks for little height, so a short dock gives it what is left rather
    than scrolling to the height pyqtgraph would like."""

    def sizeHint(self) -> QSize:
        return QSize(320, 120)


class _Caption(QLabel):
    """Wrapped, but laid out by its size hints alone: a height-for-width caption makes
    the dock's scroll area size the whole panel by its preferred height, and scroll."""

    def hasHeightForWidth(self) -> bool:
        return False


@dataclass
class Drawn:
    """What one request produced: bins, the earlier bins to compare, and the theory."""

    name: str
    bins: Histogram | None
    before: Histogram | None
    theory: object | None
    text: str


class HistogramPanel(QWidget):
    """``tensor_requested(name)`` when a small multiple is clicked."""

    tensor_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.tabs = QTabWidget(self)
        self.plot = _Plot()
        self.plot.setLabel("bottom", "value")
        self.plot.setLabel("left", "count")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.caption = _Caption(self)
        self.caption.setWordWrap(True)
        self.values = QRadioButton("values", self)
        self.gradients = QRadioButton("gradients", self)
        self.values.setChecked(True)
        kind = QButtonGroup(self)
        kind.addButton(self.values)
        kind.addButton(self.gradients)
        self.values.toggled.connect(lambda _: self.refresh())
        single = QWidget(self)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.values)
        top.addWidget(self.gradients)
        column = QVBoxLayout(single)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(top)
        column.addWidget(self.plot)
        self.grid = HistogramGrid(self)
        self.grid.tensor_clicked.connect(self.tensor_requested)
        self.tabs.addTab(single, "Selected tensor")
        self.tabs.addTab(self.grid, "All layers")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.tabs.currentChanged.connect(lambda _: self.catch_up())
        self.worker = Background(self._draw, self._failed, self)
        self.multiples_worker = Background(self._draw_multiples, self._failed, self)
        self.name = ""
        self.tensor: torch.Tensor | None = None
        self.current: Histogram | None = None
        self.before: Histogram | None = None
        self.expected: tuple[str, dict] | None = None
        self.shown: Drawn | None = None
        self._all: list[tuple[str, torch.Tensor]] | None = None  # not drawn yet

    @property
    def multiples(self) -> list[tuple[str, Histogram]]:
        return self.grid.multiples

    @property
    def idle(self) -> bool:
        return self.worker.idle and self.multiples_worker.idle

    def show_tensor(self, name: str, tensor: torch.Tensor | None) -> None:
        """Show ``tensor``; a different tensor drops the before/theory overlays."""
        if tensor is not self.tensor:
            self.before, self.expected = None, None
        self.name, self.tensor = name, tensor
        self.refresh()

    def keep_as_before(self, initializer: str, args: dict) -> None:
        """The bins on show become the 'before' overlay of the initializer about to run."""
        self.before = self.current
        self.expected = (initializer, dict(args))

    def refresh(self) -> None:
        tensor, name = self.tensor, self.name
        if tensor is not None and self.gradients.isChecked():
            tensor, name = tensor.grad, f"{name} (gradient)"
        before, expected = self.before, self.expected
        if tensor is None or tensor.is_meta or tensor.numel() == 0:
            message = "no gradient yet: run Model ▸ Backward Once" if self.tensor is not None \
                and self.gradients.isChecked() else "select a parameter to see its histogram"
            self.worker.submit(lambda: Drawn(name, None, None, None, message))
            return
        data = tensor.detach()

        def compute() -> Drawn:
            bins, stats = describe(data)
            theory = None
            if expected is not None:
                from core.runtime.init import theory as expected_shape

                theory = expected_shape(expected[0], expected[1], data, bins.edges)
            text = (f"<b>{html.escape(name)}</b> · {stats.numel:,} values · "
                    f"mean {stats.mean:.4g} · "
                    f"std {stats.std:.4g} · min {stats.minimum:.4g} · max {stats.maximum:.4g}"
                    f" · zeros {stats.zeros:,}")
            return Drawn(name, bins, before, theory, text)

        self.worker.submit(compute)

    def _draw(self, drawn: Drawn) -> None:
        if _same_picture(drawn, self.shown) and drawn.bins is not None:
            self.shown = drawn
            return  # the tensor's values did not change: the plot on show is right
        self.shown = drawn
        self.plot.clear()
        self.legend.clear()
        self.caption.setText(drawn.text)
        if drawn.bins is None:
            self.current = None
            return
        if not self.gradients.isChecked():
            self.current = drawn.bins
        if drawn.before is not None:
            self.plot.plot(drawn.before.edges, drawn.before.counts, stepMode="center",
                           pen=pg.mkPen(BEFORE, width=2), name="before")
        self.plot.plot(drawn.bins.edges, drawn.bins.counts, stepMode="center",
                       fillLevel=0, brush=(*AFTER, 90), pen=pg.mkPen(AFTER, width=1.5),
                       name="after" if drawn.before is not None else "values")
        theory = drawn.theory
        if theory is not None:
            if theory.curve is not None:
                x, y = theory.curve
                self.plot.plot(x, y, pen=pg.mkPen(THEORY, width=2), name=theory.text)
            for value in theory.lines:
                line = pg.InfiniteLine(pos=value, angle=90,
                                       pen=pg.mkPen(THEORY, width=1.5, style=Qt.PenStyle.DashLine))
                self.plot.addItem(line)
        self.plot.enableAutoRange()

    def show_all(self, tensors: list[tuple[str, torch.Tensor]]) -> None:
        """Small multiples: one histogram per tensor, side by side. Binned when the tab
        is on show; until then only the newest list is kept."""
        self._all = [(name, t.detach()) for name, t in tensors if not t.is_meta and t.numel()]
        self.catch_up()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.catch_up()

    def catch_up(self) -> None:
        """Bin the newest small multiples if they are waiting and now on show (call it
        when the dock holding the panel comes into view)."""
        if self._all is None or self.tabs.currentWidget() is not self.grid \
                or not on_show(self.grid):
            return
        data, self._all = self._all, None
        self.multiples_worker.submit(
            lambda: [(name, describe(t, bins=MULTIPLE_BINS)[0]) for name, t in data])

    def _draw_multiples(self, multiples: list[tuple[str, Histogram]]) -> None:
        self.grid.show_multiples(multiples)

    def _failed(self, error: Exception) -> None:
        self.caption.setText(f"<span style='color:{style.ERROR.name()}'>"
                             f"histogram failed: {html.escape(str(error))}</span>")


def _same_picture(drawn: Drawn, shown: Drawn | None) -> bool:
    return shown is not None and drawn.text == shown.text and drawn.before is shown.before \
        and drawn.theory is None and shown.theory is None \
        and _same_bins(drawn.bins, shown.bins)


def _same_bins(first: Histogram | None, second: Histogram | None) -> bool:
    if first is None or second is None:
        return first is second
    return np.array_equal(first.counts, second.counts) and \
        np.array_equal(first.edges, second.edges)
