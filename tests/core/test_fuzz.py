"""Broken and hostile documents: every loader answers with a result or a typed error,
quickly, and never with another exception. `make fuzz` runs many more cases."""

import os
import time

from hypothesis import HealthCheck, given, settings

from core.errors import TorchCanvasError
from core.io.files import document_from_json, read_project
from core.runtime.shapes import infer_shapes
from tests.core.fuzz_cases import broken_graph_json, broken_project

EXAMPLES = int(os.environ.get("TORCHCANVAS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get(
    "TORCHCANVAS_FUZZ_EXAMPLES"), suppress_health_check=list(HealthCheck))


def _typed_or_valid(load):
    start = time.perf_counter()
    try:
        document = load()
    except TorchCanvasError as error:
        assert str(error) and "\n" not in str(error)
        document = None
    if document is not None:
        report = infer_shapes(document)  # a valid document must also dry-run
        assert report is not None
    assert time.perf_counter() - start < 2.0


@FUZZ
@given(text=broken_graph_json())
def test_broken_graph_json_gives_a_document_or_a_typed_error(text):
    _typed_or_valid(lambda: document_from_json(text))


@FUZZ
@given(data=broken_project())
def test_broken_projects_give_a_project_or_a_typed_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "project.tcanvas"
    path.write_bytes(data)
    _typed_or_valid(lambda: read_project(path).document)
