"""Reading a layer back when a module is imported: the catalog arguments it was made
with (`layer_args`), and the tensors it is called with (`module_inputs`)."""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import fx, nn

from core.catalog.registry import LayerSpec
from core.errors import TorchCanvasError
from core.io.import_calls import ModuleImportError, plain


def module_inputs(value: fx.Node, root: nn.Module, path: str) -> list[fx.Node]:
    """The tensors a layer is called with. Other arguments must be what the layer's
    forward would take anyway (``src_mask=None``), and the tensors come first."""
    module = root.get_submodule(path)
    where = f"{path} ({type(module).__name__})"
    try:
        bound = inspect.signature(module.forward).bind(*value.args, **value.kwargs)
    except TypeError as error:
        raise ModuleImportError(f"{where} is called with arguments its forward does not "
                                f"take: {error}") from None
    parameters = inspect.signature(module.forward).parameters
    inputs: list[fx.Node] = []
    skipped = ""
    for name, given in bound.arguments.items():
        kind = parameters[name].kind
        for item in given if kind == inspect.Parameter.VAR_POSITIONAL else (given,):
            if isinstance(item, fx.Node):
                if skipped:
                    raise ModuleImportError(f"{where} is called with a tensor after "
                                            f"{skipped}: not importable yet")
                inputs.append(item)
            elif item is parameters[name].default or item == parameters[name].default:
                skipped = skipped or name
            else:
                raise ModuleImportError(f"{where} is called with {name}={item!r}: "
                                        "arguments other than tensors cannot be imported "
                                        "yet")
    return inputs


def _encoder_layer_args(module: Any) -> dict[str, Any]:
    """What ``nn.TransformerEncoderLayer`` was made with (it keeps no copy of them)."""
    activation = getattr(module.activation, "__name__", type(module.activation).__name__)
    return {"d_model": module.self_attn.embed_dim, "nhead": module.self_attn.num_heads,
            "dim_feedforward": module.linear1.out_features, "dropout": module.dropout.p,
            "activation": activation.lower(), "layer_norm_eps": module.norm1.eps,
            "batch_first": module.self_attn.batch_first, "norm_first": module.norm_first,
            "bias": module.linear1.bias is not None}


def _attention_args(module: Any) -> dict[str, Any]:
    """What ``nn.MultiheadAttention`` was made with, where it keeps no copy."""
    return {"bias": module.in_proj_bias is not None, "add_bias_kv": module.bias_k is not None,
            "kdim": None if module.kdim == module.embed_dim else module.kdim,
            "vdim": None if module.vdim == module.embed_dim else module.vdim}


def layer_args(spec: LayerSpec, module: nn.Module, path: str) -> dict[str, Any]:
    """The catalog's arguments read back from a layer, checked by building one like it."""
    raw: dict[str, Any] = {}
    if isinstance(module, nn.TransformerEncoderLayer):
        raw = _encoder_layer_args(module)
    elif isinstance(module, nn.MultiheadAttention):
        raw = _attention_args(module)
    for arg in spec.args:
        if arg.name in raw:
            continue
        if arg.name == "bias" and not isinstance(getattr(module, "bias", None), bool):
            raw["bias"] = getattr(module, "bias", None) is not None
        elif hasattr(module, arg.name):
            raw[arg.name] = getattr(module, arg.name)
    if isinstance(raw.get("stride"), tuple) and raw.get("stride") == raw.get("kernel_size") \
            and "stride" in spec.defaults() and spec.defaults()["stride"] is None:
        raw["stride"] = None  # a pooling layer's default: its kernel size
    # The short form first (3 for (3, 3)); the values as the layer holds them if the
    # short form would print differently.
    for candidate in ({k: plain(v) for k, v in raw.items()}, raw):
        try:
            args = spec.validate_args(candidate)
            with torch.device("meta"):
                twin = spec.create(args)
        except TorchCanvasError as error:
            raise ModuleImportError(f"{path} ({type(module).__name__}): {error}") from None
        if _layout(twin) == _layout(module) and _settings(twin) == _settings(module):
            return args
    raise ModuleImportError(f"{path} ({type(module).__name__}): its settings "
                            f"({module.extra_repr()}) could not all be read back")


def _layout(module: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(key, tuple(value.shape)) for key, value in module.state_dict().items()]


def _settings(module: nn.Module) -> str:
    parts = [p for p in module.extra_repr().split(", ") if not p.startswith("inplace=")]
    return ", ".join(parts)
