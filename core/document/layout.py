"""Automatic layered layout: positions for nodes the person has not placed.

Nodes flow from top (input) to bottom (output). A node's row is the length of the
longest path that reaches it; rows are ordered to cross few edges, and a long edge
keeps a lane of its own. Positions are in scene units; a block's inner positions are
relative to its frame. Pure Python and linear in the graph's size (grandalf and igraph
lay out as well but are not installed; this needs neither).
"""

from __future__ import annotations

from core.document.graph import INPUT, OUTPUT, Document, Graph
from core.document.validate import topological_order
from core.errors import DocumentError

ROW_HEIGHT = 110.0
COLUMN_WIDTH = 230.0
# Flowing right, a layer is a column this wide and nodes in it are this far apart.
LAYER_WIDTH = 270.0
ROW_SPACING = 100.0

Point = tuple[float, float]


def flow_step(right: bool) -> float:
    """From one layer to the next along the flow: down a row, or right a column."""
    return LAYER_WIDTH if right else ROW_HEIGHT


def side_step(right: bool) -> float:
    """From one node to the next across the flow."""
    return ROW_SPACING if right else COLUMN_WIDTH


def along(point: Point, right: bool) -> float:
    """How far along the flow ``point`` lies (its y, or its x when the flow runs right)."""
    return point[0] if right else point[1]


def across(point: Point, right: bool) -> float:
    return point[1] if right else point[0]


def flow_point(along_flow: float, across_flow: float, right: bool) -> Point:
    return (along_flow, across_flow) if right else (across_flow, along_flow)


def layered_positions(graph: Graph, right: bool = False) -> dict[str, tuple[float, float]]:
    """A position for every node of ``graph``, and for ``INPUT`` and ``OUTPUT``; with
    ``right`` the layers are columns from left to right instead of rows top to bottom.

    Sugiyama-style: rows by longest path; an edge that spans rows gets a waypoint in
    each row it passes, so that it claims a lane of its own (a skip connection runs
    beside the chain it skips); a few sweeps order each row by the mean place of its
    neighbours (fewer crossings, branches side by side); then each node goes under the
    nodes that feed it, pushed aside only as far as its row needs.
    """
    try:
        order = topological_order(graph)
    except DocumentError:
        order = [node.id for node in graph.nodes]
    row = {node_id: 1 for node_id in order}
    incoming: dict[str, list[str]] = {}
    for edge in graph.edges:
        incoming.setdefault(edge.dst, []).append(edge.src)
    for node_id in order:
        sources = [s for s in incoming.get(node_id, []) if s in row]
        if sources:
            row[node_id] = max(row[s] for s in sources) + 1
    rows: dict[int, list[str]] = {}
    for node_id in order:
        rows.setdefault(row[node_id], []).append(node_id)
    up, down = _waypoints(graph, row, rows)
    _order_rows(rows, up, down)
    x = _place_rows(rows, up, side_step(right) / COLUMN_WIDTH)
    step = flow_step(right)
    positions: dict[str, tuple[float, float]] = {INPUT: (0.0, 0.0)}
    for number, members in rows.items():
        for member in members:
            if not member.startswith(WAYPOINT):
                positions[member] = flow_point(number * step, x[member], right)
    positions[OUTPUT] = flow_point((max(rows, default=0) + 1) * step, 0.0, right)
    return positions


WAYPOINT = "\0waypoint"  # no node id starts so: ids are identifiers
WAYPOINT_WIDTH = 70.0
SWEEPS = 4
MAX_WAYPOINTS = 20  # per node on average; beyond that, long edges get none


def _waypoints(graph: Graph, row: dict[str, int], rows: dict[int, list[str]]
               ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each member's neighbours one row up and one row down, waypoints included (added
    to ``rows``). The input is row 0; edges to the output are left out."""
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    level = {**row, INPUT: 0}
    spans = [(e.src, e.dst) for e in graph.edges if e.src in level and e.dst in row]
    budget = MAX_WAYPOINTS * max(1, len(row))
    if sum(max(0, level[d] - level[s] - 1) for s, d in spans) > budget:
        spans = [(s, d) for s, d in spans if level[d] - level[s] <= 1]
    count = 0
    for src, dst in spans:
        previous = src
        for number in range(level[src] + 1, level[dst]):
            count += 1
            waypoint = f"{WAYPOINT}{count}"
            rows.setdefault(number, []).append(waypoint)
            down.setdefault(previous, []).append(waypoint)
            up.setdefault(waypoint, []).append(previous)
            previous = waypoint
        down.setdefault(previous, []).append(dst)
        up.setdefault(dst, []).append(previous)
    return up, down


def _order_rows(rows: dict[int, list[str]], up: dict[str, list[str]],
                down: dict[str, list[str]]) -> None:
    """Sort each row by the mean index of its neighbours, down and up a few times."""
    index: dict[str, float] = {INPUT: 0.0}
    for members in rows.values():
        index.update((m, float(i)) for i, m in enumerate(members))
    numbers = sorted(rows)
    for sweep in range(SWEEPS):
        for number, side in ([(n, up) for n in numbers] if sweep % 2 == 0 else
                             [(n, down) for n in reversed(numbers)]):
            members = rows[number]

            def key(member: str, side: dict[str, list[str]] = side) -> float:
                near = [index[n] for n in side.get(member, []) if n in index]
                return sum(near) / len(near) if near else index[member]

            members.sort(key=key)
            index.update((m, float(i)) for i, m in enumerate(members))


def _place_rows(rows: dict[int, list[str]], up: dict[str, list[str]],
                scale: float = 1.0) -> dict[str, float]:
    """x for every member: under the nodes that feed it (its waypoints under theirs),
    pushed apart in its row's order (gaps times ``scale``); a row is shifted so its
    nodes move least."""
    x: dict[str, float] = {INPUT: 0.0}
    for number in sorted(rows):
        members = rows[number]
        wanted = []
        for member in members:
            feeding = [x[n] for n in up.get(member, []) if n in x]
            nodes = [x[n] for n in up.get(member, []) if n in x and not n.startswith(WAYPOINT)]
            chosen = nodes or feeding
            wanted.append(sum(chosen) / len(chosen) if chosen else 0.0)
        placed: list[float] = []
        for i, member in enumerate(members):
            if i == 0:
                placed.append(wanted[0])
                continue
            gap = (_width(members[i - 1]) + _width(member)) / 2 * scale
            placed.append(max(wanted[i], placed[-1] + gap))
        real = [i for i, m in enumerate(members) if not m.startswith(WAYPOINT)] or \
            list(range(len(members)))
        shift = sum(wanted[i] - placed[i] for i in real) / len(real)
        for member, spot in zip(members, placed, strict=True):
            x[member] = spot + shift
    return x


def _width(member: str) -> float:
    return WAYPOINT_WIDTH if member.startswith(WAYPOINT) else COLUMN_WIDTH


def fill_missing_positions(document: Document) -> None:
    """Give every node without a position one from the layered layout (a view hint,
    so no event and no undo step)."""
    graph_ids = ["root"] + [n.id for _, n in document.walk() if n.graph is not None]
    for graph_id in graph_ids:
        graph = document.graph(graph_id)
        if all(node.id in document.positions for node in graph.nodes):
            continue
        layout = layered_positions(graph)
        for node in graph.nodes:
            document.positions.setdefault(node.id, layout[node.id])


def boundary_positions(document: Document, graph_id: str,
                       right: bool = False) -> dict[str, tuple[float, float]]:
    """Where the input and output of a graph go: above and below its nodes (left and
    right of them when the flow runs right)."""
    graph = document.graph(graph_id)
    spots = [document.positions[n.id] for n in graph.nodes if n.id in document.positions]
    step = flow_step(right)
    if not spots:
        return {INPUT: (0.0, 0.0), OUTPUT: flow_point(2 * step, 0.0, right)}
    sides = [across(p, right) for p in spots]
    flows = [along(p, right) for p in spots]
    middle = (min(sides) + max(sides)) / 2
    return {INPUT: flow_point(min(flows) - step, middle, right),
            OUTPUT: flow_point(max(flows) + step, middle, right)}
