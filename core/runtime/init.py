"""Initializers: everything in `torch.nn.init` that applies to a weight, PyTorch's own
reset, the chapter's piecewise distribution and mixtures a person composes.

`ApplyInitializer` is one undoable command over a scope (the whole net or chosen nodes
and blocks; weights, biases or both) with a seed, and `theory` describes what the
result should look like, for drawing over its histogram.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import init as nn_init
from torch.nn.parameter import UninitializedParameter

from core.catalog.arguments import ArgSpec, choice, real
from core.document.graph import Document
from core.errors import ArgumentError, EditError
from core.runtime.layer_seeding import draws
from core.runtime.live import LiveModel, TensorRef
from core.runtime.tensors import TensorCommand

NONLINEARITIES = ("relu", "leaky_relu", "linear", "tanh", "sigmoid", "selu", "conv2d")
CHAPTER_PIECES = "0.25: U(5, 10); 0.5: 0; 0.25: U(-10, -5)"
TARGETS = ("weights", "biases", "all")


@dataclass(frozen=True)
class InitSpec:
    """One initializer: its arguments and how it fills a tensor in place."""

    name: str
    label: str
    help: str
    fill: Callable[[torch.Tensor, Mapping[str, Any], torch.Generator], object]
    args: tuple[ArgSpec, ...] = ()
    min_dim: int = 1
    dims: tuple[int, ...] = ()

    def validate_args(self, args: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(args) - {a.name for a in self.args}
        if unknown:
            raise ArgumentError(f"{self.label} has no argument {sorted(unknown)[0]!r}")
        values = {a.name: a.validate(args.get(a.name, a.default)) for a in self.args}
        if self.name == "mixture":
            parse_pieces(values["pieces"])
        return values

    def refusal(self, tensor: torch.Tensor) -> str | None:
        """Why this initializer does not apply to ``tensor`` (None when it does)."""
        if self.dims and tensor.dim() not in self.dims:
            wanted = " or ".join(f"{d}-D" for d in self.dims)
            return f"{self.label} needs a {wanted} tensor, not {tensor.dim()}-D"
        if tensor.dim() < self.min_dim:
            return f"{self.label} needs at least {self.min_dim} dimensions, not {tensor.dim()}"
        return None


def _fans(tensor: torch.Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        return tensor.numel(), tensor.numel()
    return nn_init._calculate_fan_in_and_fan_out(tensor)


def _piecewise(tensor, args, generator) -> None:
    nn_init.uniform_(tensor, -10.0, 10.0, generator=generator)
    tensor.mul_(tensor.abs() >= 5)


PIECE = re.compile(r"^\s*([0-9.eE+-]+)\s*:\s*(?:(U|N)\s*\(\s*([^,]+),\s*([^)]+)\)|([^;]+))\s*$")


def parse_pieces(text: str) -> list[tuple[float, str, float, float]]:
    """``"0.25: U(5, 10); 0.5: 0; 0.25: N(0, 1)"`` → (probability, kind, p1, p2) pieces.

    U(a, b) is uniform, N(mean, std) normal, a bare number a constant. The
    probabilities must be positive and add up to 1.
    """
    pieces = []
    for part in [p for p in text.split(";") if p.strip()]:
        match = PIECE.match(part)
        if not match:
            raise ArgumentError(f"{part.strip()!r}: write pieces like 0.25: U(5, 10)", "pieces")
        try:
            probability = float(match.group(1))
            if match.group(2):
                first, second = float(match.group(3)), float(match.group(4))
                pieces.append((probability, match.group(2), first, second))
            else:
                value = float(match.group(5))
                pieces.append((probability, "C", value, value))
        except ValueError:
            raise ArgumentError(f"{part.strip()!r}: not a number", "pieces") from None
        if match.group(2) == "U" and pieces[-1][2] > pieces[-1][3]:
            raise ArgumentError(f"{part.strip()!r}: U(a, b) needs a ≤ b", "pieces")
        if match.group(2) == "N" and pieces[-1][3] < 0:
            raise ArgumentError(f"{part.strip()!r}: N(mean, std) needs std ≥ 0", "pieces")
    if not pieces:
        raise ArgumentError("give at least one piece", "pieces")
    if any(p[0] <= 0 for p in pieces) or abs(sum(p[0] for p in pieces) - 1) > 1e-6:
        raise ArgumentError("the probabilities must be positive and add up to 1", "pieces")
    return pieces


def _mixture(tensor, args, generator) -> None:
    pieces = parse_pieces(args["pieces"])
    weights = torch.tensor([p[0] for p in pieces])
    flat = torch.empty(tensor.numel(), device=tensor.device, dtype=tensor.dtype)
    choice_generator = torch.Generator().manual_seed(generator.initial_seed())
    which = torch.multinomial(weights, tensor.numel(), replacement=True,
                              generator=choice_generator).to(tensor.device)
    for index, (_, kind, first, second) in enumerate(pieces):
        mask = which == index
        count = int(mask.sum().item())
        if not count:
            continue
        values = torch.empty(count, device=tensor.device, dtype=tensor.dtype)
        if kind == "U":
            values.uniform_(first, second, generator=generator)
        elif kind == "N":
            values.normal_(first, second, generator=generator)
        else:
            values.fill_(first)
        flat[mask] = values
    tensor.copy_(flat.view_as(tensor))


_gain = real("gain", 1.0, "scale factor", minimum=0.0)
_mode = choice("mode", "fan_in", ("fan_in", "fan_out"),
               "keep the variance of the forward (fan_in) or backward (fan_out) pass")
_nonlinearity = choice("nonlinearity", "relu", NONLINEARITIES, "the activation that follows")
_slope = real("a", 0.0, "negative slope of the leaky ReLU that follows")


def _entries() -> list[InitSpec]:
    S = InitSpec
    return [
        S("default", "PyTorch default", "each layer's own reset_parameters()",
          lambda t, a, g: None),
        S("uniform", "Uniform", "U(a, b)",
          lambda t, a, g: nn_init.uniform_(t, a["a"], a["b"], generator=g),
          (real("a", -0.1, "lower bound"), real("b", 0.1, "upper bound"))),
        S("normal", "Normal", "N(mean, std²)",
          lambda t, a, g: nn_init.normal_(t, a["mean"], a["std"], generator=g),
          (real("mean", 0.0, "mean"), real("std", 0.01, "standard deviation", minimum=0.0))),
        S("trunc_normal", "Truncated normal", "N(mean, std²) redrawn outside [a, b]",
          lambda t, a, g: nn_init.trunc_normal_(t, a["mean"], a["std"], a["a"], a["b"],
                                                generator=g),
          (real("mean", 0.0, "mean"), real("std", 0.02, "standard deviation", minimum=0.0),
           real("a", -0.04, "lower cut-off"), real("b", 0.04, "upper cut-off"))),
        S("constant", "Constant", "every value the same",
          lambda t, a, g: nn_init.constant_(t, a["value"]), (real("value", 1.0, "the value"),)),
        S("ones", "Ones", "every value 1", lambda t, a, g: nn_init.ones_(t)),
        S("zeros", "Zeros", "every value 0", lambda t, a, g: nn_init.zeros_(t)),
        S("eye", "Identity (eye)", "the identity matrix; 2-D weights only",
          lambda t, a, g: nn_init.eye_(t), dims=(2,)),
        S("dirac", "Dirac", "convolution weights that pass their input through",
          lambda t, a, g: nn_init.dirac_(t), dims=(3, 4, 5)),
        S("xavier_uniform", "Xavier uniform", "U(±gain·√(6 / (fan_in + fan_out)))",
          lambda t, a, g: nn_init.xavier_uniform_(t, a["gain"], generator=g), (_gain,),
          min_dim=2),
        S("xavier_normal", "Xavier normal", "N(0, gain² · 2 / (fan_in + fan_out))",
          lambda t, a, g: nn_init.xavier_normal_(t, a["gain"], generator=g), (_gain,),
          min_dim=2),
        S("kaiming_uniform", "Kaiming uniform", "U(±gain·√(3 / fan)) for the nonlinearity",
          lambda t, a, g: nn_init.kaiming_uniform_(t, a["a"], a["mode"], a["nonlinearity"],
                                                   generator=g),
          (_slope, _mode, _nonlinearity), min_dim=2),
        S("kaiming_normal", "Kaiming normal", "N(0, gain² / fan) for the nonlinearity",
          lambda t, a, g: nn_init.kaiming_normal_(t, a["a"], a["mode"], a["nonlinearity"],
                                                  generator=g),
          (_slope, _mode, _nonlinearity), min_dim=2),
        S("orthogonal", "Orthogonal", "a (semi-)orthogonal matrix times gain",
          lambda t, a, g: nn_init.orthogonal_(t, a["gain"], generator=g), (_gain,), min_dim=2),
        S("sparse", "Sparse", "N(0, std²) with a fraction of each column zero; 2-D only",
          lambda t, a, g: nn_init.sparse_(t, a["sparsity"], a["std"], generator=g),
          (real("sparsity", 0.5, "fraction of each column set to zero", minimum=0.0,
                maximum=1.0), real("std", 0.01, "standard deviation", minimum=0.0)),
          dims=(2,)),
        S("piecewise", "Chapter's piecewise", "U(5, 10) w.p. ¼, 0 w.p. ½, U(−10, −5) w.p. ¼",
          _piecewise),
        S("mixture", "Mixture", "pieces you compose: probability: U(a, b), N(m, s) or a value",
          _mixture, (ArgSpec("pieces", "text", CHAPTER_PIECES, "pieces separated by ;"),)),
    ]


INITIALIZERS: dict[str, InitSpec] = {spec.name: spec for spec in _entries()}


def initializer(name: str) -> InitSpec:
    try:
        return INITIALIZERS[name]
    except KeyError:
        raise ArgumentError(f"unknown initializer {name!r}") from None


def select_tensors(live: LiveModel, document: Document, node_ids: list[str] | None,
                   target: str) -> list[tuple[TensorRef, torch.Tensor]]:
    """The parameters an initializer reaches: every layer in scope (a block brings its
    layers), its weights, biases or both, each tied tensor once."""
    if live.built is None:
        return []
    if target not in TARGETS:
        raise ArgumentError(f"target must be one of {', '.join(TARGETS)}")
    scope: list[str] = []
    for node_id in node_ids if node_ids is not None else [n.id for _, n in document.walk()]:
        node = document.node(node_id)
        if node.graph is not None:
            scope += [n.id for _, n in document.walk(node_id) if n.graph is None]
        else:
            scope.append(node_id)
    chosen: list[tuple[TensorRef, torch.Tensor]] = []
    seen: set[int] = set()
    for node_id in scope:
        owner = document.owner_of(node_id)
        module = live.built.modules.get(owner)
        if module is None:
            continue
        for name, parameter in module.named_parameters():
            is_bias = name.split(".")[-1].startswith("bias")
            wanted = target == "all" or (target == "biases") == is_bias
            if wanted and id(parameter) not in seen:
                seen.add(id(parameter))
                chosen.append((TensorRef(owner, name), parameter))
    return chosen


class ApplyInitializer(TensorCommand):
    """Initialize the chosen tensors; undo restores them bit for bit."""

    def __init__(self, live: LiveModel, document: Document, name: str,
                 args: Mapping[str, Any] | None = None, node_ids: list[str] | None = None,
                 target: str = "weights", seed: int = 0) -> None:
        spec = initializer(name)
        super().__init__(live, f"Initialize ({spec.label})")
        self.document, self.spec = document, spec
        self.args = spec.validate_args(args or {})
        self.node_ids, self.target, self.seed = node_ids, target, seed
        self.refs: list[TensorRef] = []

    def change(self) -> None:
        tensors = select_tensors(self.live, self.document, self.node_ids, self.target)
        if not tensors:
            raise EditError(f"{self.spec.label}: there are no {self.target} in the scope")
        for ref, tensor in tensors:
            if isinstance(tensor, UninitializedParameter):
                raise EditError(f"{ref.name} of {ref.node_id} has no size yet; connect the "
                                "layer so the dry run can size it")
            if self.spec.name != "default" and (reason := self.spec.refusal(tensor)):
                raise EditError(f"{ref.name} of {ref.node_id}: {reason}; nothing was changed")
        self.refs = [ref for ref, _ in tensors]
        for _, tensor in tensors:
            self.remember(tensor)
        with torch.no_grad():
            if self.spec.name == "default":
                self._reset([ref.node_id for ref in self.refs])
                return
            for index, (_, tensor) in enumerate(tensors):
                generator = torch.Generator(device=tensor.device)
                generator.manual_seed(self.seed * 1_000_003 + index)
                self.spec.fill(tensor, self.args, generator)

    def _reset(self, owners: list[str]) -> None:
        for position, owner in enumerate(dict.fromkeys(owners)):
            module = self.live.built.modules[owner]  # type: ignore[union-attr]
            with draws, torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed * 1_000_003 + position)
                reset = getattr(module, "reset_parameters", None)
                if callable(reset):
                    reset()


@dataclass
class Theory:
    """What a distribution should look like: bound lines, and a density curve scaled to
    a histogram's counts."""

    lines: list[float]
    curve: tuple[np.ndarray, np.ndarray] | None
    text: str


def theory(name: str, args: Mapping[str, Any], tensor: torch.Tensor,
           edges: np.ndarray) -> Theory | None:
    """The expected shape of ``name``'s output on ``tensor``, for bins ``edges``."""
    spec = initializer(name)
    args = spec.validate_args(args)
    width = float(edges[1] - edges[0]) if len(edges) > 1 else 1.0
    x = np.linspace(edges[0], edges[-1], 400)
    count = tensor.numel()

    def uniform(low: float, high: float, mass: float = 1.0) -> np.ndarray:
        inside = (x >= low) & (x <= high)
        return np.where(inside, mass * count * width / max(high - low, 1e-12), 0.0)

    def normal(mean: float, std: float, mass: float = 1.0) -> np.ndarray:
        std = max(std, 1e-12)
        return mass * count * width * np.exp(-0.5 * ((x - mean) / std) ** 2) / (
            std * math.sqrt(2 * math.pi))

    if tensor.dim() >= 2:
        fan_in, fan_out = _fans(tensor)
    else:
        fan_in = fan_out = tensor.numel()
    if name == "uniform":
        return Theory([args["a"], args["b"]], (x, uniform(args["a"], args["b"])),
                      f"U({args['a']:g}, {args['b']:g})")
    if name == "normal":
        return Theory([], (x, normal(args["mean"], args["std"])),
                      f"N({args['mean']:g}, {args['std']:g}²)")
    if name == "trunc_normal":
        return Theory([args["a"], args["b"]], (x, normal(args["mean"], args["std"])),
                      f"N({args['mean']:g}, {args['std']:g}²) in [{args['a']:g}, {args['b']:g}]")
    if name == "xavier_uniform":
        bound = args["gain"] * math.sqrt(6.0 / (fan_in + fan_out))
        return Theory([-bound, bound], (x, uniform(-bound, bound)),
                      f"±√(6 / ({fan_in} + {fan_out})) = ±{bound:.4g}")
    if name == "xavier_normal":
        std = args["gain"] * math.sqrt(2.0 / (fan_in + fan_out))
        return Theory([], (x, normal(0.0, std)), f"std {std:.4g}")
    if name in ("kaiming_uniform", "kaiming_normal"):
        fan = fan_in if args["mode"] == "fan_in" else fan_out
        gain = nn_init.calculate_gain(args["nonlinearity"], args["a"])
        if name == "kaiming_uniform":
            bound = gain * math.sqrt(3.0 / fan)
            return Theory([-bound, bound], (x, uniform(-bound, bound)), f"±{bound:.4g}")
        std = gain / math.sqrt(fan)
        return Theory([], (x, normal(0.0, std)), f"std {std:.4g}")
    if name in ("constant", "ones", "zeros"):
        value = {"ones": 1.0, "zeros": 0.0}.get(name, args.get("value", 0.0))
        return Theory([value], None, f"all {value:g}")
    if name == "piecewise":
        curve = uniform(5, 10, 0.25) + uniform(-10, -5, 0.25)
        return Theory([-10, -5, 5, 10], (x, curve), "¼ U(5, 10) · ½ at 0 · ¼ U(−10, −5)")
    if name == "mixture":
        curve = np.zeros_like(x)
        lines: list[float] = []
        for probability, kind, first, second in parse_pieces(args["pieces"]):
            if kind == "U":
                curve += uniform(first, second, probability)
                lines += [first, second]
            elif kind == "N":
                curve += normal(first, second, probability)
            else:
                lines.append(first)
        return Theory(lines, (x, curve), args["pieces"])
    return None
