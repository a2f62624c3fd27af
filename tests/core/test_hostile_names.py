"""Names that Python reads differently from how they are written, names a module already
has, names the generated code uses, and titles that break a docstring: each is refused
with a typed reason, or accepted and then the exported Python compiles, runs, and
computes what the live model computes."""

from __future__ import annotations

import builtins
import json
import keyword
import unicodedata

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import fx, nn

from core import build_module
from core.document.compose import Composer
from core.document.edit import Rename, SetContainer
from core.document.graph import BLOCK, INPUT, MODULE, OUTPUT, ROOT, Document, Edge, Graph, Node
from core.document.history import History
from core.document.names import GENERATED_NAMES, MODULE_ATTRIBUTES, node_name_problem
from core.document.validate import check_document
from core.errors import BuildError, DocumentError, EditError, InvalidFormatError, InvalidNameError
from core.io import codegen
from core.io.codegen import python_for_export
from core.io.files import document_from_json, document_to_dict

WIDTH = 4

FOLDED = [  # each is read by Python as something else
    "ａ", "ｘ", "ｆｏｒｗａｒｄ", "ﬁ", "ℌ", "ᵃ", "ǅ", "Ⅻ", "ﾊ", "x²", "a₁", "e\u0301", "\u212b",
    "ℼ", "ſ", "µ",
]
# "a.b" is a path (a module held in list a; see test_graph_values) and so is a name; these
# paths are not.
NOT_NAMES = ["²", "¹²", "١٢", "１", "1a", "a b", "a..b", ".a", "a.", "0.a", "a.for", "a-b", "",
             " ", "\x00", "\ud800", "a\ud800", "①", "x\u200b"]
PLAIN = ["a", "fc1", "_x", "_", "π", "Ω", "über", "h0", "h1", "x_1", "relu", "relu_1",
         "linear", "linear_1", "Network", "Block", "shared", "layer", "0", "7", "00", "12",
         "input", "output", "sum", "max", "list", "print", "id", "type_", "forward_",
         "match", "case", "Linear", "ReLU", "CenteredLayer"]


def _module_attributes() -> set[str]:
    graph = fx.Graph()
    graph.output(graph.placeholder("x"))
    generated = fx.GraphModule(nn.Module(), graph, class_name="Network")
    return set(dir(nn.Module())) | set(dir(nn.Sequential())) | set(dir(generated))


ADVERSARIAL = sorted(
    set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
    | _module_attributes() | set(GENERATED_NAMES) | set(FOLDED) | set(NOT_NAMES)
    | set(PLAIN) | {"__x", "__x__", "__init__", "_modules", "getattr", "forward"}
)


def test_the_listed_module_attributes_cover_the_installed_torch():
    missing = {n for n in _module_attributes() if not n.startswith("__")} - MODULE_ATTRIBUTES
    assert not missing, f"add to core/document/names.py: {sorted(missing)}"


def _linears(count: int, container: str = MODULE) -> tuple[Composer, Document]:
    c = Composer()
    nodes = [c.layer("Linear", in_features=WIDTH, out_features=WIDTH) for _ in range(count)]
    return c, c.document(*nodes, input_shape=(2, WIDTH), container=container)


def _rename(document: Document, node_id: str, name: str) -> bool:
    """Rename through the command a person's edit goes through; True when accepted. A
    refusal must carry the core's typed reason."""
    try:
        History(document).push(Rename(node_id, name))
    except EditError as error:
        assert isinstance(error.__cause__, InvalidNameError) or "already named" in str(error)
        assert str(error).startswith("Rename: ") and "\n" not in str(error)
        assert len(str(error)) > len("Rename: ") + 10
        return False
    return True


def _accepted_names() -> list[str]:
    accepted = []
    for name in ADVERSARIAL:
        _, document = _linears(1)
        if name and _rename(document, document.root.nodes[0].id, name):
            accepted.append(name)
    return accepted


ACCEPTED = _accepted_names()


def _same_outputs(document: Document) -> None:
    """The exported source compiles, builds, takes the live model's weights and gives
    the live model's output."""
    source = python_for_export(document).decode("utf-8")
    namespace: dict[str, object] = {"__name__": "exported"}
    exec(compile(source, "exported.py", "exec"), namespace)
    exported = namespace["build_model"]()  # type: ignore[operator]
    live = build_module(document, seed=0)
    exported.load_state_dict(live.state_dict(), strict=True)
    sample = torch.rand(2, WIDTH, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(exported(sample), live(sample))


def test_the_reported_names_are_refused_with_a_reason():
    for name in ["forward", "getattr", "__init__", "_modules", "²", "ａ", "ｘ", "x", "self",
                 "nn", "torch", "for", "None", "training", "to", "graph", "append"]:
        _, document = _linears(1)
        history = History(document)
        with pytest.raises(EditError) as refused:
            history.push(Rename(document.root.nodes[0].id, name))
        assert isinstance(refused.value.__cause__, InvalidNameError)
        assert node_name_problem(name) in str(refused.value)
        assert document.root.nodes[0].name == ""


def test_every_fullwidth_letter_is_refused_and_the_reason_names_what_python_reads():
    for code in range(ord("ａ"), ord("ｚ") + 1):
        problem = node_name_problem(chr(code))
        assert problem is not None and repr(chr(code - ord("ａ") + ord("a"))) in problem


def test_a_file_naming_a_and_fullwidth_a_is_refused():
    """Python reads self.ａ as self.a: the live model would run a(a(x)) + x."""
    c = Composer()
    first = c.layer("Linear", "a", in_features=WIDTH, out_features=WIDTH)
    second = c.layer("Linear", "b", in_features=WIDTH, out_features=WIDTH)
    add = c.layer("Add")
    document = c.document(first, second, add, input_shape=(2, WIDTH), container=MODULE)
    document.root.edges = [Edge(INPUT, first.id), Edge(first.id, second.id),
                           Edge(second.id, add.id, 0), Edge(INPUT, add.id, 1),
                           Edge(add.id, OUTPUT)]
    data = document_to_dict(document)
    data["graph"]["nodes"][1]["name"] = "ａ"
    with pytest.raises(InvalidNameError, match="Python reads 'ａ' as 'a'"):
        document_from_json(json.dumps(data))


def test_two_nodes_of_one_graph_cannot_share_a_name():
    _, document = _linears(2)
    for node in document.root.nodes:
        node.name = "fc"
    with pytest.raises(InvalidNameError, match="two nodes are named"):
        check_document(document)


def test_accepted_names_are_what_python_reads():
    assert "a" in ACCEPTED and "0" in ACCEPTED and "π" in ACCEPTED
    for name in ACCEPTED:
        assert unicodedata.normalize("NFKC", name) == name
        assert not keyword.iskeyword(name) and not name.startswith("__")
        assert name not in MODULE_ATTRIBUTES and name not in GENERATED_NAMES
        assert name.isidentifier() or (name.isascii() and name.isdigit())
    for name in FOLDED + NOT_NAMES:
        assert name not in ACCEPTED


@pytest.mark.parametrize("container", [MODULE, "sequential"])
def test_every_accepted_name_exports_python_that_computes_what_the_live_model_does(
        container):
    _, document = _linears(len(ACCEPTED), container)
    for node, name in zip(document.root.nodes, ACCEPTED, strict=True):
        node.name = name
    check_document(document)
    _same_outputs(document)


def test_accepted_names_as_twins_and_blocks_export_python_that_runs():
    """A twin's owner names a variable of build_model and a constructor argument; a
    block's name becomes its class's name."""
    c = Composer()
    chosen = [n for n in ACCEPTED if not n.isdigit()][:60]
    nodes: list[Node] = []
    for name in chosen:
        owner = c.layer("Linear", name, in_features=WIDTH, out_features=WIDTH)
        inner = c.layer("Linear", in_features=WIDTH, out_features=WIDTH)
        nodes += [owner, c.block(c.twin(owner, name), inner, name=f"b_{name}"),
                  c.twin(owner)]
    document = c.document(*nodes, input_shape=(2, WIDTH))
    check_document(document)
    _same_outputs(document)


CLASS_NAMES = sorted(set(ADVERSARIAL) | {"Network", "Network2", "Block", "Block2", "nn",
                                          "OrderedDict", "build_model", "INPUT_SHAPE",
                                          "CenteredLayer", "MLP", "Sequential"})


def test_class_names_are_refused_or_export_python_that_runs():
    c = Composer()
    accepted, blocks = [], []
    for name in CLASS_NAMES:
        _, document = _linears(1)
        try:
            History(document).push(SetContainer(ROOT, MODULE, name))
        except EditError as error:
            assert isinstance(error.__cause__, InvalidNameError), name
            continue
        accepted.append(name)
        blocks.append(c.block(c.layer("Linear", in_features=WIDTH, out_features=WIDTH),
                              container=MODULE, class_name=name))
    for refused in ("None", "class", "nn", "torch", "print", "x", "build_model", "True",
                    "ｘ", "²"):
        assert refused not in accepted
    document = c.document(*blocks, input_shape=(2, WIDTH), container=MODULE,
                          class_name="Network")
    check_document(document)
    _same_outputs(document)


def test_a_title_never_becomes_a_class_name_python_refuses():
    for title in ["None", "class", "nn", "true", "false", "print", "x", "build model",
                  "torch", "Network", "__init__"]:
        _, document = _linears(2)
        document.title = title
        _same_outputs(document)


def test_titles_are_escaped_in_the_exported_docstring():
    for title in ["a\\N{x}", "\\N", "\x00", '"""', "'''", "\\", "a\\", "\r\n", "\u2028",
                  "x\x00y\"\"\"z\\N{", "\\u12"]:
        _, document = _linears(1)
        document.title = title
        source = python_for_export(document).decode("utf-8")
        namespace: dict[str, object] = {}
        exec(compile(source, "exported.py", "exec"), namespace)
        assert str(namespace["__doc__"]).startswith(title)


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_lone_surrogate_in_the_text_of_a_file_is_refused(field):
    _, document = _linears(1)
    data = document_to_dict(document)
    data[field] = "net \ud800"
    with pytest.raises(InvalidFormatError, match="lone surrogate"):
        document_from_json(json.dumps(data))  # escaped as \ud800: valid JSON, not text


def test_export_refuses_source_that_does_not_compile(monkeypatch):
    _, document = _linears(1)
    monkeypatch.setattr(codegen, "to_python", lambda document: "def broken(:\n")
    with pytest.raises(BuildError, match="does not compile: line 1"):
        python_for_export(document)


def test_a_number_given_to_one_node_of_a_sequential_is_not_taken_by_another():
    """Naming the first of three layers "1" used to give the second the same name; the
    Sequential then held two layers and silently dropped one."""
    _, document = _linears(3, "sequential")
    document.root.nodes[0].name = "1"
    live = build_module(document)
    assert len(list(live.children())) == 3
    _same_outputs(document)


def test_an_automatic_name_avoids_what_no_node_may_be_called():
    """A layer type or a class name whose snake case is a keyword or a module attribute
    (a block of class Forward) gets a name of its own."""
    c = Composer()
    blocks = [c.block(c.layer("Linear", in_features=WIDTH, out_features=WIDTH),
                      class_name=name) for name in ("Forward", "Training", "Eval", "Graph",
                                                     "Class", "To")]
    document = c.document(*blocks, input_shape=(2, WIDTH), container=MODULE)
    _same_outputs(document)


def test_group_and_set_container_refuse_with_the_cores_reason():
    from core.document.edit import Group

    _, document = _linears(2)
    history = History(document)
    with pytest.raises(EditError, match="Python keyword"):
        history.push(Group([document.root.nodes[0].id], document.new_id(), name="for"))
    with pytest.raises(EditError, match="hide Python's own print"):
        history.push(SetContainer(ROOT, MODULE, "print"))
    assert check_document(document) is None


TRICKY = "aａxｘ_0²1ﬁπ é\u0301"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.sampled_from(ADVERSARIAL) | st.text(TRICKY, min_size=1, max_size=3),
                      min_size=1, max_size=6))
def test_random_adversarial_names_are_refused_or_round_trip(names):
    """Rename the layers of a branching network (every node feeds an Add with the input)
    one by one; what is accepted must export Python equal to the live model."""
    c = Composer()
    layers = [c.layer("Linear", in_features=WIDTH, out_features=WIDTH) for _ in names]
    adds = [c.layer("Add") for _ in names]
    document = c.document(*[n for pair in zip(layers, adds, strict=True) for n in pair],
                          input_shape=(2, WIDTH), container=MODULE)
    edges, previous = [], INPUT
    for layer, add in zip(layers, adds, strict=True):
        edges += [Edge(previous, layer.id), Edge(layer.id, add.id, 0),
                  Edge(previous, add.id, 1)]
        previous = add.id
    document.root.edges = [*edges, Edge(previous, OUTPUT)]
    for layer, name in zip(layers, names, strict=True):
        _rename(document, layer.id, name)
    check_document(document)
    _same_outputs(document)


def test_a_block_in_a_file_with_an_invalid_inner_name_is_refused():
    document = Document(root=Graph(nodes=[Node("n1", BLOCK, graph=Graph(
        nodes=[Node("n2", "ReLU", name="ｘ")], edges=[Edge(INPUT, "n2"), Edge("n2", OUTPUT)]))],
        edges=[Edge(INPUT, "n1"), Edge("n1", OUTPUT)]))
    with pytest.raises(DocumentError, match="block n1 › node n2 'ｘ'"):
        check_document(document)


@pytest.mark.parametrize("name", ["nn", "torch", "print", "OrderedDict", "build_model"])
def test_a_layer_of_your_own_cannot_take_a_name_the_exported_python_needs(name):
    from core.catalog.custom import CustomLayerError, register

    source = f"class {name}(torch.nn.Module):\n    def forward(self, x):\n        return x\n"
    with pytest.raises(CustomLayerError, match="give your layer another name"):
        register(source)
