"""Tensor operations at run time: `evaluate` runs an `Expression` on tensors, on meta
tensors for a dry run, or on torch.fx proxies to write it into a graph — one definition
for all three. The classes here are the catalog factories of the operations: small
modules that do what the node does, for the dry run and the step-through (the built
network calls the expression itself and registers no module for it)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from core.catalog.arguments import ELLIPSIS
from core.catalog.operations import ENTRIES, TENSOR, Expression, Index, Input, Size, expression_for

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "torch.cat": torch.cat, "F.interpolate": functional.interpolate, "F.pad": functional.pad,
}
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "@": operator.matmul,
}


def python_index(items: tuple[Any, ...]) -> Any:
    """The index Python takes: slices, Ellipsis and None; one item alone (a tuple's
    items are picked with an int, not with a 1-tuple)."""
    converted = tuple(Ellipsis if item == ELLIPSIS else slice(*item) if isinstance(item, tuple)
                      else item for item in items)
    return converted[0] if len(converted) == 1 else converted


def evaluate(expression: Expression, values: Sequence[Any]) -> Any:
    """``expression`` applied to ``values`` (the node's inputs, in port order)."""

    def resolve(argument: Any) -> Any:
        if isinstance(argument, Input):
            return values[argument.port]
        if isinstance(argument, Size):
            return values[argument.port].size(argument.dim)
        if isinstance(argument, Index):
            return python_index(argument.items)
        if isinstance(argument, list):
            return [resolve(item) for item in argument]
        return argument

    args = [resolve(argument) for argument in expression.args]
    kwargs = {name: resolve(value) for name, value in expression.kwargs}
    if expression.kind == "method":
        return getattr(args[0], expression.target)(*args[1:], **kwargs)
    if expression.kind == "function":
        return FUNCTIONS[expression.target](*args, **kwargs)
    if expression.kind == "operator":
        return functools.reduce(OPERATORS[expression.target], args)
    if expression.kind == "getitem":
        return operator.getitem(args[0], args[1])
    raise ValueError(f"unknown kind of expression {expression.kind!r}")


class Operation(nn.Module):
    """A tensor operation as a module: the catalog's factory for it."""

    operation = ""

    def __init__(self, **args: Any) -> None:
        super().__init__()
        self.args = args
        expression_for(self.operation, args, 1)  # refuses what cannot be written

    def forward(self, *inputs: Any) -> Any:
        return evaluate(expression_for(self.operation, self.args, len(inputs)), inputs)

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={value!r}" for name, value in self.args.items())


_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


class Parameter(nn.Module):
    """Holds the tensor of a ``Parameter`` node as ``value``; the built network registers
    the same tensor under the node's name, so editing one edits the other.

    Args:
        shape: the tensor's shape
        buffer: a buffer instead of a parameter
        persistent: a buffer saved in the state_dict
        requires_grad: a parameter the optimizer trains
        init: ``zeros``, ``ones``, ``normal`` (N(0, 1)) or ``uniform`` (U(0, 1))
        dtype: ``float32``, ``float64`` or ``int64``
    """

    def __init__(self, shape: tuple[int, ...], buffer: bool = False, persistent: bool = True,
                 requires_grad: bool = True, init: str = "zeros", dtype: str = "float32") -> None:
        super().__init__()
        self.init = init
        if dtype == "int64" and not buffer and requires_grad:
            raise ValueError("an int64 parameter cannot require gradients")
        tensor = torch.empty(tuple(shape), dtype=_DTYPES[dtype])
        if buffer:
            self.register_buffer("value", tensor, persistent=persistent)
        else:
            self.value = nn.Parameter(tensor, requires_grad=requires_grad)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            if self.init == "ones":
                self.value.fill_(1)
            elif self.init == "normal" and self.value.is_floating_point():
                self.value.normal_()
            elif self.init == "uniform" and self.value.is_floating_point():
                self.value.uniform_()
            else:
                self.value.zero_()

    def forward(self) -> torch.Tensor:
        return self.value

    def extra_repr(self) -> str:
        return f"shape={tuple(self.value.shape)}"


def _operation_classes() -> dict[str, type]:
    return {entry["type"]: type(entry["type"], (Operation,), {
        "operation": entry["type"], "__module__": __name__,
        "__doc__": f"The {entry['type']} tensor operation: {entry['help']}."})
        for entry in ENTRIES if entry.get("form") != TENSOR}


globals().update(_operation_classes())
