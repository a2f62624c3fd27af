"""Layers the chapter defines that `torch.nn` lacks, plus the merge layers.

Each class depends on nothing but ``torch`` and ``torch.nn``, so the code generator can
copy its source into a standalone file.
"""

from __future__ import annotations

import torch
from torch import nn


class CenteredLayer(nn.Module):
    """Subtract the mean of the whole input from every element; no parameters.

    Shape:
        - Input: ``(*)``
        - Output: ``(*)``, the same shape, with mean zero

    Examples::

        >>> CenteredLayer()(torch.tensor([1.0, 2, 3, 4, 5]))
        tensor([-2., -1.,  0.,  1.,  2.])
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - x.mean()


class MyLinear(nn.Module):
    """A fully connected layer written by hand, with the ReLU baked in.

    Computes ``relu(x @ weight + bias)``. Unlike the chapter's first draft, the forward
    uses the parameters themselves (not ``.data``), so gradients reach them.

    Args:
        in_units: size of each input sample
        units: size of each output sample

    Shape:
        - Input: ``(*, in_units)``
        - Output: ``(*, units)``

    Attributes:
        weight: ``(in_units, units)``, drawn from N(0, 1)
        bias: ``(units,)``, drawn from N(0, 1)
    """

    def __init__(self, in_units: int, units: int) -> None:
        super().__init__()
        self.in_units = in_units
        self.units = units
        self.weight = nn.Parameter(torch.empty(in_units, units))
        self.bias = nn.Parameter(torch.empty(units))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.normal_()
            self.bias.normal_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(torch.matmul(x, self.weight) + self.bias)

    def extra_repr(self) -> str:
        return f"in_units={self.in_units}, units={self.units}"


class FixedHiddenLinear(nn.Module):
    """``x @ weight + offset`` with a weight drawn once from U(0, 1) and never trained.

    The weight is a persistent buffer, not a parameter: it is saved in the state_dict
    and moves with the model to another device, but no optimizer ever sees it.

    Args:
        in_features: size of each input sample
        out_features: size of each output sample
        offset: constant added to every output

    Shape:
        - Input: ``(*, in_features)``
        - Output: ``(*, out_features)``
    """

    weight: torch.Tensor

    def __init__(self, in_features: int, out_features: int, offset: float = 1.0) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.offset = offset
        self.register_buffer("weight", torch.empty(in_features, out_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(0.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight + self.offset

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"offset={self.offset}"
        )


class HalveUntilL1(nn.Module):
    """Control flow in a forward pass: halve the input until its L1 norm is at most ``limit``.

    ``last_steps`` records how many halvings the latest call made. On the ``meta`` device
    there are no values to test, and since halving never changes the shape the input is
    passed through unchanged.

    Args:
        limit: the largest L1 norm that is left alone
        max_steps: a bound on the loop, so an input holding inf cannot hang the program

    Shape:
        - Input: ``(*)``
        - Output: ``(*)``, the same shape
    """

    def __init__(self, limit: float = 1.0, max_steps: int = 2048) -> None:
        super().__init__()
        self.limit = limit
        self.max_steps = max_steps
        self.last_steps = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = 0
        if not x.is_meta:
            while steps < self.max_steps and x.abs().sum() > self.limit:
                x = x / 2
                steps += 1
        self.last_steps = steps
        return x

    def extra_repr(self) -> str:
        return f"limit={self.limit}"


class Sum(nn.Module):
    """Sum of the input's elements: over everything (``dim=None``) or along ``dim``.

    Shape:
        - Input: ``(*)``
        - Output: ``()`` for ``dim=None``; otherwise the input without ``dim`` (kept as
          size 1 with ``keepdim=True``)
    """

    def __init__(self, dim: int | None = None, keepdim: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.keepdim = keepdim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dim is None:
            return x.sum()
        return x.sum(dim=self.dim, keepdim=self.keepdim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, keepdim={self.keepdim}"


class Add(nn.Module):
    """Element-wise sum of two or more inputs of broadcastable shapes (a residual join)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


class Multiply(nn.Module):
    """Element-wise product of two or more inputs of broadcastable shapes (a gate)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        product = xs[0]
        for x in xs[1:]:
            product = product * x
        return product


class Concat(nn.Module):
    """Join two or more inputs along ``dim``; all other sizes must agree.

    Args:
        dim: the dimension to join along
    """

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
