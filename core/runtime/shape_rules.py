"""Output shapes that need no dry run: what the common layers give, written as rules.

A first elementwise operation on ``meta`` makes torch import ``torch._dynamo`` (its
elementwise references are wrapped in ``torch._disable_dynamo``, which imports it on
the first call), and a first ``torch._check`` in a Python meta function imports sympy:
about 1.5 s before the first network's shapes, and a few milliseconds per distinct layer
after that. A rule answers only where it is certain the layer accepts the input (a
float32 tensor of sizes ≥ 1, batched, and the arguments it checks); for anything else it says
nothing and the layer is dry-run on ``meta`` as before, so refusals keep torch's own
words. Rules are keyed by the torch class a catalog entry makes, never by a name a
person could give a layer of their own; ``tests/core/test_shape_rules.py`` holds every
rule to the dry run's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from core.runtime.report import Shape

# A rule: the layer's arguments and its input shapes → its output shape, or None when
# the rule cannot vouch for it.
Rule = Callable[[Mapping[str, Any], list[Shape]], Shape | None]


def _same(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    return shapes[0]


def _gelu(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    return shapes[0] if args.get("approximate", "none") in ("none", "tanh") else None


def _hardtanh(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    low, high = args.get("min_val", -1.0), args.get("max_val", 1.0)
    return shapes[0] if _real(low) and _real(high) and low < high else None


def _dropout(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    p = args.get("p", 0.5)
    return shapes[0] if _real(p) and 0 <= p <= 1 else None


def _softmax(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    return shapes[0] if _dim_in(args.get("dim"), len(shapes[0])) is not None else None


def _linear(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    out = args.get("out_features")
    if not _count(out):
        return None
    if "in_features" in args and args["in_features"] != shapes[0][-1]:
        return None
    return (*shapes[0][:-1], out)


def _batch_norm(ranks: tuple[int, ...]) -> Rule:
    def rule(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
        shape = shapes[0]
        if len(shape) not in ranks or not args.get("track_running_stats", True):
            return None
        if "num_features" in args and args["num_features"] != shape[1]:
            return None
        return shape

    return rule


def _layer_norm(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    normalized = args.get("normalized_shape")
    normalized = (normalized,) if isinstance(normalized, int) else normalized
    if not isinstance(normalized, (tuple, list)) or not normalized or \
            not all(_count(size) for size in normalized):
        return None
    shape = shapes[0]
    return shape if tuple(shape[-len(normalized):]) == tuple(normalized) and \
        len(shape) >= len(normalized) else None


def _group_norm(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    groups, channels = args.get("num_groups"), args.get("num_channels")
    shape = shapes[0]
    if not _count(groups) or not _count(channels) or channels % groups or len(shape) < 2:
        return None
    spread = shape[0] * channels // groups
    for size in shape[2:]:
        spread *= size
    return shape if shape[1] == channels and spread > 1 else None


def _elementwise_join(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    return shapes[0] if all(shape == shapes[0] for shape in shapes) else None


def _concat(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
    rank = len(shapes[0])
    dim = _dim_in(args.get("dim", 0), rank)
    if dim is None or any(len(shape) != rank or shape[:dim] != shapes[0][:dim] or
                          shape[dim + 1:] != shapes[0][dim + 1:] for shape in shapes):
        return None
    return (*shapes[0][:dim], sum(shape[dim] for shape in shapes), *shapes[0][dim + 1:])


def _spread(value: Any, dims: int) -> tuple[int, ...] | None:
    """An int or a tuple of ``dims`` ints (a kernel size, stride, padding, dilation) as
    a tuple; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * dims
    if isinstance(value, (tuple, list)) and len(value) == dims and \
            all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    return None


def _windows(sizes: Shape, kernel: tuple[int, ...], stride: tuple[int, ...],
             padding: tuple[int, ...], dilation: tuple[int, ...]) -> Shape | None:
    """How many windows fit along each dimension (rounding down), None if one fits not."""
    out = []
    for size, k, s, p, d in zip(sizes, kernel, stride, padding, dilation, strict=True):
        if k < 1 or s < 1 or p < 0 or d < 1:
            return None
        span = size + 2 * p - d * (k - 1) - 1
        if span < 0:
            return None
        out.append(span // s + 1)
    return tuple(out)


def _conv(dims: int) -> Rule:
    def rule(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
        shape = shapes[0]
        groups, out_channels = args.get("groups", 1), args.get("out_channels")
        if len(shape) != dims + 2 or args.get("padding_mode", "zeros") != "zeros" or \
                not _count(groups) or not _count(out_channels) or out_channels % groups or \
                shape[1] % groups or args.get("in_channels", shape[1]) != shape[1]:
            return None
        kernel, stride = _spread(args.get("kernel_size"), dims), _spread(args.get("stride", 1),
                                                                         dims)
        dilation = _spread(args.get("dilation", 1), dims)
        padding = args.get("padding", 0)
        if kernel is None or stride is None or dilation is None:
            return None
        if padding == "same":
            if any(s != 1 for s in stride):
                return None
            return (shape[0], out_channels, *shape[2:])
        spread = (0,) * dims if padding == "valid" else _spread(padding, dims)
        if spread is None:
            return None
        sizes = _windows(shape[2:], kernel, stride, spread, dilation)
        return None if sizes is None else (shape[0], out_channels, *sizes)

    return rule


def _max_pool(dims: int) -> Rule:
    def rule(args: Mapping[str, Any], shapes: list[Shape]) -> Shape | None:
        shape = shapes[0]
        kernel = _spread(args.get("kernel_size"), dims)
        stride_arg = args.get("stride")
        stride = kernel if stride_arg is None else _spread(stride_arg, dims)
        padding = _spread(args.get("padding", 0), dims)
        dilation = _spread(args.get("dilation", 1), dims)
        if len(shape) != dims + 2 or args.get("ceil_mode", False) is not False or \
                args.get("return_indices", False) is not False or kernel is None or \
                stride is None or padding is None or dilation is None or \
                any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
            return None
        sizes = _windows(shape[2:], kernel, stride, padding, dilation)
        return None if sizes is None else (*shape[:2], *sizes)

    return rule


def _real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _dim_in(dim: Any, rank: int) -> int | None:
    if not isinstance(dim, int) or isinstance(dim, bool) or not -rank <= dim < rank:
        return None
    return dim % rank


RULES: dict[str, Rule] = {
    **dict.fromkeys((
        "nn.Identity", "nn.ReLU", "nn.ReLU6", "nn.LeakyReLU", "nn.ELU", "nn.SELU", "nn.CELU",
        "nn.SiLU", "nn.Mish", "nn.Sigmoid", "nn.Tanh", "nn.Hardswish", "nn.Hardsigmoid",
        "nn.Softplus", "nn.Softsign", "nn.Tanhshrink", "nn.LogSigmoid"), _same),
    "nn.GELU": _gelu,
    "nn.Hardtanh": _hardtanh,
    "nn.Dropout": _dropout,
    "nn.AlphaDropout": _dropout,
    "nn.Softmax": _softmax,
    "nn.LogSoftmax": _softmax,
    "nn.Softmin": _softmax,
    "nn.Linear": _linear,
    "nn.LazyLinear": _linear,
    "nn.BatchNorm1d": _batch_norm((2, 3)),
    "nn.BatchNorm2d": _batch_norm((4,)),
    "nn.BatchNorm3d": _batch_norm((5,)),
    "nn.LazyBatchNorm1d": _batch_norm((2, 3)),
    "nn.LazyBatchNorm2d": _batch_norm((4,)),
    "nn.LazyBatchNorm3d": _batch_norm((5,)),
    "nn.LayerNorm": _layer_norm,
    "nn.RMSNorm": _layer_norm,
    "nn.GroupNorm": _group_norm,
    "nn.Conv1d": _conv(1),
    "nn.Conv2d": _conv(2),
    "nn.Conv3d": _conv(3),
    "nn.LazyConv1d": _conv(1),
    "nn.LazyConv2d": _conv(2),
    "nn.LazyConv3d": _conv(3),
    "nn.MaxPool1d": _max_pool(1),
    "nn.MaxPool2d": _max_pool(2),
    "nn.MaxPool3d": _max_pool(3),
    "layers.Add": _elementwise_join,
    "layers.Multiply": _elementwise_join,
    "layers.Concat": _concat,
}

PARAMETERLESS = frozenset((
    "nn.Identity", "nn.ReLU", "nn.ReLU6", "nn.LeakyReLU", "nn.ELU", "nn.SELU", "nn.CELU",
    "nn.SiLU", "nn.Mish", "nn.Sigmoid", "nn.Tanh", "nn.Hardswish", "nn.Hardsigmoid",
    "nn.Softplus", "nn.Softsign", "nn.Tanhshrink", "nn.LogSigmoid", "nn.GELU", "nn.Hardtanh",
    "nn.Dropout", "nn.AlphaDropout", "nn.Softmax", "nn.LogSoftmax", "nn.Softmin",
    "nn.MaxPool1d", "nn.MaxPool2d", "nn.MaxPool3d", "nn.Flatten",
    "layers.Add", "layers.Multiply", "layers.Concat"))


def rule_sizes(factory_path: str, args: Mapping[str, Any],
               shape: Shape | None) -> tuple[int, int] | None:
    """(parameters, buffer elements) of a layer, from its arguments (and, for a lazy
    layer, the input ``shape`` that sizes it) where they alone decide them; None where
    the layer must be built to count them. Every parameter counted here is trainable."""
    if factory_path in PARAMETERLESS:
        return 0, 0
    if factory_path in ("nn.Linear", "nn.LazyLinear"):
        out = args.get("out_features")
        inputs = args.get("in_features") if factory_path == "nn.Linear" else \
            shape[-1] if shape else None
        bias = args.get("bias", True)
        if _count(out) and _count(inputs) and isinstance(bias, bool):
            return inputs * out + (out if bias else 0), 0
    return None


CONVOLUTIONS = {"nn.Conv1d": 1, "nn.Conv2d": 2, "nn.Conv3d": 3,
                "nn.LazyConv1d": 1, "nn.LazyConv2d": 2, "nn.LazyConv3d": 3}
# Layers whose multiply-accumulates `rule_macs` knows (torch's flop counter counts none
# for the norms and the pools).
COUNTED = PARAMETERLESS | set(CONVOLUTIONS) | {
    "nn.Linear", "nn.LazyLinear", "nn.BatchNorm1d", "nn.BatchNorm2d", "nn.BatchNorm3d",
    "nn.LazyBatchNorm1d", "nn.LazyBatchNorm2d", "nn.LazyBatchNorm3d", "nn.LayerNorm",
    "nn.RMSNorm", "nn.GroupNorm"}


def rule_macs(factory_path: str, args: Mapping[str, Any], shape: Shape,
              output: Shape) -> int:
    """Multiply-accumulates of one call (input ``shape``, ``output``) of a layer in
    `COUNTED`, as torch.utils.flop_counter counts them (half its flops): a Linear's or a
    convolution's products; nothing for the others."""
    if factory_path in ("nn.Linear", "nn.LazyLinear"):
        macs = shape[-1] * args["out_features"]
        for size in shape[:-1]:
            macs *= size
        return macs
    dims = CONVOLUTIONS.get(factory_path)
    if dims is not None:
        kernel = _spread(args.get("kernel_size"), dims) or ()
        macs = output[0] * output[1] * (shape[1] // args.get("groups", 1))
        for size in (*output[2:], *kernel):
            macs *= size
        return macs
    return 0


def rule_output(factory_path: str, args: Mapping[str, Any], shapes: list[Shape],
                float32: bool) -> Shape | None:
    """The output shape ``factory_path``'s layer gives ``shapes`` when a rule is sure of
    it (every input a float32 tensor with sizes ≥ 1); None means: dry-run it."""
    rule = RULES.get(factory_path)
    if rule is None or not float32 or not shapes or \
            any(not shape or min(shape) < 1 for shape in shapes):
        return None
    return rule(args, shapes)
