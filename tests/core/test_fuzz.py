"""Broken and hostile documents: every loader answers with a result or a typed error,
quickly, and never with another exception. `make fuzz` runs many more cases."""

import os
import threading
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings

from core.errors import TorchCanvasError
from core.io.files import document_from_json, read_project
from core.io.weights import load_tensor_file, load_weights
from core.runtime.shapes import infer_shapes
from tests.core.fuzz_cases import (
    broken_graph_json,
    broken_project,
    broken_weights_file,
    nested_json,
)

EXAMPLES = int(os.environ.get("TORCHCANVAS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get(
    "TORCHCANVAS_FUZZ_EXAMPLES"), suppress_health_check=list(HealthCheck))


def _typed_or_valid(load, check=None):
    # Processor time, so that other work on a shared machine does not count.
    start = time.process_time()
    try:
        result = load()
    except TorchCanvasError as error:
        assert str(error) and "\n" not in str(error)
        result = None
    if result is not None and check is not None:
        check(result)
    assert time.process_time() - start < 2.0


def _dry_runs(document):
    assert infer_shapes(document) is not None  # a valid document must also dry-run


def _named_tensors(state):
    assert all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())


@FUZZ
@given(text=broken_graph_json())
def test_broken_graph_json_gives_a_document_or_a_typed_error(text):
    _typed_or_valid(lambda: document_from_json(text), _dry_runs)


@FUZZ
@given(text=nested_json())
def test_deeply_nested_json_gives_a_document_or_a_typed_error(text):
    _typed_or_valid(lambda: document_from_json(text), _dry_runs)


@FUZZ
@given(data=broken_project())
def test_broken_projects_give_a_project_or_a_typed_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "project.tcanvas"
    path.write_bytes(data)
    _typed_or_valid(lambda: read_project(path).document, _dry_runs)


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch on odd pickle protocols
@FUZZ
@given(data=broken_weights_file())
def test_broken_weight_files_give_tensors_or_a_typed_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "weights.pt"
    path.write_bytes(data)
    _typed_or_valid(lambda: load_weights(path), _named_tensors)
    _typed_or_valid(lambda: load_tensor_file(path), _named_tensors)


def _special(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        return path
    if kind == "folder":
        return tmp_path
    return "/dev/zero"


@pytest.mark.parametrize("kind", [
    pytest.param("fifo", marks=pytest.mark.skipif(not hasattr(os, "mkfifo"),
                                                  reason="no named pipes")),
    pytest.param("zero", marks=pytest.mark.skipif(not os.path.exists("/dev/zero"),
                                                  reason="no /dev/zero")),
    "folder",
])
@pytest.mark.parametrize("load", [read_project, load_weights, load_tensor_file],
                         ids=lambda f: f.__name__)
def test_special_files_give_a_typed_error_at_once(tmp_path, kind, load):
    path = _special(tmp_path, kind)
    errors = []

    def attempt():
        try:
            load(path)
        except TorchCanvasError as error:
            errors.append(error)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(2.0)
    assert not worker.is_alive(), f"{load.__name__} still reading {kind} after 2 s"
    assert errors and "\n" not in str(errors[0])
