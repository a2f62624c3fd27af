"""The canvas with what imported models bring: blocks of several inputs and outputs,
tuples along edges, tensor operations and parameter nodes."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtGui import QImage, QPainter

from core.catalog.registry import spec_for
from core.document.edit import Disconnect
from core.document.graph import INPUT
from core.io.module_import import import_module
from core.runtime.shapes import infer_shapes
from core.workspace import Workspace
from tests.core.model_zoo import ZOO
from tests.widgets.test_canvas_scene import assert_mirrors
from widgets.argument_editor import format_value, parse_text
from widgets.canvas_scene import CanvasScene
from widgets.node_item import INPUT_ROLE
from widgets.node_look import LookContext


@pytest.fixture
def make_scene(qapp):
    scenes = []

    def make(name: str) -> CanvasScene:
        make_model, shape = ZOO[name]
        torch.manual_seed(0)
        document, _ = import_module(make_model().eval(), torch.randn(shape))
        scene = CanvasScene(Workspace(document))
        scene.apply_report(infer_shapes(document))
        scenes.append(scene)
        return scene

    yield make
    for scene in scenes:
        scene.detach()


def paint(scene: CanvasScene) -> None:
    image = QImage(800, 600, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    scene.render(painter)
    painter.end()


def block_named(scene: CanvasScene, name: str) -> str:
    return next(n.id for n in scene.document.root.nodes if n.name == name)


def test_a_block_of_two_inputs_shows_a_port_and_a_shape_for_each(make_scene):
    scene = make_scene("unet")
    up = block_named(scene, "up1")
    assert scene.nodes[up].look.inputs == 2
    scene.show_graph(up)
    assert_mirrors(scene)
    start = scene.boundaries[INPUT_ROLE]
    assert start.output_count() == 2 and start.output_port(0) != start.output_port(1)
    assert start.text == "inputs (2, 32, 4, 4) · (2, 16, 8, 8)"
    labels = {edge.src_port: item.label for (_, edge), item in scene.edges.items()
              if edge.src == INPUT}
    assert labels == {0: "(2, 32, 4, 4)", 1: "(2, 16, 8, 8)"}
    for (_, edge), item in scene.edges.items():  # each starts at the input it carries
        if edge.src == INPUT:
            assert item.path().pointAtPercent(0) == start.output_port(edge.src_port)
    paint(scene)


def test_connecting_from_the_second_input_names_it(make_scene):
    scene = make_scene("unet")
    up = block_named(scene, "up1")
    scene.show_graph(up)
    graph = scene.document.graph(up)
    concat = next(n for n in graph.nodes if n.type == "Concat")
    old = next(e for e in graph.edges if e.dst == concat.id and e.port == 0)
    assert old.src == INPUT and old.src_port == 1
    assert scene.execute(Disconnect(up, old))
    point = scene.nodes[concat.id].input_port(0)
    assert scene.connecting.connect_at(up, INPUT, point, 1)
    assert old in scene.document.graph(up).edges
    assert_mirrors(scene)


def test_tuples_and_operations_are_drawn(make_scene):
    scene = make_scene("lstm-classifier")
    root = scene.document.root
    lstm = next(n for n in root.nodes if n.type == "LSTM")
    assert scene.nodes[lstm.id].look.shape == "→ ((3, 7, 16), ((2, 3, 16), (2, 3, 16)))"
    picks = [n for n in root.nodes if n.type == "GetItem"]
    assert len(picks) == 3 and all(scene.nodes[n.id].look.shape for n in picks)
    assert_mirrors(scene)
    paint(scene)


def test_a_parameter_node_has_no_input_port(make_scene):
    scene = make_scene("vit")
    token = next(n for n in scene.document.root.nodes if n.name == "class_token")
    look = LookContext(scene.document).look(token.id, scene.report.nodes[token.id])
    assert look.inputs == 0 and look.shape == "→ (1, 1, 16)"
    assert scene.nodes[token.id].input_count() == 0
    paint(scene)


def test_an_index_and_sizes_are_typed_as_python_writes_them():
    index = spec_for("GetItem").arg("index")
    assert format_value(index, ((None, None, None), 0)) == ":, 0"
    assert parse_text(index, ":, 0") == ((None, None, None), 0)
    with pytest.raises(ValueError, match="not a whole number"):
        parse_text(index, "x.shape")
    sizes = spec_for("Reshape").arg("shape")
    assert format_value(sizes, ((0, 0), -1)) == "size(0, 0), -1"
    assert parse_text(sizes, "size(0, 0), -1") == ((0, 0), -1)
