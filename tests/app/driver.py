"""Driving the real main window the way a person does: drops, drags, clicks, keys."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.document.graph import ROOT
from widgets.edge_item import EdgeItem


def wait_for_shapes(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.shapes.idle and window.live_builder.idle
                    and not window._shape_timer.isActive(), timeout=10_000)


def view_point(window, scene_point: QPointF) -> QPoint:
    window.view.ensureVisible(scene_point.x() - 5, scene_point.y() - 5, 10, 10, 80, 80)
    return window.view.mapFromScene(scene_point)


def drop(window, layer_type: str, scene_point: QPointF) -> None:
    """A real drop event carrying the palette's mime data, onto the canvas viewport."""
    mime = window.palette.mime_data_for(layer_type)
    point = view_point(window, scene_point)
    viewport = window.view.viewport()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(point, *args)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted(), "the canvas refused the drag"
    QApplication.sendEvent(viewport, QDragMoveEvent(point, *args))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(point), *args))
    window.scene.flush()


def edge_item(window, src: str, dst: str) -> EdgeItem:
    return next(i for (g, e), i in window.scene.edges.items() if e.src == src and e.dst == dst)


def edge_midpoint(window, src: str, dst: str) -> QPointF:
    return edge_item(window, src, dst).path().pointAtPercent(0.5)


def drop_on_edge(window, layer_type: str, src: str, dst: str) -> str:
    """Drop onto the edge src → dst; returns the id of the inserted node."""
    before = set(window.workspace.document._nodes)
    drop(window, layer_type, edge_midpoint(window, src, dst))
    (added,) = set(window.workspace.document._nodes) - before
    return added


def drag(window, start: QPointF, end: QPointF) -> None:
    """Press at ``start``, move to ``end``, release: a connection or a move."""
    viewport = window.view.viewport()
    both = QRectF(start, end).normalized().adjusted(-20, -20, 20, 20)
    window.view.ensureVisible(both, 40, 40)
    a, b = window.view.mapFromScene(start), window.view.mapFromScene(end)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(viewport, (a + b) / 2)
    QTest.mouseMove(viewport, b)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    window.scene.flush()


def click(window, scene_point: QPointF, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    point = view_point(window, scene_point)
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def select(window, *node_ids: str) -> None:
    """Click the first node, Ctrl+click the rest."""
    for index, node_id in enumerate(node_ids):
        item = window.scene.nodes[node_id]
        modifier = Qt.KeyboardModifier.ControlModifier if index else \
            Qt.KeyboardModifier.NoModifier
        click(window, item.mapToScene(QPointF(0, 8)), modifier)
    assert sorted(window.scene.selected_node_ids()) == sorted(node_ids)
    QApplication.processEvents()  # the inspector follows once the selection settles


def trigger(window, name: str) -> None:
    window.actions[name].trigger()
    window.scene.flush()
    QApplication.processEvents()


def set_argument(qtbot, window, name: str, text: str) -> None:
    """Type into the inspector's editor for ``name`` and press Enter."""
    widget = window.inspector.editors[name].widget
    widget.setFocus()
    if hasattr(widget, "selectAll"):
        widget.selectAll()
    elif hasattr(widget, "lineEdit"):
        widget.lineEdit().selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)
    window.scene.flush()


def set_text(widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def displayed_graphs(window) -> list[str]:
    scene = window.scene
    return [scene.graph_id] + [b for b in scene.expanded if b in scene.nodes]


def assert_canvas_matches(window) -> None:
    """The canvas shows exactly what the core holds for the graphs on show."""
    document = window.workspace.document
    scene = window.scene
    expected_nodes, expected_edges = set(), set()
    for graph_id in displayed_graphs(window):
        graph = document.graph(graph_id)
        expected_nodes |= {n.id for n in graph.nodes}
        expected_edges |= {(graph_id, e) for e in graph.edges}
    assert set(scene.nodes) == expected_nodes
    assert set(scene.edges) == expected_edges
    for node_id, item in scene.nodes.items():
        position = document.positions.get(node_id)
        if position is not None:
            offset = scene.offsets.get(node_id, QPointF())
            assert (item.pos() - offset - QPointF(*position)).manhattanLength() < 0.5
    assert scene.graph_id == ROOT or document.has_node(scene.graph_id)
