"""Hostile files (issue 15): every loader answers any file with a result or one typed,
one-line error, quickly and within memory — bombs, lying headers, broken archives and
pickles, special files — and tells formats apart by their content."""

import io
import os
import random
import threading
import zipfile

import pytest
import torch

from core.catalog.templates import load_template
from core.errors import InvalidFormatError, TorchCanvasError
from core.io.files import load_document, read_project, save_document
from core.io.safetensors_io import MAX_TENSORS
from core.io.untrusted import RefusedFileError, nesting
from core.io.weights import (
    WeightsError,
    load_tensor_file,
    load_weights,
    safetensors_bytes,
    save_weights,
)
from tests.core import hostile_cases as hostile

PROJECT_LOADERS = [read_project, load_document]
WEIGHT_LOADERS = [load_weights, load_tensor_file]


def _typed(load, path, error=TorchCanvasError):
    with pytest.raises(error) as raised:
        load(path)
    message = str(raised.value)
    assert message and "\n" not in message
    return message


# Class 2: tiny files that would take gigabytes ----------------------------------------


def test_a_bzip2_graph_bomb_is_refused_by_its_method(tmp_path):
    path = tmp_path / "bomb.tcanvas"
    path.write_bytes(hostile.bzip2_graph_bomb())
    assert "bzip2" in _typed(read_project, path, RefusedFileError)


def test_a_deflated_weights_bomb_is_refused_by_the_size_it_declares(tmp_path):
    path = tmp_path / "bomb.tcanvas"
    path.write_bytes(hostile.deflated_weights_bomb())
    assert "declares 2,298,478,592 bytes" in _typed(read_project, path, RefusedFileError)


@pytest.mark.parametrize("megabytes", [129, 300, 1000])
def test_deflated_weights_past_the_budget_are_refused_unread(tmp_path, megabytes):
    path = tmp_path / "bomb.tcanvas"
    path.write_bytes(hostile.deflated_weights_bomb(megabytes))
    assert "allowed" in _typed(read_project, path, RefusedFileError)


def test_a_member_that_expands_past_its_declared_size_stops_there(tmp_path):
    unit = bytes(1 << 20)
    lying = hostile.Member("weights.safetensors", hostile.deflated_repeats(unit, 64),
                           hostile.DEFLATED, 1 << 20, 0)
    path = tmp_path / "lie.tcanvas"
    path.write_bytes(hostile.zip_bytes([hostile.Member("graph.json", hostile.GRAPH), lying]))
    assert "expands past" in _typed(read_project, path, RefusedFileError)


@pytest.mark.parametrize("unit", [b"{},", b"[],", b"1.5,", b'"ab",', b"[[[]]],"])
def test_a_deflated_graph_of_millions_of_values_is_refused_before_parsing(tmp_path, unit):
    text = b"[" + unit * 3_000_000 + b"0]"
    path = tmp_path / "wide.tcanvas"
    path.write_bytes(hostile.project(text))
    assert "more than 2,000,000 values" in _typed(read_project, path, InvalidFormatError)


def test_the_twenty_million_dicts_example_is_refused(tmp_path):
    path = tmp_path / "dicts.tcanvas"
    path.write_bytes(hostile.deflated_dicts_graph())
    assert "values" in _typed(read_project, path, InvalidFormatError)


@pytest.mark.parametrize("opener, closer", [(b"[", b"]"), (b'{"a":', b"}"),
                                            (b'{"graph":[', b"]}")])
@pytest.mark.parametrize("depth", [200, 5_000, 500_000])
def test_deeply_nested_json_is_refused_before_parsing(tmp_path, opener, closer, depth):
    path = tmp_path / "deep.json"
    path.write_bytes(opener * depth + b"0" + closer * depth)
    assert "nests more than" in _typed(read_project, path, InvalidFormatError)


def test_nesting_counts_brackets_outside_strings_only():
    assert nesting(b'{"a": [1, {"b": "[[[{{{"}], "c": "\\"[[[\\\\"}') == 3
    assert nesting(b'["\\\\", [["\\\\\\"]]]"]]]') == 3
    assert nesting(b"") == nesting(b'"[[["') == 0


def test_every_template_nests_and_counts_well_within_the_limits():
    from core.io.files import MAX_JSON_DEPTH, document_to_json

    for name in ("chimera", "nest-mlp", "small-cnn"):
        text = document_to_json(load_template(name)).encode()
        assert nesting(text) < MAX_JSON_DEPTH // 4


def test_tensors_on_one_misaligned_range_are_refused_before_any_copy(tmp_path):
    path = tmp_path / "alias.safetensors"
    path.write_bytes(hostile.misaligned_aliases())
    assert "overlap" in _typed(load_weights, path, WeightsError)


def test_more_tensors_than_the_cap_are_refused_and_the_cap_itself_loads(tmp_path):
    path = tmp_path / "many.safetensors"
    path.write_bytes(hostile.empty_tensors(1_200_000))
    _typed(load_weights, path, WeightsError)
    path.write_bytes(hostile.empty_tensors(MAX_TENSORS + 1))
    assert f"more than {MAX_TENSORS:,}" in _typed(load_weights, path, WeightsError)
    path.write_bytes(hostile.empty_tensors(MAX_TENSORS))
    assert len(load_weights(path)) == MAX_TENSORS


def test_a_project_zipped_again_with_deflate_still_opens(tmp_path):
    """`zip -r` deflates every member: a real project stays readable that way."""
    document = load_template("mlp")
    weights = {"hidden.weight": torch.randn(256, 20), "hidden.bias": torch.zeros(256),
               "out.weight": torch.randn(10, 256), "out.bias": torch.zeros(10)}
    path = tmp_path / "net.tcanvas"
    save_document(document, path, weights=weights)
    again = tmp_path / "again.tcanvas"
    with zipfile.ZipFile(path) as source, \
            zipfile.ZipFile(again, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
    project = read_project(again)
    assert project.document == document
    assert all(torch.equal(project.weights[k], v) for k, v in weights.items())


# Class 5: one typed error, whatever the bytes ------------------------------------------


@pytest.mark.parametrize("case", sorted(hostile.odd_members()))
def test_zip_members_zipfile_cannot_read_give_one_typed_error(tmp_path, case):
    path = tmp_path / "odd.tcanvas"
    path.write_bytes(hostile.odd_members()[case])
    _typed(read_project, path, InvalidFormatError)


@pytest.mark.parametrize("case", sorted(hostile.odd_safetensors()))
def test_safetensors_headers_that_broke_the_reader_give_one_typed_error(tmp_path, case):
    path = tmp_path / "odd.safetensors"
    path.write_bytes(hostile.odd_safetensors()[case])
    for load in WEIGHT_LOADERS:
        if case.startswith("integer in the order"):  # the order is a hint: ignored
            assert list(load(path)) == ["w"]
        else:
            _typed(load, path, WeightsError)


def _deflated_project() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("graph.json", hostile.GRAPH)
        archive.writestr("weights.safetensors",
                         safetensors_bytes({"hidden.weight": torch.randn(256, 20)}))
    return buffer.getvalue()


def test_flipping_header_bytes_of_a_deflated_project_gives_typed_errors(tmp_path):
    """The issue's example: 1–3 bytes flipped in the headers of a deflated project made
    ~40% of the mutants escape with zipfile's and zlib's own exceptions."""
    data = _deflated_project()
    spans = hostile.header_spans(data)
    rng = random.Random(15)
    path = tmp_path / "flipped.tcanvas"
    for _ in range(300):
        path.write_bytes(hostile.flipped(data, rng, rng.randint(1, 3), rng.choice(spans)))
        try:
            read_project(path)
        except InvalidFormatError as error:
            assert "\n" not in str(error)


def _saved(state, legacy=False) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_files_with_flipped_bytes_give_typed_errors(tmp_path, legacy):
    """torch.load(weights_only=True) meets broken bytes with AssertionError, KeyError,
    IndexError, TypeError…; the loaders answer each with a WeightsError."""
    weight = torch.randn(3, 4)
    data = _saved({"a.weight": weight, "a.bias": torch.zeros(3), "tied": weight,
                   "n": torch.tensor(5)}, legacy)
    rng = random.Random(9)
    path = tmp_path / "flipped.pt"
    for _ in range(150):
        mutant = hostile.flipped(data, rng, rng.randint(1, 3))
        if rng.random() < 0.1:
            mutant = mutant[:rng.randrange(len(mutant))]
        path.write_bytes(mutant)
        for load in WEIGHT_LOADERS:
            try:
                load(path)
            except WeightsError as error:
                assert "\n" not in str(error)


def test_a_torch_file_with_a_deflated_member_is_refused_before_torch_reads_it(tmp_path):
    data = _saved({"w": torch.zeros(1000)})
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in members:
            target.writestr(info.filename, content)
    path = tmp_path / "deflated.pt"
    path.write_bytes(buffer.getvalue())
    assert "compressed" in _typed(load_weights, path, WeightsError)


def test_torch_records_sharing_one_stretch_of_the_file_are_refused(tmp_path):
    """1,000 directory entries on the same 1 MB: torch would read 1 GB from 1.2 MB."""
    path = tmp_path / "shared.pt"
    path.write_bytes(hostile.shared_record_torch_file())
    assert "more than the file's" in _typed(load_weights, path, WeightsError)


def test_a_pickled_view_larger_than_the_file_is_refused(tmp_path):
    path = tmp_path / "wide.pt"
    torch.save({"w": torch.zeros(1).expand(1 << 40)}, path)
    assert "more than" in _typed(load_weights, path, WeightsError)


def _special_files(tmp_path):
    fifo = tmp_path / "pipe.tcanvas"
    os.mkfifo(fifo)
    link = tmp_path / "link.safetensors"
    link.symlink_to(fifo)
    folder = tmp_path / "folder.pt"
    folder.mkdir()
    files = [fifo, link, folder]
    if os.path.exists("/dev/zero"):
        files.append("/dev/zero")
    return files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("load", PROJECT_LOADERS + WEIGHT_LOADERS,
                         ids=lambda f: f.__name__)
def test_pipes_devices_and_folders_are_refused_without_opening_them(tmp_path, load):
    for path in _special_files(tmp_path):
        outcome = []

        def attempt(path=path, outcome=outcome):
            try:
                load(path)
            except TorchCanvasError as error:
                outcome.append(error)

        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(5)
        assert not worker.is_alive(), f"{load.__name__} hangs on {path}"
        assert outcome and "\n" not in str(outcome[0]), path
        assert "not a file" in str(outcome[0])


# Class 9: formats told apart by their content ------------------------------------------


def _state_with_header_byte(low: int) -> dict[str, torch.Tensor]:
    """Tied weights whose safetensors header length ends in the byte ``low``."""
    weight = torch.randn(4, 3)
    for pad in range(400):
        state = {"encoder.weight": weight, "decoder.weight": weight,
                 "k" + "x" * pad: torch.ones(2)}
        if safetensors_bytes(state)[0] == low:
            return state
    raise AssertionError(low)


@pytest.mark.parametrize("low", range(0, 256, 8))
def test_every_header_length_is_read_as_safetensors_with_ties_kept(tmp_path, low):
    """One TorchCanvas file in 32 starts with 0x80, the byte that starts a pickle."""
    state = _state_with_header_byte(low)
    path = tmp_path / "tied.safetensors"
    save_weights(state, path)
    assert path.read_bytes()[0] == low
    loaded = load_weights(path)
    assert list(loaded) == list(state)
    assert loaded["encoder.weight"] is loaded["decoder.weight"]
    assert torch.equal(loaded["encoder.weight"], state["encoder.weight"])


def test_the_content_not_the_suffix_picks_the_format(tmp_path):
    state = {"w": torch.randn(3)}
    (tmp_path / "looks-like-pickle.pt").write_bytes(safetensors_bytes(state))
    torch.save(state, tmp_path / "looks-like-safetensors.safetensors")
    for name in ("looks-like-pickle.pt", "looks-like-safetensors.safetensors"):
        assert torch.equal(load_weights(tmp_path / name)["w"], state["w"])
    (tmp_path / "text.pt").write_text("hello, I am not weights")
    assert "neither" in _typed(load_weights, tmp_path / "text.pt", WeightsError)
    (tmp_path / "empty.safetensors").write_bytes(b"")
    _typed(load_weights, tmp_path / "empty.safetensors", WeightsError)
