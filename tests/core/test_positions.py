"""Positions are finite and within the canvas's bounds wherever they enter a document (a
file, a command, a paste); pictures of a huge canvas are scaled down; a paste is
checked as a file is and refused whole, changing nothing."""

from __future__ import annotations

import json
import math

import pytest

from core.catalog.templates import load_template
from core.document.clipboard import copy_nodes, paste_command
from core.document.edit import AddNode, Move
from core.document.graph import ROOT, Node
from core.document.history import History
from core.document.layout import COLUMN_WIDTH, ROW_HEIGHT, fill_missing_positions
from core.document.validate import MAX_COORDINATE, check_document, check_position
from core.errors import EditError, PositionError, TorchCanvasError
from core.io.files import MAX_NODES, document_from_json, document_to_dict, document_to_json
from core.io.picture import MAX_PIXELS, MAX_SIDE, check_vector_picture, fit_picture

BAD_POINTS = [
    [math.nan, 0], [0, math.nan], [math.inf, 0], [0, -math.inf], [1e200, 0], [0, -1e200],
    [MAX_COORDINATE * 1.0001, 0], [10**400, 0], [0, -(10**400)], [1, 2, 3], [1], [],
    ["1", 2], [True, 0], [None, 0], {"x": 1, "y": 2}, "1,2", 7,
]
GOOD_POINTS = [[0, 0], [-5.5, 3], [MAX_COORDINATE, -MAX_COORDINATE], [10**8, 0], [1e-300, 0]]


def _mlp():
    document = load_template("mlp")
    fill_missing_positions(document)
    return document


def _file_with_position(point) -> str:
    data = document_to_dict(_mlp())
    first = data["graph"]["nodes"][0]["id"]
    text = json.dumps(data)  # json writes NaN and Infinity as the parser reads them back
    return text.replace(f'"{first}": [', f'"{first}": {json.dumps(point)}, "_": [', 1)


def test_check_position_refuses_what_is_not_a_point_on_the_canvas():
    for point in BAD_POINTS:
        with pytest.raises(PositionError, match=r"^here: "):
            check_position(point, "here")


def test_check_position_takes_finite_points_within_bounds():
    for point in GOOD_POINTS:
        x, y = check_position(point)
        assert math.isfinite(x) and math.isfinite(y)


def test_a_file_with_a_position_out_of_bounds_is_refused_with_a_typed_error():
    for point in ([math.nan, 0], [math.inf, 0], [-math.inf, 1], [1e200, 0], [0, 2e8],
                  [10**400, 0], [0, -(10**400)]):
        with pytest.raises(PositionError, match=r"view\.positions\.n\d+"):
            document_from_json(_file_with_position(point))


def test_a_document_holding_a_bad_position_does_not_validate():
    document = _mlp()
    node_id = document.root.nodes[0].id
    for point in ((math.nan, 0.0), (0.0, math.inf), (1e200, 0.0)):
        document.positions[node_id] = point
        with pytest.raises(PositionError):
            check_document(document)


def test_move_and_add_refuse_a_bad_position_and_change_nothing():
    document = _mlp()
    history = History(document)
    before = document_to_json(document)
    first, second = (node.id for node in document.root.nodes[:2])
    for point in ((math.nan, 0.0), (math.inf, 0.0), (0.0, -1e200), (2e8, 0.0)):
        with pytest.raises(EditError, match="position"):
            history.push(Move({first: (1.0, 1.0), second: point}))
        with pytest.raises(EditError, match="position"):
            history.push(AddNode(ROOT, Node(document.new_id(), "ReLU"), position=point))
        assert document_to_json(document) == before


def test_the_layout_of_the_largest_document_stays_within_bounds():
    """One column or one row of as many nodes as a file may hold."""
    assert MAX_COORDINATE > (MAX_NODES + 2) * ROW_HEIGHT
    assert MAX_COORDINATE > MAX_NODES * COLUMN_WIDTH / 2


def test_a_picture_of_a_normal_canvas_keeps_its_scale():
    size = fit_picture(600, 400)
    assert (size.width, size.height, size.scale, size.note) == (1200, 800, 2.0, "")


def test_a_picture_of_a_huge_canvas_is_scaled_down_and_says_so():
    for width, height in [(30_060, 30_060), (2e8, 100), (100, 2e8), (2e8, 2e8), (16_385, 1)]:
        size = fit_picture(width, height)
        assert size.width <= MAX_SIDE and size.height <= MAX_SIDE
        assert size.width * size.height <= MAX_PIXELS
        assert size.scale < 2.0 and "scaled down" in size.note and "\n" not in size.note


def test_a_picture_of_no_finite_size_is_refused():
    for width, height in [(math.nan, 1), (1, math.inf), (0, 5), (-1, 5)]:
        with pytest.raises(TorchCanvasError):
            fit_picture(width, height)


def test_an_svg_larger_than_its_limit_is_refused():
    check_vector_picture(30_000, 30_000)
    with pytest.raises(TorchCanvasError, match=r"export a \.png"):
        check_vector_picture(2e8, 100)


def _clipboard(inner_name: str = "a", **extra) -> str:
    data = {"format": "torchcanvas-nodes", "nodes": [{
        "id": "b1", "type": "Block", "graph": {
            "container": "module", "class_name": "",
            "nodes": [{"id": "c1", "type": "ReLU", "name": inner_name}],
            "edges": [{"from": "input", "to": "c1"}, {"from": "c1", "to": "output"}]}}],
        "edges": [], "positions": {}}
    data.update(extra)
    return json.dumps(data)


POISON = [
    _clipboard("ａ"), _clipboard("forward"), _clipboard("for"), _clipboard("2x"),
    _clipboard(positions={"b1": [math.nan, 0]}),
    _clipboard(positions={"b1": [1e300, 0]}),
    _clipboard(positions={"c1": [0, math.inf]}),
    _clipboard(positions={"b1": "here"}),
    _clipboard(positions=[1, 2]),
    _clipboard(edges=[{"from": "b1", "to": "zz"}]),
    _clipboard(edges=[{"from": "b1", "to": "b1"}]),
    _clipboard(edges="none"),
    _clipboard(nodes="none"),
    _clipboard(nodes=[{"id": "r1", "type": "ReLU"}, {"id": "r2", "type": "ReLU"}],
               edges=[{"from": "r1", "to": "r2"}, {"from": "r2", "to": "r1"}]),
    _clipboard(nodes=[{"id": "l1", "type": "Linear", "args": {"in_features": -3}}]),
    _clipboard(nodes=[{"id": "l1", "type": "Linear", "args": {"in_features": math.nan}}]),
    _clipboard(nodes=[{"id": "l1", "type": "NoSuchLayer"}]),
    _clipboard(nodes=[{"id": "r1", "type": "ReLU"}, {"id": "r1", "type": "ReLU"}]),
    _clipboard(nodes=[{"id": "r0", "type": "ReLU"}, {"id": "r1", "type": "ReLU"}],
               edges=[{"from": "r1", "to": "r0", "port": 1}]),
    json.dumps({"format": "torchcanvas-nodes", "nodes": [{
        "id": "b1", "type": "Block", "graph": {"container": "module", "class_name": "None",
                                               "nodes": [], "edges": []}}], "edges": []}),
    json.dumps({"format": "torchcanvas-nodes", "nodes": [{
        "id": "b1", "type": "Block", "graph": {"nodes": [
            {"id": "c1", "type": "ReLU", "name": "x"},
            {"id": "c2", "type": "ReLU", "name": "x"}], "edges": []}}], "edges": []}),
]


def _nested(depth: int) -> str:
    node: dict = {"id": f"b{depth}", "type": "ReLU"}
    for level in range(depth):
        node = {"id": f"b{level}", "type": "Block", "graph": {"nodes": [node], "edges": []}}
    return json.dumps({"format": "torchcanvas-nodes", "nodes": [node], "edges": []})


def test_a_paste_that_would_poison_the_document_is_refused_and_changes_nothing():
    document = _mlp()
    history = History(document)
    before = document_to_json(document)
    for text in [*POISON, _nested(40), "[]", "{", "null"]:
        with pytest.raises(EditError) as refused:
            history.push(paste_command(document, text, ROOT))
        message = str(refused.value)
        assert message.startswith("Paste") and "\n" not in message, text
        assert document_to_json(document) == before, text
        assert not history.can_undo
    check_document(document)


def test_a_paste_deeper_than_the_nesting_limit_is_refused_inside_a_block():
    document = _mlp()
    History(document).push(paste_command(document, _nested(31), ROOT))
    deepest = [gid for gid, node in document.walk() if node.type == "ReLU"][-1]
    with pytest.raises(EditError):
        History(document).push(paste_command(document, _nested(3), deepest))


def test_a_good_paste_still_works_and_saves():
    document = _mlp()
    history = History(document)
    ids = [node.id for node in document.root.nodes]
    command = paste_command(document, copy_nodes(document, ids), ROOT)
    history.push(command)
    assert len(document.root.nodes) == 2 * len(ids)
    check_document(document)
    document_from_json(document_to_json(document))
    history.undo()
    assert len(document.root.nodes) == len(ids)


def test_a_pasted_block_keeps_its_inner_names_and_positions():
    document = _mlp()
    History(document).push(paste_command(document, _clipboard(
        "a", positions={"b1": [5, 5], "c1": [1, 2]}), ROOT))
    block = document.root.nodes[-1]
    assert block.graph is not None and block.graph.nodes[0].name == "a"
    assert document.positions[block.graph.nodes[0].id] == (1.0, 2.0)
    check_document(document)


def test_a_twin_pasted_next_to_an_owner_of_another_type_gets_a_module_of_its_own():
    document = _mlp()
    owner = next(n for n in document.root.nodes if n.type != "Linear")
    text = json.dumps({"format": "torchcanvas-nodes", "edges": [], "nodes": [
        {"id": "t1", "type": "Linear", "args": {"in_features": 3, "out_features": 2},
         "shares": owner.id}]})
    History(document).push(paste_command(document, text, ROOT))
    assert document.root.nodes[-1].shares is None
    check_document(document)

