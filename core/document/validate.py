"""Checks that a document can be built, raising a typed error that names the place."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet

from core.catalog.operations import sizes_inputs
from core.catalog.registry import CATALOG, spec_for
from core.document.graph import (
    BLOCK,
    CONTAINERS,
    INPUT,
    OUTPUT,
    ROOT,
    Document,
    Edge,
    Graph,
    Node,
    graph_inputs,
)
from core.document.names import class_name_problem, node_name_problem, normal_form
from core.errors import (
    CycleError,
    DanglingEdgeError,
    DocumentError,
    InvalidFormatError,
    InvalidNameError,
    PortError,
    PositionError,
    SharingError,
    UnknownLayerError,
)

MAX_DEPTH = 32
# How many inputs a graph may take, and outputs give.
MAX_PORTS = 1 << 16
# How far from the origin a node may stand, in scene units: room for the layered layout
# of the largest document a file may hold (100,000 nodes in one column, 110 apart), and
# far below where drawing it would overflow or take forever.
MAX_COORDINATE = 1e8


def describe_node(node: Node) -> str:
    label = f" {node.name!r}" if node.name else ""
    return f"node {node.id}{label} ({node.type})"


def describe_graph(document: Document, graph_id: str) -> str:
    if graph_id == ROOT:
        return "the root graph"
    name = document.node(graph_id).name
    return f"block {graph_id}" + (f" {name!r}" if name else "")


def is_valid_name(name: str) -> bool:
    """A name a node can have (see `core.document.names`)."""
    return node_name_problem(name) is None


def topological_order(graph: Graph, where: str = "") -> list[str]:
    """Node ids so that every edge runs forward; of the nodes ready to run, the one
    registered first goes first. O(E + N log N).

    Raises `CycleError` when the edges form a cycle.
    """
    incoming = [0] * len(graph.nodes)
    position = {node.id: i for i, node in enumerate(graph.nodes)}
    followers: list[list[int]] = [[] for _ in graph.nodes]
    for edge in graph.edges:
        src, dst = position.get(edge.src), position.get(edge.dst)
        if src is not None and dst is not None:
            incoming[dst] += 1
            followers[src].append(dst)
    ready = [i for i, n in enumerate(incoming) if n == 0]  # ascending: already a heap
    order: list[str] = []
    while ready:
        current = heapq.heappop(ready)
        order.append(graph.nodes[current].id)
        for follower in followers[current]:
            incoming[follower] -= 1
            if incoming[follower] == 0:
                heapq.heappush(ready, follower)
    if len(order) < len(graph.nodes):
        stuck = sorted(graph.nodes[i].id for i, n in enumerate(incoming) if n > 0)
        shown = ", ".join(stuck[:10]) + (f" and {len(stuck) - 10} more" if len(stuck) > 10
                                          else "")
        raise CycleError(f"the edges form a cycle through {shown}", where)
    return order


def check_position(value: object, where: str = "") -> tuple[float, float]:
    """``value`` as a point ``(x, y)``; raises `PositionError` unless it is two finite
    numbers within ``MAX_COORDINATE`` of the origin. Every way a position enters a
    document (a file, a command, a paste) goes through here."""
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise PositionError("a position must be [x, y], two numbers", where)
    try:
        x, y = float(value[0]), float(value[1])
    except OverflowError:  # an int too large for a float
        raise PositionError(f"a position must lie within ±{MAX_COORDINATE:g}", where) \
            from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise PositionError(f"a position must be finite, not ({x}, {y})", where)
    if abs(x) > MAX_COORDINATE or abs(y) > MAX_COORDINATE:
        raise PositionError(f"a position must lie within ±{MAX_COORDINATE:g}, not "
                            f"({x:g}, {y:g})", where)
    return x, y


def check_positions(positions: Mapping[str, object]) -> None:
    """`check_position` for every entry of a document's ``positions``."""
    for node_id, point in positions.items():
        check_position(point, f"view.positions.{node_id}")


def check_text(text: str, where: str) -> None:
    """Raise `InvalidFormatError` if ``text`` holds a lone surrogate: such text cannot be
    written as UTF-8, printed or put into Python source."""
    if not isinstance(text, str):
        raise InvalidFormatError("expected text", where)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidFormatError(f"character {error.start} is a lone surrogate "
                                 f"({text[error.start]!a}), which is not text", where) \
            from None


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
        if edge.src_port and edge.src != INPUT:
            raise PortError(f"an edge from {edge.src} names output {edge.src_port}: only "
                            "a graph's input has several", where)
        if (edge.dst, edge.port) in fed:
            raise PortError(f"two edges feed input {edge.port} of {edge.dst}", where)
        fed.add((edge.dst, edge.port))
        if edge.dst == OUTPUT:
            if not 0 <= edge.port < MAX_PORTS:
                raise PortError(f"the output has no input {edge.port}", where)
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
    if isinstance(edge.src_port, bool) or not isinstance(edge.src_port, int) or \
            not 0 <= edge.src_port < MAX_PORTS:
        raise InvalidFormatError("an edge's source port must be a small integer", where)


def input_range(node: Node) -> tuple[int, int | None]:
    """The fewest and most inputs ``node`` takes (``None``: no upper bound): a block
    as many as its graph has, a layer what its catalog entry says (a shape that reads
    sizes from inputs adds those inputs)."""
    if node.type == BLOCK:
        count = graph_inputs(node.graph) if node.graph is not None else 1
        return (count, count)
    spec = spec_for(node.type)
    if any(arg.kind == "sizes" for arg in spec.args) and isinstance(node.args, dict):
        count = sizes_inputs(node.args)
        return (count, count)
    return spec.inputs


def check_document(document: Document, untrusted_ok: bool = False) -> None:
    """Raise the first problem that would stop ``document`` from building.

    A layer whose code the document carries but nobody has trusted yet cannot build;
    ``untrusted_ok`` lets such a document through (to open it read-only).
    """
    check_text(document.title, "title")
    check_text(document.description, "description")
    check_positions(document.positions)
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
    if not isinstance(graph.class_name, str):
        raise InvalidFormatError("the class name must be text", where)
    problem = class_name_problem(graph.class_name)
    if problem:
        raise InvalidNameError(f"class name: {problem}", where)
    check_names(graph.nodes, where)
    for node in graph.nodes:
        if node.type in untrusted:
            continue
        _check_node(document, node, owners, where, depth, untrusted)
    if not untrusted:
        check_edges(graph, where)
        if graph_id == ROOT and graph_inputs(graph) > 1:
            raise PortError("the network has one input: an edge names another", where)
    topological_order(graph, where)


def check_names(nodes: Iterable[Node], where: str) -> None:
    """Raise `InvalidNameError` for a name no node can have, or for two nodes of one graph
    whose names Python reads as the same. A path (``layers.0``: held in a list) names a
    layer or block, and no other node may be named as the list or hold a path inside it."""
    seen: dict[str, str] = {}
    holders: set[str] = set()
    for node in nodes:
        if not node.name:
            continue
        if not isinstance(node.name, str):
            raise InvalidFormatError("a node's name must be text", where)
        problem = node_name_problem(node.name)
        if problem:
            raise InvalidNameError(problem, f"{where} › {describe_node(node)}")
        folded = normal_form(node.name)
        if folded in seen:
            raise InvalidNameError(f"two nodes are named {node.name!r}", where)
        seen[folded] = node.id
        if "." in folded:
            if node.type in CATALOG and CATALOG[node.type].form != "module":
                raise InvalidNameError(f"{node.name!r} is a path, and only a layer or a "
                                       "block can be held in a list",
                                       f"{where} › {describe_node(node)}")
            parts = folded.split(".")
            holders.update(".".join(parts[:i]) for i in range(1, len(parts)))
    for name in sorted(holders & seen.keys()):
        raise InvalidNameError(f"{name!r} names a node and the list that holds others", where)


def _check_node(
    document: Document, node: Node, owners: dict[str, Node], where: str, depth: int,
    untrusted: AbstractSet[str] = frozenset(),
) -> None:
    here = f"{where} › {describe_node(node)}"
    if not isinstance(node.args, dict):
        raise InvalidFormatError("a node's arguments must be an object", here)
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


def check_added_nodes(document: Document, graph_id: str, node_ids: Iterable[str]) -> None:
    """Check nodes just added to ``graph_id`` as opening a file checks every node: their
    arguments, their blocks to the bottom (names, class names, edges, nesting), what they
    share, the names of the graph they joined, and the edges among them. Linear in the
    graph's size; edges between an added node and one that was there before are left to
    the command that made them."""
    graph = document.graph(graph_id)
    where = describe_graph(document, graph_id)
    depth = 0 if graph_id == ROOT else len(document.ancestors(graph_id))
    added = [document.node(node_id) for node_id in node_ids]
    ids = {node.id for node in added}
    owners = {n.id: n for _, n in document.walk() if n.shares is None}
    check_names(graph.nodes, where)
    for node in added:
        _check_node(document, node, owners, where, depth)
    among = Graph(nodes=added, edges=[e for e in graph.edges if e.src in ids and e.dst in ids])
    check_edges(among, where)
    topological_order(among, where)
