"""Sizes a layer takes from the tensor that flows into it: a Linear after a (2, 64)
tensor has ``in_features=64``, a Conv2d after (1, 6, 14, 14) ``in_channels=6``.

Used when a layer is added after a node whose output shape is known, and to offer the
one-click fix of a layer in error ("set in_features to 64")."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from core.catalog.registry import spec_for
from core.errors import TorchCanvasError

# argument: which size of the input it is — its last size, or its channels
LAST = "last"
CHANNELS = "channels"
RULES: dict[str, str] = {
    "in_features": LAST, "in1_features": LAST, "input_size": LAST, "embed_dim": LAST,
    "d_model": LAST, "normalized_shape": LAST,
    "in_channels": CHANNELS, "num_features": CHANNELS, "num_channels": CHANNELS,
}
# a count that must divide a size set above: the count, the size
DIVIDES = (("num_groups", "num_channels"), ("num_heads", "embed_dim"), ("nhead", "d_model"))
_SPATIAL = re.compile(r"([123])d$")


def sizes_for_input(layer_type: str, shape: Any) -> dict[str, Any]:
    """The arguments of ``layer_type`` that follow from an input of ``shape`` (a tuple
    of ints); empty when none does, or the shape is unknown or a tuple of shapes."""
    if not isinstance(shape, tuple) or not shape or \
            not all(isinstance(n, int) and n > 0 for n in shape):
        return {}
    try:
        spec = spec_for(layer_type)
    except (KeyError, TorchCanvasError):
        return {}
    defaults = {arg.name: arg.default for arg in spec.args}
    sizes: dict[str, Any] = {}
    for name, rule in RULES.items():
        if name not in defaults:
            continue
        value = shape[-1] if rule == LAST else _channels(layer_type, shape)
        if value is None:
            continue
        sizes[name] = (value,) if name == "normalized_shape" else value
    for count, size in DIVIDES:
        if count in defaults and size in sizes and isinstance(defaults[count], int) and \
                sizes[size] % defaults[count]:
            sizes[count] = math.gcd(defaults[count], sizes[size])
    return sizes


def _channels(layer_type: str, shape: tuple[int, ...]) -> int | None:
    """The channel size of an input to ``layer_type``: (N, C, …) batched, (C, …) not."""
    spatial = _SPATIAL.search(layer_type)
    if spatial is not None and len(shape) == int(spatial.group(1)) + 1 and \
            not layer_type.startswith("BatchNorm"):
        return shape[0]
    return shape[1] if len(shape) >= 2 else None


def sized_arguments(layer_type: str, shape: Any, args: Mapping[str, Any] | None = None
                    ) -> dict[str, Any]:
    """``args`` with the sizes that follow from ``shape``, where the layer accepts them
    all together; otherwise ``args`` unchanged."""
    args = dict(args or {})
    sizes = sizes_for_input(layer_type, shape)
    if not sizes:
        return args
    try:
        spec_for(layer_type).validate_args({**args, **sizes})
    except TorchCanvasError:
        return args
    return {**args, **sizes}


def fix_for(layer_type: str, args: Mapping[str, Any], shape: Any) -> dict[str, Any]:
    """The changes that make a layer of ``args`` take an input of ``shape``: the sizes
    that differ; empty when there is nothing to fix (or no fix is known)."""
    full = spec_for(layer_type).validate_args(args) if args is not None else {}
    sized = sized_arguments(layer_type, shape, full)
    return {name: value for name, value in sized.items() if full.get(name) != value}


def describe_fix(changes: Mapping[str, Any]) -> str:
    """``set in_features to 64`` (and ``num_groups to 2``)."""
    parts = [f"{name} to {list(value) if isinstance(value, tuple) else value}"
             for name, value in changes.items()]
    return "set " + " and ".join(parts) if parts else ""
