"""The bombs of issue 15, each loaded in a process of its own and measured: every loader
answers within 2 s of processor time and raises its peak memory by no more than 100 times
the file's size or 1 GB, whichever is larger. Before the fix these took 2.5–22 s and
1–4.4 GB."""

import pytest

from core.io.safetensors_io import MAX_TENSORS
from tests.core import hostile_cases as hostile
from tests.core.peak import measure

SECONDS = 2.0
PROJECT = "core.io.files:read_project"
WEIGHTS = "core.io.weights:load_weights"

CASES = {
    # the examples as the issue gives them
    "bzip2 graph.json, 1.6 KB to 2.3 GB": (PROJECT, hostile.bzip2_graph_bomb),
    "deflated weights, 2.3 MB to 2.3 GB": (PROJECT, hostile.deflated_weights_bomb),
    "deflated graph.json of 20 M empty objects": (PROJECT, hostile.deflated_dicts_graph),
    "300 float32 tensors on one odd 8 MB range": (WEIGHTS, hostile.misaligned_aliases),
    "1.2 M empty tensors": (WEIGHTS, hostile.empty_tensors),
    "1,000 torch records on one 1 MB stretch": (WEIGHTS, hostile.shared_record_torch_file),
    # the most each limit lets through
    "deflated weights at the expansion floor": (
        PROJECT, lambda: hostile.deflated_weights_bomb(128)),
    "graph.json at the value cap": (
        PROJECT, lambda: hostile.project(b"[" + b"1.5," * 1_999_000 + b"0]")),
    "empty tensors at the tensor cap": (WEIGHTS, lambda: hostile.empty_tensors(MAX_TENSORS)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bomb_is_answered_quickly_within_memory(tmp_path, case):
    loader, build = CASES[case]
    path = tmp_path / ("bomb.safetensors" if loader == WEIGHTS else "bomb.tcanvas")
    path.write_bytes(build())
    allowed = max(100 * path.stat().st_size, 1 << 30)
    measured = measure(loader, path, seconds=10 * SECONDS, memory=allowed)
    assert not measured.outcome.startswith(("UNTYPED", "killed")), measured.outcome
    # Processor time: other work on a shared machine stretches the wall clock only.
    assert measured.cpu_seconds < SECONDS, (case, measured)
    assert measured.peak_bytes < allowed, (case, measured)
