"""Document → real `torch.nn` modules.

A chain becomes an `nn.Sequential`; any other graph (or one marked ``module``) becomes a
`torch.fx.GraphModule` whose generated ``forward`` calls the children in order, runs the
tensor operations as calls of its own and reads its parameters. Twins share one module
object, so tied parameters are tied for real; a held module (``layers.0``) sits in an
``nn.ModuleList`` attribute.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import fx, nn

from core.catalog.operations import expression_for
from core.catalog.registry import spec_for
from core.document.graph import ROOT, Document, Node
from core.runtime.operations import evaluate
from core.runtime.plan import (
    EXPRESSION_CALL,
    SEQUENTIAL_KIND,
    TENSOR_CALL,
    Held,
    ModulePlan,
    input_key,
    nested_attributes,
    plan_document,
    require_output,
)


@dataclass
class BuiltModel:
    """The built module, the plan it follows, and the module behind each node id (for a
    tensor operation, a module that does what it does; for a parameter, the module that
    holds it as ``value``)."""

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


def tie_tensors(built: BuiltModel) -> None:
    """Register each parameter node's tensor again where the network holds it: moving a
    module to another device gives its buffers new tensor objects."""
    for sub in built.plan.walk():
        if not sub.tensors:
            continue
        parent = built.module if sub.graph_id == ROOT else built.modules[sub.graph_id]
        for name, node_id in sub.tensors:
            value = built.modules[node_id].value
            table = parent._parameters if isinstance(value, nn.Parameter) else parent._buffers
            table[name] = value  # type: ignore[assignment]


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
        tensors = OrderedDict(
            (name, self.module_for(plan, node_id)) for name, node_id in plan.tensors)
        registered = {**children, **tensors}
        for node_id, name in plan.names.items():
            module = registered.get(name)  # a tensor operation has none: a stand-in
            self.modules[node_id] = module if module is not None else \
                self.module_for(plan, node_id)
        if plan.kind == SEQUENTIAL_KIND:
            return nn.Sequential(children)
        return _generated_module(self.document, plan, children, tensors)


def _held(items: list[tuple[str, str | Held]], plan: ModulePlan,
          children: OrderedDict[str, nn.Module]) -> OrderedDict[str, nn.Module]:
    """The children with the held ones gathered into their ModuleLists."""
    gathered: OrderedDict[str, nn.Module] = OrderedDict()
    names = {node_id: name for name, node_id in plan.attributes}
    for key, item in items:
        if isinstance(item, Held):
            inner = _held(item.items, plan, children)
            gathered[key] = nn.ModuleList(inner.values()) if item.is_list else \
                nn.ModuleDict(inner)
        else:
            gathered[key] = children[names[item]]
    return gathered


def _generated_module(document: Document, plan: ModulePlan,
                      children: OrderedDict[str, nn.Module],
                      tensors: OrderedDict[str, nn.Module]) -> nn.Module:
    graph = fx.Graph()
    tracer = fx.proxy.GraphAppendingTracer(graph)
    values = {input_key(i): graph.placeholder("x" if plan.inputs == 1 else f"x{i + 1}")
              for i in range(plan.inputs)}
    for call in plan.calls:
        inputs = [values[source] for source in call.inputs]
        if call.kind == TENSOR_CALL:
            values[call.node_id] = graph.get_attr(call.target)
        elif call.kind == EXPRESSION_CALL:
            node = document.node(call.node_id)
            expression = expression_for(node.type, node.args, len(inputs))
            result = evaluate(expression, [fx.Proxy(value, tracer) for value in inputs])
            values[call.node_id] = result.node
        else:
            values[call.node_id] = graph.call_module(call.target, tuple(inputs))
    outputs = [values[key] for key in plan.outputs] or [values[input_key(0)]]
    graph.output(outputs[0] if len(outputs) == 1 else tuple(outputs))
    held = _held(nested_attributes(plan.attributes), plan, children)
    registered: dict[str, torch.Tensor] = {
        name: holder.value for name, holder in tensors.items()}  # type: ignore[misc]
    module = fx.GraphModule({**children, **registered}, graph, class_name=plan.class_name)
    # fx registers only what the graph uses, in the order it uses it; keep every child
    # and tensor, in the order a person declared them, so state_dict keys line up.
    for name in registered:
        module.__dict__.pop(name, None)
    module._parameters = OrderedDict(
        (name, value) for name, value in registered.items() if isinstance(value, nn.Parameter))
    module._buffers = OrderedDict(
        (name, value) for name, value in registered.items()
        if not isinstance(value, nn.Parameter))
    module._non_persistent_buffers_set = {
        name for name, holder in tensors.items() if "value" in holder._non_persistent_buffers_set}
    module._modules = OrderedDict[str, nn.Module | None](held)
    return module
