"""Checks that a document can be built, raising a typed error that names the place."""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from core.catalog.registry import spec_for
from core.document.graph import BLOCK, CONTAINERS, INPUT, OUTPUT, ROOT, Document, Edge, Graph, Node
from core.errors import (
    CycleError,
    DanglingEdgeError,
    DocumentError,
    InvalidFormatError,
    PortError,
    SharingError,
    UnknownLayerError,
)

MAX_DEPTH = 32


def describe_node(node: Node) -> str:
    label = f" '{node.name}'" if node.name else ""
    return f"node {node.id}{label} ({node.type})"


def describe_graph(document: Document, graph_id: str) -> str:
    if graph_id == ROOT:
        return "the root graph"
    return f"block {graph_id}" + (f" '{document.node(graph_id).name}'" if
                                  document.node(graph_id).name else "")


def is_valid_name(name: str) -> bool:
    """A name a module attribute can have: an identifier or a Sequential index."""
    return name.isdigit() or (name.isidentifier() and not keyword.iskeyword(name))


def topological_order(graph: Graph, where: str = "") -> list[str]:
    """Node ids so that every edge runs forward; ties keep registration order.

    Raises `CycleError` when the edges form a cycle.
    """
    incoming = {node.id: 0 for node in graph.nodes}
    followers: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        if edge.src in followers and edge.dst in incoming:
            incoming[edge.dst] += 1
            followers[edge.src].append(edge.dst)
    position = {node.id: i for i, node in enumerate(graph.nodes)}
    ready = sorted((i for i, n in incoming.items() if n == 0), key=position.__getitem__)
    order: list[str] = []
    while ready:
        current = ready.pop(0)
        order.append(current)
        newly = []
        for follower in followers[current]:
            incoming[follower] -= 1
            if incoming[follower] == 0:
                newly.append(follower)
        if newly:
            ready = sorted(ready + newly, key=position.__getitem__)
    if len(order) < len(graph.nodes):
        stuck = sorted(i for i, n in incoming.items() if n > 0)
        raise CycleError(f"the edges form a cycle through {', '.join(stuck)}", where)
    return order


def check_edges(graph: Graph, where: str) -> None:
    ids = {node.id: node for node in graph.nodes}
    fed: set[tuple[str, int]] = set()
    for edge in graph.edges:
        _check_edge_shape(edge, where)
        if edge.src != INPUT and edge.src not in ids:
            raise DanglingEdgeError(f"an edge starts at {edge.src!r}, which is not here", where)
        if edge.dst != OUTPUT and edge.dst not in ids:
            raise DanglingEdgeError(f"an edge ends at {edge.dst!r}, which is not here", where)
        if edge.src == OUTPUT or edge.dst == INPUT:
            raise DanglingEdgeError(f"an edge runs backwards: {edge.src} → {edge.dst}", where)
        if edge.src == edge.dst:
            raise CycleError(f"{edge.src} feeds itself", where)
        if (edge.dst, edge.port) in fed:
            raise PortError(f"two edges feed input {edge.port} of {edge.dst}", where)
        fed.add((edge.dst, edge.port))
        if edge.dst == OUTPUT:
            if edge.port != 0:
                raise PortError("the output has a single input, port 0", where)
            continue
        _, high = input_range(ids[edge.dst])
        if edge.port < 0 or (high is not None and edge.port >= high):
            raise PortError(
                f"{describe_node(ids[edge.dst])} has no input {edge.port}", where
            )


def _check_edge_shape(edge: Edge, where: str) -> None:
    if not isinstance(edge.src, str) or not isinstance(edge.dst, str):
        raise InvalidFormatError("an edge's ends must be node ids", where)
    if isinstance(edge.port, bool) or not isinstance(edge.port, int):
        raise InvalidFormatError("an edge's port must be an integer", where)


def input_range(node: Node) -> tuple[int, int | None]:
    if node.type == BLOCK:
        return (1, 1)
    return spec_for(node.type).inputs


def check_document(document: Document, untrusted_ok: bool = False) -> None:
    """Raise the first problem that would stop ``document`` from building.

    A layer whose code the document carries but nobody has trusted yet cannot build;
    ``untrusted_ok`` lets such a document through (to open it read-only).
    """
    owners = {n.id: n for _, n in document.walk() if n.shares is None}
    untrusted = set(untrusted_layers(document))
    if untrusted and not untrusted_ok:
        raise UnknownLayerError(f"the code of {', '.join(sorted(untrusted))} has not been "
                                "trusted, so it has not run")
    _check_graph(document, ROOT, document.root, owners, depth=0,
                 untrusted=untrusted if untrusted_ok else set())


def untrusted_layers(document: Document) -> list[str]:
    """Layers whose code the document carries but that has not run in this session (a
    layer registered from other code counts as not run)."""
    from core.catalog.registry import CUSTOM_SOURCES

    return [t for t, source in document.custom_layers.items()
            if CUSTOM_SOURCES.get(t) != source]


def _check_graph(
    document: Document, graph_id: str, graph: Graph, owners: dict[str, Node], depth: int,
    untrusted: AbstractSet[str] = frozenset(),
) -> None:
    where = describe_graph(document, graph_id)
    if depth > MAX_DEPTH:
        raise InvalidFormatError(f"blocks are nested more than {MAX_DEPTH} deep", where)
    if graph.container not in CONTAINERS:
        raise InvalidFormatError(
            f"container must be one of {', '.join(CONTAINERS)}, not {graph.container!r}", where
        )
    if graph.class_name and not graph.class_name.isidentifier():
        raise InvalidFormatError(f"class name {graph.class_name!r} is not an identifier", where)
    _check_names(graph.nodes, where)
    for node in graph.nodes:
        if node.type in untrusted:
            continue
        _check_node(document, node, owners, where, depth, untrusted)
    if not untrusted:
        check_edges(graph, where)
    topological_order(graph, where)


def _check_names(nodes: Iterable[Node], where: str) -> None:
    seen: set[str] = set()
    for node in nodes:
        if not node.name:
            continue
        if not is_valid_name(node.name):
            raise InvalidFormatError(
                f"{node.name!r} cannot be an attribute name: use letters, digits and _", where
            )
        if node.name in seen:
            raise InvalidFormatError(f"two nodes are named {node.name!r}", where)
        seen.add(node.name)


def _check_node(
    document: Document, node: Node, owners: dict[str, Node], where: str, depth: int,
    untrusted: AbstractSet[str] = frozenset(),
) -> None:
    here = f"{where} › {describe_node(node)}"
    if node.type == BLOCK:
        if node.graph is None:
            raise InvalidFormatError("a block needs a graph", here)
        if node.shares is not None:
            raise SharingError("blocks cannot be shared; share the layers inside", here)
        _check_graph(document, node.id, node.graph, owners, depth + 1, untrusted)
        return
    if node.graph is not None:
        raise InvalidFormatError("only blocks own a graph", here)
    spec = spec_for(node.type)
    try:
        spec.validate_args(node.args)
    except DocumentError as error:
        raise type(error)(str(error), here) from None
    if node.shares is not None:
        owner = owners.get(node.shares)
        if owner is None:
            raise SharingError(f"shares {node.shares!r}, which is not an owner node", here)
        if owner.id == node.id:
            raise SharingError("a node cannot share with itself", here)
        if owner.type != node.type:
            raise SharingError(f"shares {owner.id}, a {owner.type}", here)
