"""Building a network in the real main window, as a person would."""

import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from core import build_module, infer_shapes
from core.document.graph import INPUT, OUTPUT, ROOT, Edge
from core.io.files import document_to_dict
from tests.app.driver import (
    assert_canvas_matches,
    drag,
    drop,
    drop_on_edge,
    edge_item,
    select,
    set_argument,
    set_text,
    trigger,
    wait_for_shapes,
)
from tests.chapter import REFERENCES


def test_a_whole_editing_session_undoes_to_the_empty_canvas(qtbot, make_window, screenshots):
    window = make_window()
    document = window.workspace.document
    scene = window.scene
    empty = document_to_dict(document)
    window.grab().save(str(screenshots / "empty.png"))
    snapshots = []

    def step():
        wait_for_shapes(qtbot, window)
        assert_canvas_matches(window)
        snapshots.append(document_to_dict(window.workspace.document))

    # The first drop into an empty graph is wired between input and output; the second,
    # dropped beside it, is wired by dragging from port to port.
    drop(window, "LazyLinear", QPointF(0, 120))
    (first,) = [n.id for n in document.root.nodes]
    assert set(document.root.edges) == {Edge(INPUT, first), Edge(first, OUTPUT)}
    step()
    drop(window, "ReLU", QPointF(300, 260))
    second = document.root.nodes[1].id
    assert not [e for e in document.root.edges if second in (e.src, e.dst)]
    step()
    select(window, first)
    trigger(window, "delete")  # a selected edge or node goes with Delete; undo brings it back
    trigger(window, "undo")  # the node comes back selected, as it was
    assert scene.selected_node_ids() == [first]
    edge = edge_item(window, first, OUTPUT)
    scene.clearSelection()  # a click on the edge selects it alone
    edge.setSelected(True)
    trigger(window, "delete")
    assert Edge(first, OUTPUT) not in document.root.edges
    step()
    finish = scene.boundaries["output"]
    drag(window, scene.nodes[first].output_port(), scene.nodes[second].input_port(0))
    drag(window, scene.nodes[second].output_port(), finish.input_port(0))
    assert set(document.root.edges) == {Edge(INPUT, first), Edge(first, second),
                                        Edge(second, OUTPUT)}
    step()
    assert infer_shapes(document).output_shape == (2, 256)
    assert scene.nodes[second].look.shape == "→ (2, 256)"

    # Insert onto an edge; edit an argument in the inspector.
    third = drop_on_edge(window, "LazyLinear", second, OUTPUT)
    assert Edge(second, third) in document.root.edges
    step()
    select(window, third)
    set_argument(qtbot, window, "out_features", "10")
    assert document.node(third).args["out_features"] == 10
    step()
    assert scene.nodes[third].look.shape == "→ (2, 10)"

    # Group two layers into a block, collapse and expand it, open it and come back.
    select(window, first, second)
    trigger(window, "group")
    (block,) = [n.id for n in document.root.nodes if n.graph is not None]
    step()
    assert [n.id for n in document.graph(block).nodes] == [first, second]
    trigger(window, "toggle_block")
    assert block in scene.expanded and first in scene.nodes
    step()
    window.grab().save(str(screenshots / "block-expanded.png"))
    trigger(window, "toggle_block")
    assert first not in scene.nodes
    trigger(window, "open_block")
    assert scene.graph_id == block and window.breadcrumb.parts[-1] == "Sequential"
    trigger(window, "up")
    assert scene.graph_id == ROOT

    # Share: a fourth LazyLinear(10) becomes the twin of the third.
    fourth = drop_on_edge(window, "LazyLinear", third, OUTPUT)
    select(window, fourth)
    set_argument(qtbot, window, "out_features", "10")
    select(window, third, fourth)
    trigger(window, "share")
    assert document.node(fourth).shares == third
    step()
    net = build_module(document)
    assert net[1] is net[2]
    assert scene.nodes[fourth].look.shared and scene.twin_links
    select(window, fourth)
    assert scene.nodes[third].highlighted

    # Delete the first layer of the chain.
    select(window, block)
    trigger(window, "delete")
    assert not document.has_node(block)
    step()

    # Undo everything back to the empty canvas, then redo everything.
    end = document_to_dict(document)
    while window.workspace.history.can_undo:
        trigger(window, "undo")
        wait_for_shapes(qtbot, window)
        assert_canvas_matches(window)
    assert document_to_dict(document) == empty
    assert not scene.nodes
    while window.workspace.history.can_redo:
        trigger(window, "redo")
        assert_canvas_matches(window)
    assert document_to_dict(document) == end


def test_double_click_in_the_palette_adds_after_the_selection(qtbot, make_window):
    window = make_window("sequential-mlp")
    document = window.workspace.document
    first = document.root.nodes[0].id
    select(window, first)
    window.palette.layer_activated.emit("Dropout")
    assert len(document.root.nodes) == 4
    net = build_module(document)
    assert type(net[1]).__name__ == "Dropout"
    assert_canvas_matches(window)


def test_palette_filter_finds_layers_by_name_and_help(make_window):
    window = make_window()
    window.palette.filter.setText("conv")
    assert set(window.palette.visible_types()) >= {"Conv1d", "Conv2d", "LazyConv2d"}
    assert "ReLU" not in window.palette.visible_types()
    window.palette.filter.setText("mean")
    assert "CenteredLayer" in window.palette.visible_types()


def test_a_refused_argument_shows_the_reason_and_changes_nothing(qtbot, make_window):
    window = make_window("mlp")
    document = window.workspace.document
    hidden = document.root.nodes[0].id
    select(window, hidden)
    set_argument(qtbot, window, "out_features", "0")  # below the spin box's minimum
    assert document.node(hidden).args["out_features"] == 256
    window.workspace.document.root.nodes[0]
    drop(window, "GroupNorm", QPointF(400, 400))
    norm = document.root.nodes[-1].id
    select(window, norm)
    set_argument(qtbot, window, "num_groups", "3")
    assert document.node(norm).args["num_groups"] == 4
    assert "divisible" in window.inspector.error.text()


def test_inspector_keeps_values_typed(qtbot, make_window):
    window = make_window()
    drop(window, "LayerNorm", QPointF(0, 100))
    node = window.workspace.document.root.nodes[0].id
    select(window, node)
    set_argument(qtbot, window, "eps", "1e-6")
    set_argument(qtbot, window, "normalized_shape", "4096")
    args = window.workspace.document.node(node).args
    assert args["eps"] == 1e-6 and isinstance(args["eps"], float)
    assert args["normalized_shape"] == (4096,)
    drop(window, "Flatten", QPointF(0, 300))
    flatten = window.workspace.document.root.nodes[1].id
    select(window, flatten)
    set_argument(qtbot, window, "end_dim", "-1")
    assert window.workspace.document.node(flatten).args["end_dim"] == -1


def test_a_node_in_error_is_drawn_in_error_and_explained(qtbot, make_window, screenshots):
    window = make_window("my-linear")
    document = window.workspace.document
    first = document.root.nodes[0].id
    select(window, first)
    set_argument(qtbot, window, "in_units", "32")
    wait_for_shapes(qtbot, window)
    look = window.scene.nodes[first].look
    assert look.error and "(2, 64)" in look.error and "MyLinear" in look.error
    select(window, first)
    assert "(2, 64)" in window.statusBar().currentMessage()
    window.grab().save(str(screenshots / "node-in-error.png"))


def test_moving_a_node_is_one_undo_step(qtbot, make_window):
    window = make_window("mlp")
    document = window.workspace.document
    node = document.root.nodes[0].id
    item = window.scene.nodes[node]
    before = document.positions[node]
    drag(window, item.mapToScene(QPointF(0, 8)), item.mapToScene(QPointF(150, 48)))
    after = document.positions[node]
    assert abs(after[0] - before[0] - 150) < 2 and abs(after[1] - before[1] - 40) < 2
    trigger(window, "undo")
    assert document.positions[node] == before
    assert_canvas_matches(window)


def test_copy_and_paste_duplicates_nodes_with_new_ids(qtbot, make_window):
    window = make_window("mlp")
    document = window.workspace.document
    ids = [n.id for n in document.root.nodes]
    select(window, *ids[:2])
    trigger(window, "copy")
    trigger(window, "paste")
    assert len(document.root.nodes) == 5
    new = [n.id for n in document.root.nodes if n.id not in ids]
    assert sorted(window.scene.selected_node_ids()) == sorted(new)
    assert any(e.src == new[0] and e.dst == new[1] for e in document.root.edges)
    assert_canvas_matches(window)


def test_title_marks_unsaved_changes_and_save_clears_it(qtbot, make_window, tmp_path, dialogs):
    window = make_window("mlp")
    assert not window.isWindowModified()
    drop(window, "ReLU", QPointF(300, 300))
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    path = tmp_path / "net.tcanvas"
    assert window.save_to(path)
    assert not window.isWindowModified() and "net.tcanvas" in window.windowTitle()
    assert window.settings.recent_files()[0] == path.resolve()
    drop(window, "ReLU", QPointF(300, 500))
    window.close()
    assert ("question", "Save the changes to net.tcanvas?") in dialogs


def _last(window) -> str:
    graph = window.workspace.document.graph(window.scene.graph_id)
    return next(e.src for e in graph.edges if e.dst == OUTPUT)


def _append(qtbot, window, layer_type: str, name: str = "", **args: str) -> str:
    """Drop ``layer_type`` onto the edge into the output, then fill in the inspector."""
    graph = window.workspace.document.graph(window.scene.graph_id)
    if graph.nodes:
        node = drop_on_edge(window, layer_type, _last(window), OUTPUT)
    else:
        drop(window, layer_type, QPointF(0, 120))
        node = graph.nodes[0].id
    select(window, node)
    for key, value in args.items():
        set_argument(qtbot, window, key, value)
    if name:
        set_text(window.inspector.name_edit, name)
    return node


def _group(qtbot, window, nodes, name="", class_name="") -> str:
    select(window, *nodes)
    trigger(window, "group")
    (block,) = window.scene.selected_node_ids()
    if name:
        set_text(window.inspector.name_edit, name)
    if class_name:
        QTest.keyClick(window.inspector.container, Qt.Key.Key_Down)
        set_text(window.inspector.class_name, class_name)
    return block


def test_the_chimera_built_by_drops_and_inspector_edits_matches_the_chapter(qtbot, make_window,
                                                                           screenshots):
    window = make_window()
    net_layers = [_append(qtbot, window, "LazyLinear", out_features="64"),
                  _append(qtbot, window, "ReLU"),
                  _append(qtbot, window, "LazyLinear", out_features="32"),
                  _append(qtbot, window, "ReLU")]
    net = _group(qtbot, window, net_layers, name="net")
    linear = _append(qtbot, window, "LazyLinear", "linear", out_features="16")
    _group(qtbot, window, [net, linear], class_name="NestMLP")
    _append(qtbot, window, "LazyLinear", out_features="20")
    owner = _append(qtbot, window, "LazyLinear", "linear", out_features="20")
    fixed = [owner,
             _append(qtbot, window, "FixedHiddenLinear", "rand_weight", in_features="20",
                     out_features="20"),
             _append(qtbot, window, "ReLU", "relu"),
             _append(qtbot, window, "LazyLinear", out_features="20")]
    select(window, owner, fixed[-1])
    trigger(window, "share")
    fixed += [_append(qtbot, window, "HalveUntilL1", "halve"),
              _append(qtbot, window, "Sum", "sum")]
    block = _group(qtbot, window, fixed, class_name="FixedHiddenMLP")
    window.scene.toggle_block(block)
    wait_for_shapes(qtbot, window)
    window.view.fit()
    window.grab().save(str(screenshots / "chimera.png"))

    document = window.workspace.document
    ours, theirs = build_module(document), REFERENCES["chimera"][0]()
    x = torch.rand(2, 20)
    ours(x), theirs(x)
    keys = [k for k in ours.state_dict() if not k.endswith("rand_weight.weight")]
    assert keys == list(theirs.state_dict())
    assert {k: v.shape for k, v in ours.state_dict().items() if k in keys} == \
        {k: v.shape for k, v in theirs.state_dict().items()}
    assert type(ours[0]).__name__ == "NestMLP" and type(ours[2]).__name__ == "FixedHiddenMLP"
    assert infer_shapes(document).output_shape == ()


def test_the_root_becomes_a_named_class_from_the_inspector(qtbot, make_window):
    window = make_window("sequential-mlp")
    QTest.keyClick(window.inspector.container, Qt.Key.Key_Down)
    set_text(window.inspector.class_name, "Net")
    document = window.workspace.document
    assert (document.root.container, document.root.class_name) == ("module", "Net")
    assert type(build_module(document)).__name__ == "Net"
    trigger(window, "undo")
    trigger(window, "undo")
    assert document.root.container == "sequential"
