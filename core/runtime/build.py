"""Document → real `torch.nn` modules.

A chain becomes an `nn.Sequential`; any other graph (or one marked ``module``) becomes a
`torch.fx.GraphModule` whose generated ``forward`` calls the children in order. Twins
share one module object, so tied parameters are tied for real.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import fx, nn

from core.catalog.registry import spec_for
from core.document.graph import INPUT, Document, Node
from core.runtime.plan import SEQUENTIAL_KIND, ModulePlan, plan_document, require_output


@dataclass
class BuiltModel:
    """The built module, the plan it follows, and the module behind each node id."""

    module: nn.Module
    plan: ModulePlan
    modules: dict[str, nn.Module]


LayerFactory = Callable[[Node], nn.Module]


def new_layer(node: Node) -> nn.Module:
    """A fresh module for a layer node (never a block)."""
    spec = spec_for(node.type)
    return spec.create(spec.validate_args(node.args))


def build(
    document: Document,
    device: torch.device | str | None = None,
    seed: int | None = None,
    require_output_path: bool = True,
    layer_factory: LayerFactory = new_layer,
) -> BuiltModel:
    """Build ``document``; ``device="meta"`` builds without allocating any memory.

    With ``seed`` the initial weights are reproducible. ``layer_factory`` makes the
    module of each owner node (the live model passes one that reuses modules it already
    holds). Raises a `DocumentError` for an invalid document and a `BuildError` when no
    path leads from input to output.
    """
    plan = plan_document(document)
    if require_output_path:
        require_output(plan, document)
    modules: dict[str, nn.Module] = {}
    builder = _Builder(document, layer_factory, modules)
    with torch.device(device) if device is not None else nullcontext():
        if seed is not None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                module = builder.graph(plan)
        else:
            module = builder.graph(plan)
    return BuiltModel(module, plan, modules)


def build_module(document: Document, device: torch.device | str | None = None,
                 seed: int | None = None) -> nn.Module:
    """The `nn.Module` for ``document`` (see `build`)."""
    return build(document, device=device, seed=seed).module


class _Builder:
    def __init__(self, document: Document, layer_factory: LayerFactory,
                 modules: dict[str, nn.Module]) -> None:
        self.document = document
        self.layer_factory = layer_factory
        self.modules = modules

    def module_for(self, plan: ModulePlan, node_id: str) -> nn.Module:
        if node_id in self.modules:
            return self.modules[node_id]
        node = self.document.node(node_id)
        if node.id in plan.blocks:
            module = self.graph(plan.blocks[node.id])
        else:
            owner = self.document.node(node.shares) if node.shares else node
            module = self.modules.get(owner.id) or self.layer_factory(owner)
            self.modules[owner.id] = module
        self.modules[node_id] = module
        return module

    def graph(self, plan: ModulePlan) -> nn.Module:
        children = OrderedDict(
            (name, self.module_for(plan, node_id)) for name, node_id in plan.attributes
        )
        for node_id, name in plan.names.items():
            self.modules.setdefault(node_id, children[name])
        if plan.kind == SEQUENTIAL_KIND:
            return nn.Sequential(children)
        return _generated_module(plan, children)


def _generated_module(plan: ModulePlan, children: OrderedDict[str, nn.Module]) -> nn.Module:
    graph = fx.Graph()
    values = {INPUT: graph.placeholder("x")}
    for call in plan.calls:
        values[call.node_id] = graph.call_module(
            call.target, tuple(values[source] for source in call.inputs)
        )
    graph.output(values[plan.output] if plan.output is not None else values[INPUT])
    module = fx.GraphModule(dict(children), graph, class_name=plan.class_name)
    # fx registers only the children the graph calls, in call order; keep every child,
    # in the order a person declared them, so state_dict keys line up.
    module._modules = OrderedDict(children)
    return module
