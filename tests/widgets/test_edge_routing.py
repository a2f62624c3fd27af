"""Skip edges go around the nodes they skip (issue 12), not through them."""

from __future__ import annotations

from core.catalog.templates import load_template
from core.document.edit import Move
from core.workspace import Workspace
from widgets.canvas_scene import CanvasScene
from widgets.edge_item import EdgeItem
from widgets.node_item import PortedItem


def crossings(scene: CanvasScene, edge: EdgeItem) -> list[str]:
    """The nodes other than its own ends that ``edge`` is drawn through."""
    path = edge.mapToScene(edge.path())
    points = [path.pointAtPercent(step / 400) for step in range(401)]
    hit = []
    for item in scene.items():
        if not isinstance(item, PortedItem) or item in (edge.source, edge.target):
            continue
        rect = item.sceneBoundingRect().adjusted(4, 4, -4, -4)
        if any(rect.contains(point) for point in points):
            hit.append(item.node_id)
    return hit


def test_the_residual_skip_goes_around_the_chain(qtbot):
    scene = CanvasScene(Workspace(load_template("residual-block")))
    scene.flush()
    through = {f"{e.edge.src}->{e.edge.dst}": crossings(scene, e) for e in scene.edges.values()}
    assert all(not nodes for nodes in through.values()), through
    skip = [e for e in scene.edges.values() if e.path().boundingRect().width() > 40]
    assert skip, "the skip edge is drawn as a detour"
    scene.detach()


def test_a_node_moved_into_the_way_is_passed_when_the_edge_is_redrawn(qtbot):
    workspace = Workspace(load_template("mlp"))
    scene = CanvasScene(workspace)
    scene.flush()
    first, second, third = (n.id for n in workspace.document.root.nodes)
    x, y = workspace.document.positions[first]
    _, y3 = workspace.document.positions[third]
    # Put the middle node aside, then the edge first → second runs long past the third.
    workspace.execute(Move({second: (x, y3 + 300), third: (x, (y + y3 + 300) / 2)}))
    scene.flush()
    edge = next(e for e in scene.edges.values() if e.edge.src == first and e.edge.dst == second)
    assert crossings(scene, edge) == []
    scene.detach()
