"""Document → real `torch.nn` modules.

A chain becomes an `nn.Sequential`; any other graph (or one marked ``module``) becomes a
`torch.fx.GraphModule` whose generated ``forward`` calls the children in order. Twins
share one module object, so tied parameters are tied for real.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import fx, nn

from core.catalog import spec_for
from core.graph import INPUT, Document
from core.plan import SEQUENTIAL_KIND, ModulePlan, plan_document, require_output


@dataclass
class BuiltModel:
    """The built module, the plan it follows, and the module behind each node id."""

    module: nn.Module
    plan: ModulePlan
    modules: dict[str, nn.Module]


def build(
    document: Document,
    device: torch.device | str | None = None,
    seed: int | None = None,
    require_output_path: bool = True,
) -> BuiltModel:
    """Build ``document``; ``device="meta"`` builds without allocating any memory.

    With ``seed`` the initial weights are reproducible. Raises a `DocumentError` for an
    invalid document and a `BuildError` when no path leads from input to output.
    """
    plan = plan_document(document)
    if require_output_path:
        require_output(plan, document)
    modules: dict[str, nn.Module] = {}
    with torch.device(device) if device is not None else nullcontext():
        if seed is not None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                module = _build_graph(document, plan, modules)
        else:
            module = _build_graph(document, plan, modules)
    return BuiltModel(module, plan, modules)


def build_module(document: Document, device: torch.device | str | None = None,
                 seed: int | None = None) -> nn.Module:
    """The `nn.Module` for ``document`` (see `build`)."""
    return build(document, device=device, seed=seed).module


def _module_for(document: Document, plan: ModulePlan, node_id: str,
                modules: dict[str, nn.Module]) -> nn.Module:
    if node_id in modules:
        return modules[node_id]
    node = document.node(node_id)
    if node.id in plan.blocks:
        module = _build_graph(document, plan.blocks[node.id], modules)
    elif node.shares is not None:
        owner = document.node(node.shares)
        module = modules.get(owner.id) or spec_for(owner.type).create(
            spec_for(owner.type).validate_args(owner.args)
        )
        modules[owner.id] = module
    else:
        spec = spec_for(node.type)
        module = spec.create(spec.validate_args(node.args))
    modules[node_id] = module
    return module


def _build_graph(document: Document, plan: ModulePlan,
                 modules: dict[str, nn.Module]) -> nn.Module:
    children = OrderedDict(
        (name, _module_for(document, plan, node_id, modules))
        for name, node_id in plan.attributes
    )
    for node_id, name in plan.names.items():
        modules.setdefault(node_id, children[name])
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
