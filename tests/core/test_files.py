"""Save → load gives the same document and bit-identical weights; bad files raise
typed errors that name the place."""

import json
import zipfile

import pytest
import torch

from core import build_module, load_document, save_document
from core.catalog.templates import list_templates, load_template
from core.errors import (
    ArgumentError,
    CycleError,
    DanglingEdgeError,
    InvalidFormatError,
    PortError,
    SharingError,
    UnknownLayerError,
    UnsupportedVersionError,
)
from core.io.files import document_from_json, document_to_dict, read_project
from core.io.weights import WeightsError, load_weights, save_weights

TEMPLATES = [t.name for t in list_templates()]


@pytest.mark.parametrize("name", TEMPLATES)
def test_graph_json_round_trip(tmp_path, name):
    document = load_template(name)
    document.positions[document.root.nodes[0].id] = (12.5, -3.0)
    path = tmp_path / "net.json"
    save_document(document, path)
    again = load_document(path)
    assert again == document
    assert document_to_dict(again) == document_to_dict(document)


@pytest.mark.parametrize("name", TEMPLATES)
def test_project_round_trip_keeps_weights_bit_identical(tmp_path, name):
    document = load_template(name)
    net = build_module(document, seed=3)
    net(torch.rand(document.input.shape))
    path = tmp_path / "net.tcanvas"
    save_document(document, path, weights=net.state_dict())
    project = read_project(path)
    assert project.document == document
    assert list(project.weights) == list(net.state_dict())
    for key, tensor in net.state_dict().items():
        assert torch.equal(project.weights[key], tensor), key
    clone = build_module(project.document)
    clone.load_state_dict(project.weights)
    x = torch.rand(document.input.shape)
    clone.eval(), net.eval()
    with torch.no_grad():
        assert torch.equal(clone(x), net(x))


def test_tied_weights_are_stored_once_and_come_back_under_both_names(tmp_path):
    document = load_template("shared-parameters")
    net = build_module(document)
    net(torch.rand(2, 4))
    path = tmp_path / "tied.safetensors"
    save_weights(net.state_dict(), path)
    loaded = load_weights(path)
    assert torch.equal(loaded["2.weight"], loaded["4.weight"])
    assert set(loaded) == set(net.state_dict())


def test_state_dict_saved_by_torch_loads_with_weights_only(tmp_path):
    net = build_module(load_template("file-io-mlp"))
    net(torch.rand(2, 20))
    torch.save(net.state_dict(), tmp_path / "mlp.params")
    loaded = load_weights(tmp_path / "mlp.params")
    assert all(torch.equal(loaded[k], v) for k, v in net.state_dict().items())


class Dangerous:
    def __reduce__(self):
        return (open, ("/tmp/should-not-exist-torchcanvas", "w"))


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"weight": Dangerous()}, path)
    marker = "/tmp/should-not-exist-torchcanvas"
    with pytest.raises(WeightsError, match="refused"):
        load_weights(path)
    import os

    assert not os.path.exists(marker)


def test_saving_over_a_file_keeps_it_when_the_write_fails(tmp_path):
    document = load_template("mlp")
    path = tmp_path / "net.json"
    save_document(document, path)
    original = path.read_bytes()
    document.title = "changed"
    bad = load_template("mlp")
    bad.root.nodes[0].args = {"out_features": "wide"}
    with pytest.raises(ArgumentError):
        save_document(bad, path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def _mutated(mutate):
    data = json.loads(next(t for t in list_templates() if t.name == "chimera").path.read_text())
    mutate(data)
    return json.dumps(data)


CASES = {
    "unknown version": (lambda d: d.update(version=99), UnsupportedVersionError, "version"),
    "not ours": (lambda d: d.update(format="other"), InvalidFormatError, "not a TorchCanvas"),
    "unknown layer": (lambda d: d["graph"]["nodes"][1].update(type="Linearr"),
                      UnknownLayerError, "graph.nodes[1].type"),
    "dangling edge": (lambda d: d["graph"]["edges"].append({"from": "n99", "to": "output"}),
                      DanglingEdgeError, "n99"),
    "cycle": (lambda d: d["graph"]["edges"].append(
        {"from": d["graph"]["nodes"][2]["id"], "to": d["graph"]["nodes"][0]["id"]}),
        (CycleError, PortError), "the root graph"),
    "wrong argument type": (lambda d: d["graph"]["nodes"][1]["args"].update(out_features="20"),
                            ArgumentError, "graph.nodes[1].args"),
    "negative size": (lambda d: d["graph"]["nodes"][1]["args"].update(out_features=-3),
                      ArgumentError, "out_features"),
    "missing id": (lambda d: d["graph"]["nodes"][1].pop("id"), InvalidFormatError,
                   "graph.nodes[1].id"),
    "duplicate id": (lambda d: d["graph"]["nodes"][1].update(id=d["graph"]["nodes"][0]["id"]),
                     InvalidFormatError, "used twice"),
    "bad share": (lambda d: d["graph"]["nodes"][1].update(shares="n404"), SharingError, "n404"),
    "nodes not a list": (lambda d: d["graph"].update(nodes={}), InvalidFormatError,
                         "graph.nodes"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_documents_raise_typed_errors_naming_the_place(case):
    mutate, error, where = CASES[case]
    with pytest.raises(error) as raised:
        document_from_json(_mutated(mutate))
    assert where in str(raised.value)
    assert "\n" not in str(raised.value)


def test_broken_json_and_broken_zip_raise_invalid_format(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(InvalidFormatError, match="not valid JSON"):
        load_document(tmp_path / "a.json")
    good = tmp_path / "good.tcanvas"
    save_document(load_template("mlp"), good)
    (tmp_path / "cut.tcanvas").write_bytes(good.read_bytes()[:40])
    with pytest.raises(InvalidFormatError):
        load_document(tmp_path / "cut.tcanvas")
    with zipfile.ZipFile(tmp_path / "empty.tcanvas", "w") as archive:
        archive.writestr("other.txt", "hello")
    with pytest.raises(InvalidFormatError, match=r"no graph\.json"):
        load_document(tmp_path / "empty.tcanvas")
    with pytest.raises(InvalidFormatError, match="cannot read"):
        load_document(tmp_path / "missing.tcanvas")
