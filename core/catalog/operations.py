"""Tensor operations: what a forward does between its layers (``x.mean(dim=1)``,
``h[-1]``, ``torch.cat([a, b], 1)``), as catalog entries and as `Expression` records.

A tensor operation has no module of its own in the built network: `core.runtime.build`
writes it into the torch.fx graph as a call and `core.io.codegen` as an expression, both
from the one `Expression` that `expression_for` gives. Its arguments are typed data
(an index is a tuple of items, never code). The ``Parameter`` entry is a tensor the
module registers under the node's own name (``cls_token``) and a forward reads.

Plain data and no torch: the palette lists these before torch has loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.catalog.arguments import MAX_DIM, MAX_SIZE, ArgSpec, choice, flag, integer, real

CATEGORY = "Tensor operations"
EXPRESSION = "expression"
TENSOR = "tensor"


@dataclass(frozen=True)
class Input:
    """The value at input ``port`` of the node."""

    port: int


@dataclass(frozen=True)
class Size:
    """The size of the value at input ``port`` along ``dim`` (``x.size(0)``)."""

    port: int
    dim: int


@dataclass(frozen=True)
class Index:
    """An index as the ``index`` argument kind holds it (see `core.catalog.arguments`)."""

    items: tuple[Any, ...]


@dataclass(frozen=True)
class Expression:
    """One call, as torch.fx and Python both can write it.

    ``kind`` is ``"method"`` (``target`` called on the first argument), ``"function"``
    (``torch.cat``, ``F.interpolate``), ``"operator"`` (``+``, ``@``, folded left over
    the arguments) or ``"getitem"`` (the first argument indexed by the second). The
    arguments hold `Input`, `Size` and `Index` records, lists of them, and plain values.
    """

    kind: str
    target: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**"}
ELEMENTWISE = ("sqrt", "rsqrt", "exp", "log", "abs", "square", "reciprocal")


def _inputs(count: int) -> tuple[Input, ...]:
    return tuple(Input(port) for port in range(count))


def _sizes(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(Size(*v) if isinstance(v, tuple) else v for v in values)


def _keywords(args: Mapping[str, Any], *names: str,
              skip: Mapping[str, Any] | None = None) -> tuple[tuple[str, Any], ...]:
    """``name=value`` for each of ``names`` whose value is set and not its usual one."""
    usual = dict(skip or {})
    return tuple((n, args[n]) for n in names
                 if args[n] is not None and (n not in usual or args[n] != usual[n]))


def expression_for(node_type: str, args: Mapping[str, Any], inputs: int) -> Expression:
    """How a node of ``node_type`` with ``args`` and ``inputs`` connected inputs is
    written. Raises `KeyError` for a type that is not a tensor operation."""
    x = Input(0)
    if node_type in _FOLDED:
        return Expression("operator", _FOLDED[node_type], _inputs(inputs))
    if node_type == "Concat":
        return Expression("function", "torch.cat", (list(_inputs(inputs)), args["dim"]))
    if node_type in ("Mean", "SumOver"):
        method = "mean" if node_type == "Mean" else "sum"
        if args["dim"] is None:
            return Expression("method", method, (x,))
        keepdim = _keywords(args, "keepdim", skip={"keepdim": False})
        return Expression("method", method, (x,), (("dim", args["dim"]), *keepdim))
    if node_type in ("Reshape", "Expand"):
        return Expression("method", node_type.lower(), (x, *_sizes(args["shape"])))
    if node_type == "Permute":
        return Expression("method", "permute", (x, *args["dims"]))
    if node_type == "Transpose":
        return Expression("method", "transpose", (x, args["dim0"], args["dim1"]))
    if node_type == "Unsqueeze":
        return Expression("method", "unsqueeze", (x, args["dim"]))
    if node_type == "Squeeze":
        return Expression("method", "squeeze", (x,) if args["dim"] is None else
                          (x, args["dim"]))
    if node_type == "Contiguous":
        return Expression("method", "contiguous", (x,))
    if node_type == "Elementwise":
        return Expression("method", args["function"], (x,))
    if node_type == "Scalar":
        operands = (args["value"], x) if args["scalar_first"] else (x, args["value"])
        return Expression("operator", OPERATORS[args["operation"]], operands)
    if node_type == "GetItem":
        return Expression("getitem", "", (x, Index(args["index"])))
    if node_type == "Chunk":
        return Expression("method", "chunk", (x, args["chunks"]), (("dim", args["dim"]),))
    if node_type == "Split":
        return Expression("method", "split", (x, args["split_size"]), (("dim", args["dim"]),))
    if node_type == "Interpolate":
        return Expression("function", "F.interpolate", (x,), _keywords(
            args, "size", "scale_factor", "mode", "align_corners"))
    if node_type == "Pad":
        keywords = _keywords(args, "mode", skip={"mode": "constant"})
        if args["mode"] == "constant" and args["value"] != 0.0:
            keywords += (("value", args["value"]),)
        return Expression("function", "F.pad", (x, args["pad"]), keywords)
    raise KeyError(node_type)


_FOLDED = {"Add": "+", "Multiply": "*", "Subtract": "-", "Divide": "/", "Matmul": "@"}
# The hand-written merge entries (core.catalog.registry) that are written as expressions.
MERGES = ("Add", "Multiply", "Concat")


def sizes_inputs(args: Mapping[str, Any]) -> int:
    """How many inputs a node whose ``shape`` reads sizes from its inputs takes: the
    tensor itself (input 0) and every input a size is read from (``Expand`` of a class
    token to the batch size of input 1 takes two)."""
    ports = [item[0] for item in args.get("shape", ()) if isinstance(item, tuple)]
    return max([0, *ports]) + 1


def _dims_check(values: Mapping[str, Any]) -> str | None:
    dims, count = values["dims"], len(values["dims"])
    if sorted(d % count for d in dims if -count <= d < count) != list(range(count)):
        return f"dims {list(dims)} must name each of {count} dimensions once"
    return None


def _size_or_scale(values: Mapping[str, Any]) -> str | None:
    if (values["size"] is None) == (values["scale_factor"] is None):
        return "set exactly one of size and scale_factor"
    if values["align_corners"] is not None and values["mode"] not in (
            "linear", "bilinear", "bicubic", "trilinear"):
        return "align_corners is only for the linear, bilinear, bicubic and trilinear modes"
    return None


def _even_pad(values: Mapping[str, Any]) -> str | None:
    if len(values["pad"]) % 2:
        return "pad holds a (before, after) pair per dimension, so an even number of sizes"
    return None


def _one_inferred(values: Mapping[str, Any]) -> str | None:
    if values["shape"].count(-1) > 1:
        return "at most one size can be -1 (inferred)"
    return None


_DIM: dict[str, Any] = {"minimum": -MAX_DIM, "maximum": MAX_DIM}


def _dims_arg(name: str, default: Any, help: str, optional: bool = False) -> ArgSpec:
    return ArgSpec(name, "size", default, help, length=0, optional=optional, **_DIM)


def _entries() -> list[dict[str, Any]]:
    """The tensor operations, as the fields of their `LayerSpec`."""
    def entry(type_: str, help: str, args: tuple[ArgSpec, ...] = (), **extra: Any
              ) -> dict[str, Any]:
        return {"type": type_, "category": CATEGORY, "help": help,
                "factory_path": f"ops.{type_}", "args": args, "form": EXPRESSION, **extra}

    def sizes(default: tuple[int, ...]) -> ArgSpec:
        return ArgSpec("shape", "sizes", default, "the sizes: -1 is inferred (reshape) or "
                       "kept (expand); size(i, d) is the size of input i along dimension d",
                       required=True)

    return [
        entry("Mean", "mean over dimensions: x.mean(dim=…)", (
            _dims_arg("dim", 1, "the dimension(s) to average over; unset: all",
                      optional=True),
            flag("keepdim", False, "keep the averaged dimensions with size 1"))),
        entry("SumOver", "sum over dimensions: x.sum(dim=…)", (
            _dims_arg("dim", 1, "the dimension(s) to sum over; unset: all", optional=True),
            flag("keepdim", False, "keep the summed dimensions with size 1"))),
        entry("Reshape", "the same values in another shape: x.reshape(…)", (sizes((-1,)),),
              check=_one_inferred),
        entry("Expand", "repeat size-1 dimensions without copying: x.expand(…)",
              (sizes((-1, -1)),)),
        entry("Permute", "reorder the dimensions: x.permute(…)", (
            ArgSpec("dims", "shape", (0, 2, 1), "the new order of the dimensions",
                    required=True, **_DIM),), check=_dims_check, sample=(2, 3, 4)),
        entry("Transpose", "swap two dimensions: x.transpose(dim0, dim1)", (
            integer("dim0", 1, "the first dimension"),
            integer("dim1", 2, "the second dimension")), sample=(2, 3, 4)),
        entry("Unsqueeze", "insert a dimension of size 1: x.unsqueeze(dim)",
              (integer("dim", 1, "where the new dimension goes"),)),
        entry("Squeeze", "remove dimensions of size 1: x.squeeze(dim)",
              (integer("dim", None, "the dimension to remove; unset: every size-1 one",
                       optional=True),)),
        entry("Contiguous", "the same tensor laid out contiguously: x.contiguous()"),
        entry("Elementwise", "a function of each element: x.sqrt(), x.exp(), …", (
            choice("function", "sqrt", ELEMENTWISE, "the function"),)),
        entry("Matmul", "matrix product of two inputs: a @ b", inputs=(2, 2),
              expects="(…, n, k) and (…, k, m)", sample=(2, 4, 4)),
        entry("Subtract", "element-wise difference of two inputs: a - b", inputs=(2, 2),
              expects="broadcastable shapes"),
        entry("Divide", "element-wise quotient of two inputs: a / b", inputs=(2, 2),
              expects="broadcastable shapes"),
        entry("Scalar", "arithmetic with a constant: x + c, x * c, c - x, x ** c", (
            choice("operation", "multiply", tuple(OPERATORS), "what to do with the constant"),
            real("value", 1.0, "the constant"),
            flag("scalar_first", False, "the constant comes first (c - x, c / x)"))),
        entry("GetItem", "pick part of a tensor (h[-1], x[:, 0]) or an item of a tuple "
              "(a recurrent layer's output and state)", (
                  ArgSpec("index", "index", (0,), "what goes between the brackets: ints, "
                          "slices (1:3), None and ...", required=True),)),
        entry("Chunk", "split into equal pieces: a tuple (x.chunk(chunks, dim))", (
            ArgSpec("chunks", "int", 2, "how many pieces", minimum=1, maximum=MAX_SIZE,
                    required=True),
            integer("dim", 1, "the dimension to split")), outputs=("pieces",)),
        entry("Split", "split into pieces of a size: a tuple (x.split(size, dim))", (
            ArgSpec("split_size", "size", 1, "the size of each piece, or the list of sizes",
                    minimum=1, maximum=MAX_SIZE, length=0, required=True),
            integer("dim", 1, "the dimension to split")), outputs=("pieces",)),
        entry("Interpolate", "resize by interpolation: F.interpolate(x, …)", (
            ArgSpec("size", "size", None, "the output's spatial size; set this or "
                    "scale_factor", minimum=1, maximum=MAX_SIZE, length=0, optional=True),
            ArgSpec("scale_factor", "float", 2.0, "multiplier of the spatial size",
                    minimum=0.0, length=0, optional=True),
            choice("mode", "nearest", ("nearest", "linear", "bilinear", "bicubic",
                                       "trilinear", "area", "nearest-exact"),
                   "the interpolation"),
            ArgSpec("align_corners", "bool", None, "align the corner pixels (linear modes)",
                    optional=True)),
              expects="(N, C, H, W), (N, C, L) or (N, C, D, H, W)", check=_size_or_scale),
        entry("Pad", "pad the last dimensions: F.pad(x, pad)", (
            ArgSpec("pad", "shape", (1, 1), "(before, after) for the last dimension, then "
                    "the one before it, …", required=True, minimum=-MAX_SIZE,
                    maximum=MAX_SIZE),
            choice("mode", "constant", ("constant", "reflect", "replicate", "circular"),
                   "what the padding holds"),
            real("value", 0.0, "the fill value (constant mode)")), check=_even_pad),
        entry("Parameter", "a tensor the module holds and the forward uses directly (a "
              "class token, position embeddings, a layer-scale gamma): registered under "
              "the node's own name", (
                  ArgSpec("shape", "shape", (1, 16), "the tensor's shape", minimum=1,
                          maximum=MAX_SIZE, required=True),
                  flag("buffer", False, "a buffer (not trained) instead of a parameter"),
                  flag("persistent", True, "a buffer saved in the state_dict"),
                  flag("requires_grad", True, "a parameter the optimizer trains"),
                  choice("init", "zeros", ("zeros", "ones", "normal", "uniform"),
                         "the values of a new tensor: zeros, ones, N(0, 1) or U(0, 1)"),
                  choice("dtype", "float32", ("float32", "float64", "int64"),
                         "the tensor's dtype")),
              inputs=(0, 0), form=TENSOR),
    ]


ENTRIES: tuple[dict[str, Any], ...] = tuple(_entries())
TYPES = frozenset(entry["type"] for entry in ENTRIES)
