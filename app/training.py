"""Training from the window: the Train dock's runs go to a worker thread on a copy of the
live model; their epochs and histogram rows come back as signals; when a run ends, its
weights go into the
live model as one undo step. The three-initializer demo and the health check run on
copies too and change nothing."""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from app.collector import set_aside_long_lived
from core.document.history import undo_warning
from core.errors import TorchCanvasError
from core.training import (
    DEMO_INITIALIZERS,
    ApplyTraining,
    Control,
    Dataset,
    EpochStats,
    Histograms,
    Split,
    Trainer,
    TrainResult,
    check_fits_data,
    copy_for_training,
    health_check,
    load_data,
    make_optimizer,
    predict_grid,
    split,
)
from core.training.data import image_settings
from widgets.train_panel import TrainPanel

GRID_STEPS = 50
AGEING_MS = 50
# Histogram rows recorded per epoch (at most: a short epoch records every step).
HISTOGRAM_ROWS_PER_EPOCH = 4
# Set once this process has made an optimizer (see _warm_optimizers).
_OPTIMIZERS_WARM = threading.Event()


class _Relay(QObject):
    epoch = Signal(int, object, object)  # run id, EpochStats, boundary (or None)
    recorded = Signal()  # a histogram row
    finished = Signal(object)
    failed = Signal(object)


class _Work(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work, self.relay = work, relay

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as error:  # reported on the GUI thread, never lost
            with contextlib.suppress(RuntimeError):
                self.relay.failed.emit(error)
            return
        with contextlib.suppress(RuntimeError):
            self.relay.finished.emit(result)


@dataclass
class Run:
    """One training run as the dock keeps it: what it was, and its epochs."""

    run_id: int
    label: str
    settings: dict[str, Any]
    epochs: list[EpochStats] = field(default_factory=list)


class Training(QObject):
    """Owns the Train dock's panel and whatever it runs (one job at a time)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.workspace = window.workspace
        self.panel = TrainPanel(window)
        window.model_docks["train"].setWidget(self.panel)
        self.runs: dict[int, Run] = {}
        self._ids = itertools.count(1)
        self.control: Control | None = None
        self.busy = False
        self.last_result: Any = None
        self.panel.start_requested.connect(self.start)
        self.panel.pause_toggled.connect(self.pause)
        self.panel.stop_requested.connect(self.stop)
        self.panel.demo_requested.connect(self.demo)
        self.panel.health_requested.connect(self.health)
        window.destroyed.connect(lambda *_: self._window_closed())
        self._add_export_entry(window)
        # The first run of a process imports what torch's optimizers need before its
        # data loads; see _age_young_objects.
        self._ager = QTimer(self, interval=AGEING_MS)
        self._ager.timeout.connect(self._age)

    def _add_export_entry(self, window) -> None:
        """File ▸ Export Training Script…, next to Export Python (the Train dock's
        settings exist from now on)."""
        action = QAction("Export &Training Script…", window)
        action.setObjectName("action_export_train_script")
        action.setStatusTip("Write a training script with the Train dock's data, loss, "
                            "optimizer and schedule, for python or torchrun")
        action.triggered.connect(lambda *_: self.export_script())
        window.menus["&File"].insertAction(window.actions["import_model"], action)
        window.actions["export_train_script"] = action

    # Helpers -------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.panel.say(text)
        self.window.statusBar().showMessage(text, 8000)

    def _module_for(self, data: Dataset):
        """The live module, with the network's input set to the data's sample shape
        first (an undoable edit) when they differ."""
        from core.document.edit import SetInput

        document = self.workspace.document
        shape = (document.input.shape[0], *data.input_shape)
        if tuple(document.input.shape) != shape:
            self.workspace.execute(SetInput(shape, "float32"))
            self._say(f"The network's input is now {list(shape)}, to fit {data.name}.")
        live = self.workspace.live
        if live.module is None:
            raise TorchCanvasError(f"the network cannot be built: {live.error or 'no layers'}")
        check_fits_data(live.module, data)
        return live

    def _submit(self, work: Callable[[], Any], finished: Callable[[Any], None]) -> None:
        relay = _Relay(self)
        relay.epoch.connect(self._epoch)
        relay.recorded.connect(self.panel.histograms.request_refresh)
        relay.finished.connect(lambda result: self._finished(relay, finished, result))
        relay.failed.connect(lambda error: self._failed(relay, error))
        self._relay = relay
        self.busy = True
        self.panel.set_running(True)
        QThreadPool.globalInstance().start(_Work(work, relay))

    def _prepare(self, then: Callable[[Any, Split, Any], None]) -> None:
        """Load and split the data on a worker, then fit the network's input to it on
        the GUI thread and go on with ``then(config, data, live)``; or say why not."""
        config = self.panel.config(str(self.workspace.document.device))
        try:
            config.check()
        except TorchCanvasError as error:
            self._say(str(error))
            return
        source, target = self.panel.data_source(), self.panel.target.text().strip()
        size, noise = self.panel.size.value(), self.panel.noise.value()
        image_size, channels = image_settings(tuple(self.workspace.document.input.shape))
        control = self.control = Control()

        def work() -> Split:
            _warm_optimizers()
            data = load_data(source, target=target, size=size, noise=noise,
                             seed=config.seed, image_size=image_size, channels=channels)
            return split(data, 0.2, config.seed)

        history = self.workspace.history

        def loaded(data: Split) -> None:
            # the input may change and the weights are copied: after any job writing them
            if self.workspace.busy is None:
                fitted(data)
                return
            self.busy, self.control = True, control  # still this run's: Stop drops it
            self.panel.set_running(True)
            self._say(f"Waiting for {self.workspace.busy} to end before training…")
            self.workspace.when_idle(lambda: waited(data))

        def waited(data: Split) -> None:
            self.busy, self.control = False, None
            if shiboken6.isValid(self.panel):
                self.panel.set_running(False)
                fitted(data)

        def fitted(data: Split) -> None:
            if control.stopped:
                self._say("Stopped before the first epoch; the model is as it was.")
                return
            if self.workspace.history is not history:
                self._say("Another document was opened while the data loaded; nothing "
                          "was trained.")
                return
            try:
                live = self._module_for(data.train)
            except TorchCanvasError as error:
                self._say(str(error))
                return
            then(config, data, live)

        self._say("Loading the data…")
        self._submit(work, loaded)
        if not _optimizers_warm():
            gc.collect()  # once a process: the garbage now would be set aside for good
            self._ager.start()

    # Actions -------------------------------------------------------------------------

    def start(self) -> None:
        if not self.busy:
            self._prepare(self._train)

    def _train(self, config, data: Split, live) -> None:
        clone = copy_for_training(live.module, config.device)
        control = self.control = Control()
        run = self._new_run(f"{config.optimizer} lr {self.panel.lr.value():g} · "
                            f"{data.train.name.split(' ')[0]} · seed {config.seed}",
                            config, "as on the canvas")
        relay_of = self
        boundary = _boundary_maker(data)
        steps = math.ceil(len(data.train) / config.batch_size)
        histograms = Histograms(clone, every=max(1, steps // HISTOGRAM_ROWS_PER_EPOCH),
                                on_record=lambda _step: relay_of._emit_recorded())
        self.panel.histograms.show_histograms(histograms)

        def on_epoch(stats: EpochStats) -> None:
            relay_of._emit_epoch(run.run_id, stats, boundary(clone) if boundary else None)

        def work() -> TrainResult:
            return Trainer(clone, data, config, control, on_epoch=on_epoch,
                           histograms=histograms).run()

        history = self.workspace.history

        def finished(result: TrainResult) -> None:
            self.last_result = result
            if not result.epochs:
                self._say("Stopped before the first epoch; the model is as it was.")
                return
            # a job writing the weights on a worker (a large undo, an import) ends first
            self.workspace.when_idle(lambda: applied(result))

        def applied(result: TrainResult) -> None:
            if self.workspace.history is not history:
                self._say("Training finished, but another document was opened meanwhile "
                          "(New or Open): its weights were not applied.")
                return
            command = ApplyTraining(self.workspace.live, clone,
                                    f"Train ({len(result.epochs)} epochs)")
            try:
                self.workspace.execute(command)
            except TorchCanvasError as error:
                self._say(str(error))
                return
            last = result.last
            accuracy = "" if last is None or last.validation_accuracy is None else \
                f", validation accuracy {last.validation_accuracy:.1%}"
            stopped = "Stopped after" if result.stopped else "Trained"
            # the copy of the weights before may fit neither memory nor disk
            undo = undo_warning(command).rstrip(".") or "Ctrl+Z undoes"
            self._say(f"{stopped} {len(result.epochs)} epochs in {result.seconds:.1f} s"
                      f"{accuracy}. The weights are in the model ({undo}).")

        self._say("Training…")
        self._submit(work, finished)

    def demo(self) -> None:
        """The same network after Xavier, zeros and the chapter's piecewise initializer."""
        if not self.busy:
            self._prepare(self._demo)

    def _demo(self, config, data: Split, live) -> None:
        from core.training import initializer_demo

        module = copy_for_training(live.module, config.device)
        control = self.control = Control()
        ids = {name: self._new_run(f"{name} · {config.optimizer} · seed {config.seed}",
                                   config, name).run_id for name in DEMO_INITIALIZERS}

        def on_epoch(name: str, stats: EpochStats) -> None:
            self._emit_epoch(ids[name], stats, None)

        def work():
            return initializer_demo(module, data, config, on_epoch=on_epoch, control=control)

        def finished(results) -> None:
            self.last_result = results
            text = "; ".join(
                f"{name}: {r.last.validation_accuracy:.0%}" for name, r in results.items()
                if r.last is not None and r.last.validation_accuracy is not None)
            self._say(f"Three initializers (validation accuracy) — {text}. The model on "
                      "the canvas is unchanged.")

        self._say("Training after three initializers…")
        self._submit(work, finished)

    def health(self) -> None:
        if not self.busy:
            self._prepare(self._health)

    def _health(self, config, data: Split, live) -> None:
        module = copy_for_training(live.module, config.device)

        def finished(rows) -> None:
            self.last_result = rows
            self.panel.show_health(rows)
            self.panel.views.setCurrentWidget(self.panel.health_table)
            flagged = sum(1 for row in rows if row.flags)
            self._say(f"Health check: {len(rows)} layers, {flagged} flagged.")

        self._submit(lambda: health_check(module, data.train, loss=config.loss,
                                          device=config.device), finished)

    def export_script(self, path: str | None = None) -> bool:
        """File ▸ Export Training Script: the network with the data, loss, optimizer and
        schedule chosen in the dock, as a script for python or torchrun. Asks where
        unless given ``path``; says plainly why not."""
        from app import messages
        from core.io.atomic import write_atomically
        from core.training.script import DataSource, training_script

        document = self.workspace.document
        size, channels = image_settings(tuple(document.input.shape))
        try:
            config = self.panel.config(str(document.device))
            source = DataSource.choose(
                self.panel.data_source(), size=self.panel.size.value(),
                noise=self.panel.noise.value(), target=self.panel.target.text().strip(),
                image_size=size, channels=channels)
            text = training_script(document, config, source)  # compiled first
        except TorchCanvasError as error:
            messages.warning(self.window, "Cannot export the training script", str(error))
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.window, "Export Training Script",
                                                  "train.py", "Python source (*.py)")
            if not path:
                return False
        try:
            write_atomically(path, lambda stream: stream.write(text.encode()))
        except (TorchCanvasError, OSError) as error:
            messages.warning(self.window, "Cannot export the training script", str(error))
            return False
        self._say(f"Wrote {path}: run it with python {Path(path).name}, or torchrun "
                  f"--nproc_per_node=N {Path(path).name}.")
        return True

    def pause(self, paused: bool) -> None:
        if self.control is not None:
            if paused:
                self.control.pause()
                self._say("Paused.")
            else:
                self.control.resume()
                self._say("Training…")

    def stop(self) -> None:
        if self.control is not None:
            self.control.stop()

    # Plumbing ------------------------------------------------------------------------

    def _new_run(self, label: str, config, initializer: str) -> Run:
        run = Run(next(self._ids), label, {"optimizer": config.optimizer,
                                          "optimizer_args": dict(config.optimizer_args),
                                          "seed": config.seed, "initializer": initializer,
                                          "epochs": config.epochs})
        self.runs[run.run_id] = run
        self.panel.add_run(run.run_id, label)
        return run

    def _emit_epoch(self, run_id: int, stats: EpochStats, boundary) -> None:
        """On the training thread: hand an epoch to the GUI thread."""
        relay = self._relay
        with contextlib.suppress(RuntimeError):
            relay.epoch.emit(run_id, stats, boundary)

    def _emit_recorded(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._relay.recorded.emit()

    def _epoch(self, run_id: int, stats: EpochStats, boundary) -> None:
        if not shiboken6.isValid(self.panel):
            return
        self.runs[run_id].epochs.append(stats)
        self.panel.add_epoch(run_id, stats)
        if boundary is not None:
            self.panel.show_boundary(*boundary)

    def _finished(self, relay: _Relay, finished: Callable[[Any], None], result: Any) -> None:
        if not shiboken6.isValid(self.panel):
            return
        self._stop_ageing()
        self.busy = False
        self.control = None
        self.panel.set_running(False)
        relay.deleteLater()
        finished(result)

    def _failed(self, relay: _Relay, error: Exception) -> None:
        if not shiboken6.isValid(self.panel):
            return
        self._stop_ageing()
        self.busy = False
        self.control = None
        self.panel.set_running(False)
        relay.deleteLater()
        self._say(str(error) if isinstance(error, TorchCanvasError)
                  else f"Training failed: {type(error).__name__}: {error}")

    def _age(self) -> None:
        _age_young_objects()
        if _OPTIMIZERS_WARM.is_set():  # the import is over: what follows is not set aside
            self._ager.stop()

    def _stop_ageing(self) -> None:
        if self._ager.isActive():
            self._ager.stop()
            _age_young_objects()

    def _window_closed(self) -> None:
        if self.control is not None:
            self.control.stop()


def _warm_optimizers() -> None:
    """The first optimizer a process makes imports torch._dynamo: over a second and about
    200,000 objects. Done here, on the worker that loads the data, not in training."""
    import torch

    parameter = torch.zeros(1, requires_grad=True)
    optimizer = make_optimizer("SGD", [parameter], {"lr": 0.1})
    parameter.sum().backward()
    optimizer.step()
    optimizer.zero_grad()
    _OPTIMIZERS_WARM.set()


def _optimizers_warm() -> bool:
    """Whether making an optimizer would import nothing large (torch._dynamo is in,
    whoever imported it: the first elementwise operation on meta does too)."""
    dynamo = sys.modules.get("torch._dynamo")
    return _OPTIMIZERS_WARM.is_set() or (
        dynamo is not None and not getattr(dynamo.__spec__, "_initializing", True))


def _age_young_objects() -> None:
    """The objects an import on a worker makes (torch._dynamo's, above) are long-lived,
    but the collector on the GUI thread (app.collector) would walk them all: 100-300 ms
    at once. Set aside as they come, only while that import runs (once a process: what
    is set aside is never collected, so a cycle alive then would stay for good), and
    each time after collecting what was made since the last time (a few milliseconds),
    so that its garbage is not set aside too."""
    gc.collect(0)
    set_aside_long_lived()


def _boundary_maker(data: Split):
    """For two-input, two-class data: a function of the model giving what
    `TrainPanel.show_boundary` draws (computed on the training thread)."""
    train = data.train
    if train.input_shape != (2,) or len(train.classes) != 2:
        return None
    points = train.inputs[:400].numpy()
    labels = train.targets[:400].numpy()
    low = tuple(float(v) - 0.3 for v in train.inputs.min(0).values)
    high = tuple(float(v) + 0.3 for v in train.inputs.max(0).values)

    def boundary(module):
        grid = predict_grid(module, low, high, GRID_STEPS)  # type: ignore[arg-type]
        return (np.asarray(grid[..., 1 if grid.shape[-1] > 1 else 0]), low, high, points,
                labels)

    return boundary
