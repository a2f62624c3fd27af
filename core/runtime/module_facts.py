"""What the live model reads off a layer's module: its tensors, their bytes, whether its
seed makes it again and whether its parameters changed since it was made."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

from core.catalog.registry import spec_for
from core.document.graph import Node
from core.errors import TorchCanvasError
from core.runtime.shapes import layer_sizes

MODULE_OVERHEAD = 1 << 10  # what an empty module costs, so modules without weights count


def copied_node(node: Node) -> Node:
    """``replace(node, args=dict(node.args))`` without running ``__init__`` again (a
    fifth of what keeping a small layer costs)."""
    copied = object.__new__(Node)
    copied.__dict__.update(node.__dict__)
    copied.args = dict(node.args)
    return copied


def is_uninitialized(tensor: torch.Tensor) -> bool:
    return isinstance(tensor, (UninitializedParameter, UninitializedBuffer))


def is_lazy_module(module: nn.Module) -> bool:
    return any(is_lazy(p) for p in module.parameters())


def named_tensors(module: nn.Module) -> list[tuple[str, torch.Tensor]]:
    return [*module.named_parameters(remove_duplicate=False),
            *module.named_buffers(remove_duplicate=False)]


def module_bytes(module: nn.Module | None) -> int:
    if module is None:
        return 0
    tensors = {id(t): t for _, t in named_tensors(module) if not is_uninitialized(t)}
    return MODULE_OVERHEAD + sum(t.nbytes for t in tensors.values())


def remakeable(node: Node, module: nn.Module) -> bool:
    """Whether this layer's seed makes the same module again: PyTorch's own layers with
    no buffers (a forward pass may change those without telling); the caller rules out
    lazy ones."""
    try:
        own = spec_for(node.type).factory_path.startswith("nn.")
    except TorchCanvasError:
        return False
    if not module._modules:  # a leaf: its own tables, without the walk of `buffers()`
        return own and all(b is None for b in module._buffers.values())
    return own and next(module.buffers(), None) is None


def parameters_of(module: nn.Module) -> list[nn.Parameter]:
    """``list(module.parameters())``, for a leaf module without its generators' cost."""
    if module._modules:
        return list(module.parameters())
    parameters, seen = [], set()
    for parameter in module._parameters.values():
        if parameter is not None and id(parameter) not in seen:
            seen.add(id(parameter))
            parameters.append(parameter)
    return parameters


def made_as_of(module: nn.Module, parameters: list[nn.Parameter] | None = None
             ) -> tuple[Any, ...]:
    """What tells whether a module's parameters changed since: each one's identity,
    storage and in-place version counter."""
    return tuple((id(p), p.data_ptr(), p._version) for p in
                 (parameters_of(module) if parameters is None else parameters))


def meta_bytes(node: Node) -> int:
    """What a layer's known parameters and buffers will take (lazy ones count later)."""
    parameters, buffers = layer_sizes(node.type, node.args)
    return (parameters + buffers) * 4

