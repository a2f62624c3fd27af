"""The modules of a ``.pt2`` file, rebuilt without its code.

Each operation records the path and class of every module it ran in. Containers of
``torch.nn`` are made as they are; a palette layer is made from the settings its recorded
operation was called with and the shapes of its weights (``aten.conv2d(x, w, b, stride,
padding, dilation, groups)`` is ``nn.Conv2d(w.shape[1] * groups, w.shape[0], ...)``);
any other class becomes an empty module of the same class name, holding its children and
its own tensors. Nothing from the file is imported or run: class names are only names.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch
from torch import fx, nn

from core.catalog.registry import CATALOG
from core.io.import_calls import ModuleImportError

_CONTAINERS = {"torch.nn.modules.container.Sequential": nn.Sequential,
               "torch.nn.modules.container.ModuleList": nn.ModuleList,
               "torch.nn.modules.container.ModuleDict": nn.ModuleDict}


@functools.lru_cache(maxsize=1)
def _layer_classes() -> dict[str, type]:
    classes: dict[str, type] = {}
    for spec in CATALOG.values():
        factory = spec.factory
        if spec.factory_path.startswith("nn.") and isinstance(factory, type):
            classes.setdefault(f"{factory.__module__}.{factory.__qualname__}", factory)
    return classes


def skeleton_module(graph: fx.Graph, signature: SimpleNamespace,
                    weights: dict[str, torch.Tensor], name: str) -> nn.Module:
    """A module tree with the file's paths, classes (by name) and weights."""
    kinds: dict[str, str] = {}
    calls: dict[str, list[fx.Node]] = {}  # module path → the operations run inside it
    for node in graph.nodes:
        stack = list(node.meta.get("nn_module_stack", {}).values())
        for path, kind in stack:
            kinds.setdefault(path, kind)
            calls.setdefault(path, []).append(node)
    for key in list(weights) + list(kinds):
        parent = key.rpartition(".")[0]
        while parent not in kinds:
            kinds[parent] = ""
            parent = parent.rpartition(".")[0]
    for path, kind in kinds.items():
        if not kind and path:  # never called itself: a list or dict its owner calls into
            children = [p.rpartition(".")[2] for p in kinds if p.rpartition(".")[0] == path]
            kinds[path] = "torch.nn.modules.container.ModuleList" if children and all(
                c.isdigit() for c in children) else "torch.nn.modules.container.ModuleDict"
    buffers = set(signature.inputs_to_buffers.values())
    modules: dict[str, nn.Module] = {}
    root = _make(kinds.get("", ""), "", calls, weights, name)
    modules[""] = root
    for path in kinds:
        if path and not _inside_layer(path, modules):
            _ensure(path, kinds, modules, calls, weights, name)
    for key, tensor in weights.items():
        owner, _, leaf = key.rpartition(".")
        if owner not in modules or _is_layer(modules[owner]):
            continue  # a layer's own (out_proj of an attention): loaded with the layer
        module = modules[owner]
        if key in buffers:
            module.register_buffer(leaf, tensor)
        else:
            module.register_parameter(
                leaf, nn.Parameter(tensor, requires_grad=tensor.is_floating_point()))
    for path, module in modules.items():
        if _is_layer(module):
            own = {k.removeprefix(f"{path}."): v for k, v in weights.items()
                   if k.startswith(f"{path}.")}
            try:
                module.load_state_dict(own, strict=True, assign=True)
            except RuntimeError as error:
                first = str(error).splitlines()[0]
                raise ModuleImportError(f"{name}: {path} ({type(module).__name__}): its "
                                        f"weights do not fit the layer read back: {first}") \
                    from None
    return root.eval()


def _ensure(path: str, kinds: dict[str, str], modules: dict[str, nn.Module],
            calls: dict[str, list[fx.Node]], weights: dict[str, torch.Tensor],
            name: str) -> nn.Module:
    if path in modules:
        return modules[path]
    parent_path, _, leaf = path.rpartition(".")
    parent = _ensure(parent_path, kinds, modules, calls, weights, name)
    module = _make(kinds.get(path, ""), path, calls, weights, name)
    if _is_layer(parent):
        raise ModuleImportError(f"{name}: {path} lies inside the layer {parent_path}")
    parent.add_module(leaf, module)
    modules[path] = module
    return module


def _inside_layer(path: str, modules: dict[str, nn.Module]) -> bool:
    parent = path.rpartition(".")[0]
    while True:
        if parent in modules and _is_layer(modules[parent]):
            return True
        if not parent:
            return False
        parent = parent.rpartition(".")[0]


def _is_layer(module: nn.Module) -> bool:
    return type(module) in set(_layer_classes().values())


def _make(kind: str, path: str, calls: dict[str, list[fx.Node]],
          weights: dict[str, torch.Tensor], name: str) -> nn.Module:
    if kind in _CONTAINERS:
        return _CONTAINERS[kind]()
    layer = _layer_classes().get(kind)
    if layer is None:
        short = re.sub(r"\W", "_", kind.rpartition(".")[2]) or "Module"
        short = short if short[0].isalpha() else f"M{short}"
        return type(short, (nn.Module,), {"__module__": "pt2"})()
    recipe = _RECIPES.get(layer.__name__)
    nodes = calls.get(path, [])
    if recipe is None:
        raise ModuleImportError(f"{name}: {path} ({layer.__name__}): its settings cannot be "
                                "read back from a .pt2 file yet")
    own = {k.removeprefix(f"{path}."): v for k, v in weights.items()
           if k.startswith(f"{path}.")}
    try:
        with torch.device("meta"):  # initialized by the file's weights, not at random
            return layer(**recipe(_first(nodes), own, [_call(n) for n in nodes]))
    except (ModuleImportError, IndexError, KeyError, TypeError, ValueError) as error:
        raise ModuleImportError(f"{name}: {path} ({layer.__name__}): its settings cannot be "
                                f"read back ({type(error).__name__}: {error})") from None


def _call(node: fx.Node) -> SimpleNamespace:
    packet = getattr(node.target, "__name__", "").split(".")[0]
    return SimpleNamespace(op=packet, args=list(node.args), kwargs=dict(node.kwargs))


def _first(nodes: list[fx.Node]) -> SimpleNamespace:
    """The layer's main operation: its first call (its arguments, with defaults)."""
    for node in [n for n in nodes if n.target is not operator.getitem]:
        if _call(node).op not in ("zeros", "transpose", "new_zeros"):
            return _call(node)
    return SimpleNamespace(op="", args=[], kwargs={})


def _arg(call: SimpleNamespace, index: int, name: str, default: Any) -> Any:
    """An argument of the recorded call; sizes the same along every dimension as one
    number (``[3, 3]`` → 3), as a layer made with ``kernel_size=3`` holds them."""
    value = call.kwargs[name] if name in call.kwargs else \
        call.args[index] if index < len(call.args) else default
    if isinstance(value, (list, tuple)) and value and all(v == value[0] for v in value) and \
            all(isinstance(v, int) for v in value):
        return value[0]
    return tuple(value) if isinstance(value, list) else value


def _conv(dims: int) -> Callable[[SimpleNamespace, dict[str, torch.Tensor]], dict[str, Any]]:
    def recipe(call: SimpleNamespace, own: dict[str, torch.Tensor],
               calls: Any = ()) -> dict[str, Any]:
        weight = own["weight"]
        groups = _arg(call, 6, "groups", 1)
        padding = _arg(call, 4, "padding", 0)
        return {"in_channels": weight.shape[1] * groups, "out_channels": weight.shape[0],
                "kernel_size": tuple(weight.shape[2:]), "stride": _arg(call, 3, "stride", 1),
                "padding": padding, "dilation": _arg(call, 5, "dilation", 1),
                "groups": groups, "bias": "bias" in own}
    return recipe


def _conv_transpose(call: SimpleNamespace, own: dict[str, torch.Tensor],
                    calls: Any = ()) -> dict[str, Any]:
    weight = own["weight"]
    groups = _arg(call, 6, "groups", 1)
    return {"in_channels": weight.shape[0], "out_channels": weight.shape[1] * groups,
            "kernel_size": tuple(weight.shape[2:]), "stride": _arg(call, 3, "stride", 1),
            "padding": _arg(call, 4, "padding", 0),
            "output_padding": _arg(call, 5, "output_padding", 0), "groups": groups,
            "dilation": _arg(call, 7, "dilation", 1), "bias": "bias" in own}


def _batch_norm(call: SimpleNamespace, own: dict[str, torch.Tensor],
                calls: Any = ()) -> dict[str, Any]:
    features = next(t.shape[0] for k, t in own.items() if k != "num_batches_tracked")
    return {"num_features": features, "eps": _arg(call, 7, "eps", 1e-5),
            "momentum": _arg(call, 6, "momentum", 0.1), "affine": "weight" in own,
            "track_running_stats": "running_mean" in own}


def _layer_norm(call: SimpleNamespace, own: dict[str, torch.Tensor],
                calls: Any = ()) -> dict[str, Any]:
    shape = call.args[1] if len(call.args) > 1 else call.kwargs.get("normalized_shape", ())
    return {"normalized_shape": tuple(shape),
            "eps": _arg(call, 4, "eps", 1e-5), "elementwise_affine": "weight" in own,
            "bias": "bias" in own}


def _pool(call: SimpleNamespace, own: dict[str, torch.Tensor],
          calls: Any = ()) -> dict[str, Any]:
    kernel = _arg(call, 1, "kernel_size", None)
    stride = _arg(call, 2, "stride", ()) or kernel
    settings = {"kernel_size": kernel, "stride": stride, "padding": _arg(call, 3, "padding", 0)}
    if call.op == "max_pool2d":
        settings |= {"dilation": _arg(call, 4, "dilation", 1),
                     "ceil_mode": _arg(call, 5, "ceil_mode", False)}
    else:
        settings |= {"ceil_mode": _arg(call, 4, "ceil_mode", False),
                     "count_include_pad": _arg(call, 5, "count_include_pad", True)}
    return settings


def _nothing(call: SimpleNamespace, own: dict[str, torch.Tensor],
             calls: Any = ()) -> dict[str, Any]:
    return {}


def _inplace(call: SimpleNamespace, own: dict[str, torch.Tensor],
             calls: Any = ()) -> dict[str, Any]:
    return {"inplace": call.op.endswith("_")}


def _recurrent(call: SimpleNamespace, own: dict[str, torch.Tensor],
               calls: Any = ()) -> dict[str, Any]:
    """aten.lstm / aten.gru (input, hx, params, has_biases, num_layers, dropout, train,
    bidirectional, batch_first)."""
    return {"input_size": own["weight_ih_l0"].shape[1],
            "hidden_size": own["weight_hh_l0"].shape[1], "num_layers": call.args[4],
            "bias": bool(call.args[3]), "dropout": float(call.args[5]),
            "bidirectional": bool(call.args[7]), "batch_first": bool(call.args[8])}


def _attention(call: SimpleNamespace, own: dict[str, torch.Tensor],
               calls: Any = ()) -> dict[str, Any]:
    """Heads from the first view of the projected input: [length, batch · heads, head
    size]; batch_first when the recorded call starts by transposing its input."""
    if "in_proj_weight" not in own:
        raise ModuleImportError("separate key and value projections are not read yet")
    width = own["in_proj_weight"].shape[1]
    size = next(c.args[1][-1] for c in calls if c.op in ("view", "reshape")
                and isinstance(c.args[1], (list, tuple)) and len(c.args[1]) == 3)
    dropout = next((c.args[1] for c in calls if c.op == "dropout"), 0.0)
    return {"embed_dim": width, "num_heads": width // size, "dropout": float(dropout),
            "bias": "in_proj_bias" in own, "batch_first": bool(calls) and
            calls[0].op == "transpose"}


def _encoder_layer(call: SimpleNamespace, own: dict[str, torch.Tensor],
                   calls: Any = ()) -> dict[str, Any]:
    """nn.TransformerEncoderLayer from its weights and the operations inside it: the
    heads as for attention, the norm first when a layer norm is its first operation."""
    ops = [c for c in calls if c.op]
    width = own["linear1.weight"].shape[1]
    size = next(c.args[1][-1] for c in ops if c.op in ("view", "reshape")
                and isinstance(c.args[1], (list, tuple)) and len(c.args[1]) == 3)
    norms = [c for c in ops if c.op == "layer_norm"]
    activation = "gelu" if any(c.op == "gelu" for c in ops) else "relu"
    dropout = next((c.args[1] for c in ops if c.op == "dropout"), 0.0)
    first_transpose = next((i for i, c in enumerate(ops) if c.op == "transpose"), None)
    return {"d_model": width, "nhead": width // size,
            "dim_feedforward": own["linear1.weight"].shape[0], "dropout": float(dropout),
            "activation": activation,
            "layer_norm_eps": float(norms[0].args[4]) if norms and len(norms[0].args) > 4
            else 1e-5,
            "batch_first": first_transpose is not None and first_transpose <= 1,
            "norm_first": bool(ops) and ops[0].op == "layer_norm",
            "bias": "linear1.bias" in own}


_RECIPES: dict[str, Callable[..., dict[str, Any]]] = {
    "TransformerEncoderLayer": _encoder_layer,
    "LSTM": _recurrent, "GRU": _recurrent, "MultiheadAttention": _attention,
    "Conv1d": _conv(1), "Conv2d": _conv(2), "Conv3d": _conv(3),
    "ConvTranspose2d": _conv_transpose,
    "Linear": lambda call, own, *_: {"in_features": own["weight"].shape[1],
                                 "out_features": own["weight"].shape[0],
                                 "bias": "bias" in own},
    "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm, "BatchNorm3d": _batch_norm,
    "LayerNorm": _layer_norm,
    "ReLU": _inplace, "ReLU6": _nothing, "SiLU": _nothing, "Sigmoid": _nothing,
    "Tanh": _nothing, "Hardswish": _nothing, "Hardsigmoid": _nothing, "Identity": _nothing,
    "GELU": lambda call, own, *_: {"approximate": _arg(call, 1, "approximate", "none")},
    "Dropout": lambda call, own, *_: {"p": _arg(call, 1, "p", 0.5)},
    "Flatten": lambda call, own, *_: {"start_dim": _arg(call, 1, "start_dim", 1),
                                  "end_dim": _arg(call, 2, "end_dim", -1)},
    "Softmax": lambda call, own, *_: {"dim": _arg(call, 1, "dim", None)},
    "LeakyReLU": lambda call, own, *_: {"negative_slope": _arg(call, 1, "negative_slope", 0.01)},
    "MaxPool2d": _pool, "AvgPool2d": _pool,
    "AdaptiveAvgPool2d": lambda call, own, *_: {"output_size": _arg(call, 1, "output_size", 1)},
    "AdaptiveAvgPool1d": lambda call, own, *_: {"output_size": _arg(call, 1, "output_size", 1)},
    "Embedding": lambda call, own, *_: {"num_embeddings": own["weight"].shape[0],
                                    "embedding_dim": own["weight"].shape[1]},
}
