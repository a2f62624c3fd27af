"""Undoing a delete puts the same items back (issue 12: undo of a 10,000-node delete took
two seconds, most of it building new items), and they are drawn as they were."""

from __future__ import annotations

from types import SimpleNamespace

from core.catalog.templates import load_template
from core.document.edit import AddNode, Move
from core.document.graph import Node
from core.document.selection import delete_command
from core.workspace import Workspace
from tests.app.driver import assert_canvas_matches
from tests.widgets.test_edge_routing import crossings
from widgets.canvas_scene import CanvasScene


def scene_for(template: str) -> tuple[Workspace, CanvasScene]:
    workspace = Workspace(load_template(template))
    scene = CanvasScene(workspace)
    scene.flush()
    return workspace, scene


def paths(scene: CanvasScene) -> dict:
    return {key: item.path() for key, item in scene.edges.items()}


def test_undo_of_a_delete_puts_the_same_items_back(qtbot):
    workspace, scene = scene_for("residual-block")
    nodes, edges, drawn = dict(scene.nodes), dict(scene.edges), paths(scene)
    workspace.execute(delete_command(workspace.document, list(nodes), [], True))
    scene.flush()
    assert not scene.nodes and not scene.edges
    workspace.undo()
    scene.flush()
    assert_canvas_matches(SimpleNamespace(workspace=workspace, scene=scene))
    assert all(scene.nodes[i] is item for i, item in nodes.items())
    assert all(scene.edges[k] is item for k, item in edges.items())
    assert paths(scene) == drawn  # the skip edge still goes around the chain
    assert all(not crossings(scene, e) for e in scene.edges.values())
    workspace.redo()
    scene.flush()
    assert not scene.nodes
    scene.detach()


def test_a_reused_id_gets_an_item_of_its_own(qtbot):
    workspace, scene = scene_for("mlp")
    relu = scene.nodes["n2"]
    workspace.execute(delete_command(workspace.document, ["n2"], [], True))
    workspace.execute(AddNode("root", Node("n2", "Tanh"), position=(400.0, 400.0)))
    scene.flush()
    assert scene.nodes["n2"] is not relu and "Tanh" in scene.nodes["n2"].look.title
    assert_canvas_matches(SimpleNamespace(workspace=workspace, scene=scene))
    scene.detach()


def test_deleting_the_skipped_chain_straightens_the_skip_and_undo_bends_it_again(qtbot):
    workspace, scene = scene_for("residual-block")
    skip = next(e for (g, e) in scene.edges if e.src == "n1" and e.dst == "n5")
    bent = scene.edges[("root", skip)].path().boundingRect().width()
    assert bent > 40
    workspace.execute(delete_command(workspace.document, ["n2", "n3", "n4"], [], False))
    scene.flush()
    assert scene.edges[("root", skip)].path().boundingRect().width() < bent
    workspace.undo()
    scene.flush()
    assert all(not crossings(scene, e) for e in scene.edges.values())
    assert scene.edges[("root", skip)].path().boundingRect().width() == bent
    scene.detach()


def test_a_node_moved_out_of_the_way_lets_the_skip_go_straight(qtbot):
    workspace, scene = scene_for("residual-block")
    skip = next(e for (g, e) in scene.edges if e.src == "n1" and e.dst == "n5")
    bent = scene.edges[("root", skip)].path().boundingRect().width()
    for node_id in ("n2", "n3", "n4"):
        x, y = workspace.document.positions.get(node_id) or \
            (scene.nodes[node_id].pos().x(), scene.nodes[node_id].pos().y())
        workspace.execute(Move({node_id: (x + 900, y)}))
    scene.flush()
    assert scene.edges[("root", skip)].path().boundingRect().width() < bent
    scene.detach()


def test_a_node_below_an_expanded_block_comes_back_where_it_was(qtbot):
    workspace, scene = scene_for("nest-mlp")
    scene.toggle_block("n5")  # the frame pushes n6 down (a view offset)
    where = scene.nodes["n6"].pos()
    assert scene.offsets["n6"].y() > 0
    workspace.execute(delete_command(workspace.document, ["n6"], [], True))
    scene.flush()
    workspace.undo()
    scene.flush()
    assert scene.nodes["n6"].pos() == where
    assert_canvas_matches(SimpleNamespace(workspace=workspace, scene=scene))
    scene.detach()
