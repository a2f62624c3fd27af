"""Delete on a middle node reconnects its neighbours (issue 12), as node editors do;
asked not to, it leaves the gap."""

from core.catalog.templates import load_template
from core.document.compose import Composer, chain
from core.document.graph import INPUT, OUTPUT, Document, Edge, InputSpec
from core.document.selection import delete_command
from core.io.files import document_to_dict
from core.workspace import Workspace


def chain_workspace(count: int = 4) -> tuple[Workspace, list[str]]:
    c = Composer()
    nodes = [c.layer("ReLU") for _ in range(count)]
    workspace = Workspace(Document(root=chain(*nodes), input=InputSpec((2, 8))))
    return workspace, [n.id for n in nodes]


def test_deleting_a_middle_node_keeps_the_chain():
    workspace, ids = chain_workspace()
    before = document_to_dict(workspace.document)
    workspace.execute(delete_command(workspace.document, [ids[1]]))
    edges = {(e.src, e.dst) for e in workspace.document.root.edges}
    assert (ids[0], ids[2]) in edges
    workspace.undo()
    assert document_to_dict(workspace.document) == before


def test_deleting_a_run_of_nodes_joins_its_ends():
    workspace, ids = chain_workspace(5)
    workspace.execute(delete_command(workspace.document, [ids[1], ids[2], ids[3]]))
    edges = {(e.src, e.dst) for e in workspace.document.root.edges}
    assert edges == {(INPUT, ids[0]), (ids[0], ids[4]), (ids[4], OUTPUT)}


def test_deleting_the_first_node_connects_the_input():
    workspace, ids = chain_workspace(2)
    workspace.execute(delete_command(workspace.document, [ids[0]]))
    assert Edge(INPUT, ids[1]) in workspace.document.root.edges


def test_without_reconnecting_the_gap_stays():
    workspace, ids = chain_workspace()
    workspace.execute(delete_command(workspace.document, [ids[1]], reconnect=False))
    assert not any(e.dst == ids[2] for e in workspace.document.root.edges)


def test_a_merge_input_keeps_its_port_and_a_skip_is_not_doubled():
    workspace = Workspace(load_template("residual-block"))
    graph = workspace.document.root
    add = next(n for n in graph.nodes if n.type == "Add")
    feeding = {e.port: e.src for e in graph.edges if e.dst == add.id}
    middle = next(e.src for e in graph.edges if e.dst == feeding[0])  # fc2 is fed by act
    workspace.execute(delete_command(workspace.document, [feeding[0]]))
    into_add = {e.port: e.src for e in workspace.document.root.edges if e.dst == add.id}
    assert into_add == {0: middle, 1: feeding[1]}
