"""The Train dock's histograms over time: for the layer chosen, a heat map of its weights
and one of its gradients, one row per recorded step (the newest at the top), colour by
how many values fall in each bin.

The rows come binned from the training thread (`core.training.Histograms`); this view
only copies the chosen layer's rows and draws them, at most every `REDRAW_MS`, and not
while it is out of sight."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.training.histograms import KINDS, Histograms
from widgets.on_show import on_show

REDRAW_MS = 100


class TrainHistograms(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: Histograms | None = None
        self._drawn: tuple[str, int] | None = None
        self.layer = QComboBox(self, toolTip="the parameter whose histograms are shown")
        self.layer.currentIndexChanged.connect(lambda *_: self.refresh())
        self.note = QLabel("Start a run to record histograms.", self)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Layer", self))
        chooser.addWidget(self.layer, 1)
        chooser.addWidget(self.note, 2)
        self.plots = pg.GraphicsLayoutWidget(self)
        self.plots.setBackground("w")
        colours = pg.colormap.get("viridis").getLookupTable(nPts=256)
        self.images: dict[str, pg.ImageItem] = {}
        self.plot_of: dict[str, pg.PlotItem] = {}
        for kind in KINDS:
            plot = self.plots.addPlot(title=kind)
            plot.setLabel("bottom", "value")
            plot.setLabel("left", "step")
            image = pg.ImageItem(axisOrder="row-major")
            image.setLookupTable(colours)
            plot.addItem(image)
            self.images[kind], self.plot_of[kind] = image, plot
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(chooser)
        layout.addWidget(self.plots, 1)

    def show_histograms(self, source: Histograms) -> None:
        """Follow a new run's histograms; the layer chosen stays chosen when the new
        network has it."""
        chosen = self.layer.currentText()
        self.source, self._drawn = source, None
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(source.names())
        if chosen in source.names():
            self.layer.setCurrentText(chosen)
        self.layer.blockSignals(False)
        self.refresh()

    def request_refresh(self) -> None:
        """A new row was recorded: redraw soon (many requests, one redraw)."""
        if not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        source, name = self.source, self.layer.currentText()
        if source is None or not name or not on_show(self):
            return
        if self._drawn == (name, source.records):
            return
        self._drawn = (name, source.records)
        rows = 0
        for kind in KINDS:
            picture = source.picture(name, kind)
            image, plot = self.images[kind], self.plot_of[kind]
            if picture is None:
                image.clear()
                plot.setTitle(f"{kind} (none yet)")
                continue
            counts = np.log1p(picture.counts.numpy())
            steps = picture.steps
            spacing = steps[1] - steps[0] if len(steps) > 1 else 1
            image.setImage(counts, levels=(0.0, max(float(counts.max()), 1e-6)),
                           autoLevels=False)
            image.setRect(picture.low, steps[0], picture.high - picture.low,
                          steps[-1] - steps[0] + spacing)
            plot.setTitle(f"{kind} of {name}")
            rows = max(rows, len(steps))
        self.note.setText(f"{rows} recorded steps")

    def image_of(self, kind: str) -> np.ndarray | None:
        """What the heat map of ``kind`` shows now (rows × bins), for tests."""
        image = self.images[kind].image
        return None if image is None else np.array(image)
