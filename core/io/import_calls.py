"""What the functions and tensor methods a forward calls become when a module is imported.

`convert_call` maps one torch.fx ``call_function`` or ``call_method`` to the palette
entry that does the same (`Converted`: a type, its arguments and the fx values it
takes). Sizes read from a tensor (``x.size(0)``, ``x.shape[0]``, ``b, c, h, w = x.shape``)
are no values of the graph: they become `SizeOf` and are written into the shape of the
``Reshape`` or ``Expand`` that uses them. A call that only passes its input on
(``torch.cat([x], 1)``) is an `Alias` of it.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx
from torch.nn import functional

from core.catalog.operations import ELEMENTWISE
from core.errors import TorchCanvasError


class ModuleImportError(TorchCanvasError):
    """A module, or a part of it, that cannot become a document (yet); the message names
    the part and why."""


@dataclass(frozen=True)
class ShapeOf:
    """``x.shape`` (or ``x.size()``)."""

    tensor: fx.Node


@dataclass(frozen=True)
class SizeOf:
    """``x.size(dim)`` (or ``x.shape[dim]``)."""

    tensor: fx.Node
    dim: int


@dataclass(frozen=True)
class Alias:
    """A call whose result is its input (``torch.cat`` of one tensor)."""

    tensor: fx.Node


@dataclass
class Converted:
    """A palette entry, its arguments, and the fx values feeding its inputs in order."""

    type: str
    args: dict[str, Any]
    inputs: list[fx.Node]


Symbolic = ShapeOf | SizeOf

_ARITHMETIC: dict[Any, str] = {
    operator.add: "add", operator.iadd: "add", torch.add: "add", "add": "add",
    "add_": "add", "__add__": "add", "__iadd__": "add",
    operator.sub: "subtract", operator.isub: "subtract", torch.sub: "subtract",
    "sub": "subtract", "sub_": "subtract",
    operator.mul: "multiply", operator.imul: "multiply", torch.mul: "multiply",
    "mul": "multiply", "mul_": "multiply",
    operator.truediv: "divide", operator.itruediv: "divide", torch.div: "divide",
    "div": "divide", "div_": "divide",
    operator.pow: "power", torch.pow: "power", "pow": "power",
}
_BINARY = {"add": "Add", "multiply": "Multiply", "subtract": "Subtract", "divide": "Divide"}
_ONE_INPUT: dict[Any, str] = {
    functional.relu: "ReLU", torch.relu: "ReLU", "relu": "ReLU", "relu_": "ReLU",
    torch.sigmoid: "Sigmoid", "sigmoid": "Sigmoid", functional.sigmoid: "Sigmoid",
    torch.tanh: "Tanh", "tanh": "Tanh", functional.tanh: "Tanh",
    functional.silu: "SiLU", functional.mish: "Mish",
    functional.hardswish: "Hardswish", functional.hardsigmoid: "Hardsigmoid",
    "contiguous": "Contiguous",
}
_ELEMENTWISE: dict[Any, str] = {
    **{getattr(torch, name): name for name in ELEMENTWISE}, **{name: name for name in ELEMENTWISE}}


def _name(target: Any) -> str:
    return target if isinstance(target, str) else getattr(target, "__name__", repr(target))


def _argument(value: fx.Node, position: int, name: str, default: Any) -> Any:
    if len(value.args) > position:
        return value.args[position]
    return value.kwargs.get(name, default)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dims(value: Any) -> Any:
    return tuple(value) if isinstance(value, (list, tuple)) else value


class _Call:
    """One call being converted; its helpers refuse what cannot be represented."""

    def __init__(self, value: fx.Node, symbolic: Mapping[fx.Node, Symbolic], where: str):
        self.value, self.symbolic, self.where = value, symbolic, where
        self.target = value.target
        self.name = _name(value.target)

    def refuse(self, why: str) -> ModuleImportError:
        return ModuleImportError(f"{self.where}: {why}")

    def tensor(self, argument: Any) -> fx.Node:
        if isinstance(argument, fx.Node) and argument not in self.symbolic:
            return argument
        if isinstance(argument, fx.Node):
            raise self.refuse(f"its forward computes with a size ({argument.name}) in "
                              f"{self.name}(): sizes can only shape a view, reshape or expand")
        raise self.refuse(f"its forward calls {self.name}() on {type(argument).__name__}, "
                          "not on a tensor")

    def is_tensor(self, argument: Any) -> bool:
        return isinstance(argument, fx.Node) and argument not in self.symbolic

    def only(self, *allowed: str) -> None:
        """Refuse keywords other than ``allowed`` (unless they are set to None or False,
        which is what their defaults mean)."""
        extra = sorted(key for key, setting in self.value.kwargs.items()
                       if key not in allowed and setting not in (None, False))
        if extra:
            raise self.refuse(f"its forward calls {self.name}() with {extra[0]}=, which "
                              "cannot be imported yet")

    def sizes(self, first: fx.Node, items: Any) -> tuple[tuple[Any, ...], list[fx.Node]]:
        """The ``sizes`` argument of a reshape or expand, and the tensors it reads sizes
        from besides ``first`` (they become its inputs 1, 2, …)."""
        if len(items) == 1 and isinstance(items[0], (list, tuple)):
            items = items[0]
        ports: dict[fx.Node, int] = {first: 0}
        sizes: list[Any] = []
        for item in items:
            if _number(item) and isinstance(item, int):
                sizes.append(item)
                continue
            size = self.symbolic.get(item) if isinstance(item, fx.Node) else None
            if not isinstance(size, SizeOf):
                raise self.refuse(f"its forward calls {self.name}() with a size that is "
                                  "computed, not read from a tensor")
            ports.setdefault(size.tensor, len(ports))
            sizes.append((ports[size.tensor], size.dim))
        return tuple(sizes), list(ports)[1:]


def _index(call: _Call, index: Any) -> tuple[Any, ...]:
    items = index if isinstance(index, tuple) else (index,)
    converted: list[Any] = []
    for item in items:
        if item is None:
            converted.append(None)
        elif item is Ellipsis:
            converted.append("...")
        elif isinstance(item, slice):
            bounds = (item.start, item.stop, item.step)
            if not all(b is None or (_number(b) and isinstance(b, int)) for b in bounds):
                raise call.refuse("its forward slices with a computed bound")
            converted.append(bounds)
        elif _number(item) and isinstance(item, int):
            converted.append(item)
        else:
            raise call.refuse(f"its forward indexes with {type(item).__name__} (a tensor or "
                              "a computed value), which cannot be imported yet")
    return tuple(converted)


def convert_call(value: fx.Node, symbolic: Mapping[fx.Node, Symbolic], where: str
                 ) -> Converted | Symbolic | Alias:
    """What the fx ``call_function`` or ``call_method`` ``value`` becomes; raises
    `ModuleImportError` naming the function when no palette entry does what it does."""
    call = _Call(value, symbolic, where)
    target: Any = value.target
    args: tuple[Any, ...] = tuple(value.args)
    first: Any = args[0] if args else value.kwargs.get("input")
    if target is getattr:
        if args[1] == "shape" and call.is_tensor(first):
            return ShapeOf(first)
        raise call.refuse(f"its forward reads .{args[1]} of a tensor, which cannot be "
                          "imported yet")
    if target == "size":
        if len(args) == 1 and not value.kwargs:
            return ShapeOf(call.tensor(first))
        return SizeOf(call.tensor(first), _argument(value, 1, "dim", 0))
    if target is operator.getitem:
        if isinstance(first, fx.Node) and isinstance(symbolic.get(first), ShapeOf):
            if not (_number(args[1]) and isinstance(args[1], int)):
                raise call.refuse("its forward reads several sizes of a shape at once")
            return SizeOf(symbolic[first].tensor, args[1])
        return Converted("GetItem", {"index": _index(call, args[1])}, [call.tensor(first)])
    converted = _arithmetic(call) or _shapes(call, first) or _other(call, first)
    if converted is None:
        raise call.refuse(f"its forward calls {call.name}(), which has no layer in the "
                          "palette yet")
    return converted


def _arithmetic(call: _Call) -> Converted | None:
    target: Any = call.target
    args: tuple[Any, ...] = tuple(call.value.args)
    if target in (operator.neg, torch.neg, "neg"):
        return Converted("Scalar", {"operation": "multiply", "value": -1.0},
                         [call.tensor(args[0])])
    if target in (operator.matmul, torch.matmul, torch.bmm, "matmul", "bmm"):
        return Converted("Matmul", {}, [call.tensor(args[0]), call.tensor(args[1])])
    if target not in _ARITHMETIC:
        return None
    operation = _ARITHMETIC[target]
    if call.value.kwargs.get("alpha", 1) != 1:
        raise call.refuse(f"its forward calls {call.name}() with alpha=, which cannot be "
                          "imported yet")
    call.only("alpha", "other")
    left: Any = args[0]
    right: Any = args[1] if len(args) > 1 else call.value.kwargs.get("other")
    for operand in (left, right):
        if isinstance(operand, fx.Node) and operand in call.symbolic:
            call.tensor(operand)  # refuses: a size in arithmetic
    if call.is_tensor(left) and call.is_tensor(right):
        if operation not in _BINARY:
            raise call.refuse(f"its forward calls {call.name}() on two tensors, which "
                              "cannot be imported yet")
        return Converted(_BINARY[operation], {}, [left, right])
    if call.is_tensor(left) and _number(right):
        return Converted("Scalar", {"operation": operation, "value": float(right)}, [left])
    if _number(left) and call.is_tensor(right):
        return Converted("Scalar", {"operation": operation, "value": float(left),
                                    "scalar_first": True}, [right])
    raise call.refuse(f"its forward calls {call.name}() with "
                      f"{type(left).__name__} and {type(right).__name__}, which cannot be "
                      "imported yet")


def _shapes(call: _Call, first: Any) -> Converted | Alias | None:
    """Reshaping, reordering, reducing and splitting."""
    target, value = call.target, call.value
    rest: tuple[Any, ...] = tuple(value.args[1:])
    if target in (torch.cat, torch.concat, torch.concatenate):
        call.only("dim", "axis")
        tensors = [call.tensor(t) for t in first] if isinstance(first, (list, tuple)) else []
        dim = _argument(value, 1, "dim", value.kwargs.get("axis", 0))
        if len(tensors) == 1:
            return Alias(tensors[0])
        return Converted("Concat", {"dim": dim}, tensors) if tensors else None
    if target in (torch.flatten, "flatten"):
        return Converted("Flatten", {"start_dim": _argument(value, 1, "start_dim", 0),
                                     "end_dim": _argument(value, 2, "end_dim", -1)},
                         [call.tensor(first)])
    if target in ("view", "reshape", torch.reshape, "expand"):
        tensor = call.tensor(first)
        sizes, extra = call.sizes(tensor, rest or (value.kwargs.get("shape"),))
        kind = "Expand" if target == "expand" else "Reshape"
        batch = [(0, i) for i in range(len(sizes) - 1)]
        if kind == "Reshape" and len(sizes) >= 2 and not extra and \
                list(sizes[:-1]) == batch and sizes[-1] == -1:
            return Converted("Flatten", {"start_dim": len(batch), "end_dim": -1}, [tensor])
        return Converted(kind, {"shape": sizes}, [tensor, *extra])
    if target in ("permute", torch.permute):
        dims: Any = rest[0] if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else rest
        dims = dims or value.kwargs.get("dims") or ()
        return Converted("Permute", {"dims": tuple(dims)},
                         [call.tensor(first)])
    if target in ("transpose", torch.transpose):
        return Converted("Transpose", {"dim0": _argument(value, 1, "dim0", 0),
                                       "dim1": _argument(value, 2, "dim1", 1)},
                         [call.tensor(first)])
    if target in ("unsqueeze", torch.unsqueeze):
        return Converted("Unsqueeze", {"dim": _argument(value, 1, "dim", 0)},
                         [call.tensor(first)])
    if target in ("squeeze", torch.squeeze):
        return Converted("Squeeze", {"dim": _argument(value, 1, "dim", None)},
                         [call.tensor(first)])
    if target in ("mean", torch.mean, "sum", torch.sum):
        call.only("dim", "keepdim")
        kind = "Mean" if _name(target) == "mean" else "SumOver"
        return Converted(kind, {"dim": _dims(_argument(value, 1, "dim", None)),
                                "keepdim": _argument(value, 2, "keepdim", False)},
                         [call.tensor(first)])
    if target in ("chunk", torch.chunk):
        return Converted("Chunk", {"chunks": _argument(value, 1, "chunks", None),
                                   "dim": _argument(value, 2, "dim", 0)}, [call.tensor(first)])
    if target in ("split", torch.split):
        size = _argument(value, 1, "split_size_or_sections",
                         value.kwargs.get("split_size"))
        return Converted("Split", {"split_size": _dims(size),
                                   "dim": _argument(value, 2, "dim", 0)}, [call.tensor(first)])
    return None


def _other(call: _Call, first: Any) -> Converted | None:
    """Activations, pooling, resampling and padding."""
    target, value = call.target, call.value
    if target in _ONE_INPUT:
        return Converted(_ONE_INPUT[target], {}, [call.tensor(first)])
    if target in _ELEMENTWISE:
        return Converted("Elementwise", {"function": _ELEMENTWISE[target]}, [call.tensor(first)])
    if target in (functional.softmax, functional.log_softmax, "softmax", "log_softmax",
                  torch.softmax, torch.log_softmax):
        call.only("dim")
        kind = "LogSoftmax" if "log" in call.name else "Softmax"
        return Converted(kind, {"dim": _argument(value, 1, "dim", -1)}, [call.tensor(first)])
    if target is functional.gelu:
        return Converted("GELU", {"approximate": value.kwargs.get("approximate", "none")},
                         [call.tensor(first)])
    if target in (functional.adaptive_avg_pool2d, functional.adaptive_avg_pool1d):
        kind = "AdaptiveAvgPool2d" if target is functional.adaptive_avg_pool2d else \
            "AdaptiveAvgPool1d"
        return Converted(kind, {"output_size": plain(_argument(value, 1, "output_size", 1))},
                         [call.tensor(first)])
    if target in (functional.max_pool2d, functional.avg_pool2d):
        kind = "MaxPool2d" if target is functional.max_pool2d else "AvgPool2d"
        return Converted(kind, {
            "kernel_size": plain(_argument(value, 1, "kernel_size", None)),
            "stride": plain(_argument(value, 2, "stride", None)) or None,
            "padding": plain(_argument(value, 3, "padding", 0))}, [call.tensor(first)])
    if target is functional.dropout:
        return Converted("Dropout", {"p": _argument(value, 1, "p", 0.5)}, [call.tensor(first)])
    if target is functional.interpolate:
        call.only("size", "scale_factor", "mode", "align_corners")
        scale = _argument(value, 2, "scale_factor", None)
        return Converted("Interpolate", {
            "size": _dims(_argument(value, 1, "size", None)),
            "scale_factor": float(scale) if _number(scale) else _dims(scale),
            "mode": _argument(value, 3, "mode", "nearest"),
            "align_corners": _argument(value, 4, "align_corners", None)}, [call.tensor(first)])
    if target is functional.pad:
        fill = _argument(value, 3, "value", None)
        return Converted("Pad", {"pad": tuple(_argument(value, 1, "pad", ())),
                                 "mode": _argument(value, 2, "mode", "constant"),
                                 "value": 0.0 if fill is None else float(fill)},
                         [call.tensor(first)])
    return None


def plain(value: Any) -> Any:
    """``3`` for ``(3, 3)``: the short form of a size whose items are alike."""
    if isinstance(value, torch.Size):
        value = tuple(value)
    if isinstance(value, tuple) and value and all(v == value[0] for v in value) \
            and all(isinstance(v, int) for v in value):
        return value[0]
    return value
