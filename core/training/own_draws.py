"""Dropout on the training thread drawn from the run's own generator, not torch's one
CPU generator: a layer made meanwhile on another thread seeds that generator and draws its
weights from it (`core.runtime.layer_seeding.draws`), and a draw of the trainer's falling
between the two would give the layer numbers its seed does not make again."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class OwnDraws:
    """While entered, each `nn.Dropout` of ``module`` keeps a value with probability
    1 - p drawn from ``seed``'s generators (one per device) and scales it by 1 / (1 - p),
    as PyTorch's own does; only those modules change, so nothing else pays for it."""

    def __init__(self, module: nn.Module, seed: int) -> None:
        self.dropouts = [m for m in module.modules() if isinstance(m, nn.Dropout)]
        self.seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}

    def __enter__(self) -> OwnDraws:
        for dropout in self.dropouts:
            dropout.forward = self._forward_of(dropout)  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: Any) -> None:
        for dropout in self.dropouts:
            del dropout.forward

    def _generator(self, device: torch.device) -> torch.Generator:
        if device not in self._generators:
            self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[device]

    def _forward_of(self, dropout: nn.Dropout):
        def forward(input: torch.Tensor) -> torch.Tensor:
            p = dropout.p
            if not dropout.training or p == 0.0:
                return input
            if p == 1.0:
                return input.mul_(0) if dropout.inplace else input * 0
            keep = torch.empty_like(input).bernoulli_(
                1.0 - p, generator=self._generator(input.device))
            kept = keep.div_(1.0 - p)
            return input.mul_(kept) if dropout.inplace else input * kept
        return forward
