"""The Train dock: data, loss, optimizer and run settings; Start, Pause and Stop; live
curves of loss and accuracy for every run kept (tick runs to overlay them); each layer's
weight and gradient histograms over time; the decision boundary of a 2-D teaching set;
the health check's table.

The panel only shows and asks: `app.training` runs the training and feeds it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.training.data import TEACHING_SETS
from core.training.setup import SCHEDULES, TrainConfig, loss_specs, optimizer_specs
from widgets.train_histograms import TrainHistograms

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
FILE_ITEM = "File…"
FOLDER_ITEM = "Image folder…"


class TrainPanel(QWidget):
    start_requested = Signal()
    pause_toggled = Signal(bool)
    stop_requested = Signal()
    demo_requested = Signal()
    health_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_path = ""
        self._points: np.ndarray | None = None
        self.curves: dict[int, dict[str, pg.PlotDataItem]] = {}
        self.history: dict[int, dict[str, list[float]]] = {}
        form = QFormLayout()
        self.data = QComboBox(self)
        self.data.addItems([*TEACHING_SETS, FILE_ITEM, FOLDER_ITEM])
        self.data.setToolTip("a teaching set, a CSV or tensor file, or a folder of images "
                             "with one sub-folder per class")
        self.data.activated.connect(self._data_chosen)
        self.target = QLineEdit(self, placeholderText="CSV target column")
        self.size = QSpinBox(self, minimum=10, maximum=1_000_000, value=1000)
        self.noise = QDoubleSpinBox(self, minimum=0.0, maximum=10.0, value=0.1,
                                    singleStep=0.05)
        self.loss = QComboBox(self)
        self.loss.addItems(["auto", *sorted(loss_specs())])
        self.optimizer = QComboBox(self)
        self.optimizer.addItems(list(optimizer_specs()))
        self.optimizer.setCurrentText("SGD")
        self.lr = QDoubleSpinBox(self, decimals=5, minimum=0.0, maximum=100.0, value=0.1,
                                 singleStep=0.01)
        self.schedule = QComboBox(self)
        self.schedule.addItems(list(SCHEDULES))
        self.epochs = QSpinBox(self, minimum=1, maximum=100_000, value=20)
        self.batch = QSpinBox(self, minimum=1, maximum=1_000_000, value=32)
        self.seed = QSpinBox(self, minimum=0, maximum=2**31 - 1, value=0)
        for label, widget in (("Data", self.data), ("Target", self.target),
                              ("Size", self.size), ("Noise", self.noise),
                              ("Loss", self.loss), ("Optimizer", self.optimizer),
                              ("Learning rate", self.lr), ("Schedule", self.schedule),
                              ("Epochs", self.epochs), ("Batch size", self.batch),
                              ("Seed", self.seed)):
            form.addRow(label, widget)
        buttons = QGridLayout()
        self.start = QPushButton("Start", self)
        self.pause = QPushButton("Pause", self, checkable=True, enabled=False)
        self.stop = QPushButton("Stop", self, enabled=False)
        self.demo = QPushButton("Three initializers", self,
                                toolTip="train the same network after Xavier, zeros and "
                                        "the chapter's piecewise initializer")
        self.health = QPushButton("Health check", self,
                                  toolTip="one forward and backward: activations and "
                                          "gradients per layer")
        for index, button in enumerate((self.start, self.pause, self.stop, self.demo,
                                        self.health)):
            buttons.addWidget(button, index // 3, index % 3)
        self.start.clicked.connect(self.start_requested.emit)
        self.pause.toggled.connect(self._pause_toggled)
        self.stop.clicked.connect(self.stop_requested.emit)
        self.demo.clicked.connect(self.demo_requested.emit)
        self.health.clicked.connect(self.health_requested.emit)
        self.status = QLabel("Ready.", self, wordWrap=True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.runs = QListWidget(self)
        self.runs.itemChanged.connect(self._run_ticked)
        settings = QWidget(self)
        left = QVBoxLayout(settings)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.status)
        left.addWidget(QLabel("Runs (tick to overlay):", self))
        left.addWidget(self.runs)
        self.plots = pg.GraphicsLayoutWidget(self)
        self.plots.setBackground("w")
        self.loss_plot = self.plots.addPlot(title="loss (— train, - - validation)")
        self.loss_plot.setLogMode(y=True)
        self.accuracy_plot = self.plots.addPlot(title="accuracy")
        self.accuracy_plot.setYRange(0, 1)
        self.plots.ci.layout.setColumnStretchFactor(0, 1)
        self.plots.ci.layout.setColumnStretchFactor(1, 1)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.showGrid(x=True, y=True, alpha=0.3)
            plot.setLabel("bottom", "epoch")
        self.boundary = pg.PlotWidget(self, background="w", title="decision boundary")
        self.boundary_image = pg.ImageItem()
        self.boundary_image.setLookupTable(
            pg.ColorMap([0.0, 0.5, 1.0], [(120, 160, 255), (255, 255, 255),
                                          (255, 140, 120)]).getLookupTable(nPts=64))
        self.boundary.addItem(self.boundary_image)
        self.points = pg.ScatterPlotItem(size=4, pen=None)
        self.boundary.addItem(self.points)
        self.health_table = QTableWidget(0, 6, self)
        self.health_table.setHorizontalHeaderLabels(
            ["layer", "type", "activation mean ± std", "gradient mean ± std", "dead",
             "flags"])
        self.views = QTabWidget(self)
        self.histograms = TrainHistograms(self)
        self.views.addTab(self.plots, "Curves")
        self.views.addTab(self.histograms, "Histograms")
        self.views.addTab(self.boundary, "Boundary")
        self.views.addTab(self.health_table, "Health")
        layout = QHBoxLayout(self)
        layout.addWidget(settings, 0)
        layout.addWidget(self.views, 1)
        self.setMinimumSize(200, 150)

    # Settings ------------------------------------------------------------------------

    def _data_chosen(self) -> None:
        chosen = self.data.currentText()
        if chosen == FILE_ITEM:
            path, _ = QFileDialog.getOpenFileName(
                self, "Training data", "", "Data (*.csv *.pt *.safetensors);;All (*)")
        elif chosen == FOLDER_ITEM:
            path = QFileDialog.getExistingDirectory(
                self, "Images, one sub-folder per class")
        else:
            return
        if path:
            self.set_data_file(path)
        else:
            self.data.setCurrentIndex(0)

    def set_data_file(self, path: str) -> None:
        self.data_path = path
        if self.data.findText(path) < 0:
            self.data.insertItem(self.data.findText(FILE_ITEM), path)
        self.data.setCurrentText(path)

    def data_source(self) -> str:
        return self.data.currentText()

    def config(self, device: str = "cpu") -> TrainConfig:
        return TrainConfig(loss=self.loss.currentText(),
                           optimizer=self.optimizer.currentText(),
                           optimizer_args={"lr": self.lr.value()},
                           schedule=self.schedule.currentText(),
                           batch_size=self.batch.value(), epochs=self.epochs.value(),
                           seed=self.seed.value(), device=device)

    # State ---------------------------------------------------------------------------

    def _pause_toggled(self, paused: bool) -> None:
        self.pause.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)

    def set_running(self, running: bool) -> None:
        for widget in (self.start, self.demo, self.health):
            widget.setEnabled(not running)
        self.pause.setEnabled(running)
        self.stop.setEnabled(running)
        if not running:
            self.pause.blockSignals(True)
            self.pause.setChecked(False)
            self.pause.setText("Pause")
            self.pause.blockSignals(False)

    def say(self, text: str) -> None:
        self.status.setText(text)

    # Runs and curves -----------------------------------------------------------------

    def add_run(self, run_id: int, label: str) -> None:
        colour = COLOURS[run_id % len(COLOURS)]
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, run_id)
        item.setForeground(pg.mkColor(colour))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        self.runs.blockSignals(True)
        self.runs.addItem(item)
        self.runs.blockSignals(False)
        self.history[run_id] = {key: [] for key in
                                ("epoch", "train_loss", "validation_loss", "train_accuracy",
                                 "validation_accuracy")}
        solid = pg.mkPen(colour, width=2)
        dashed = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)
        self.curves[run_id] = {
            "train_loss": self.loss_plot.plot(pen=solid),
            "validation_loss": self.loss_plot.plot(pen=dashed),
            "train_accuracy": self.accuracy_plot.plot(pen=solid),
            "validation_accuracy": self.accuracy_plot.plot(pen=dashed),
        }

    def add_epoch(self, run_id: int, stats) -> None:
        history = self.history[run_id]
        history["epoch"].append(stats.epoch)
        for key in ("train_loss", "validation_loss", "train_accuracy",
                    "validation_accuracy"):
            value = getattr(stats, key)
            history[key].append(np.nan if value is None else value)
        epochs = np.asarray(history["epoch"], dtype=float)
        for key, curve in self.curves[run_id].items():
            values = np.asarray(history[key], dtype=float)
            if np.isfinite(values).any():
                curve.setData(epochs, values, connect="finite")

    def _run_ticked(self, item: QListWidgetItem) -> None:
        run_id = item.data(Qt.ItemDataRole.UserRole)
        shown = item.checkState() == Qt.CheckState.Checked
        for curve in self.curves.get(run_id, {}).values():
            curve.setVisible(shown)

    def visible_runs(self) -> list[int]:
        return [run_id for run_id, curves in self.curves.items()
                if curves["train_loss"].isVisible()]

    # Boundary and health -------------------------------------------------------------

    def show_boundary(self, probabilities: np.ndarray, low: tuple[float, float],
                      high: tuple[float, float], points: np.ndarray,
                      labels: np.ndarray) -> None:
        """``probabilities``: steps × steps, the chance of class 1 (rows are y)."""
        self.boundary_image.setImage(probabilities.T, levels=(0, 1))
        width, height = high[0] - low[0], high[1] - low[1]
        self.boundary_image.setRect(low[0], low[1], width, height)
        if self._points is not points:  # the same points every epoch of a run
            self._points = points
            blue, red = pg.mkBrush("#1f4fbf"), pg.mkBrush("#bf1f1f")
            self.points.setData(points[:, 0], points[:, 1],
                                brush=[blue if label == 0 else red for label in labels])

    def show_health(self, rows) -> None:
        self.health_table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            gradient = "—" if row.gradient_std is None else \
                f"{row.gradient_mean:.3g} ± {row.gradient_std:.3g}"
            dead = "" if row.dead_share is None else f"{row.dead_share:.0%}"
            cells = (row.path, row.kind, f"{row.activation_mean:.3g} ± "
                     f"{row.activation_std:.3g}", gradient, dead, ", ".join(row.flags))
            for column, text in enumerate(cells):
                self.health_table.setItem(index, column, QTableWidgetItem(text))
        self.health_table.resizeColumnsToContents()
