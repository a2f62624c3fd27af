"""Every edit applies and reverts exactly; random edit sequences undo to the start."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import build_module, infer_shapes
from core.catalog.templates import load_template
from core.document.edit import (
    AddNode,
    Compound,
    Connect,
    Disconnect,
    Group,
    Move,
    RemoveNodes,
    Rename,
    SetArgument,
    SetContainer,
    SetInput,
    Share,
    Ungroup,
    Unshare,
)
from core.document.graph import INPUT, OUTPUT, ROOT, Edge, Node
from core.document.history import History
from core.document.validate import check_document
from core.errors import EditError
from core.io.files import document_to_dict


def snapshot(document):
    return document_to_dict(document)


def test_add_node_emits_events_and_undo_removes_it():
    document = load_template("sequential-mlp")
    history = History(document)
    added, removed = [], []
    document.events.node_added.connect(lambda g, n: added.append((g, n)))
    document.events.node_removed.connect(lambda g, n: removed.append((g, n)))
    node_id = document.new_id()
    history.push(AddNode(ROOT, Node(node_id, "Dropout", {"p": 0.25}), position=(5, 6)))
    assert added == [(ROOT, node_id)]
    assert document.node(node_id).args == {"p": 0.25}
    assert document.positions[node_id] == (5.0, 6.0)
    history.undo()
    assert removed == [(ROOT, node_id)]
    assert not document.has_node(node_id)
    assert node_id not in document.positions


def test_insert_on_an_edge_is_one_undo_step():
    document = load_template("sequential-mlp")
    before = snapshot(document)
    history = History(document)
    first, second = document.root.nodes[0].id, document.root.nodes[1].id
    new = document.new_id()
    history.push(Compound("Insert Dropout", [
        AddNode(ROOT, Node(new, "Dropout"), index=1),
        Disconnect(ROOT, Edge(first, second)),
        Connect(ROOT, Edge(first, new)),
        Connect(ROOT, Edge(new, second)),
    ]))
    assert len(build_module(document)) == 4
    history.undo()
    assert snapshot(document) == before
    history.redo()
    assert len(build_module(document)) == 4


def test_setting_an_argument_of_a_twin_changes_every_twin():
    document = load_template("shared-parameters")
    owner = document.root.nodes[2].id
    twin = document.root.nodes[4].id
    history = History(document)
    history.push(SetArgument(twin, "out_features", 16))
    assert document.node(owner).args["out_features"] == 16
    assert document.node(twin).args["out_features"] == 16
    history.undo()
    assert document.node(owner).args["out_features"] == 8


def test_a_refused_edit_changes_nothing():
    document = load_template("mlp")
    before = snapshot(document)
    history = History(document)
    hidden = document.root.nodes[0].id
    with pytest.raises(EditError):
        history.push(SetArgument(hidden, "out_features", 0))
    with pytest.raises(EditError):
        history.push(Connect(ROOT, Edge(document.root.nodes[2].id, hidden, 1)))
    with pytest.raises(EditError):  # a cycle
        history.push(Compound("x", [Disconnect(ROOT, Edge(INPUT, hidden)),
                                    Connect(ROOT, Edge(document.root.nodes[2].id, hidden))]))
    with pytest.raises(EditError):
        history.push(Rename(hidden, "not a name"))
    assert snapshot(document) == before
    assert not history.can_undo


def test_removing_the_owner_hands_the_module_to_its_twin():
    document = load_template("shared-parameters")
    owner, twin = document.root.nodes[2].id, document.root.nodes[4].id
    before = snapshot(document)
    history = History(document)
    history.push(RemoveNodes([owner]))
    assert document.node(twin).shares is None
    history.undo()
    assert snapshot(document) == before


def test_group_then_ungroup_builds_nested_then_flat_modules():
    document = load_template("sequential-mlp")
    before = snapshot(document)
    history = History(document)
    ids = [n.id for n in document.root.nodes[:2]]
    block = document.new_id()
    history.push(Group(ids, block, name="features"))
    net = build_module(document)
    assert list(net.state_dict()) == ["features.0.weight", "features.0.bias", "1.weight",
                                      "1.bias"]
    history.push(Ungroup(block))
    assert list(build_module(document).state_dict()) == ["0.weight", "0.bias", "2.weight",
                                                         "2.bias"]
    history.undo()
    history.undo()
    assert snapshot(document) == before


def test_group_refuses_a_selection_with_two_inputs():
    document = load_template("sequential-mlp")
    history = History(document)
    a, _, c = (n.id for n in document.root.nodes)
    with pytest.raises(EditError, match="more than one input"):
        history.push(Group([a, c], document.new_id()))


def test_share_and_unshare_tie_and_untie_modules():
    document = load_template("parameter-access")
    history = History(document)
    first, _, last = (n.id for n in document.root.nodes)
    with pytest.raises(EditError):
        history.push(Share(first, document.root.nodes[1].id))  # a ReLU
    history.push(SetArgument(last, "out_features", 8))
    history.push(Share(last, first))
    net = build_module(document)
    assert net[0] is net[2]
    history.push(Unshare(last))
    net = build_module(document)
    assert net[0] is not net[2]


def test_clean_state_follows_undo_and_redo():
    document = load_template("mlp")
    history = History(document)
    assert history.is_clean
    history.push(Move({document.root.nodes[0].id: (10, 20)}))
    assert not history.is_clean
    history.mark_clean()
    history.push(SetInput((4, 20)))
    assert not history.is_clean
    history.undo()
    assert history.is_clean
    history.undo()
    assert not history.is_clean
    history.push(SetContainer(ROOT, "sequential"))  # the clean state is now unreachable
    assert not history.is_clean


# Property: random edits, then undo all → the start; redo all → the end. ---------------

LAYERS = ["ReLU", "LazyLinear", "Dropout", "Tanh", "Add", "Concat", "Identity"]


def _random_edit(document, data):
    """A command chosen from the document's current state."""
    nodes = [n for _, n in document.walk()]
    graph_ids = [ROOT] + [n.id for n in nodes if n.is_block]
    kind = data.draw(st.sampled_from([
        "add", "remove", "connect", "disconnect", "move", "arg", "rename", "group",
        "ungroup", "share", "unshare", "input", "container",
    ]))
    pick = lambda items: data.draw(st.sampled_from(items))  # noqa: E731
    if kind == "add":
        graph_id = pick(graph_ids)
        size = len(document.graph(graph_id).nodes)
        return AddNode(graph_id, Node(document.new_id(), pick(LAYERS)),
                       index=data.draw(st.integers(0, size)),
                       position=(data.draw(st.floats(-500, 500)), 0.0))
    if not nodes:
        return None
    node = pick(nodes)
    graph_id = document.parent_of(node.id)
    graph = document.graph(graph_id)
    if kind == "remove":
        return RemoveNodes([node.id])
    if kind == "connect":
        sources = [INPUT] + [n.id for n in graph.nodes]
        targets = [OUTPUT] + [n.id for n in graph.nodes]
        return Connect(graph_id, Edge(pick(sources), pick(targets),
                                      data.draw(st.integers(0, 2))))
    if kind == "disconnect":
        return Disconnect(graph_id, pick(graph.edges)) if graph.edges else None
    if kind == "move":
        return Move({node.id: (data.draw(st.floats(-1e3, 1e3)), 3.0)})
    if kind == "arg" and node.type == "LazyLinear":
        return SetArgument(node.id, "out_features", data.draw(st.integers(1, 64)))
    if kind == "rename":
        return Rename(node.id, pick(["", "a", "b", "hidden", "0", "bad name"]))
    if kind == "group":
        count = data.draw(st.integers(1, len(graph.nodes)))
        return Group([n.id for n in graph.nodes[:count]], document.new_id())
    if kind == "ungroup" and node.is_block:
        return Ungroup(node.id)
    if kind == "share":
        return Share(node.id, pick(nodes).id)
    if kind == "unshare":
        return Unshare(node.id)
    if kind == "input":
        return SetInput((data.draw(st.integers(1, 4)), data.draw(st.integers(1, 32))))
    if kind == "container":
        return SetContainer(pick(graph_ids), pick(["sequential", "module"]),
                            pick(["", "Net", "Block2"]))
    return None


@pytest.mark.parametrize("template", ["chimera", "shared-parameters", "mlp"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_edits_undo_to_the_start_and_redo_to_the_end(template, data):
    document = load_template(template)
    history = History(document)
    start = snapshot(document)
    applied = 0
    for _ in range(data.draw(st.integers(1, 25))):
        command = _random_edit(document, data)
        if command is None:
            continue
        before = snapshot(document)
        try:
            history.push(command)
            applied += 1
            check_document(document)  # an accepted edit leaves a valid document
            infer_shapes(document)
        except EditError:
            assert snapshot(document) == before
    end = snapshot(document)
    for _ in range(applied):
        history.undo()
    assert snapshot(document) == start
    for _ in range(applied):
        history.redo()
    assert snapshot(document) == end
