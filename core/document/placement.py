"""Where a new node goes, and how it is wired: the commands behind a drop, an insert on
an edge, and "add after the selection". Positions are view hints; the wiring is real."""

from __future__ import annotations

from core.document.edit import AddNode, Command, Compound, Connect, Disconnect, Move
from core.document.graph import INPUT, OUTPUT, Document, Edge, Node
from core.document.layout import (
    across,
    along,
    boundary_positions,
    flow_point,
    flow_step,
    side_step,
)
from core.document.validate import input_range
from core.errors import EditError

Point = tuple[float, float]


def drop(document: Document, graph_id: str, node: Node, position: Point,
         edge: Edge | None = None, right: bool = False) -> Command:
    """A node dropped at ``position``: onto ``edge`` it is inserted there; into an empty
    graph it is wired between the input and the output; elsewhere it stands alone."""
    graph = document.graph(graph_id)
    if not takes_input(node):  # a parameter: nothing flows in
        steps: list[Command] = [AddNode(graph_id, node, position=position)]
        if not graph.nodes and not graph.edges:
            steps.append(Connect(graph_id, Edge(node.id, OUTPUT)))
        return Compound(f"Add {node.type}", steps)
    if edge is not None:
        return insert_on_edge(document, graph_id, node, edge, position, right)
    if not graph.nodes and not graph.edges:
        return Compound(f"Add {node.type}", [
            AddNode(graph_id, node, position=position),
            Connect(graph_id, Edge(INPUT, node.id)),
            Connect(graph_id, Edge(node.id, OUTPUT)),
        ])
    return AddNode(graph_id, node, position=position)


def takes_input(node: Node) -> bool:
    """False for a node nothing flows into (a ``Parameter``)."""
    return input_range(node)[1] != 0


def insert_on_edge(document: Document, graph_id: str, node: Node, edge: Edge,
                   position: Point, right: bool = False) -> Command:
    """Put ``node`` on ``edge`` in the gap between its ends, making the gap wider
    (everything from the edge's end on moves one row, or one column when the flow runs
    ``right``) when it is too narrow."""
    spots = {**boundary_positions(document, graph_id, right), **document.positions}
    step = flow_step(right)
    top = spots.get(edge.src, position)
    bottom = spots.get(edge.dst, flow_point(along(top, right) + 2 * step,
                                            across(top, right), right))
    steps: list[Command] = []
    if along(bottom, right) - along(top, right) < 2 * step - 1:
        below = {n.id: spots[n.id] for n in document.graph(graph_id).nodes
                 if n.id in document.positions
                 and along(spots[n.id], right) >= along(bottom, right) - 1}
        if below:
            steps.append(Move({i: flow_point(along(p, right) + step, across(p, right), right)
                               for i, p in below.items()}))
        place = flow_point(along(top, right) + step, across(top, right), right)
    else:
        place = ((top[0] + bottom[0]) / 2, (top[1] + bottom[1]) / 2)
    return Compound(f"Insert {node.type}", [
        *steps,
        AddNode(graph_id, node, position=place),
        Disconnect(graph_id, edge),
        Connect(graph_id, Edge(edge.src, node.id)),
        Connect(graph_id, Edge(node.id, edge.dst, edge.port)),
    ])


def add_after(document: Document, graph_id: str, anchor: str | None, node: Node,
              right: bool = False) -> Command:
    """``node`` right after ``anchor`` (a node id, or ``None`` for the end of the chain):
    it takes over the anchor's outgoing edges, and the nodes below (or, flowing
    ``right``, to the right) move one row (column) on."""
    graph = document.graph(graph_id)
    if anchor is None:
        feeding = [e.src for e in graph.edges if e.dst == OUTPUT]
        anchor = feeding[0] if feeding else INPUT
    if anchor == INPUT:
        spot = boundary_positions(document, graph_id, right)[INPUT]
    else:
        spot = document.positions.get(anchor, (0.0, 0.0))
    flow, side, step = along(spot, right), across(spot, right), flow_step(right)
    if not takes_input(node):
        return drop(document, graph_id, node, flow_point(flow, side + side_step(right), right),
                    right=right)
    steps: list[Command] = [AddNode(graph_id, node, position=flow_point(flow + step, side,
                                                                        right))]
    outgoing = [e for e in graph.edges if e.src == anchor]
    for edge in outgoing:
        steps += [Disconnect(graph_id, edge), Connect(graph_id, Edge(node.id, edge.dst, edge.port))]
    steps.append(Connect(graph_id, Edge(anchor, node.id)))
    if not graph.nodes and not outgoing:
        steps.append(Connect(graph_id, Edge(node.id, OUTPUT)))
    below = {n.id: document.positions[n.id] for n in graph.nodes
             if n.id in document.positions and along(document.positions[n.id], right) > flow
             and abs(across(document.positions[n.id], right) - side) < side_step(right)}
    if below:
        steps.append(Move({i: flow_point(along(p, right) + step, across(p, right), right)
                           for i, p in below.items()}))
    return Compound(f"Add {node.type}", steps)


def add_fed_by(graph_id: str, source: str, source_port: int, node: Node,
               position: Point) -> Command:
    """``node`` at ``position`` fed by ``source`` (a link dropped on empty canvas)."""
    return Compound(f"Add {node.type}", [
        AddNode(graph_id, node, position=position),
        Connect(graph_id, Edge(source, node.id, 0, source_port)),
    ])


def insert_existing(document: Document, graph_id: str, node_id: str, edge: Edge,
                    position: Point) -> Command:
    """Move the unconnected node ``node_id`` to ``position`` on ``edge``, wired in."""
    graph = document.graph(graph_id)
    if any(node_id in (e.src, e.dst) for e in graph.edges):
        raise EditError("Insert: only a node with no links can be dropped onto a link")
    if not takes_input(document.node(node_id)):
        raise EditError(f"Insert: nothing flows into {document.node(node_id).type}")
    return Compound(f"Insert {document.node(node_id).type}", [
        Move({node_id: position}),
        Disconnect(graph_id, edge),
        Connect(graph_id, Edge(edge.src, node_id, 0, edge.src_port)),
        Connect(graph_id, Edge(node_id, edge.dst, edge.port)),
    ])


def replace_link(document: Document, graph_id: str, edge: Edge) -> Command:
    """Connect ``edge``; a link already feeding its input is taken away in the same step."""
    old = [e for e in document.graph(graph_id).edges
           if e.dst == edge.dst and e.port == edge.port]
    if not old:
        return Connect(graph_id, edge)
    return Compound("Replace Link", [Disconnect(graph_id, old[0]), Connect(graph_id, edge)])
