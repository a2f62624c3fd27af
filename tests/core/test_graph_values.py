"""What the document can say since real models came in: blocks with several inputs and
outputs, tuples along edges, tensor operations, parameters used in a forward and modules
held in a list. Each is built, dry-run, exported, saved and read back."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from core import build_module, infer_shapes, to_python
from core.catalog.arguments import format_index, format_sizes, parse_index, parse_sizes
from core.catalog.registry import spec_for
from core.document.compose import Composer
from core.document.edit import Ungroup
from core.document.graph import (
    BLOCK,
    INPUT,
    MODULE,
    OUTPUT,
    ROOT,
    Document,
    Edge,
    Graph,
    InputSpec,
    Node,
    graph_inputs,
)
from core.document.placement import drop
from core.document.validate import check_document, input_range
from core.errors import ArgumentError, BuildError, EditError, InvalidNameError, PortError
from core.io.files import document_from_json, document_to_json, read_project, save_document
from core.runtime.live import LiveModel
from core.runtime.plan import plan_document
from core.runtime.report import format_shape
from core.runtime.stepper import step_through
from core.runtime.tensors import parameter_rows


def exported(document: Document) -> nn.Module:
    namespace: dict = {"__name__": "exported"}
    exec(compile(to_python(document), "<exported>", "exec"), namespace)
    return namespace["build_model"]()


def same_everywhere(document: Document, x: torch.Tensor, tmp_path) -> torch.Tensor:
    """Built, exported, and saved then reopened: one state_dict, one output."""
    torch.manual_seed(0)
    built = build_module(document).eval()
    other = exported(document).eval()
    other.load_state_dict(built.state_dict(), strict=True)
    assert list(other.state_dict()) == list(built.state_dict())
    save_document(document, tmp_path / "net.tcanvas", weights=built.state_dict())
    project = read_project(tmp_path / "net.tcanvas")
    reopened = build_module(project.document).eval()
    reopened.load_state_dict(project.weights, strict=True)
    with torch.no_grad():
        expected = built(x)
        for got in (other(x), reopened(x)):
            pairs = zip(got, expected, strict=True) if isinstance(expected, tuple) else \
                [(got, expected)]
            assert all(torch.equal(a, b) for a, b in pairs)
    return expected


def join_block(c: Composer) -> Node:
    """A block of two inputs (x1 → Linear, then + x2) and two outputs (the sum, x1 · 2)."""
    linear = c.layer("Linear", "proj", in_features=4, out_features=4)
    add = c.layer("Add")
    double = c.layer("Scalar", operation="multiply", value=2.0)
    graph = Graph(nodes=[linear, add, double], container=MODULE, class_name="Join", edges=[
        Edge(INPUT, linear.id), Edge(linear.id, add.id, 0), Edge(INPUT, add.id, 1, 1),
        Edge(INPUT, double.id, 0, 0), Edge(add.id, OUTPUT, 0), Edge(double.id, OUTPUT, 1)])
    return Node(f"n{len(graph.nodes) + 90}", BLOCK, name="join", graph=graph)


def two_way_document() -> Document:
    c = Composer()
    a = c.layer("Linear", "a", in_features=4, out_features=4)
    b = c.layer("Linear", "b", in_features=4, out_features=4)
    block = join_block(c)
    first = c.layer("GetItem", index=(0,))
    second = c.layer("GetItem", index=(1,))
    cat = c.layer("Concat", dim=1)
    return Document(root=Graph(nodes=[a, b, block, first, second, cat], container=MODULE, edges=[
        Edge(INPUT, a.id), Edge(INPUT, b.id), Edge(a.id, block.id, 0), Edge(b.id, block.id, 1),
        Edge(block.id, first.id), Edge(block.id, second.id), Edge(first.id, cat.id, 0),
        Edge(second.id, cat.id, 1), Edge(cat.id, OUTPUT)]), input=InputSpec((3, 4)))


def test_a_block_with_two_inputs_and_two_outputs(tmp_path):
    document = two_way_document()
    block = document.root.nodes[2]
    assert graph_inputs(block.graph) == 2 and input_range(block) == (2, 2)
    source = to_python(document)
    assert "def forward(self, x1: torch.Tensor, x2: torch.Tensor)" in source
    assert "return out, x1" in source
    report = infer_shapes(document)
    assert report.ok and report.output_shape == (3, 8)
    assert report.nodes[block.id].output_shape == ((3, 4), (3, 4))
    assert format_shape(report.nodes[block.id].output_shape) == "((3, 4), (3, 4))"
    same_everywhere(document, torch.randn(3, 4), tmp_path)


def test_an_edge_names_the_input_it_carries_in_the_file_only_when_not_the_first():
    document = two_way_document()
    data = json.loads(document_to_json(document))
    inner = data["graph"]["nodes"][2]["graph"]["edges"]
    assert {"from": "input", "to": inner[2]["to"], "port": 1, "from_port": 1} in inner
    assert all("from_port" not in edge for edge in data["graph"]["edges"])
    assert data["version"] == 1
    again = document_from_json(json.dumps(data))
    assert again.root.nodes[2].graph.edges == document.root.nodes[2].graph.edges
    data["graph"]["edges"][0]["from_port"] = 1  # the network itself has one input
    with pytest.raises(PortError, match="one input"):
        document_from_json(json.dumps(data))
    data["graph"]["edges"][0]["from_port"] = -1
    with pytest.raises(Exception, match="from_port"):
        document_from_json(json.dumps(data))


def test_a_layer_returning_a_tuple_is_picked_apart_by_get_item(tmp_path):
    c = Composer()
    lstm = c.layer("LSTM", "lstm", input_size=3, hidden_size=5, batch_first=True)
    state = c.layer("GetItem", index=(1,))
    hidden = c.layer("GetItem", index=(0,))
    last = c.layer("GetItem", index=(-1,))
    fc = c.layer("Linear", "fc", in_features=5, out_features=2)
    document = c.document(lstm, state, hidden, last, fc, input_shape=(4, 6, 3))
    report = infer_shapes(document)
    assert report.nodes[lstm.id].output_shape == ((4, 6, 5), ((1, 4, 5), (1, 4, 5)))
    assert report.nodes[state.id].output_shape == ((1, 4, 5), (1, 4, 5))
    assert report.output_shape == (4, 2)
    source = to_python(document)
    assert "self.fc(lstm[1][0][-1])" in source
    same_everywhere(document, torch.randn(4, 6, 3), tmp_path)


def test_tensor_operations_are_expressions_with_typed_arguments(tmp_path):
    c = Composer()
    permute = c.layer("Permute", dims=(0, 2, 1))
    mean = c.layer("Mean", dim=(1,), keepdim=True)
    flat = c.layer("Reshape", shape=((0, 0), -1))
    pick = c.layer("GetItem", index=((None, None, None), (1, None, 2)))
    scale = c.layer("Scalar", operation="subtract", value=1.0, scalar_first=True)
    document = c.document(permute, mean, flat, pick, scale, input_shape=(2, 3, 8))
    source = to_python(document)
    for line in ("x = x.permute(0, 2, 1).mean(dim=(1,), keepdim=True)",
                 "return 1.0 - x.reshape(x.size(0), -1)[:, 1::2]"):
        assert line in source
    assert "class Network(nn.Module)" in source  # a chain of operations is no Sequential
    assert infer_shapes(document).output_shape == (2, 1)
    same_everywhere(document, torch.randn(2, 3, 8), tmp_path)


def test_an_index_is_data_parsed_and_checked_never_run():
    spec = spec_for("GetItem").arg("index")
    assert parse_index(":, 0") == ((None, None, None), 0)
    assert parse_index("..., None, 1:3:2, -1") == ("...", None, (1, 3, 2), -1)
    assert format_index(spec.validate([[None, None, None], 0])) == ":, 0"
    for bad in (["__import__('os')"], [[1, 2]], [(0, 1, 0)], ["...", "..."], []):
        with pytest.raises(ArgumentError):
            spec.validate(bad)
    with pytest.raises(ArgumentError):
        parse_index("x[0]")
    sizes = spec_for("Reshape").arg("shape")
    assert parse_sizes("size(1, 0), -1, 4") == ((1, 0), -1, 4)
    assert format_sizes(sizes.validate([[1, 0], -1, 4])) == "size(1, 0), -1, 4"
    for bad in ([[0]], [-2], ["a"], []):
        with pytest.raises(ArgumentError):
            sizes.validate(bad)
    expand = Node("n1", "Expand", spec_for("Expand").validate_args({"shape": [[1, 0], -1]}))
    assert input_range(expand) == (2, 2)  # the tensor, and the one a size is read from


def test_a_parameter_node_is_a_tensor_under_its_own_name(tmp_path):
    c = Composer()
    token = c.layer("Parameter", "cls_token", shape=(1, 1, 4), init="normal")
    expand = c.layer("Expand", shape=((1, 0), -1, -1))
    cat = c.layer("Concat", dim=1)
    position = c.layer("Parameter", "position", shape=(1, 4, 4), buffer=True)
    add = c.layer("Add")
    document = Document(root=Graph(nodes=[token, expand, cat, position, add], container=MODULE,
                                   edges=[Edge(token.id, expand.id, 0),
                                          Edge(INPUT, expand.id, 1), Edge(expand.id, cat.id, 0),
                                          Edge(INPUT, cat.id, 1), Edge(cat.id, add.id, 0),
                                          Edge(position.id, add.id, 1), Edge(add.id, OUTPUT)]),
                        input=InputSpec((2, 3, 4)))
    built = build_module(document)
    assert list(built.state_dict()) == ["cls_token", "position"]
    assert isinstance(built.cls_token, nn.Parameter) and "position" in dict(built.named_buffers())
    source = to_python(document)
    assert "self.cls_token = nn.Parameter(torch.randn(1, 1, 4))" in source
    assert "self.register_buffer('position', torch.zeros(1, 4, 4))" in source
    assert "self.cls_token.expand(x.size(0), -1, -1)" in source
    assert infer_shapes(document).output_shape == (2, 4, 4)
    same_everywhere(document, torch.randn(2, 3, 4), tmp_path)
    report = infer_shapes(document)
    assert report.nodes[token.id].parameters == 4 and report.parameters == 4


def test_the_live_model_shows_and_moves_a_parameter_nodes_tensor():
    c = Composer()
    linear = c.layer("Linear", "fc", in_features=4, out_features=4)
    gamma = c.layer("Parameter", "gamma", shape=(4,), init="ones", buffer=True)
    times = c.layer("Multiply")
    document = Document(root=Graph(nodes=[linear, gamma, times], container=MODULE, edges=[
        Edge(INPUT, linear.id), Edge(linear.id, times.id, 0), Edge(gamma.id, times.id, 1),
        Edge(times.id, OUTPUT)]), input=InputSpec((2, 4)))
    live = LiveModel()
    live.sync(document, infer_shapes(document))
    rows = {row.qualified: row for row in parameter_rows(live, document)}
    assert rows["gamma"].node_ids == [gamma.id] and rows["gamma"].kind == "buffer"
    tensor = live.tensor(rows["gamma"].ref)
    assert tensor is live.module.gamma
    live.move_to("meta")
    assert live.tensor(rows["gamma"].ref) is live.module.gamma
    assert live.module.gamma.device.type == "meta"


def test_modules_held_in_a_list_are_called_from_their_owner(tmp_path):
    c = Composer()
    layers = [c.layer("Linear", f"layers.{i}", in_features=4, out_features=4) for i in range(2)]
    head = c.layer("Linear", "heads.out", in_features=4, out_features=2)
    document = c.document(layers[0], layers[1], head, input_shape=(3, 4))
    built = build_module(document)
    assert isinstance(built.layers, nn.ModuleList) and isinstance(built.heads, nn.ModuleDict)
    assert list(built.state_dict())[:2] == ["layers.0.weight", "layers.0.bias"]
    source = to_python(document)
    assert "self.layers = nn.ModuleList([" in source and "x = self.layers[1](x)" in source
    assert "self.heads = nn.ModuleDict({" in source and "self.heads['out']" in source
    same_everywhere(document, torch.randn(3, 4), tmp_path)
    assert plan_document(document).names[layers[1].id] == "layers.1"


@pytest.mark.parametrize("names, words", [
    (["layers", "layers.0"], "names a node and the list"),
    (["layers.0", "layers.0.1"], "names a node and the list"),
    (["a..b"], "empty part"),
    (["0.a"], "starts with a number"),
    (["a.for"], "keyword"),
])
def test_a_path_must_name_a_place_in_a_list(names, words):
    c = Composer()
    nodes = [c.layer("Linear", name, in_features=4, out_features=4) for name in names]
    with pytest.raises(InvalidNameError, match=words):
        check_document(c.document(*nodes, input_shape=(3, 4)))


def test_only_layers_and_blocks_can_be_held():
    c = Composer()
    mean = c.layer("Mean", "stats.0", dim=1)
    with pytest.raises(InvalidNameError, match="only a layer or a block"):
        check_document(c.document(mean, input_shape=(3, 4)))


def test_the_step_through_follows_tuples_and_blocks_of_two_inputs():
    document = two_way_document()
    live = LiveModel()
    live.sync(document, infer_shapes(document))
    steps, output = step_through(live, document, torch.randn(3, 4))
    assert output.shape == (3, 8)
    block = next(s for s in steps if s.node_id == document.root.nodes[2].id)
    assert block.shape is None and "a tuple of 2" in block.note


def test_a_graph_whose_output_has_a_gap_reaches_no_output():
    document = two_way_document()
    inner = document.root.nodes[2].graph
    inner.edges = [e for e in inner.edges if not (e.dst == OUTPUT and e.port == 0)]
    assert not plan_document(document).blocks[document.root.nodes[2].id].outputs
    assert infer_shapes(document).output_shape is None
    with pytest.raises(BuildError, match="'join': no path"):
        build_module(document)


def test_ungrouping_a_block_of_two_inputs_wires_each_to_its_source():
    document = two_way_document()
    block = document.root.nodes[2]
    with pytest.raises(EditError, match="several outputs"):
        Ungroup(block.id).apply(document)
    inner = block.graph
    double = next(n for n in inner.nodes if n.type == "Scalar")
    inner.edges = [e for e in inner.edges if double.id not in (e.src, e.dst)]
    inner.nodes.remove(double)
    root = document.root
    root.nodes = [n for n in root.nodes if n.type not in ("GetItem", "Concat")]
    root.edges = [e for e in root.edges if e.dst == block.id or e.src == INPUT] + \
        [Edge(block.id, OUTPUT)]
    document = Document(root=root, input=document.input)
    x = torch.randn(3, 4)
    grouped = build_module(document)
    with torch.no_grad():
        expected = grouped(x)
    Ungroup(block.id).apply(document)
    add = next(n for n in document.root.nodes if n.type == "Add")
    assert Edge("n2", add.id, 1) in document.root.edges  # b fed the block's input 1
    flat = build_module(document)
    flat.load_state_dict({k.removeprefix("join."): v for k, v in grouped.state_dict().items()})
    with torch.no_grad():
        assert torch.equal(flat(x), expected)


def test_a_parameter_dropped_on_the_canvas_is_only_added():
    c = Composer()
    document = c.document(c.layer("Linear", in_features=4, out_features=4), input_shape=(2, 4))
    token = Node("n9", "Parameter", spec_for("Parameter").validate_args({"shape": (4,)}))
    edge = document.root.edges[0]
    drop(document, ROOT, token, (0.0, 0.0), edge).apply(document)
    assert document.has_node("n9") and edge in document.root.edges
    assert not [e for e in document.root.edges if "n9" in (e.src, e.dst)]
    empty = Document()
    drop(empty, ROOT, Node("n1", "Parameter", dict(token.args)), (0.0, 0.0)).apply(empty)
    assert empty.root.edges == [Edge("n1", OUTPUT)]
    assert infer_shapes(empty).output_shape == (4,)
