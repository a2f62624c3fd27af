"""Projects, weights and tensor files in and out; devices; clone and verify."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import pytest
import torch

from core.catalog.templates import list_templates, load_template
from core.document.history import History
from core.errors import EditError, InvalidFormatError
from core.io.export import onnx_available, ready_model
from core.io.files import read_project, save_document
from core.io.weights import (
    WeightsError,
    load_tensor_file,
    load_weights,
    match_state,
    read_safetensors_bytes,
    savable_state,
)
from core.runtime.devices import SetDevice, available_devices, check_device, try_gpu
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes
from core.runtime.tensors import LoadWeights
from core.runtime.verify import clone_and_verify
from core.workspace import Workspace
from tests.chapter import REFERENCES

TEMPLATES = [t.name for t in list_templates()]
BUFFER = "rand_weight.weight"


def live_for(document):
    live = LiveModel()
    live.sync(document)
    live.materialize(document, infer_shapes(document))
    return live


@pytest.mark.parametrize("name", TEMPLATES)
def test_state_dicts_saved_by_the_chapters_code_load_into_templates_and_back(tmp_path, name):
    factory, shape = REFERENCES[name]
    theirs = factory()
    x = torch.rand(shape)
    theirs(x)
    torch.save(theirs.state_dict(), tmp_path / "chapter.params")
    document = load_template(name)
    live = live_for(document)
    incoming = load_weights(tmp_path / "chapter.params")
    match = match_state(live.module.state_dict(), incoming)
    assert [k for k in match.missing if not k.endswith(BUFFER)] == []
    assert not match.unexpected and not match.mismatched
    History(document).push(LoadWeights(live, incoming, match.fitting))
    for key, tensor in theirs.state_dict().items():
        assert torch.equal(live.module.state_dict()[key], tensor)
    torch.save({k: v for k, v in live.module.state_dict().items() if not k.endswith(BUFFER)},
               tmp_path / "ours.pt")
    again = factory()
    again(x)
    again.load_state_dict(torch.load(tmp_path / "ours.pt", weights_only=True), strict=True)


def test_a_partial_match_names_what_differs():
    document = load_template("mlp")
    live = live_for(document)
    other = {"hidden.weight": torch.zeros(256, 20), "out.weight": torch.zeros(3, 256),
             "extra": torch.zeros(1)}
    match = match_state(live.module.state_dict(), other)
    assert match.fitting == ["hidden.weight"]
    assert match.missing == ["hidden.bias", "out.bias"]
    assert match.unexpected == ["extra"]
    assert match.mismatched == [("out.weight", (10, 256), (3, 256))]
    assert "Different shapes (1): out.weight [10, 256] in the model, [3, 256] in the file" \
        in match.describe()


@pytest.mark.parametrize("name", TEMPLATES)
def test_saving_closing_reopening_gives_the_same_graph_and_bit_identical_weights(tmp_path,
                                                                               name):
    document = load_template(name)
    live = live_for(document)
    path = tmp_path / f"{name}.tcanvas"
    save_document(document, path, weights=savable_state(live.module))
    workspace = Workspace()
    assert workspace.replace(read_project(path).document, path, read_project(path).weights) \
        == []
    opened = workspace.document
    assert (opened.root, opened.input, opened.title) == (document.root, document.input,
                                                         document.title)
    for key, tensor in live.module.state_dict().items():
        assert torch.equal(workspace.live.module.state_dict()[key], tensor), key


def test_the_chapters_tensor_files_open(tmp_path):
    x, y = torch.arange(4), torch.zeros(4)
    torch.save(x, tmp_path / "x-file")
    torch.save([x, y], tmp_path / "x-files")
    torch.save({"x": x, "y": y}, tmp_path / "mydict")
    assert torch.equal(load_tensor_file(tmp_path / "x-file")["tensor"], x)
    assert list(load_tensor_file(tmp_path / "x-files")) == ["0", "1"]
    assert set(load_tensor_file(tmp_path / "mydict")) == {"x", "y"}
    torch.save({"x": 3}, tmp_path / "not-tensors")
    with pytest.raises(WeightsError, match="not tensors"):
        load_tensor_file(tmp_path / "not-tensors")


class CreatesAFile:
    def __reduce__(self):
        return (open, (str(MARKER), "w"))


MARKER = __import__("pathlib").Path("/tmp/torchcanvas-should-not-exist")


def test_a_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    MARKER.unlink(missing_ok=True)
    torch.save({"weight": CreatesAFile()}, tmp_path / "evil.pt")
    torch.save(CreatesAFile(), tmp_path / "evil-tensor.pt")
    for loader in (load_weights, load_tensor_file):
        for name in ("evil.pt", "evil-tensor.pt"):
            with pytest.raises(WeightsError, match="refused"):
                loader(tmp_path / name)
    assert not MARKER.exists()


def test_garbage_files_give_typed_errors(tmp_path):
    with pytest.raises(WeightsError):
        read_safetensors_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage")
    (tmp_path / "bad.safetensors").write_bytes(os.urandom(200))
    with pytest.raises(WeightsError):
        load_weights(tmp_path / "bad.safetensors")
    good = tmp_path / "good.tcanvas"
    document = load_template("mlp")
    save_document(document, good, weights=savable_state(live_for(document).module))
    data = good.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        (tmp_path / "cut.tcanvas").write_bytes(data[:cut])
        with pytest.raises(InvalidFormatError):
            read_project(tmp_path / "cut.tcanvas")
    with zipfile.ZipFile(tmp_path / "odd.tcanvas", "w") as archive:
        archive.writestr("graph.json", (load_template("mlp") and "{}"))
        archive.writestr("weights.safetensors", b"nonsense")
    with pytest.raises(InvalidFormatError):
        read_project(tmp_path / "odd.tcanvas")


def _versions():
    documents, weights = [], []
    for title, value in (("A", 1.0), ("B", 2.0)):
        document = load_template("mlp")
        document.title = title
        documents.append(document)
        weights.append({"hidden.weight": torch.full((256, 20), value),
                        "hidden.bias": torch.full((256,), value),
                        "out.weight": torch.full((10, 256), value),
                        "out.bias": torch.full((10,), value)})
    return documents, weights


def _save_forever(path, ready) -> None:
    documents, weights = _versions()
    ready.set()
    turn = 0
    while True:
        save_document(documents[turn % 2], path, weights=weights[turn % 2])
        turn += 1


def test_a_save_killed_at_any_moment_leaves_a_loadable_file(tmp_path):
    import multiprocessing

    path = tmp_path / "net.tcanvas"
    documents, weights = _versions()
    save_document(documents[0], path, weights=weights[0])
    # A fork server with torch already imported makes each of the 50 savers start fast.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "core.io.files", "core.catalog.templates"])
    rng = random.Random(4)
    for _ in range(50):
        ready = context.Event()
        saver = context.Process(target=_save_forever, args=(path, ready), daemon=True)
        saver.start()
        assert ready.wait(60)
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(saver.pid, signal.SIGKILL)
        saver.join()
        project = read_project(path)
        value = {"A": 1.0, "B": 2.0}[project.document.title]
        assert all(torch.all(t == value) for t in project.weights.values())
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["net.tcanvas"]
    leftovers = list(tmp_path.glob(".net.tcanvas.*.tmp"))
    for leftover in leftovers:  # what the killed savers left, made old
        os.utime(leftover, (time.time() - 600, time.time() - 600))
    save_document(documents[0], path, weights=weights[0])
    assert list(tmp_path.glob(".net.tcanvas.*.tmp")) == []


@pytest.mark.parametrize("name", TEMPLATES)
def test_clone_and_verify_gives_equal_outputs(name):
    document = load_template(name)
    result = clone_and_verify(live_for(document), document)
    assert result.equal, result.describe()
    assert "Y_clone == Y" in result.describe()


def test_an_absent_device_is_refused_and_the_model_stays():
    document = load_template("fixed-hidden-mlp")
    live = live_for(document)
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    absent = f"cuda:{count}"
    with pytest.raises(EditError, match="not"):
        History(document).push(SetDevice(live, absent))
    assert live.device.type == "cpu" and document.device == "cpu"
    assert try_gpu(count) == ("mps" if "mps" in {d.name for d in available_devices()}
                              else "cpu")
    with pytest.raises(Exception, match="not a device"):
        check_device("gpu-please")


def test_opening_a_project_for_a_missing_device_falls_back_to_cpu(tmp_path):
    document = load_template("mlp")
    document.device = "cuda:7"
    path = tmp_path / "gpu.tcanvas"
    save_document(document, path)
    workspace = Workspace()
    project = read_project(path)
    notes = workspace.replace(project.document, path, project.weights)
    assert workspace.document.device == "cpu" and "cuda:7" in notes[0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_moving_to_cuda_and_back_moves_parameters_and_buffers():
    from core.runtime.tensors import histogram

    document = load_template("fixed-hidden-mlp")
    live = live_for(document)
    history = History(document)
    history.push(SetDevice(live, "cuda:0"))
    assert {p.device.type for p in live.module.parameters()} == {"cuda"}
    assert live.module.rand_weight.weight.device.type == "cuda"
    assert histogram(live.module.linear.weight).total == 400
    history.undo()
    assert {p.device.type for p in live.module.parameters()} == {"cpu"}


@pytest.mark.skipif(not onnx_available(), reason="onnx is not installed (an optional extra)")
def test_onnx_export_passes_the_checker(tmp_path):
    import onnx

    from core.io.export import export_onnx

    document = load_template("nest-mlp")
    export_onnx(ready_model(document), document, tmp_path / "net.onnx")
    onnx.checker.check_model(onnx.load(str(tmp_path / "net.onnx")))


def test_weights_we_write_load_with_the_safetensors_library(tmp_path):
    from safetensors.torch import load_file

    from core.io.weights import save_weights

    state = {"a": torch.randn(3, 4), "b": torch.arange(5), "c": torch.ones(2, dtype=torch.bool),
             "d": torch.randn(2, 2).to(torch.bfloat16)}
    save_weights(state, tmp_path / "w.safetensors")
    loaded = load_file(str(tmp_path / "w.safetensors"))
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    assert list(load_weights(tmp_path / "w.safetensors")) == ["a", "b", "c", "d"]


def test_a_declared_size_larger_than_the_file_is_refused_before_allocating():
    import json as json_module

    header = json_module.dumps({"w": {"dtype": "F32", "shape": [1 << 30, 1 << 10],
                                      "data_offsets": [0, 1 << 42]}}).encode()
    data = len(header).to_bytes(8, "little") + header + b"\0" * 16
    with pytest.raises(WeightsError, match="declares"):
        read_safetensors_bytes(data)


LOADER = textwrap.dedent("""
    import json, sys, torch

    class HideTorchCanvas:  # the editable install would make TorchCanvas importable
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("core", "widgets", "app"):
                raise ImportError(name)
            return None

    sys.meta_path.insert(0, HideTorchCanvas())
    results = {}
    for name in json.loads(open("names.json").read()):
        namespace = {"__name__": "generated"}
        exec(compile(open(name + ".py").read(), name + ".py", "exec"), namespace)
        model = namespace["load_weights"](namespace["build_model"](), name + ".safetensors")
        model.eval()
        with torch.no_grad():
            y = model(torch.load(name + ".x.pt", weights_only=True))
        results[name] = bool(torch.equal(y, torch.load(name + ".y.pt", weights_only=True)))
    print(json.dumps(results))
""")


def test_exported_python_with_exported_weights_reproduces_the_outputs(tmp_path):
    import json

    from core.io.codegen import to_python
    from core.io.export import export_weights
    from core.runtime.tensors import sample_input

    for name in TEMPLATES:
        document = load_template(name)
        model = ready_model(document).eval()
        x = sample_input(document, torch.device("cpu"), 3)
        with torch.no_grad():
            y = model(x)
        (tmp_path / f"{name}.py").write_text(to_python(document))
        export_weights(model, tmp_path / f"{name}.safetensors")
        torch.save(x, tmp_path / f"{name}.x.pt")
        torch.save(y, tmp_path / f"{name}.y.pt")
    (tmp_path / "names.json").write_text(json.dumps(TEMPLATES))
    run = subprocess.run([sys.executable, "-I", "-c", LOADER], cwd=tmp_path,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {n: True for n in TEMPLATES}
