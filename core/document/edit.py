"""Every change to a document as an undoable command (`core.document.history` holds them).

A command's ``apply`` changes the document only through the `Document` mutators, via
a `Recorder` that notes the inverse of each step; ``revert`` plays the inverses back
in reverse order, so undo restores the document exactly. A command that finds it cannot
finish raises `EditError` after putting back what it had done.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from core.catalog.registry import spec_for
from core.document.graph import (
    BLOCK,
    INPUT,
    OUTPUT,
    Document,
    Edge,
    Graph,
    InputSpec,
    Node,
    graph_outputs,
)
from core.document.names import check_class_name, check_node_name, normal_form
from core.document.validate import check_position, input_range, topological_order
from core.errors import DocumentError, EditError, TorchCanvasError


class Recorder:
    """Runs document mutators while the document journals the inverse of each change.

    Changes outside the document (the live model's tensors, its device) are recorded
    with `record`, next to the document's own, so every kind of command composes.
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self.inverses: list[Callable[[], Any]] = []

    def insert_node(self, graph_id: str, node: Node, index: int | None = None) -> None:
        self.document.insert_node(graph_id, node, index)

    def pop_node(self, node_id: str, index: int | None = None) -> Node:
        return self.document.pop_node(node_id, index)[2]

    def insert_edge(self, graph_id: str, edge: Edge, index: int | None = None) -> None:
        self.document.insert_edge(graph_id, edge, index)

    def pop_edge(self, graph_id: str, edge: Edge, index: int | None = None) -> None:
        self.document.pop_edge(graph_id, edge, index)

    def set_node_fields(self, node_id: str, **fields: Any) -> None:
        self.document.set_node_fields(node_id, **fields)

    def set_graph_fields(self, graph_id: str, **fields: Any) -> None:
        self.document.set_graph_fields(graph_id, **fields)

    def set_position(self, node_id: str, position: tuple[float, float] | None) -> None:
        self.document.set_position(node_id, position)

    def set_input(self, spec: InputSpec) -> None:
        self.document.set_input(spec)

    def set_custom_layer(self, name: str, source: str | None) -> None:
        self.document.set_custom_layer(name, source)

    def set_device(self, device: str) -> None:
        self.document.set_device(device)

    def record(self, inverse: Callable[[], Any]) -> None:
        """Remember how to undo a change made outside the document."""
        self.inverses.append(inverse)

    def undo_all(self) -> None:
        while self.inverses:
            self.inverses.pop()()


class Command:
    """An edit. Subclasses implement ``_do(recorder)``; ``text`` names it for menus."""

    text = "Edit"

    def __init__(self) -> None:
        self._inverses: list[Callable[[], Any]] = []

    def apply(self, document: Document) -> None:
        recorder = Recorder(document)
        try:
            with document.recording(recorder.inverses):
                self._do(recorder)
        except DocumentError as error:
            recorder.undo_all()
            raise EditError(f"{self.text}: {error}") from error
        except TorchCanvasError:
            recorder.undo_all()
            raise
        except (KeyError, ValueError) as error:
            recorder.undo_all()
            raise EditError(f"{self.text}: {error}") from None
        except BaseException:
            recorder.undo_all()
            raise
        self._inverses = recorder.inverses

    def revert(self, document: Document) -> None:
        """Play the inverses back; the command can then be applied again (redo)."""
        while self._inverses:
            self._inverses.pop()()

    def _do(self, r: Recorder) -> None:
        raise NotImplementedError


class Compound(Command):
    """Several commands as one undo step (paste, insert on an edge, …)."""

    def __init__(self, text: str, commands: Iterable[Command]) -> None:
        super().__init__()
        self.text = text
        self.commands = list(commands)

    def _do(self, r: Recorder) -> None:
        for command in self.commands:
            command._do(r)


def _twins_of(document: Document, owner_id: str) -> list[str]:
    return [n.id for _, n in document.walk() if n.shares == owner_id]


class AddNode(Command):
    def __init__(self, graph_id: str, node: Node, index: int | None = None,
                 position: tuple[float, float] | None = None) -> None:
        super().__init__()
        self.graph_id, self.node, self.index, self.position = graph_id, node, index, position
        self.text = f"Add {node.type}"

    def _do(self, r: Recorder) -> None:
        node = copy.deepcopy(self.node)
        if node.type != BLOCK:
            node.args = spec_for(node.type).validate_args(node.args)
        position = None if self.position is None else check_position(self.position)
        check_node_name(node.name)
        if node.name:
            folded = normal_form(node.name)
            if any(normal_form(n.name) == folded for n in r.document.graph(self.graph_id).nodes
                   if n.name):
                raise EditError(f"Add: another node here is already named {node.name!r}")
        r.insert_node(self.graph_id, node, self.index)
        if position is not None:
            r.set_position(node.id, position)


class RemoveNodes(Command):
    """Remove nodes with their edges; a removed owner hands its module to a twin."""

    def __init__(self, node_ids: Iterable[str]) -> None:
        super().__init__()
        self.node_ids = list(dict.fromkeys(node_ids))
        self.text = "Delete" if len(self.node_ids) != 1 else "Delete node"

    def _do(self, r: Recorder) -> None:
        doc = r.document
        removed = set(self.node_ids)
        for node_id in self.node_ids:
            if doc.has_node(node_id) and doc.node(node_id).graph is not None:
                removed.update(n.id for _, n in doc.walk(node_id))
        for owner_id in sorted(removed):
            if not doc.has_sharers(owner_id):
                continue
            survivors = [t for t in _twins_of(doc, owner_id) if t not in removed]
            if survivors:
                _promote(r, survivors)
        # One pass over each graph's edges and nodes, taken out from the back so every
        # index stays right: a delete of ten thousand nodes is linear, not quadratic.
        inside = removed - set(self.node_ids)  # gone with the block that holds them
        by_graph: dict[str, list[str]] = {}
        for node_id in self.node_ids:
            if doc.has_node(node_id) and node_id not in inside:
                by_graph.setdefault(doc.parent_of(node_id), []).append(node_id)
        for graph_id, node_ids in by_graph.items():
            graph = doc.graph(graph_id)
            gone = set(node_ids)
            edges = [(index, edge) for index, edge in enumerate(graph.edges)
                     if edge.src in gone or edge.dst in gone]
            for index, edge in reversed(edges):
                r.pop_edge(graph_id, edge, index)
            slots = {node.id: index for index, node in enumerate(graph.nodes)}
            for node_id in sorted(node_ids, key=slots.__getitem__, reverse=True):
                r.pop_node(node_id, slots[node_id])
                if node_id in doc.positions:
                    r.set_position(node_id, None)


def _promote(r: Recorder, twins: list[str]) -> None:
    """The first of ``twins`` becomes the owner of the module; the rest point at it."""
    new_owner = twins[0]
    r.set_node_fields(new_owner, shares=None)
    for twin in twins[1:]:
        r.set_node_fields(twin, shares=new_owner)


class Connect(Command):
    text = "Connect"

    def __init__(self, graph_id: str, edge: Edge) -> None:
        super().__init__()
        self.graph_id, self.edge = graph_id, edge

    def _do(self, r: Recorder) -> None:
        graph = r.document.graph(self.graph_id)
        edge = self.edge
        ids = {node.id: node for node in graph.nodes}
        if edge.src not in ids and edge.src != INPUT:
            raise EditError(f"Connect: no node {edge.src!r} here")
        if edge.dst not in ids and edge.dst != OUTPUT:
            raise EditError(f"Connect: no node {edge.dst!r} here")
        if edge.src == edge.dst:
            raise EditError("Connect: a node cannot feed itself")
        if any(e.dst == edge.dst and e.port == edge.port for e in graph.edges):
            raise EditError(f"Connect: input {edge.port} of {edge.dst} is already fed")
        if edge.dst != OUTPUT:
            _, high = input_range(ids[edge.dst])
            if edge.port < 0 or (high is not None and edge.port >= high):
                raise EditError(f"Connect: {ids[edge.dst].type} has no input {edge.port}")
        elif edge.port != 0:
            raise EditError("Connect: the output has a single input")
        r.insert_edge(self.graph_id, edge)
        try:
            topological_order(graph)
        except DocumentError:
            raise EditError("Connect: that edge would make a cycle") from None


class Disconnect(Command):
    text = "Disconnect"

    def __init__(self, graph_id: str, edge: Edge) -> None:
        super().__init__()
        self.graph_id, self.edge = graph_id, edge

    def _do(self, r: Recorder) -> None:
        r.pop_edge(self.graph_id, self.edge)


class Move(Command):
    """Move nodes to new positions; a whole drag is one command."""

    text = "Move"

    def __init__(self, positions: Mapping[str, tuple[float, float]]) -> None:
        super().__init__()
        self.positions = dict(positions)

    def _do(self, r: Recorder) -> None:
        for node_id, position in self.positions.items():
            r.set_position(node_id, check_position(position, f"node {node_id}"))


class SetArguments(Command):
    """Change arguments of a node (and of every twin, which share one module)."""

    def __init__(self, node_id: str, changes: Mapping[str, Any]) -> None:
        super().__init__()
        self.node_id, self.changes = node_id, dict(changes)
        self.text = "Set " + ", ".join(self.changes) if self.changes else "Set arguments"

    def _do(self, r: Recorder) -> None:
        node = r.document.node(self.node_id)
        if node.type == BLOCK:
            raise EditError("Set arguments: a block has no arguments")
        args = spec_for(node.type).validate_args({**node.args, **self.changes})
        for twin in r.document.twins(self.node_id):
            r.set_node_fields(twin, args=args)


def SetArgument(node_id: str, name: str, value: Any) -> SetArguments:
    """One argument of one node (a convenience over `SetArguments`)."""
    return SetArguments(node_id, {name: value})


class Rename(Command):
    """Change the attribute name a node gets in the built module ("" = automatic)."""

    text = "Rename"

    def __init__(self, node_id: str, name: str) -> None:
        super().__init__()
        self.node_id, self.name = node_id, name

    def _do(self, r: Recorder) -> None:
        check_node_name(self.name)  # its reason reaches the person as "Rename: …"
        graph = r.document.graph(r.document.parent_of(self.node_id))
        folded = normal_form(self.name)
        if self.name and any(normal_form(n.name) == folded and n.id != self.node_id
                             for n in graph.nodes if n.name):
            raise EditError(f"Rename: another node here is already named {self.name!r}")
        r.set_node_fields(self.node_id, name=self.name)


class SetInput(Command):
    text = "Set input shape"

    def __init__(self, shape: Iterable[int], dtype: str | None = None) -> None:
        super().__init__()
        self.shape, self.dtype = tuple(shape), dtype

    def _do(self, r: Recorder) -> None:
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in self.shape):
            raise EditError("Set input shape: every size must be a positive integer")
        r.set_input(InputSpec(self.shape, self.dtype or r.document.input.dtype))


class SetContainer(Command):
    """Make a graph an `nn.Sequential` or a named class of its own."""

    text = "Set container"

    def __init__(self, graph_id: str, container: str, class_name: str | None = None) -> None:
        super().__init__()
        self.graph_id, self.container, self.class_name = graph_id, container, class_name

    def _do(self, r: Recorder) -> None:
        fields: dict[str, Any] = {"container": self.container}
        if self.class_name is not None:
            check_class_name(self.class_name)
            fields["class_name"] = self.class_name
        r.set_graph_fields(self.graph_id, **fields)


class Share(Command):
    """Make ``node_id`` use the module of ``owner_id`` (tied parameters)."""

    text = "Share parameters"

    def __init__(self, node_id: str, owner_id: str) -> None:
        super().__init__()
        self.node_id, self.owner_id = node_id, owner_id

    def _do(self, r: Recorder) -> None:
        doc = r.document
        owner = doc.node(doc.owner_of(self.owner_id))
        node = doc.node(self.node_id)
        if owner.id == doc.owner_of(node.id):
            raise EditError("Share: these nodes already share one module")
        if BLOCK in (node.type, owner.type):
            raise EditError("Share: blocks cannot be shared; share the layers inside")
        if node.type != owner.type:
            raise EditError(f"Share: a {node.type} cannot share the module of a {owner.type}")
        group = [node.id] + (_twins_of(doc, node.id) if node.shares is None else [])
        for member in group:
            r.set_node_fields(member, shares=owner.id, args=owner.args)


class Unshare(Command):
    """Give ``node_id`` a module of its own again (same arguments, fresh weights)."""

    text = "Unshare parameters"

    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id

    def _do(self, r: Recorder) -> None:
        doc = r.document
        node = doc.node(self.node_id)
        if node.shares is not None:
            r.set_node_fields(node.id, shares=None)
            return
        twins = _twins_of(doc, node.id)
        if not twins:
            raise EditError("Unshare: this node shares its module with no other")
        _promote(r, twins)


class Group(Command):
    """Move nodes of one graph into a new block (a nested module).

    The selection must have one way in and one way out: every edge entering it comes
    from the same source, and every edge leaving it from the same node.
    """

    text = "Group"

    def __init__(self, node_ids: Iterable[str], block_id: str, name: str = "",
                 container: str = "sequential", class_name: str = "") -> None:
        super().__init__()
        self.node_ids = list(dict.fromkeys(node_ids))
        self.block_id, self.name = block_id, name
        self.container, self.class_name = container, class_name

    def _do(self, r: Recorder) -> None:
        doc = r.document
        if not self.node_ids:
            raise EditError("Group: select the nodes to group first")
        check_node_name(self.name)
        check_class_name(self.class_name)
        parents = {doc.parent_of(i) for i in self.node_ids}
        if len(parents) != 1:
            raise EditError("Group: the nodes must all be in the same graph")
        graph_id = parents.pop()
        graph = doc.graph(graph_id)
        inside = set(self.node_ids)
        folded = normal_form(self.name)
        if self.name and any(normal_form(n.name) == folded for n in graph.nodes
                             if n.name and n.id not in inside):
            raise EditError(f"Group: another node here is already named {self.name!r}")
        incoming = [e for e in graph.edges if e.dst in inside and e.src not in inside]
        outgoing = [e for e in graph.edges if e.src in inside and e.dst not in inside]
        internal = [e for e in graph.edges if e.src in inside and e.dst in inside]
        if len({(e.src, e.src_port) for e in incoming}) > 1:
            raise EditError("Group: the selection has more than one input; a block has one")
        if len({e.src for e in outgoing}) > 1:
            raise EditError("Group: the selection has more than one output; a block has one")
        ordered = [n.id for n in graph.nodes if n.id in inside]
        index = graph.node_index(ordered[0])
        for edge in incoming + outgoing + internal:
            r.pop_edge(graph_id, edge)
        moved = [r.pop_node(node_id) for node_id in ordered]
        block = Node(self.block_id, BLOCK, name=self.name,
                     graph=Graph(container=self.container, class_name=self.class_name))
        r.insert_node(graph_id, block, index)
        for node in moved:
            r.insert_node(self.block_id, node)
        for edge in internal:
            r.insert_edge(self.block_id, edge)
        for edge in incoming:
            r.insert_edge(self.block_id, Edge(INPUT, edge.dst, edge.port))
        if incoming:
            r.insert_edge(graph_id, Edge(incoming[0].src, self.block_id, 0,
                                         incoming[0].src_port))
        if outgoing:
            r.insert_edge(self.block_id, Edge(outgoing[0].src, OUTPUT))
        for edge in outgoing:
            r.insert_edge(graph_id, Edge(self.block_id, edge.dst, edge.port))
        try:
            topological_order(graph)
        except DocumentError:
            raise EditError("Group: a path leaves the selection and comes back into it; "
                            "select the nodes in between too") from None
        spots = [doc.positions[i] for i in ordered if i in doc.positions]
        if spots:
            top = min(spots, key=lambda p: p[1])
            r.set_position(self.block_id, (sum(p[0] for p in spots) / len(spots), top[1]))


class Ungroup(Command):
    """Dissolve a block: its nodes move up into the enclosing graph."""

    text = "Ungroup"

    def __init__(self, block_id: str) -> None:
        super().__init__()
        self.block_id = block_id

    def _do(self, r: Recorder) -> None:
        doc = r.document
        block = doc.node(self.block_id)
        if block.graph is None:
            raise EditError("Ungroup: this node is not a block")
        graph_id = doc.parent_of(self.block_id)
        outer = doc.graph(graph_id)
        inner = block.graph
        if graph_outputs(inner) > 1:
            raise EditError("Ungroup: the block gives several outputs (a tuple); only a "
                            "block of one output can be dissolved")
        # What feeds each of the block's inputs: (source, its output port).
        sources = {e.port: (e.src, e.src_port) for e in outer.edges if e.dst == self.block_id}
        targets = [e for e in outer.edges if e.src == self.block_id]
        inner_edges = list(inner.edges)
        index = outer.node_index(self.block_id)
        taken = {n.name for n in outer.nodes if n.id != self.block_id}
        for edge in inner_edges:
            r.pop_edge(self.block_id, edge)
        for edge in [e for e in outer.edges if self.block_id in (e.src, e.dst)]:
            r.pop_edge(graph_id, edge)
        moved = [r.pop_node(node.id) for node in list(inner.nodes)]
        r.pop_node(self.block_id)
        if self.block_id in doc.positions:
            r.set_position(self.block_id, None)
        for offset, node in enumerate(moved):
            r.insert_node(graph_id, node, index + offset)
            if node.name and node.name in taken:
                r.set_node_fields(node.id, name=_free_name(node.name, taken))
            taken.add(r.document.node(node.id).name)
        for edge in inner_edges:
            if edge.src == INPUT and edge.dst != OUTPUT:
                if edge.src_port in sources:
                    source, port = sources[edge.src_port]
                    r.insert_edge(graph_id, Edge(source, edge.dst, edge.port, port))
            elif edge.dst == OUTPUT:
                if edge.src == INPUT and edge.src_port not in sources:
                    continue
                source, port = sources[edge.src_port] if edge.src == INPUT else (edge.src, 0)
                for target in targets:
                    r.insert_edge(graph_id, Edge(source, target.dst, target.port, port))
            else:
                r.insert_edge(graph_id, edge)


def _free_name(name: str, taken: set[str]) -> str:
    if name.isdigit():
        return ""
    number = 1
    while f"{name}_{number}" in taken:
        number += 1
    return f"{name}_{number}"


class AddLayerCode(Command):
    """Carry the code of a layer the person wrote in the document (it is saved with the
    project and copied into exported Python)."""

    def __init__(self, name: str, source: str) -> None:
        super().__init__()
        self.name, self.source = name, source
        self.text = f"Add layer {name}"

    def _do(self, r: Recorder) -> None:
        r.set_custom_layer(self.name, self.source)
