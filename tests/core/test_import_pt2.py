"""``.pt2`` files written by torch.export.save open as editable networks without running
any code from them: the weights are read as raw storage (pickle never), the graph with
aten operations only, and the modules rebuilt from the classes' names."""

from __future__ import annotations

import json
import resource
import sys
import zipfile

import pytest
import torch

from core import build_module
from core.errors import InvalidFormatError
from core.io.import_calls import ModuleImportError
from core.io.import_pt2 import import_pt2
from tests.core.model_zoo import ZOO
from tests.core.test_import import example_for


def saved(name: str, tmp_path):
    make, _ = ZOO[name]
    torch.manual_seed(0)
    original = make().eval()
    example = example_for(name)
    path = tmp_path / f"{name}.pt2"
    torch.export.save(torch.export.export(original, (example,)), path)
    return original, example, path


@pytest.mark.parametrize("name", ["resnet-basic", "unet-interpolate", "mobilenet-v2",
                                  "googlenet", "glu-chunk-split", "convnext", "wavenet",
                                  "lstm-classifier", "gru-classifier", "vit", "densenet-loop",
                                  "transformer-stacked", "transformer-encoder"])
def test_a_pt2_file_opens_as_the_network_it_records(name, tmp_path):
    original, example, path = saved(name, tmp_path)
    document, weights = import_pt2(path)
    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    assert sorted(built.state_dict()) == sorted(original.state_dict())
    again = ZOO[name][0]()
    again.load_state_dict(built.state_dict(), strict=True)  # back into the author's class
    with torch.no_grad():
        assert torch.allclose(built.eval()(example), original(example), atol=1e-5)
    assert document.input.shape == tuple(example.shape)


def rewrite(path, change):
    """The archive at ``path`` with ``change(name, data) -> data`` applied to each member."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            archive.writestr(info, change(info.filename, data))


def edit_program(path, edit):
    def change(name, data):
        if "/models/" in name and name.endswith(".json"):
            program = json.loads(data)
            edit(program)
            return json.dumps(program).encode()
        return data
    rewrite(path, change)


def test_class_names_in_the_file_are_only_names(tmp_path):
    _, _, path = saved("resnet-basic", tmp_path)
    edit_program(path, lambda program: [
        node["metadata"].update(nn_module_stack=node["metadata"]["nn_module_stack"].replace(
            "tests.core.model_zoo.BasicBlock", "evil_package_never_imported.Block"))
        for node in program["graph_module"]["graph"]["nodes"]])
    document, _ = import_pt2(path)
    assert "evil_package_never_imported" not in sys.modules
    assert document.root.nodes[4].graph.nodes[0].graph.class_name == "Block"


def test_a_weight_stored_with_pickle_is_refused_unread(tmp_path):
    _, _, path = saved("mlp", tmp_path)

    def change(name, data):
        if name.endswith("_weights_config.json"):
            config = json.loads(data)
            next(iter(config["config"].values()))["use_pickle"] = True
            return json.dumps(config).encode()
        return data
    rewrite(path, change)
    with pytest.raises(ModuleImportError, match="stored with pickle, which is never read"):
        import_pt2(path)


def test_operations_other_than_aten_are_refused(tmp_path):
    _, _, path = saved("mlp", tmp_path)
    edit_program(path, lambda program: program["graph_module"]["graph"]["nodes"][0].update(
        target="builtins.exec"))
    with pytest.raises(ModuleImportError, match=r"calls builtins\.exec; only aten operations"):
        import_pt2(path)


def test_a_recorded_operation_that_writes_a_file_is_refused_and_never_run(tmp_path):
    """The record is run to check the network read from it: an aten operation mapping a
    file, labelled as part of a real layer, must not get to write into it."""
    _, _, path = saved("mlp", tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious user data")

    def plant(program):
        graph = program["graph_module"]["graph"]
        stack = graph["nodes"][0]["metadata"]["nn_module_stack"]
        meta = {"dtype": 1, "sizes": [{"as_int": 18}], "requires_grad": False,
                "device": {"type": "cpu", "index": None}, "strides": [{"as_int": 1}],
                "storage_offset": {"as_int": 0}, "layout": 7}
        graph["tensor_values"].update(mapped=meta, filled=meta)
        graph["nodes"][:0] = [
            {"target": "torch.ops.aten.from_file.default", "name": "mapped",
             "inputs": [{"name": "filename", "arg": {"as_string": str(victim)}, "kind": 1},
                        {"name": "shared", "arg": {"as_bool": True}, "kind": 1},
                        {"name": "size", "arg": {"as_int": 18}, "kind": 1},
                        {"name": "dtype", "arg": {"as_scalar_type": 1}, "kind": 2}],
             "outputs": [{"as_tensor": {"name": "mapped"}}],
             "metadata": {"nn_module_stack": stack}},
            {"target": "torch.ops.aten.fill_.Scalar", "name": "filled",
             "inputs": [{"name": "self", "arg": {"as_tensor": {"name": "mapped"}}, "kind": 1},
                        {"name": "value", "arg": {"as_int": 88}, "kind": 1}],
             "outputs": [{"as_tensor": {"name": "filled"}}],
             "metadata": {"nn_module_stack": stack}}]

    edit_program(path, plant)
    with pytest.raises(ModuleImportError, match=r"from_file.*reaches outside the tensors"):
        import_pt2(path)
    assert victim.read_bytes() == b"precious user data"


def test_dynamic_shapes_are_refused_with_the_reason(tmp_path):
    _, _, path = saved("mlp", tmp_path)
    edit_program(path, lambda program: program.update(range_constraints={"s0": {}}))
    with pytest.raises(ModuleImportError, match="dynamic shapes"):
        import_pt2(path)


def test_a_layer_whose_settings_cannot_be_read_back_is_named(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.PReLU()).eval()
    path = tmp_path / "prelu.pt2"
    torch.export.save(torch.export.export(model, (torch.randn(2, 4),)), path)
    with pytest.raises(ModuleImportError, match=r"1 \(PReLU\): its settings cannot be read "
                                                r"back from a \.pt2 file yet"):
        import_pt2(path)


def test_what_is_not_a_pt2_file_is_refused(tmp_path):
    path = tmp_path / "broken.pt2"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidFormatError):
        import_pt2(path)


def plant_allocation(program, size, lie=False):
    """Put in front of the record's first layer an operation that asks for ``size``
    float32 values: ``aten.full`` with the size as its argument (its recorded shape says 1
    value when ``lie``), or a weight expanded to that size and cloned."""
    graph = program["graph_module"]["graph"]
    stack = graph["nodes"][0]["metadata"]["nn_module_stack"]

    def meta(sizes):
        return {"dtype": 7, "sizes": [{"as_int": s} for s in sizes], "requires_grad": False,
                "device": {"type": "cpu", "index": None},
                "strides": [{"as_int": 1}] * len(sizes), "storage_offset": {"as_int": 0},
                "layout": 7}
    graph["tensor_values"].update(huge=meta([1 if lie else size]))
    graph["nodes"][:0] = [
        {"target": "torch.ops.aten.full.default", "name": "huge",
         "inputs": [{"name": "size", "arg": {"as_ints": [size]}, "kind": 1},
                    {"name": "fill_value", "arg": {"as_float": 1.0}, "kind": 1},
                    {"name": "device", "arg": {"as_device": {"type": "cpu"}}, "kind": 2}],
         "outputs": [{"as_tensor": {"name": "huge"}}],
         "metadata": {"nn_module_stack": stack}}]


def plant_expanded_clone(program, size):
    graph = program["graph_module"]["graph"]
    first = graph["nodes"][0]
    stack = first["metadata"]["nn_module_stack"]
    weight = next(i["arg"]["as_tensor"]["name"] for i in first["inputs"]
                  if i["name"] == "weight")
    out, inner = (s["as_int"] for s in graph["tensor_values"][weight]["sizes"])
    rows = size // (out * inner)
    for name in ("wide", "copied"):
        graph["tensor_values"][name] = dict(graph["tensor_values"][weight])
    graph["nodes"][:0] = [
        {"target": "torch.ops.aten.expand.default", "name": "wide",
         "inputs": [{"name": "self", "arg": {"as_tensor": {"name": weight}}, "kind": 1},
                    {"name": "size", "arg": {"as_ints": [rows, -1, -1]}, "kind": 1}],
         "outputs": [{"as_tensor": {"name": "wide"}}], "metadata": {"nn_module_stack": stack}},
        {"target": "torch.ops.aten.clone.default", "name": "copied",
         "inputs": [{"name": "self", "arg": {"as_tensor": {"name": "wide"}}, "kind": 1}],
         "outputs": [{"as_tensor": {"name": "copied"}}],
         "metadata": {"nn_module_stack": stack}}]


@pytest.mark.parametrize("plant", [
    lambda program: plant_allocation(program, 2**38),
    lambda program: plant_allocation(program, 2**38, lie=True),
    lambda program: plant_expanded_clone(program, 2**38)],
    ids=["full", "full-recorded-as-one-value", "expand-clone"])
def test_a_record_asking_for_a_terabyte_is_refused_before_anything_is_allocated(plant,
                                                                                tmp_path):
    """The record is run to check the network read from it: its tiny weights do not make
    its run small. The sizes come from the operations themselves, worked out on meta."""
    _, _, path = saved("mlp", tmp_path)
    edit_program(path, plant)
    with pytest.raises(ModuleImportError, match=r"running the recorded program to check it "
                                                r"needs 1,024\.\d GiB .* nothing was allocated"):
        import_pt2(path)


def test_a_record_whose_check_would_take_gigabytes_is_checked_by_shapes_only(tmp_path):
    original, example, path = saved("mlp", tmp_path)
    edit_program(path, lambda program: plant_allocation(program, 2**29))  # 2 GiB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    document, weights = import_pt2(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10 < peak + (1 << 30)
    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    with torch.no_grad():
        assert torch.allclose(built.eval()(example), original(example), atol=1e-5)


def test_the_sizing_run_keeps_every_operation_on_meta_and_counts_new_results_only():
    from core.io.import_pt2 import _Allocations

    cpu = torch.device("cpu")
    with _Allocations() as counted:
        made = torch.ops.aten.full.default([4, 4], 1.0, device=cpu)  # keyword device
        moved = torch.ops.aten.to.device(made, cpu, torch.float64)  # positional device
        view = torch.ops.aten.expand.default(moved, [1000, 4, 4])  # shares moved's memory
    assert {made.device.type, moved.device.type, view.device.type} == {"meta"}
    assert counted.total == 16 * 4 + 16 * 8


def test_a_check_that_fails_only_when_run_for_values_is_refused_with_the_reason(
        tmp_path, monkeypatch):
    """An operation's own scratch memory (a convolution's columns, a sort's buffers) is
    not among the results sized on meta: a run on the cpu that fails is the file's fault,
    said as such, never an error of the program's."""
    _, _, path = saved("mlp", tmp_path)
    linear = torch.nn.Linear.forward

    def out_of_memory_on_the_cpu(self, x):
        if x.device.type == "cpu":
            raise RuntimeError("DefaultCPUAllocator: not enough memory")
        return linear(self, x)

    monkeypatch.setattr(torch.nn.Linear, "forward", out_of_memory_on_the_cpu)
    with pytest.raises(ModuleImportError, match=r"fails when run to check it.*not enough"):
        import_pt2(path)
