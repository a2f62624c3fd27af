"""Every pass over a graph is linear or N log N: a document of tens of thousands of nodes
opens, validates, plans and becomes Python in a second or two, and the topological order
is the one the quadratic version gave (ties in registration order)."""

from __future__ import annotations

import json
import random
import re
import time

from core.document.graph import INPUT, OUTPUT, Edge, Graph, Node
from core.document.layout import layered_positions
from core.document.validate import topological_order
from core.io.codegen import to_python
from core.io.files import document_from_json
from core.runtime.plan import plan_document

CHAINS = 20_000  # the reported file: 40,000 nodes, 26 s to open with the quadratic order
# Processor time of the whole test, so a busy shared machine does not fail it: it took
# 30 s and more before, about 2 s after.
BUDGET_S = 8.0


def _two_node_chains(count: int) -> str:
    nodes, edges = [], []
    for i in range(count):
        first, second = f"n{2 * i + 1}", f"n{2 * i + 2}"
        nodes += [{"id": first, "type": "ReLU"}, {"id": second, "type": "ReLU"}]
        edges += [{"from": "input", "to": first}, {"from": first, "to": second}]
    edges.append({"from": nodes[-1]["id"], "to": "output"})
    return json.dumps({"format": "torchcanvas", "version": 1,
                       "graph": {"container": "module", "nodes": nodes, "edges": edges}})


def test_twenty_thousand_two_node_chains_open_plan_and_export_in_seconds():
    text = _two_node_chains(CHAINS)
    start = time.process_time()
    document = document_from_json(text)
    plan = plan_document(document)
    source = to_python(document)
    layered_positions(document.root)
    elapsed = time.process_time() - start
    assert len(plan.calls) == 2 * CHAINS
    assert len(re.findall(r"self\.relu\w*\(", source)) == 2 * CHAINS
    assert elapsed < BUDGET_S, f"{elapsed:.1f} s"


def _quadratic_order(graph: Graph) -> list[str]:
    """The order as it was computed before: re-sorting the ready list after each node."""
    incoming = {node.id: 0 for node in graph.nodes}
    followers: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        if edge.src in followers and edge.dst in incoming:
            incoming[edge.dst] += 1
            followers[edge.src].append(edge.dst)
    position = {node.id: i for i, node in enumerate(graph.nodes)}
    ready = sorted((i for i, n in incoming.items() if n == 0), key=position.__getitem__)
    order = []
    while ready:
        current = ready.pop(0)
        order.append(current)
        for follower in followers[current]:
            incoming[follower] -= 1
            if incoming[follower] == 0:
                ready.append(follower)
        ready.sort(key=position.__getitem__)
    return order


def test_the_order_is_the_one_registration_order_gave_on_random_graphs():
    generator = random.Random(15)
    for _ in range(200):
        count = generator.randrange(1, 40)
        ids = [f"n{i}" for i in range(count)]
        rank = ids[:]
        generator.shuffle(rank)  # edges run forward in this hidden order: no cycle
        edges = {Edge(rank[a], rank[b]) for a in range(count) for b in range(a + 1, count)
                 if generator.random() < 0.15}
        edges |= {Edge(INPUT, i) for i in ids if generator.random() < 0.3}
        edges.add(Edge(rank[-1], OUTPUT))
        nodes = [Node(i, "ReLU") for i in ids]
        generator.shuffle(nodes)
        graph = Graph(nodes=nodes, edges=sorted(edges, key=repr))
        assert topological_order(graph) == _quadratic_order(graph)
