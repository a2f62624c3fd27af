"""Dropout on the training thread drawn from the run's own generator, not torch's one
CPU generator: a layer made meanwhile on another thread seeds that generator and draws its
weights from it (`core.runtime.layer_seeding.draws`), and a draw of the trainer's falling
between the two would give the layer numbers its seed does not make again."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode


class OwnDraws(TorchFunctionMode):
    """While active on a thread (modes are per thread), ``F.dropout`` there keeps each
    value with probability 1 - p from ``seed``'s generators (one per device), scaled by
    1 / (1 - p) as PyTorch's own."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}

    def _generator(self, device: torch.device) -> torch.Generator:
        if device not in self._generators:
            self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[device]

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func is F.dropout:
            return self._dropout(*args, **kwargs)
        return func(*args, **kwargs)

    def _dropout(self, input: torch.Tensor, p: float = 0.5, training: bool = True,
                 inplace: bool = False) -> torch.Tensor:
        if not training or p == 0.0:
            return input
        if p == 1.0:
            return input.mul_(0) if inplace else input * 0
        keep = torch.empty_like(input).bernoulli_(1.0 - p,
                                                  generator=self._generator(input.device))
        kept = keep.div_(1.0 - p)
        return input.mul_(kept) if inplace else input * kept
