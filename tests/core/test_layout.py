"""The layered layout (issue 12): branches side by side and straight, rows ordered to
cross few edges, chains straight beside their skip connections, linear at scale."""

import time

from core.document.graph import INPUT, OUTPUT, Edge, Graph, Node
from core.document.layout import COLUMN_WIDTH, layered_positions


def branches() -> Graph:
    """s splits into a1→a2→a3 and b1→b2→b3, which an Add m joins."""
    ids = ["s", "a1", "a2", "a3", "b1", "b2", "b3", "m"]
    nodes = [Node(i, "Add" if i == "m" else "ReLU") for i in ids]
    edges = [Edge(INPUT, "s"), Edge("s", "a1"), Edge("a1", "a2"), Edge("a2", "a3"),
             Edge("s", "b1"), Edge("b1", "b2"), Edge("b2", "b3"), Edge("a3", "m"),
             Edge("b3", "m", 1), Edge("m", OUTPUT)]
    return Graph(nodes, edges)


def test_branches_stand_side_by_side_each_straight():
    at = layered_positions(branches())
    assert {at[f"a{i}"][0] for i in (1, 2, 3)} == {at["a1"][0]}
    assert {at[f"b{i}"][0] for i in (1, 2, 3)} == {at["b1"][0]}
    assert abs(at["a1"][0] - at["b1"][0]) >= COLUMN_WIDTH
    assert at["a1"][1] == at["b1"][1]
    assert at["m"][0] == at["s"][0] == (at["a1"][0] + at["b1"][0]) / 2


def test_rows_are_ordered_so_edges_do_not_cross():
    # p and q in row 1; registered so that t (fed by p) would stand right of r (fed by q).
    nodes = [Node(i, "ReLU") for i in ("p", "q", "r", "t")]
    edges = [Edge(INPUT, "p"), Edge(INPUT, "q"), Edge("q", "r"), Edge("p", "t"),
             Edge("r", OUTPUT)]
    at = layered_positions(Graph(nodes, edges))
    assert (at["p"][0] < at["q"][0]) == (at["t"][0] < at["r"][0])


def test_a_chain_stays_straight_beside_its_skip_connection():
    ids = ["stem", "c1", "c2", "c3", "add"]
    nodes = [Node(i, "Add" if i == "add" else "ReLU") for i in ids]
    edges = [Edge(INPUT, "stem"), Edge("stem", "c1"), Edge("c1", "c2"), Edge("c2", "c3"),
             Edge("c3", "add"), Edge("stem", "add", 1), Edge("add", OUTPUT)]
    at = layered_positions(Graph(nodes, edges))
    assert {at[i][0] for i in ids} == {0.0}
    assert [at[i][1] for i in ids] == sorted(at[i][1] for i in ids)


def test_ten_thousand_nodes_of_residual_blocks_lay_out_quickly():
    nodes, edges, last = [], [], INPUT
    for index in range(2_000):
        ids = [f"b{index}_{part}" for part in ("c1", "c2", "c3", "add", "relu")]
        nodes += [Node(i, "Add" if i.endswith("add") else "ReLU") for i in ids]
        edges += [Edge(last, ids[0]), Edge(ids[0], ids[1]), Edge(ids[1], ids[2]),
                  Edge(ids[2], ids[3]), Edge(last, ids[3], 1), Edge(ids[3], ids[4])]
        last = ids[4]
    edges.append(Edge(last, OUTPUT))
    start = time.process_time()
    at = layered_positions(Graph(nodes, edges))
    assert time.process_time() - start < 3.0
    assert len(at) == 10_002
    assert len({at[n.id] for n in nodes}) == 10_000  # no two nodes in one place
