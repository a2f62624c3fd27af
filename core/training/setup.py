"""How a network is trained: the loss (the catalog's "Loss" entries), the optimizer
(every `torch.optim` optimizer that steps without a closure, its arguments typed from
its signature as the layer catalog's are), an optional learning-rate schedule, and the
settings of a run."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from core.catalog.arguments import ArgSpec, count, real
from core.catalog.registry import CATALOG, LayerSpec
from core.errors import ArgumentError

# Optimizer arguments that choose an implementation, not what is learned.
_INTERNAL = {"params", "foreach", "capturable", "differentiable", "fused", "maximize",
             "decoupled_weight_decay"}
# Optimizers that need a closure or sparse gradients: not offered.
_NOT_OFFERED = {"LBFGS", "SparseAdam"}


def loss_specs() -> dict[str, LayerSpec]:
    """The catalog's losses, by name."""
    return {name: spec for name, spec in CATALOG.items() if spec.category == "Loss"}


def make_loss(name: str, args: Mapping[str, Any] | None = None) -> torch.nn.Module:
    specs = loss_specs()
    if name not in specs:
        raise ArgumentError(f"unknown loss {name!r}; e.g. CrossEntropyLoss, MSELoss")
    spec = specs[name]
    return spec.factory(**spec.validate_args(dict(args or {})))


@dataclass(frozen=True)
class OptimizerSpec:
    name: str
    factory: Any
    args: tuple[ArgSpec, ...]

    def validate_args(self, args: Mapping[str, Any]) -> dict[str, Any]:
        known = {a.name: a for a in self.args}
        for key in args:
            if key not in known:
                raise ArgumentError(f"{self.name} has no argument {key!r}; it takes "
                                    f"{', '.join(known)}")
        values = {}
        for key, value in args.items():
            spec = known[key]
            if spec.kind == "float" and spec.length != 1 and isinstance(value, list):
                value = tuple(value)
            values[key] = spec.validate(value)
        return values


def _optimizer_argument(parameter: inspect.Parameter) -> ArgSpec | None:
    default = parameter.default
    name = parameter.name
    if isinstance(default, bool):
        return ArgSpec(name, "bool", default, name.replace("_", " "))
    if isinstance(default, (int, float)) and (isinstance(default, float) or "float" in str(
            parameter.annotation)):
        return real(name, float(default), name.replace("_", " "),
                    minimum=0.0 if name in ("lr", "weight_decay", "eps") else None)
    if isinstance(default, int):
        return ArgSpec(name, "int", default, name.replace("_", " "), minimum=-2**31,
                       maximum=2**31)
    if isinstance(default, tuple) and default and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in default):
        return ArgSpec(name, "float", tuple(float(v) for v in default),
                       name.replace("_", " "), length=len(default))
    return None


@functools.cache
def optimizer_specs() -> dict[str, OptimizerSpec]:
    """Every `torch.optim` optimizer offered, with its arguments."""
    specs = {}
    for name in sorted(dir(torch.optim)):
        factory = getattr(torch.optim, name)
        if not (inspect.isclass(factory) and issubclass(factory, torch.optim.Optimizer)) \
                or factory is torch.optim.Optimizer or name in _NOT_OFFERED:
            continue
        args = []
        for parameter in inspect.signature(factory).parameters.values():
            if parameter.name in _INTERNAL or parameter.default is inspect.Parameter.empty:
                continue
            spec = _optimizer_argument(parameter)
            if spec is not None:
                args.append(spec)
        specs[name] = OptimizerSpec(name, factory, tuple(args))
    return specs


def make_optimizer(name: str, parameters, args: Mapping[str, Any] | None = None
                   ) -> torch.optim.Optimizer:
    specs = optimizer_specs()
    if name not in specs:
        raise ArgumentError(f"unknown optimizer {name!r}; e.g. SGD, Adam, AdamW")
    spec = specs[name]
    return spec.factory(parameters, **spec.validate_args(dict(args or {})))


SCHEDULES: dict[str, tuple[ArgSpec, ...]] = {
    "none": (),
    "StepLR": (count("step_size", 10, "epochs between decays"),
               real("gamma", 0.1, "factor of each decay", minimum=0.0)),
    "ExponentialLR": (real("gamma", 0.95, "factor per epoch", minimum=0.0),),
    "CosineAnnealingLR": (count("T_max", 20, "epochs of one half cosine"),
                          real("eta_min", 0.0, "smallest learning rate", minimum=0.0)),
}


def make_schedule(name: str, optimizer: torch.optim.Optimizer,
                  args: Mapping[str, Any] | None = None):
    """A scheduler stepped once per epoch, or None for ``none``."""
    if name == "none":
        return None
    return getattr(torch.optim.lr_scheduler, name)(optimizer, **schedule_values(name, args))


def schedule_values(name: str, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every argument of schedule ``name``: those given, checked, and the defaults."""
    if name not in SCHEDULES:
        raise ArgumentError(f"unknown schedule {name!r}; one of {', '.join(SCHEDULES)}")
    known = {a.name: a for a in SCHEDULES[name]}
    values = {a.name: a.default for a in SCHEDULES[name]}
    for key, value in (args or {}).items():
        if key not in known:
            raise ArgumentError(f"{name} has no argument {key!r}")
        values[key] = known[key].validate(value)
    return values


@dataclass
class TrainConfig:
    """The settings of one run. ``loss`` ``auto`` is CrossEntropyLoss for classes and
    MSELoss for numbers. ``threads`` is torch's CPU thread count while training (0:
    one thread for a model under a million parameters, whose small matrix products
    only lose time to thread hand-offs, else torch's own setting)."""

    loss: str = "auto"
    loss_args: dict[str, Any] = field(default_factory=dict)
    optimizer: str = "SGD"
    optimizer_args: dict[str, Any] = field(default_factory=lambda: {"lr": 0.1})
    schedule: str = "none"
    schedule_args: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 32
    epochs: int = 20
    seed: int = 0
    device: str = "cpu"
    report_every: int = 10
    threads: int = 0

    def check(self) -> None:
        """Raise `ArgumentError` for a setting that would not run."""
        if not 1 <= self.batch_size <= 1_000_000:
            raise ArgumentError(f"batch size must be from 1 to 1,000,000, not "
                                f"{self.batch_size}")
        if not 1 <= self.epochs <= 1_000_000:
            raise ArgumentError(f"epochs must be from 1 to 1,000,000, not {self.epochs}")
        if self.loss != "auto" and self.loss not in loss_specs():
            raise ArgumentError(f"unknown loss {self.loss!r}")
        if self.optimizer not in optimizer_specs():
            raise ArgumentError(f"unknown optimizer {self.optimizer!r}; e.g. SGD, Adam")
        optimizer_specs()[self.optimizer].validate_args(self.optimizer_args)
        if self.schedule not in SCHEDULES:
            raise ArgumentError(f"unknown schedule {self.schedule!r}")

    def loss_for(self, classification: bool) -> str:
        if self.loss != "auto":
            return self.loss
        return "CrossEntropyLoss" if classification else "MSELoss"

    def describe(self) -> str:
        lr = self.optimizer_args.get("lr")
        rate = f" lr {lr:g}" if isinstance(lr, (int, float)) else ""
        return (f"{self.optimizer}{rate}, batch {self.batch_size}, {self.epochs} epochs, "
                f"seed {self.seed}")
