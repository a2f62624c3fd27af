"""Where a new node goes, and how it is wired: the commands behind a drop, an insert on
an edge, and "add after the selection". Positions are view hints; the wiring is real."""

from __future__ import annotations

from core.document.edit import AddNode, Command, Compound, Connect, Disconnect, Move
from core.document.graph import INPUT, OUTPUT, Document, Edge, Node
from core.document.layout import COLUMN_WIDTH, ROW_HEIGHT, boundary_positions
from core.document.validate import input_range
from core.errors import EditError

Point = tuple[float, float]


def drop(document: Document, graph_id: str, node: Node, position: Point,
         edge: Edge | None = None) -> Command:
    """A node dropped at ``position``: onto ``edge`` it is inserted there; into an empty
    graph it is wired between the input and the output; elsewhere it stands alone."""
    graph = document.graph(graph_id)
    if not takes_input(node):  # a parameter: nothing flows in
        steps: list[Command] = [AddNode(graph_id, node, position=position)]
        if not graph.nodes and not graph.edges:
            steps.append(Connect(graph_id, Edge(node.id, OUTPUT)))
        return Compound(f"Add {node.type}", steps)
    if edge is not None:
        return insert_on_edge(document, graph_id, node, edge, position)
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
                   position: Point) -> Command:
    """Put ``node`` on ``edge`` in the gap between its ends, making the gap wider
    (everything from the edge's end down moves one row) when it is too narrow."""
    spots = {**boundary_positions(document, graph_id), **document.positions}
    top = spots.get(edge.src, position)
    bottom = spots.get(edge.dst, (top[0], top[1] + 2 * ROW_HEIGHT))
    steps: list[Command] = []
    if bottom[1] - top[1] < 2 * ROW_HEIGHT - 1:
        below = {n.id: spots[n.id] for n in document.graph(graph_id).nodes
                 if n.id in document.positions and spots[n.id][1] >= bottom[1] - 1}
        if below:
            steps.append(Move({i: (x, y + ROW_HEIGHT) for i, (x, y) in below.items()}))
        place = (top[0], top[1] + ROW_HEIGHT)
    else:
        place = ((top[0] + bottom[0]) / 2, (top[1] + bottom[1]) / 2)
    return Compound(f"Insert {node.type}", [
        *steps,
        AddNode(graph_id, node, position=place),
        Disconnect(graph_id, edge),
        Connect(graph_id, Edge(edge.src, node.id)),
        Connect(graph_id, Edge(node.id, edge.dst, edge.port)),
    ])


def add_after(document: Document, graph_id: str, anchor: str | None, node: Node) -> Command:
    """``node`` right after ``anchor`` (a node id, or ``None`` for the end of the chain):
    it takes over the anchor's outgoing edges, and the nodes below move down a row."""
    graph = document.graph(graph_id)
    if anchor is None:
        feeding = [e.src for e in graph.edges if e.dst == OUTPUT]
        anchor = feeding[0] if feeding else INPUT
    if anchor == INPUT:
        x, y = boundary_positions(document, graph_id)[INPUT]
    else:
        x, y = document.positions.get(anchor, (0.0, 0.0))
    if not takes_input(node):
        return drop(document, graph_id, node, (x + COLUMN_WIDTH, y))
    steps: list[Command] = [AddNode(graph_id, node, position=(x, y + ROW_HEIGHT))]
    outgoing = [e for e in graph.edges if e.src == anchor]
    for edge in outgoing:
        steps += [Disconnect(graph_id, edge), Connect(graph_id, Edge(node.id, edge.dst, edge.port))]
    steps.append(Connect(graph_id, Edge(anchor, node.id)))
    if not graph.nodes and not outgoing:
        steps.append(Connect(graph_id, Edge(node.id, OUTPUT)))
    below = {n.id: document.positions[n.id] for n in graph.nodes
             if n.id in document.positions and document.positions[n.id][1] > y
             and abs(document.positions[n.id][0] - x) < COLUMN_WIDTH}
    if below:
        steps.append(Move({i: (p[0], p[1] + ROW_HEIGHT) for i, p in below.items()}))
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
