"""The initialization lab: one forward and backward pass on a batch, and for every layer
the mean and spread of what it produced and of the gradient that came back, with flags
for values that vanish or explode and for ReLUs that never fire."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from core.training.data import Dataset
from core.training.setup import make_loss

VANISHING = 1e-6
EXPLODING = 1e3
DEAD_SHARE = 0.5
_RELUS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU)


@dataclass
class LayerHealth:
    path: str
    kind: str
    activation_mean: float
    activation_std: float
    gradient_mean: float | None
    gradient_std: float | None
    dead_share: float | None = None
    flags: list[str] = field(default_factory=list)


def _stats(tensor: torch.Tensor) -> tuple[float, float]:
    values = tensor.detach().float()
    if values.numel() == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std()) if values.numel() > 1 else 0.0


def health_check(module: nn.Module, data: Dataset, batch: int = 128, loss: str = "auto",
                 device: str = "cpu") -> list[LayerHealth]:
    """One forward and backward on the first ``batch`` samples of ``data``, on a copy of
    ``module`` (its own gradients are left as they were)."""
    net = copy.deepcopy(module).to(device)
    net.train()
    activations: dict[str, torch.Tensor] = {}
    gradients: dict[str, torch.Tensor] = {}
    kinds: dict[str, str] = {}
    hooks = []

    def watch(path: str):
        def hook(_module, _inputs, output):
            if isinstance(output, torch.Tensor):
                activations[path] = output.detach()
                if output.requires_grad:
                    output.register_hook(lambda g: gradients.__setitem__(path, g.detach()))
        return hook

    for path, child in net.named_modules():
        if path and not list(child.children()):
            kinds[path] = type(child).__name__
            hooks.append(child.register_forward_hook(watch(path)))
    try:
        x = data.inputs[:batch].to(device)
        y = data.targets[:batch].to(device)
        output = net(x)
        name = loss if loss != "auto" else (
            "CrossEntropyLoss" if data.is_classification else "MSELoss")
        if not data.is_classification and output.shape != y.shape:
            y = y.reshape(output.shape)
        make_loss(name).forward(output, y).backward()
    finally:
        for handle in hooks:
            handle.remove()
    rows = []
    for path, kind in kinds.items():
        if path not in activations:
            continue
        mean, std = _stats(activations[path])
        grad = gradients.get(path)
        gmean, gstd = _stats(grad) if grad is not None else (None, None)
        row = LayerHealth(path, kind, mean, std, gmean, gstd)
        if not math.isfinite(std) or abs(std) > EXPLODING:
            row.flags.append("exploding activations")
        elif std < VANISHING:
            row.flags.append("vanishing activations")
        if gstd is not None:
            if not math.isfinite(gstd) or gstd > EXPLODING:
                row.flags.append("exploding gradients")
            elif gstd < VANISHING:
                row.flags.append("vanishing gradients")
        module_of = dict(net.named_modules())[path]
        if isinstance(module_of, _RELUS):
            values = activations[path]
            units = values.reshape(values.shape[0], -1) if values.dim() > 1 else values[:, None]
            row.dead_share = float((units <= 0).all(0).float().mean())
            if row.dead_share >= DEAD_SHARE:
                row.flags.append(f"{row.dead_share:.0%} dead ReLUs")
        rows.append(row)
    return rows
