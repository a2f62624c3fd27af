"""Lowering: how each graph of a document becomes a module.

`plan_document` decides, once, what `core.runtime.build` constructs and what `core.io.codegen`
writes, so the two always agree: which graphs are an `nn.Sequential` and which a
generated class, the attribute name of every node, and the order of the calls.

A call is of one of three kinds: a module the graph's module registers and calls (a layer
or block; one named with a path, ``layers.0``, is held in an ``nn.ModuleList``); a
tensor operation, written into the forward as an expression with no module of its own;
or a parameter or buffer the module registers under the node's name and reads. Values
are named by node id, and a graph's inputs by `input_key`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from core.catalog.operations import EXPRESSION, TENSOR
from core.catalog.registry import spec_for
from core.document.graph import (
    BLOCK,
    INPUT,
    MODULE,
    OUTPUT,
    ROOT,
    Document,
    Edge,
    Graph,
    Node,
    graph_inputs,
)
from core.document.names import class_name_problem, node_name_problem
from core.document.validate import check_document, describe_graph, input_range, topological_order
from core.errors import BuildError

SEQUENTIAL_KIND = "sequential"
GENERATED_KIND = "generated"
MODULE_CALL = "module"
EXPRESSION_CALL = EXPRESSION
TENSOR_CALL = TENSOR


def input_key(index: int) -> str:
    """The name of a graph's input ``index`` among the values of its plan."""
    return INPUT if index == 0 else f"{INPUT}:{index}"


def source_key(edge: Edge) -> str:
    """The value an edge carries: its source node, or the graph input it names."""
    return input_key(edge.src_port) if edge.src == INPUT else edge.src


def call_kind(node: Node) -> str:
    """``"module"``, ``"expression"`` or ``"tensor"`` (see the module's docstring)."""
    return MODULE_CALL if node.type == BLOCK else spec_for(node.type).form


@dataclass
class Call:
    """Call ``target`` on the values of ``inputs`` (`input_key` names or node ids).

    For a module call ``target`` is the attribute (a path for a held module); for a
    tensor, the attribute it is registered under; for an expression, "".
    """

    node_id: str
    target: str
    inputs: list[str]
    kind: str = MODULE_CALL


@dataclass
class Held:
    """Modules held in one attribute: an ``nn.ModuleList`` when the keys are 0, 1, … in
    order, else an ``nn.ModuleDict``. Each item is a node id or a `Held` inside it."""

    items: list[tuple[str, str | Held]] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return [key for key, _ in self.items] == [str(i) for i in range(len(self.items))]


def nested_attributes(attributes: list[tuple[str, str]]) -> list[tuple[str, str | Held]]:
    """``attributes`` with the held ones (``layers.0``) gathered under their list, which
    takes the place of its first item."""
    top: list[tuple[str, str | Held]] = []
    holders: dict[str, Held] = {}
    for name, node_id in attributes:
        *path, last = name.split(".")
        items, prefix = top, ""
        for part in path:
            prefix = f"{prefix}.{part}" if prefix else part
            holder = holders.get(prefix)
            if holder is None:
                holder = holders[prefix] = Held()
                items.append((part, holder))
            items = holder.items
        items.append((last, node_id))
    return top


@dataclass
class ModulePlan:
    """What one graph becomes.

    ``attributes`` lists the modules as ``(attribute name, node id)`` in registration
    order; the node id is the node that defines the attribute (a twin in a Sequential
    names itself, and its module is its owner's). ``tensors`` lists the parameters and
    buffers alike. ``names`` maps every node id of the graph to the attribute it is
    called through (for a tensor operation, the name of its value). ``calls`` run in
    order; nodes that no path from the inputs reaches are registered but not called.
    ``inputs`` counts the graph's inputs; ``outputs`` are the values it returns, in
    order (a tuple when there are several), empty when no path reaches the output.
    """

    graph_id: str
    kind: str
    class_name: str
    attributes: list[tuple[str, str]] = field(default_factory=list)
    tensors: list[tuple[str, str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    inputs: int = 1
    outputs: list[str] = field(default_factory=list)
    blocks: dict[str, ModulePlan] = field(default_factory=dict)

    @property
    def output(self) -> str | None:
        """The first value returned (the only one, unless the graph gives a tuple)."""
        return self.outputs[0] if self.outputs else None

    def walk(self):
        yield self
        for block in self.blocks.values():
            yield from block.walk()


_ACRONYMS = ("PReLU", "ReLU", "GELU", "SiLU", "ELU")


@functools.lru_cache(maxsize=4096)
def snake_case(name: str) -> str:
    """``LeakyReLU`` → ``leaky_relu``, ``BatchNorm2d`` → ``batch_norm2d``."""
    for acronym in _ACRONYMS:
        name = name.replace(acronym, acronym.capitalize())
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name)
    return name.lower()


def camel_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def is_chain(graph: Graph) -> bool:
    """True when the edges run input → n1 → … → nk → output through every node once."""
    if not graph.nodes:
        return True
    if len(graph.edges) != len(graph.nodes) + 1:
        return False
    following = {}
    for edge in graph.edges:
        if edge.port != 0 or edge.src_port != 0 or edge.src in following:
            return False
        following[edge.src] = edge.dst
    current, visited = INPUT, 0
    while current in following and current != OUTPUT:
        current = following[current]
        visited += 1
    return current == OUTPUT and visited == len(graph.nodes) + 1


def chain_order(graph: Graph) -> list[str]:
    following = {edge.src: edge.dst for edge in graph.edges}
    order, current = [], following.get(INPUT)
    while current not in (None, OUTPUT):
        order.append(current)
        current = following.get(current)
    return order


def plan_document(document: Document) -> ModulePlan:
    """Validate ``document`` and lower it; raises a `DocumentError` if it is not valid.

    The plan is kept with the document until its structure changes, so the views, the
    live model and the dry run that follow one edit share a single lowering. (Layer code
    trusted later is registered before the document that uses it is opened.)"""
    cached = document.plan_cache
    if cached is not None and cached[0] == document.structure_version:
        return cached[1]
    check_document(document)
    plan = _plan_graph(document, ROOT, document.root)
    document.plan_cache = (document.structure_version, plan)
    return plan


def _plan_graph(document: Document, graph_id: str, graph: Graph) -> ModulePlan:
    kinds = {node.id: call_kind(node) for node in graph.nodes}
    sequential = graph.container != MODULE and is_chain(graph) and all(
        kind == MODULE_CALL and "." not in node.name
        for node, kind in zip(graph.nodes, kinds.values(), strict=True))
    plan = ModulePlan(
        graph_id=graph_id,
        kind=SEQUENTIAL_KIND if sequential else GENERATED_KIND,
        class_name=graph.class_name or _default_class_name(document, graph_id),
        inputs=graph_inputs(graph),
    )
    order = chain_order(graph) if sequential else topological_order(graph)
    local_ids = {node.id for node in graph.nodes}
    taken = {node.name for node in graph.nodes if node.name}
    taken |= {name.split(".")[0] for name in taken}  # the lists that hold modules
    type_counts: dict[str, int] = {}
    by_id = {node.id: node for node in graph.nodes}
    attribute_order = order if sequential else [node.id for node in graph.nodes]
    for position, node_id in enumerate(attribute_order):
        node = by_id[node_id]
        calls_owner = (
            not sequential and node.shares is not None and node.shares in local_ids
            and kinds[node_id] != EXPRESSION_CALL
        )
        if calls_owner:
            continue
        name = node.name or _automatic_name(node, position, sequential, taken, type_counts,
                                            len(attribute_order))
        taken.add(name)
        plan.names[node.id] = name
        if kinds[node_id] == TENSOR_CALL:
            plan.tensors.append((name, node.id))
        elif kinds[node_id] == MODULE_CALL:
            plan.attributes.append((name, node.id))
        if node.type == BLOCK:
            assert node.graph is not None
            plan.blocks[node.id] = _plan_graph(document, node.id, node.graph)
    for node in graph.nodes:
        if node.id not in plan.names:
            assert node.shares is not None  # only a twin calling its owner was skipped
            plan.names[node.id] = plan.names[node.shares]
    _plan_calls(plan, graph, order, kinds)
    return plan


def _automatic_name(node, position, sequential, taken, type_counts, count) -> str:
    """A Sequential's position (or, when a person gave that number to another node, the
    next of position + k·count that is free: never the same number for two nodes), or
    the snake-cased type, numbered, kept clear of the names no node may have."""
    if sequential:
        number = position
        while str(number) in taken:
            number += count
        return str(number)
    base = _automatic_base(node.graph.class_name if node.type == BLOCK and node.graph and
                           node.graph.class_name else node.type)
    while True:
        number = type_counts.get(base, 0)
        type_counts[base] = number + 1
        candidate = base if number == 0 else f"{base}_{number}"
        if candidate not in taken:
            return candidate


@functools.lru_cache(maxsize=4096)
def _automatic_base(type_or_class: str) -> str:
    base = snake_case(type_or_class)
    if node_name_problem(base):
        return f"{base}_" if node_name_problem(f"{base}_") is None else "layer"
    return base


def _default_class_name(document: Document, graph_id: str) -> str:
    if graph_id == ROOT:
        title = camel_case(document.title)
        return title if title and document.title.isascii() and \
            class_name_problem(title) is None else "Network"
    name = camel_case(document.node(graph_id).name)
    return name if name and class_name_problem(name) is None else "Block"


def _plan_calls(plan: ModulePlan, graph: Graph, order: list[str], kinds: dict[str, str]
                ) -> None:
    """Call every node whose inputs are all connected and computed; a merge waits until
    its inputs fill ports 0, 1, … without a gap, and are at least its minimum. The
    output waits alike for all of its ports."""
    available = {input_key(i) for i in range(plan.inputs)}
    by_id = {node.id: node for node in graph.nodes}
    incoming: dict[str, list[Edge]] = {}
    for edge in graph.edges:
        incoming.setdefault(edge.dst, []).append(edge)
    for node_id in order:
        edges = incoming.get(node_id, [])
        if len(edges) > 1:
            edges.sort(key=_port)
        inputs = [source_key(edge) for edge in edges]
        contiguous = all(edge.port == i for i, edge in enumerate(edges))
        node = by_id[node_id]
        if contiguous and len(inputs) >= input_range(node)[0] and \
                all(s in available for s in inputs):
            kind = kinds[node_id]
            target = "" if kind == EXPRESSION_CALL else plan.names[node_id]
            plan.calls.append(Call(node_id, target, inputs, kind))
            available.add(node_id)
    feeding = sorted(incoming.get(OUTPUT, []), key=_port)
    if feeding and all(edge.port == i for i, edge in enumerate(feeding)) and \
            all(source_key(edge) in available for edge in feeding):
        plan.outputs = [source_key(edge) for edge in feeding]


def _port(edge: Edge) -> int:
    return edge.port


def require_output(plan: ModulePlan, document: Document) -> None:
    """Raise `BuildError` unless every graph's output is reached from its input."""
    for sub in plan.walk():
        if not sub.outputs:
            graph = document.graph(sub.graph_id)
            if not any(edge.dst == OUTPUT for edge in graph.edges):
                reason = "nothing is connected to the output"
            else:
                reason = "no path of connected layers leads from the input to the output"
            raise BuildError(f"{describe_graph(document, sub.graph_id)}: {reason}")
