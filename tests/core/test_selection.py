"""The Edit menu's commands on a selection, without a window."""

import pytest

from core.catalog.templates import load_template
from core.document.edit import Compound
from core.document.graph import INPUT, ROOT, Edge
from core.document.history import History
from core.document.selection import (
    delete_command,
    group_command,
    share_command,
    ungroup_command,
    unshare_command,
)
from core.errors import EditError
from core.io.files import document_to_json


def mlp():
    document = load_template("mlp")
    return document, History(document)


def test_delete_removes_nodes_and_the_selected_edges_not_going_with_them():
    document, history = mlp()
    before = document_to_json(document)
    edges = [(ROOT, Edge(INPUT, "n1")), (ROOT, Edge("n2", "n3"))]
    command = delete_command(document, ["n3"], edges, reconnect=False)
    history.push(command)
    assert not document.has_node("n3")
    assert Edge(INPUT, "n1") not in document.root.edges
    assert isinstance(command, Compound) and len(command.commands) == 2  # n2→n3 went with n3
    history.undo()
    assert document_to_json(document) == before


def test_group_then_ungroup_returns_the_document():
    document, history = mlp()
    before = document_to_json(document)
    command = group_command(document, ["n1", "n2"])
    history.push(command)
    assert document.node(command.block_id).graph is not None
    history.push(ungroup_command(document, [command.block_id, "n3"]))
    assert [n.id for n in document.root.nodes] == ["n1", "n2", "n3"]
    history.undo()
    history.undo()
    assert document_to_json(document) == before


def test_share_ties_to_the_first_layer_in_the_network_and_unshare_unties():
    document, history = mlp()
    history.push(share_command(document, ["n3", "n1"]))
    assert document.node("n3").shares == "n1"
    assert document.node("n3").args == document.node("n1").args
    history.push(unshare_command(document, ["n1"]))
    assert document.twins("n1") == ["n1"] and document.twins("n3") == ["n3"]


@pytest.mark.parametrize("make, ids, reason", [
    (lambda d, i: delete_command(d, i), [], "Delete: select"),
    (group_command, [], "Group: select"),
    (ungroup_command, ["n1"], "Ungroup: select a block"),
    (share_command, ["n1"], "Share: select two"),
    (unshare_command, ["n1"], "Unshare: none"),
])
def test_nothing_to_do_is_refused_with_the_reason(make, ids, reason):
    document, _ = mlp()
    with pytest.raises(EditError, match=reason):
        make(document, ids)


def test_sharing_layers_already_tied_says_so():
    document, history = mlp()
    history.push(share_command(document, ["n1", "n3"]))
    with pytest.raises(EditError, match="already share"):
        share_command(document, ["n1", "n3"])
