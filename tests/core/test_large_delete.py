"""Deleting thousands of nodes and undoing it is linear (issue 12), and exact."""

import time

from core.document.compose import Composer, chain
from core.document.edit import RemoveNodes
from core.document.graph import Document, InputSpec
from core.io.files import document_to_dict
from core.workspace import Workspace


def chain_document(count: int) -> Document:
    c = Composer()
    nodes = [c.layer("Linear", in_features=8, out_features=8) if i % 2 == 0
             else c.layer("ReLU") for i in range(count)]
    return Document(root=chain(*nodes), input=InputSpec((2, 8)))


def test_deleting_ten_thousand_nodes_and_undoing_is_fast_and_exact():
    workspace = Workspace(chain_document(10_000))
    before = document_to_dict(workspace.document)
    ids = [node.id for node in workspace.document.root.nodes]
    start = time.process_time()
    workspace.execute(RemoveNodes(ids))
    assert workspace.document.root.nodes == [] and workspace.document.root.edges == []
    workspace.undo()
    spent = time.process_time() - start
    assert document_to_dict(workspace.document) == before
    assert spent < 5.0, f"{spent:.1f} s of processor time"  # quadratic took minutes


def test_deleting_every_other_node_keeps_the_rest_in_order():
    workspace = Workspace(chain_document(50))
    before = document_to_dict(workspace.document)
    nodes = workspace.document.root.nodes
    doomed = [node.id for node in nodes[::2]][::-1]  # in any order
    kept = [node.id for node in nodes[1::2]]
    workspace.execute(RemoveNodes(doomed))
    assert [node.id for node in workspace.document.root.nodes] == kept
    assert all(e.src in kept or e.dst in kept for e in workspace.document.root.edges)
    workspace.undo()
    assert document_to_dict(workspace.document) == before
    workspace.redo()
    assert [node.id for node in workspace.document.root.nodes] == kept
