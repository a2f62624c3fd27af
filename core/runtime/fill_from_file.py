"""A project's layers made straight from its file's weights (`LiveModel.load_project`):
a layer whose every tensor the file holds is made without its random init and filled
from the file, instead of being filled twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn.parameter import is_lazy
from torch.overrides import TorchFunctionMode

from core.catalog.registry import spec_for
from core.document.graph import Document, Node
from core.errors import TorchCanvasError
from core.runtime.build import BuiltModel, new_layer
from core.runtime.layer_seeding import draws
from core.runtime.module_facts import meta_bytes
from core.runtime.plan import ModulePlan, plan_document

if TYPE_CHECKING:
    from core.runtime.live import Key


class FromFile:
    """The layers a project's weights make outright, and which tensors they filled."""

    def __init__(self, document: Document, weights: dict[str, torch.Tensor]) -> None:
        self.weights = weights
        try:
            self.paths = layer_paths(document, plan_document(document))
        except TorchCanvasError:  # an invalid document: `sync` says why
            self.paths = {}
        self.filled: dict[int, tuple[Key, list[str], list[str]]] = {}

    def make(self, node: Node, key: Key, device: torch.device) -> nn.Module | None:
        """``node``'s module filled from the file, made without its random init; None
        where the file lacks any of its tensors (or has one in another shape): such a
        layer is made from its seed."""
        paths = self.paths.get(node.id)
        try:
            if not paths or not spec_for(node.type).factory_path.startswith("nn.") or \
                    meta_bytes(node) == 0:  # PyTorch's own layers keep nothing else;
                return None  # nothing to fill (or lazy): made from its seed
            with draws, device, Unfilled():  # never between another layer's seed and draws
                module = new_layer(node)
            state = module.state_dict()
        except Exception:  # made from its seed instead, which says what is wrong
            return None
        if any(m._non_persistent_buffers_set for m in module.modules()) or any(
                not isinstance(t, torch.Tensor) or is_lazy(t) for t in state.values()):
            return None  # a value the file does not hold would stay unset
        for path in paths:
            for name, tensor in state.items():
                stored = self.weights.get(f"{path}.{name}")
                if not isinstance(stored, torch.Tensor) or stored.shape != tensor.shape:
                    return None
        try:  # copied, not assigned: the file's tensors are mapped from the file
            module.load_state_dict({name: self.weights[f"{paths[0]}.{name}"]
                                    for name in state})
        except RuntimeError:
            return None
        self.filled[id(module)] = (key, paths, list(state))
        return module

    def _held_at(self, built: BuiltModel | None) -> dict[int, list[str]]:
        held: dict[int, list[str]] = {}
        if built is not None:
            for path, module in built.module.named_modules(remove_duplicate=False):
                if id(module) in self.filled:
                    held.setdefault(id(module), []).append(path)
        return held

    def misplaced(self, built: BuiltModel | None) -> list[Key]:
        """The keys of filled modules that the network holds elsewhere than planned."""
        held = self._held_at(built)
        return [key for identity, (key, paths, _) in self.filled.items()
                if sorted(held.get(identity, [])) != sorted(paths)]

    def loaded(self, built: BuiltModel | None) -> set[str]:
        """The file's keys the filled modules hold already. A module held under several
        names (tied) is left to the whole model's load, which copies each name in turn."""
        held = self._held_at(built)
        return {f"{paths[0]}.{name}" for identity, (_, paths, names) in self.filled.items()
                if len(paths) == 1 and held.get(identity) == paths for name in names}


def layer_paths(document: Document, plan: ModulePlan, prefix: str = "",
                 paths: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Each layer node (its owner, for a twin) → the names the built network holds its
    module under (``0``, ``block.layers.1``): where its tensors are in a state_dict."""
    paths = {} if paths is None else paths
    for name, node_id in plan.attributes:
        if node_id in plan.blocks:
            layer_paths(document, plan.blocks[node_id], f"{prefix}{name}.", paths)
        else:
            node = document.node(node_id)
            paths.setdefault(node.shares or node_id, []).append(prefix + name)
    return paths


class Unfilled(TorchFunctionMode):
    """Layers made to be filled from a file at once skip their random fill (every value
    it would write, the file's replace)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in FILLS:
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


FILLS = {getattr(nn.init, name) for name in dir(nn.init)
          if name.endswith("_") and not name.startswith("_")} | {
    torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.fill_, torch.Tensor.zero_}

