"""The canvas scene alone, against a bare workspace: one item per node and per edge of the
graph on show, kept so by the document's events."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.catalog.templates import load_template
from core.document.edit import (
    AddNode,
    Connect,
    Disconnect,
    Group,
    RemoveNodes,
    Rename,
    SetArgument,
    SetInput,
    Share,
    Ungroup,
)
from core.document.graph import INPUT, OUTPUT, ROOT, Document, Edge, Node
from core.workspace import Workspace
from tests.app.driver import assert_canvas_matches
from tests.widgets.support import steps
from widgets.canvas_scene import CanvasScene
from widgets.edge_item import EdgeItem
from widgets.frame_item import FrameItem
from widgets.node_item import INPUT_ROLE, NodeItem


@pytest.fixture
def make_scene(qapp):
    scenes = []

    def make(workspace: Workspace) -> CanvasScene:
        scene = CanvasScene(workspace)
        scenes.append(scene)
        return scene

    yield make
    for scene in scenes:
        scene.detach()


def assert_mirrors(scene: CanvasScene) -> None:
    """The scene's items are exactly the nodes and edges of the graphs on show, each
    edge drawn between the items of its two ends."""
    scene.flush()
    assert_canvas_matches(SimpleNamespace(workspace=scene.workspace, scene=scene))
    drawn = scene.items()
    assert {i for i in drawn if isinstance(i, (NodeItem, FrameItem))} == \
        set(scene.nodes.values())
    assert {i for i in drawn if isinstance(i, EdgeItem)} == set(scene.edges.values())
    for (graph_id, edge), item in scene.edges.items():
        assert item.edge == edge and item.graph_id == graph_id
        assert item.source is end_item(scene, graph_id, edge.src)
        assert item.target is end_item(scene, graph_id, edge.dst)


def end_item(scene: CanvasScene, graph_id: str, end: str):
    if end in (INPUT, OUTPUT):
        if graph_id == scene.graph_id:
            return scene.boundaries[end]
        return scene.nodes[graph_id]  # the frame of an expanded block
    return scene.nodes[end]


def keys(scene: CanvasScene) -> tuple[set[str], set[tuple[str, Edge]]]:
    return set(scene.nodes), set(scene.edges)


@pytest.mark.parametrize("template", ["mlp", "residual-block", "nest-mlp", "shared-parameters"])
def test_one_item_per_node_and_per_edge(make_scene, template):
    workspace = Workspace(load_template(template))
    scene = make_scene(workspace)
    graph = workspace.document.root
    assert set(scene.nodes) == {n.id for n in graph.nodes}
    assert set(scene.edges) == {(ROOT, e) for e in graph.edges}
    assert_mirrors(scene)


def test_adding_connecting_and_removing_change_exactly_those_items(make_scene, mlp):
    scene = make_scene(mlp)
    nodes, edges = keys(scene)
    kept = dict(scene.nodes)

    mlp.execute(AddNode(ROOT, Node("n9", "Dropout"), position=(200.0, 120.0)))
    scene.flush()
    assert keys(scene) == (nodes | {"n9"}, edges)
    assert scene.nodes["n9"].pos().toTuple() == (200.0, 120.0)

    extra = Edge("n3", "n9")
    mlp.execute(Connect(ROOT, extra))
    scene.flush()
    assert keys(scene) == (nodes | {"n9"}, edges | {(ROOT, extra)})

    mlp.execute(RemoveNodes(["n2"]))
    scene.flush()
    gone = {(ROOT, Edge("n1", "n2")), (ROOT, Edge("n2", "n3"))}
    assert keys(scene) == (nodes - {"n2"} | {"n9"}, (edges - gone) | {(ROOT, extra)})
    assert all(scene.nodes[i] is kept[i] for i in ("n1", "n3"))  # changed, not rebuilt
    assert_mirrors(scene)
    assert steps(mlp) == 3


def test_undo_and_redo_restore_the_items(make_scene, mlp):
    scene = make_scene(mlp)
    before = mlp.document.clone()
    shown = [keys(scene)]
    for command in (AddNode(ROOT, Node("n9", "Dropout"), position=(200.0, 120.0)),
                    Connect(ROOT, Edge("n3", "n9")), RemoveNodes(["n2"]),
                    Disconnect(ROOT, Edge("n3", OUTPUT))):
        mlp.execute(command)
        scene.flush()
        shown.append(keys(scene))
    for expected in reversed(shown[:-1]):
        mlp.undo()
        scene.flush()
        assert keys(scene) == expected
        assert_mirrors(scene)
    assert mlp.document == before
    for expected in shown[1:]:
        mlp.redo()
        scene.flush()
        assert keys(scene) == expected
        assert_mirrors(scene)


def test_removing_a_block_and_undoing_restores_it(make_scene):
    workspace = Workspace(load_template("nest-mlp"))
    scene = make_scene(workspace)
    scene.toggle_block("n5")  # the block drawn as a frame with its layers inside
    shown = keys(scene)
    assert {"n1", "n2", "n3", "n4", "n5", "n6"} == shown[0]
    workspace.execute(RemoveNodes(["n5"]))
    scene.flush()
    assert keys(scene) == ({"n6"}, {(ROOT, Edge("n6", OUTPUT))})
    workspace.undo()
    scene.flush()
    # The block comes back collapsed: which blocks are open is the view's, not undone.
    root = workspace.document.root
    assert keys(scene) == ({"n5", "n6"}, {(ROOT, e) for e in root.edges})
    assert isinstance(scene.nodes["n5"], NodeItem)
    assert_mirrors(scene)
    scene.toggle_block("n5")
    assert keys(scene) == shown
    assert_mirrors(scene)


def test_an_edit_inside_an_expanded_block_is_drawn_inside_it(make_scene):
    workspace = Workspace(load_template("nest-mlp"))
    scene = make_scene(workspace)
    scene.toggle_block("n5")
    workspace.execute(AddNode("n5", Node("n9", "Dropout"), position=(0.0, 400.0)))
    workspace.execute(Disconnect("n5", Edge("n4", OUTPUT)))
    workspace.execute(Connect("n5", Edge("n4", "n9")))
    workspace.execute(Connect("n5", Edge("n9", OUTPUT)))
    scene.flush()
    assert scene.nodes["n9"].parentItem() is scene.nodes["n5"]
    assert (("n5", Edge("n9", OUTPUT))) in scene.edges
    assert_mirrors(scene)


def test_a_refused_command_says_why_and_changes_nothing(qtbot, make_scene, mlp):
    scene = make_scene(mlp)
    before, shown = mlp.document.clone(), keys(scene)
    bad = Connect(ROOT, Edge("n2", "n1"))  # a cycle
    reason = Workspace(before.clone()).run(Connect(ROOT, Edge("n2", "n1"))).reason
    assert reason
    messages = []
    scene.message.connect(messages.append)
    assert scene.execute(bad) is False
    assert messages == [reason]
    assert mlp.document == before
    assert steps(mlp) == 0
    assert keys(scene) == shown
    assert_mirrors(scene)


def test_a_good_command_through_the_scene_is_one_step_and_drawn_at_once(make_scene, mlp):
    scene = make_scene(mlp)
    messages = []
    scene.message.connect(messages.append)
    assert scene.execute(RemoveNodes(["n3"])) is True
    assert "n3" not in scene.nodes  # execute flushes: nothing left to schedule
    assert messages == []
    assert steps(mlp) == 1
    assert_mirrors(scene)


def test_replace_rebuilds_for_the_new_document(make_scene, mlp):
    old = mlp.document
    scene = make_scene(mlp)
    other = load_template("nest-mlp")
    mlp.replace(other)
    assert scene.graph_id == ROOT
    assert set(scene.nodes) == {"n5", "n6"}
    assert_mirrors(scene)
    Workspace(old).execute(RemoveNodes(["n1"]))  # the old document is no longer followed
    mlp.execute(RemoveNodes(["n6"]))
    scene.flush()
    assert set(scene.nodes) == {"n5"}
    assert_mirrors(scene)


def test_replace_while_a_block_is_open_shows_the_new_root(make_scene):
    workspace = Workspace(load_template("nest-mlp"))
    scene = make_scene(workspace)
    scene.show_graph("n5")
    assert set(scene.nodes) == {"n1", "n2", "n3", "n4"}
    workspace.replace(Document())
    assert scene.graph_id == ROOT
    assert keys(scene) == (set(), set())
    assert_mirrors(scene)


def test_an_argument_edit_refreshes_what_the_node_shows(make_scene, mlp):
    scene = make_scene(mlp)
    item = scene.nodes["n1"]
    assert item.look.title == "hidden · LazyLinear"
    assert item.look.detail == "out_features=256"
    mlp.execute(SetArgument("n1", "out_features", 64))
    scene.flush()
    assert scene.nodes["n1"].look.detail == "out_features=64"
    mlp.execute(Rename("n1", "first"))
    scene.flush()
    assert scene.nodes["n1"].look.title == "first · LazyLinear"
    mlp.undo()
    mlp.undo()
    scene.flush()
    assert scene.nodes["n1"].look.title == "hidden · LazyLinear"
    assert scene.nodes["n1"].look.detail == "out_features=256"


def test_an_input_shape_edit_relabels_the_input(make_scene, mlp):
    scene = make_scene(mlp)
    assert scene.boundaries[INPUT_ROLE].text == "input (2, 20)"
    mlp.execute(SetInput((5, 20)))
    assert scene.boundaries[INPUT_ROLE].text == "input (5, 20)"
    mlp.undo()
    assert scene.boundaries[INPUT_ROLE].text == "input (2, 20)"


def twin_pairs(scene: CanvasScene) -> set[tuple[str, str]]:
    return {(link.first.node_id, link.second.node_id) for link in scene.twin_links}


def test_tying_and_untying_layers_draws_and_removes_the_twin_link(make_scene):
    workspace = Workspace(load_template("shared-parameters"))
    scene = make_scene(workspace)
    assert twin_pairs(scene) == {("n1", "n5")}
    workspace.execute(Share("n7", "n2"))
    scene.flush()
    assert twin_pairs(scene) == {("n1", "n5"), ("n2", "n7")}
    workspace.execute(RemoveNodes(["n1"]))  # n5 inherits the module
    scene.flush()
    assert twin_pairs(scene) == {("n2", "n7")}
    assert scene.nodes["n5"].look.shared is False
    workspace.undo()
    workspace.undo()
    scene.flush()
    assert twin_pairs(scene) == {("n1", "n5")}
    assert_mirrors(scene)


def test_grouping_and_ungrouping_redraw_the_graph(make_scene, mlp):
    scene = make_scene(mlp)
    before, shown = mlp.document.clone(), keys(scene)
    mlp.execute(Group(["n1", "n2"], "n9"))
    scene.flush()
    assert set(scene.nodes) == {"n9", "n3"}
    assert_mirrors(scene)
    mlp.execute(Ungroup("n9"))
    scene.flush()
    assert set(scene.nodes) == {"n1", "n2", "n3"}
    assert_mirrors(scene)
    mlp.undo()
    mlp.undo()
    scene.flush()
    assert keys(scene) == shown
    assert mlp.document == before
    assert_mirrors(scene)


def test_removing_the_open_block_goes_back_to_the_root(make_scene):
    workspace = Workspace(load_template("nest-mlp"))
    scene = make_scene(workspace)
    shown = []
    scene.graph_shown.connect(shown.append)
    scene.show_graph("n5")
    workspace.execute(RemoveNodes(["n5"]))
    scene.flush()
    assert scene.graph_id == ROOT
    assert shown == ["n5", ROOT]
    assert set(scene.nodes) == {"n6"}
    assert_mirrors(scene)
