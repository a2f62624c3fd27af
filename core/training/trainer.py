"""The training loop, and putting what it learned into the live model as one undo step.

A `Trainer` works on a copy of the live model's module (`copy_for_training`), so views
may go on reading the live model while it runs on another thread; pause and stop are
looked at between steps, so the copy is always whole. `ApplyTraining` then copies the
trained tensors into the live model in place: one command, which undo reverses bit for
bit.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from core.errors import EditError, TorchCanvasError
from core.runtime.live import LiveModel
from core.runtime.tensors import LoadWeights
from core.training.data import Dataset, Split
from core.training.histograms import Histograms
from core.training.own_draws import OwnDraws
from core.training.setup import TrainConfig, make_loss, make_optimizer, make_schedule

SMALL_MODEL = 1_000_000


class TrainingError(TorchCanvasError):
    """The model cannot be trained on this data with these settings."""


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    train_accuracy: float | None
    validation_loss: float | None
    validation_accuracy: float | None
    learning_rate: float
    seconds: float
    samples: int

    def as_dict(self) -> dict[str, float | int | None]:
        return dict(self.__dict__)


@dataclass
class StepStats:
    epoch: int
    step: int
    loss: float


@dataclass
class TrainResult:
    epochs: list[EpochStats] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0

    @property
    def last(self) -> EpochStats | None:
        return self.epochs[-1] if self.epochs else None


class Control:
    """Pause, resume and stop from another thread; the trainer looks between steps."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def checkpoint(self) -> bool:
        """Wait while paused; True when the run should stop."""
        self._running.wait()
        return self._stop.is_set()


def copy_for_training(module: nn.Module, device: str | torch.device = "cpu") -> nn.Module:
    """A deep copy (tied parameters stay tied) on ``device``, with no gradients."""
    clone = copy.deepcopy(module).to(device)
    for parameter in clone.parameters():
        parameter.grad = None
    return clone


class Trainer:
    """Trains ``module`` in place on ``data`` with ``config``.

    ``on_epoch`` receives an `EpochStats` after each epoch, ``on_step`` a `StepStats`
    every ``config.report_every`` steps; both run on the training thread. ``histograms``
    records the weights before the first step and then weights and gradients after every
    step it asks for."""

    def __init__(self, module: nn.Module, data: Split, config: TrainConfig,
                 control: Control | None = None,
                 on_epoch: Callable[[EpochStats], object] | None = None,
                 on_step: Callable[[StepStats], object] | None = None,
                 histograms: Histograms | None = None) -> None:
        config.check()
        self.module, self.data, self.config = module, data, config
        self.control = control or Control()
        self.on_epoch, self.on_step = on_epoch, on_step
        self.histograms = histograms
        self.steps = 0
        self.device = torch.device(config.device)
        self.classification = data.train.is_classification
        self.loss = make_loss(config.loss_for(self.classification), config.loss_args)
        self.optimizer = make_optimizer(config.optimizer, module.parameters(),
                                        config.optimizer_args)
        self.schedule = make_schedule(config.schedule, self.optimizer, config.schedule_args)
        self.train_x = data.train.inputs.to(self.device)
        self.train_y = data.train.targets.to(self.device)
        self.val_x = data.validation.inputs.to(self.device)
        self.val_y = data.validation.targets.to(self.device)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.own_draws = OwnDraws(module, config.seed + 1)  # dropout's, apart from the order's
        self.epoch = 0

    def threads(self) -> int:
        """The CPU threads to train with (see `TrainConfig.threads`)."""
        if self.config.threads > 0:
            return self.config.threads
        small = sum(p.numel() for p in self.module.parameters()) < SMALL_MODEL
        return 1 if small and self.device.type == "cpu" else torch.get_num_threads()

    def _step_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if not self.classification and output.shape != target.shape \
                and output.numel() == target.numel():
            target = target.reshape(output.shape)
        return self.loss(output, target)

    def _correct(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor | None:
        if not self.classification or output.dim() != 2 or output.shape[1] < 2:
            return None
        return (output.argmax(1) == target).sum()

    def run(self) -> TrainResult:
        """Train until ``config.epochs`` more epochs are done or the control says stop."""
        result = TrainResult()
        started = time.perf_counter()
        threads = torch.get_num_threads()
        wanted = self.threads()
        if wanted != threads:
            torch.set_num_threads(wanted)
        try:
            if self.histograms is not None and self.steps == 0:
                self.histograms.record(0)
            for _ in range(self.config.epochs):
                if self.control.checkpoint():
                    result.stopped = True
                    break
                with self.own_draws:
                    stats = self._epoch()
                if stats is None:
                    result.stopped = True
                    break
                result.epochs.append(stats)
                if self.on_epoch is not None:
                    self.on_epoch(stats)
        except TorchCanvasError:
            raise
        except (RuntimeError, ValueError, TypeError, IndexError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise TrainingError(f"training failed: {first[:300] or type(error).__name__}") \
                from None
        finally:
            self.module.eval()
            if wanted != threads:
                torch.set_num_threads(threads)
        result.seconds = time.perf_counter() - started
        return result

    def _epoch(self) -> EpochStats | None:
        module, optimizer, size = self.module, self.optimizer, len(self.train_x)
        batch = self.config.batch_size
        module.train()
        started = time.perf_counter()
        order = torch.randperm(size, generator=self.generator).to(self.device)
        total = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device, dtype=torch.int64)
        counted = True
        step = 0
        for step, begin in enumerate(range(0, size, batch), start=1):
            if step > 1 and self.control.checkpoint():
                return None
            index = order[begin:begin + batch]
            x, y = self.train_x[index], self.train_y[index]
            output = module(x)
            loss = self._step_loss(output, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            self.steps += 1
            if self.histograms is not None and self.histograms.due(self.steps):
                self.histograms.record(self.steps)
            with torch.no_grad():
                total += loss.detach() * len(index)
                hits = self._correct(output.detach(), y)
                if hits is None:
                    counted = False
                else:
                    correct += hits
            if self.on_step is not None and step % self.config.report_every == 0:
                self.on_step(StepStats(self.epoch + 1, step, float(loss.item())))
        self.epoch += 1
        rate = float(optimizer.param_groups[0]["lr"])
        if self.schedule is not None:
            self.schedule.step()
        validation_loss, validation_accuracy = self.evaluate(self.val_x, self.val_y)
        return EpochStats(
            epoch=self.epoch, train_loss=float(total.item()) / size,
            train_accuracy=float(correct.item()) / size if counted else None,
            validation_loss=validation_loss, validation_accuracy=validation_accuracy,
            learning_rate=rate, seconds=time.perf_counter() - started, samples=size)

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float | None, float | None]:
        if len(x) == 0:
            return None, None
        was_training = self.module.training
        self.module.eval()
        total, correct, counted = 0.0, 0, True
        for begin in range(0, len(x), 4096):
            output = self.module(x[begin:begin + 4096])
            target = y[begin:begin + 4096]
            total += float(self._step_loss(output, target).item()) * len(target)
            hits = self._correct(output, target)
            if hits is None:
                counted = False
            else:
                correct += int(hits.item())
        self.module.train(was_training)
        return total / len(x), (correct / len(x) if counted else None)


def predict_grid(module: nn.Module, low: tuple[float, float], high: tuple[float, float],
                 steps: int = 60, device: str | torch.device = "cpu") -> torch.Tensor:
    """Class probabilities (steps × steps × classes) over a 2-D square, for drawing a
    decision boundary."""
    xs = torch.linspace(low[0], high[0], steps)
    ys = torch.linspace(low[1], high[1], steps)
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], -1).reshape(-1, 2)
    with torch.no_grad():
        was = module.training
        module.eval()
        output = module(grid.to(device)).float().cpu()
        module.train(was)
    if output.dim() == 2 and output.shape[1] > 1:
        output = output.softmax(1)
    else:
        output = output.reshape(-1, 1).sigmoid()
    return output.reshape(steps, steps, -1)


class ApplyTraining(LoadWeights):
    """Put the trained tensors into the live model: one undo step."""

    def __init__(self, live: LiveModel, trained: nn.Module, text: str = "Train") -> None:
        module = live.module
        if module is None:
            raise EditError("there is no model to put the trained weights into")
        state = {k: v.detach() for k, v in trained.state_dict().items()}
        current = module.state_dict(keep_vars=True)
        if set(state) != set(current) or any(
                tuple(state[k].shape) != tuple(current[k].shape) for k in state):
            raise EditError("the network changed while it trained; the trained weights no "
                            "longer fit it and were not applied")
        super().__init__(live, state, list(state), text)


def apply_initializer(module: nn.Module, name: str, seed: int = 0,
                      target: str = "weights") -> None:
    """Fill a (copied) module's weights, biases or both with one of the initializers
    of `core.runtime.init`, each tied tensor once."""
    from core.runtime.init import initializer

    spec = initializer(name)
    args = spec.validate_args({})
    seen: set[int] = set()
    with torch.no_grad():
        for index, (key, parameter) in enumerate(module.named_parameters()):
            is_bias = key.split(".")[-1].startswith("bias")
            wanted = target == "all" or (target == "biases") == is_bias
            if not wanted or id(parameter) in seen or spec.refusal(parameter):
                continue
            seen.add(id(parameter))
            generator = torch.Generator(device=parameter.device)
            generator.manual_seed(seed * 1_000_003 + index)
            if name == "zeros":
                parameter.zero_()
            else:
                spec.fill(parameter, args, generator)


DEMO_INITIALIZERS = ("xavier_uniform", "zeros", "piecewise")


def initializer_demo(module: nn.Module, data: Split, config: TrainConfig,
                     initializers: tuple[str, ...] = DEMO_INITIALIZERS,
                     on_epoch: Callable[[str, EpochStats], object] | None = None,
                     control: Control | None = None) -> dict[str, TrainResult]:
    """The same network trained after each initializer (the chapter's lesson): weights
    from the initializer, biases zero. The live module is only copied."""
    results = {}
    for name in initializers:
        clone = copy_for_training(module, config.device)
        apply_initializer(clone, name, seed=config.seed, target="weights")
        apply_initializer(clone, "zeros", target="biases")
        callback = (lambda stats, n=name: on_epoch(n, stats)) if on_epoch else None
        results[name] = Trainer(clone, data, config, control, on_epoch=callback).run()
        if control is not None and control.stopped:
            break
    return results


def check_fits_data(module: nn.Module, data: Dataset, device: str = "cpu") -> None:
    """Raise `TrainingError` when the model does not take the data's samples."""
    sample = data.inputs[:2].to(device)
    try:
        with torch.no_grad():
            output = module(sample)
    except Exception as error:  # any shape torch refuses, said in one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TrainingError(f"the network does not take {data.name}'s samples of shape "
                            f"{list(data.input_shape)}: {first[:200]}") from None
    if not isinstance(output, torch.Tensor):
        raise TrainingError(f"the network returns {type(output).__name__}, not a tensor")
    if data.is_classification and (output.dim() != 2 or output.shape[1] < len(data.classes)):
        raise TrainingError(f"{data.name} has {len(data.classes)} classes, but the network's "
                            f"output has shape {list(output.shape)}; make its last layer "
                            f"give {len(data.classes)} values")
