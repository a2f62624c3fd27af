"""The document model: plain dataclasses, no torch objects inside.

A `Document` holds a root `Graph`. A graph has nodes and edges; edges run between node
ids and the graph's two boundaries, `INPUT` and `OUTPUT`; a graph may take several
inputs (an edge from `INPUT` names which in ``src_port``) and give several outputs (the
ports of `OUTPUT`: the module returns a tuple). A node of type `BLOCK` owns a sub-graph (a
nested module) and takes as many inputs as its graph has. A node whose ``shares`` names
another node is a twin of it: the built model uses one module object in both places (tied
parameters).

Every change goes through the small mutators of `Document`, which keep the id index
current, hand the change's inverse to the open journal (`recording`) and only then emit
the matching event; `core.document.edit` builds undoable commands from them.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from core.document.events import DocumentEvents
from core.errors import EditError

INPUT = "input"
OUTPUT = "output"
ROOT = "root"
BLOCK = "Block"

SEQUENTIAL = "sequential"
MODULE = "module"
CONTAINERS = (SEQUENTIAL, MODULE)

BOUNDARIES = (INPUT, OUTPUT)
_ID_PATTERN = re.compile(r"^n(\d+)$")


@dataclass(frozen=True)
class Edge:
    """Data flows from ``src`` into input ``port`` of ``dst``.

    ``src_port`` is which of the graph's inputs an edge from `INPUT` carries (0 for
    every other source: a node has one output, which may be a tuple).
    """

    src: str
    dst: str
    port: int = 0
    src_port: int = 0


def graph_inputs(graph: Graph) -> int:
    """How many inputs ``graph`` takes: one more than the highest input an edge reads."""
    return 1 + max((e.src_port for e in graph.edges if e.src == INPUT), default=0)


def graph_outputs(graph: Graph) -> int:
    """How many outputs ``graph`` gives: one more than the highest output port fed (a
    graph with several returns a tuple)."""
    return 1 + max((e.port for e in graph.edges if e.dst == OUTPUT), default=0)


@dataclass
class Graph:
    """Nodes (in registration order) and the edges between them.

    ``container`` says what module the graph becomes: ``"sequential"`` builds an
    `nn.Sequential` when the graph is a single chain (a branching graph becomes a
    generated module anyway); ``"module"`` always builds a generated `nn.Module`
    subclass named ``class_name``.
    """

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    container: str = SEQUENTIAL
    class_name: str = ""

    def node_index(self, node_id: str) -> int:
        for index, node in enumerate(self.nodes):
            if node.id == node_id:
                return index
        raise KeyError(node_id)



@dataclass
class Node:
    """One layer (or block) of a graph.

    ``name`` becomes the attribute name in the built module; empty means automatic
    (the position in a Sequential, the snake-cased type in a generated module).
    """

    id: str
    type: str
    args: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    shares: str | None = None
    graph: Graph | None = None

    @property
    def is_block(self) -> bool:
        return self.type == BLOCK


@dataclass
class InputSpec:
    shape: tuple[int, ...] = (2, 20)
    dtype: str = "float32"


@dataclass
class Document:
    """A whole network: the root graph, its input, and the hints views need."""

    root: Graph = field(default_factory=Graph)
    input: InputSpec = field(default_factory=InputSpec)
    title: str = ""
    description: str = ""
    seed: int = 0
    device: str = "cpu"
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    custom_layers: dict[str, str] = field(default_factory=dict)
    events: DocumentEvents = field(
        default_factory=DocumentEvents, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._journal: list[Callable[[], Any]] | None = None
        self.structure_version = 0  # counts changes to what the built module is
        self.plan_cache: tuple[int, Any] | None = None  # `core.runtime.plan` keeps its own
        self._parents: dict[str, str] = {}
        self._nodes: dict[str, Node] = {}
        self._sharers: dict[str, dict[str, None]] = {}
        self._reindex()

    # Lookup -------------------------------------------------------------------

    def _reindex(self) -> None:
        self._parents, self._nodes, self._sharers = {}, {}, {}
        for graph_id, node in self.walk():
            self._index(graph_id, node)
        numbers = [int(m.group(1)) for i in self._parents if (m := _ID_PATTERN.match(i))]
        self._counter = itertools.count(max(numbers, default=0) + 1)

    def walk(self, graph_id: str = ROOT) -> Iterator[tuple[str, Node]]:
        """Every node below ``graph_id``, depth first, as ``(graph_id, node)``."""
        stack = [(graph_id, self.graph(graph_id) if graph_id != ROOT else self.root)]
        while stack:
            gid, graph = stack.pop()
            for node in graph.nodes:
                yield gid, node
            for node in reversed(graph.nodes):
                if node.graph is not None:
                    stack.append((node.id, node.graph))

    def graph(self, graph_id: str) -> Graph:
        """The root graph (``ROOT``) or the sub-graph of block ``graph_id``."""
        if graph_id == ROOT:
            return self.root
        sub = self.node(graph_id).graph
        if sub is None:
            raise KeyError(f"{graph_id} is not a block")
        return sub

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r}") from None

    def has_node(self, node_id: str) -> bool:
        return node_id in self._parents

    def parent_of(self, node_id: str) -> str:
        try:
            return self._parents[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r}") from None

    def ancestors(self, node_id: str) -> list[str]:
        """Graph ids from the node's own graph up to ``ROOT``."""
        chain = []
        graph_id = self.parent_of(node_id)
        while graph_id != ROOT:
            chain.append(graph_id)
            graph_id = self.parent_of(graph_id)
        chain.append(ROOT)
        return chain

    def new_id(self) -> str:
        while True:
            candidate = f"n{next(self._counter)}"
            if candidate not in self._parents:
                return candidate

    def _index(self, graph_id: str, node: Node) -> None:
        self._parents[node.id] = graph_id
        self._nodes[node.id] = node
        if node.shares:
            self._sharers.setdefault(node.shares, {})[node.id] = None

    def _unindex(self, node: Node) -> None:
        del self._parents[node.id]
        del self._nodes[node.id]
        if node.shares and node.shares in self._sharers:
            self._sharers[node.shares].pop(node.id, None)

    def owner_of(self, node_id: str) -> str:
        """The node whose module ``node_id`` uses: itself unless it is a twin."""
        return self.node(node_id).shares or node_id

    def has_sharers(self, node_id: str) -> bool:
        """True when other nodes use this node's module."""
        return bool(self._sharers.get(node_id))

    def twins(self, node_id: str) -> list[str]:
        """The owner and every node sharing its module, owner first."""
        owner = self.owner_of(node_id)
        return [owner, *self._sharers.get(owner, ())]

    # Mutators: the only ways a document changes. Each journals its inverse, then emits.

    @contextmanager
    def recording(self, journal: list[Callable[[], Any]]) -> Iterator[None]:
        """Append the inverse of every change made inside to ``journal``, before anyone
        hears of the change (so a listener can never leave an edit half recorded)."""
        outer, self._journal = self._journal, journal
        try:
            yield
        finally:
            self._journal = outer

    def _structure_changed(self) -> None:
        self.structure_version += 1
        self.events.structure_changed.emit()

    def _journal_inverse(self, inverse: Callable[[], Any]) -> None:
        if self._journal is not None:
            self._journal.append(inverse)

    def insert_node(self, graph_id: str, node: Node, index: int | None = None) -> None:
        graph = self.graph(graph_id)
        if node.id in self._parents or node.id in BOUNDARIES:
            raise EditError(f"node id {node.id!r} is already used")
        graph.nodes.insert(len(graph.nodes) if index is None else index, node)
        self._index(graph_id, node)
        if node.graph is not None:
            for gid, inner in self.walk(node.id):
                self._index(gid, inner)
        self._journal_inverse(lambda: self.pop_node(node.id))
        self.events.node_added.emit(graph_id, node.id)
        self._structure_changed()

    def pop_node(self, node_id: str, index: int | None = None) -> tuple[str, int, Node]:
        """Take a node (and its sub-graph) out; its edges must already be gone. ``index``,
        where the caller knows it, spares a search (a delete of thousands of nodes)."""
        graph_id = self.parent_of(node_id)
        graph = self.graph(graph_id)
        if index is None or not 0 <= index < len(graph.nodes) or \
                graph.nodes[index].id != node_id:
            index = graph.node_index(node_id)
        node = graph.nodes[index]
        if node.graph is not None:
            for _, inner in list(self.walk(node_id)):
                self._unindex(inner)
        del graph.nodes[index]
        self._unindex(node)
        self._journal_inverse(lambda: self.insert_node(graph_id, node, index))
        self.events.node_removed.emit(graph_id, node_id)
        self._structure_changed()
        return graph_id, index, node

    def insert_edge(self, graph_id: str, edge: Edge, index: int | None = None,
                    check: bool = True) -> None:
        """Add ``edge``; ``check=False`` (an undo putting back an edge it took out) skips
        the search for a duplicate."""
        graph = self.graph(graph_id)
        if check and edge in graph.edges:
            raise EditError(f"{edge.src} is already connected to {edge.dst}")
        graph.edges.insert(len(graph.edges) if index is None else index, edge)
        self._journal_inverse(lambda: self.pop_edge(graph_id, edge))
        self.events.edge_added.emit(graph_id, edge)
        self._structure_changed()

    def pop_edge(self, graph_id: str, edge: Edge, index: int | None = None) -> int:
        """Take ``edge`` out; ``index``, where the caller knows it, spares a search."""
        graph = self.graph(graph_id)
        if index is None or not 0 <= index < len(graph.edges) or graph.edges[index] != edge:
            index = graph.edges.index(edge)
        del graph.edges[index]
        self._journal_inverse(lambda: self.insert_edge(graph_id, edge, index, check=False))
        self.events.edge_removed.emit(graph_id, edge)
        self._structure_changed()
        return index

    def set_node_fields(self, node_id: str, **fields: Any) -> dict[str, Any]:
        """Set any of ``type``, ``args``, ``name``, ``shares``; return the old values."""
        node = self.node(node_id)
        old = {}
        for key in fields:
            if key not in ("type", "args", "name", "shares"):
                raise AttributeError(key)
        graph_id = self._parents[node_id]
        self._unindex(node)
        for key, value in fields.items():
            old[key] = getattr(node, key)
            setattr(node, key, copy.deepcopy(value))
        self._index(graph_id, node)
        self._journal_inverse(lambda: self.set_node_fields(node_id, **old))
        self.structure_version += 1  # views redrawing on args_changed read the new plan
        self.events.args_changed.emit(node_id)
        self.events.structure_changed.emit()
        return old

    def set_graph_fields(self, graph_id: str, **fields: Any) -> dict[str, Any]:
        """Set ``container`` and/or ``class_name`` of a graph; return the old values."""
        graph = self.graph(graph_id)
        old = {}
        for key, value in fields.items():
            if key not in ("container", "class_name"):
                raise AttributeError(key)
            old[key] = getattr(graph, key)
            setattr(graph, key, value)
        self._journal_inverse(lambda: self.set_graph_fields(graph_id, **old))
        self.structure_version += 1  # as in set_node_fields
        self.events.args_changed.emit(graph_id)
        self.events.structure_changed.emit()
        return old

    def set_position(self, node_id: str, position: tuple[float, float] | None) -> None:
        old = self.positions.get(node_id)
        if position is None:
            self.positions.pop(node_id, None)
        else:
            self.positions[node_id] = (float(position[0]), float(position[1]))
        self._journal_inverse(lambda: self.set_position(node_id, old))
        self.events.node_moved.emit(node_id)

    def set_device(self, device: str) -> str:
        old, self.device = self.device, device
        self._journal_inverse(lambda: self.set_device(old))
        self.events.device_changed.emit()
        return old

    def set_custom_layer(self, name: str, source: str | None) -> str | None:
        """Carry (or drop, with ``None``) the code of a layer the person wrote."""
        old = self.custom_layers.get(name)
        if source is None:
            self.custom_layers.pop(name, None)
        else:
            self.custom_layers[name] = source
        self._journal_inverse(lambda: self.set_custom_layer(name, old))
        self._structure_changed()
        return old

    def set_input(self, spec: InputSpec) -> InputSpec:
        old, self.input = self.input, InputSpec(tuple(spec.shape), spec.dtype)
        self._journal_inverse(lambda: self.set_input(old))
        self.events.input_changed.emit()
        return old

    # Copies -------------------------------------------------------------------

    def snapshot(self) -> Document:
        """A structural copy cheap enough to take on every edit, for another thread.

        Graphs, lists and nodes are copied; argument dicts are shared, which is safe
        because the mutators replace them and never change them in place. The kept plan
        goes along (it holds ids and names only), so the copy is not lowered again.
        """
        copied = Document(root=_copy_graph(self.root), input=self.input, title=self.title,
                          description=self.description, seed=self.seed, device=self.device,
                          positions=dict(self.positions),
                          custom_layers=dict(self.custom_layers))
        copied.structure_version, copied.plan_cache = self.structure_version, self.plan_cache
        return copied

    def clone(self) -> Document:
        """A deep copy with fresh, unconnected events."""
        return Document(
            root=copy.deepcopy(self.root),
            input=copy.deepcopy(self.input),
            title=self.title,
            description=self.description,
            seed=self.seed,
            device=self.device,
            positions=dict(self.positions),
            custom_layers=dict(self.custom_layers),
        )


def _copy_graph(graph: Graph) -> Graph:
    nodes = [Node(node.id, node.type, node.args, node.name, node.shares,
                  None if node.graph is None else _copy_graph(node.graph))
             for node in graph.nodes]
    return Graph(nodes, list(graph.edges), graph.container, graph.class_name)
