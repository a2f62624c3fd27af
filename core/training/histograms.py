"""Weight and gradient histograms of every parameter over a run: one row of bin counts
per recorded step, binned on the training thread.

Each tensor's range is fixed at its first record (symmetric, half again its largest
magnitude), so rows of one tensor line up and a picture of them shows the values
spreading or collapsing. Values beyond the range are counted in the end bins and
non-finite values at zero, so every row counts every element. Rows are bounded: when
``max_rows`` is reached, every other row is dropped and recording slows by half.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

KINDS = ("weights", "gradients")
# The range of a tensor that is all zeros at its first record.
EMPTY_SPAN = {"weights": 1.0, "gradients": 1e-3}


@dataclass
class Series:
    """One tensor's histograms (weights or gradients of one parameter)."""

    low: float
    high: float
    steps: list[int] = field(default_factory=list)
    rows: list[torch.Tensor] = field(default_factory=list)


@dataclass(frozen=True)
class Picture:
    """What a heat map draws: ``counts`` is rows × bins (float32), row ``i`` recorded
    at ``steps[i]``, the bins spanning ``low`` to ``high``."""

    counts: torch.Tensor
    steps: tuple[int, ...]
    low: float
    high: float


class Histograms:
    """Records ``module``'s parameters (each tied tensor once) every ``every`` steps.

    `record` runs on the training thread; `picture` and `names` may be called from any
    thread. ``on_record`` is called (on the training thread) after each record."""

    def __init__(self, module: nn.Module, bins: int = 64, every: int = 1,
                 max_rows: int = 240, on_record: Callable[[int], object] | None = None
                 ) -> None:
        if bins < 2 or every < 1 or max_rows < 2:
            raise ValueError("bins and max_rows must be at least 2, every at least 1")
        seen: set[int] = set()
        self.parameters: list[tuple[str, nn.Parameter]] = []
        for name, parameter in module.named_parameters():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                self.parameters.append((name, parameter))
        self.bins, self.every, self.max_rows = bins, every, max_rows
        self.on_record = on_record
        self.series: dict[tuple[str, str], Series] = {}
        self.records = 0
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return [name for name, _ in self.parameters]

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def record(self, step: int) -> None:
        """Bin every parameter and every gradient there is, as row ``step``."""
        binned: dict[tuple[str, str], tuple[torch.Tensor, float, float]] = {}
        with torch.no_grad():
            for name, parameter in self.parameters:
                for kind, tensor in (("weights", parameter), ("gradients", parameter.grad)):
                    if tensor is None or tensor.numel() == 0:
                        continue
                    key = (name, kind)
                    known = self.series.get(key)
                    low, high = (known.low, known.high) if known else _range(tensor, kind)
                    binned[key] = (_bin(tensor, self.bins, low, high), low, high)
        with self._lock:
            for key, (counts, low, high) in binned.items():
                series = self.series.setdefault(key, Series(low, high))
                series.steps.append(step)
                series.rows.append(counts)
            self.records += 1
            if max((len(s.rows) for s in self.series.values()), default=0) >= self.max_rows:
                self._thin()
        if self.on_record is not None:
            self.on_record(step)

    def _thin(self) -> None:
        """Keep the rows at multiples of twice the cadence; record half as often."""
        self.every *= 2
        for series in self.series.values():
            kept = [(s, r) for s, r in zip(series.steps, series.rows, strict=True)
                    if s % self.every == 0]
            series.steps = [s for s, _ in kept]
            series.rows = [r for _, r in kept]

    def picture(self, name: str, kind: str) -> Picture | None:
        """A copy of one tensor's rows so far, or None before its first record."""
        with self._lock:
            series = self.series.get((name, kind))
            if series is None or not series.rows:
                return None
            return Picture(torch.stack(series.rows), tuple(series.steps), series.low,
                           series.high)


def _range(tensor: torch.Tensor, kind: str) -> tuple[float, float]:
    values = tensor.detach().float()
    finite = values[torch.isfinite(values)]
    largest = float(finite.abs().max()) if finite.numel() else 0.0
    span = largest * 1.5 if largest > 0 else EMPTY_SPAN[kind]
    return -span, span


def _bin(tensor: torch.Tensor, bins: int, low: float, high: float) -> torch.Tensor:
    values = tensor.detach().float().nan_to_num(0.0, posinf=high, neginf=low)
    counts = torch.histc(values.clamp(low, high), bins, low, high)
    return counts.cpu()
