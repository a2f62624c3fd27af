"""Projects open by mapping their weights: the scripting face's read_project, what the
mapping gives (the saved values, nothing copied, the file never written through it),
saving over a mapped file, and the checksum checked now or on a thread."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
import torch

from core.document.compose import Composer
from core.errors import InvalidFormatError
from core.io.files import GRAPH_MEMBER, WEIGHTS_MEMBER, document_to_json, save_document
from core.io.weights import safetensors_bytes


def _document():
    c = Composer()
    return c.document(c.layer("Linear", in_features=64, out_features=32), c.layer("ReLU"),
                      c.layer("Linear", in_features=32, out_features=4),
                      input_shape=(2, 64))


def _saved(path: Path, shift: float = 0.0) -> dict[str, torch.Tensor]:
    from core import build_module

    torch.manual_seed(0)
    state = {k: v + shift for k, v in build_module(_document()).state_dict().items()}
    save_document(_document(), path, weights=state)
    return state


def _equal(first: dict, second: dict) -> bool:
    return list(first) == list(second) and all(torch.equal(first[k], second[k])
                                               for k in first)


def test_read_project_on_the_scripting_face_gives_the_document_and_its_weights(tmp_path):
    from core import build_module, read_project

    path = tmp_path / "net.tcanvas"
    state = _saved(path)
    project = read_project(path)
    assert document_to_json(project.document) == document_to_json(_document())
    assert _equal(project.weights, state)
    net = build_module(project.document)
    net.load_state_dict(project.weights)
    x = torch.randn(2, 64)
    reference = build_module(_document())
    reference.load_state_dict(state)
    assert torch.equal(net(x), reference(x))
    save_document(_document(), tmp_path / "graph.json")
    assert read_project(tmp_path / "graph.json").weights is None


def test_the_weights_member_is_aligned_and_any_unzip_reads_it(tmp_path):
    path = tmp_path / "net.tcanvas"
    _saved(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        info = archive.getinfo(WEIGHTS_MEMBER)
        assert info.compress_type == zipfile.ZIP_STORED
        assert archive.getinfo(GRAPH_MEMBER).compress_type == zipfile.ZIP_DEFLATED
    data = path.read_bytes()
    name_length, extra_length = (int.from_bytes(data[info.header_offset + at:
                                                     info.header_offset + at + 2], "little")
                                 for at in (26, 28))
    start = info.header_offset + 30 + name_length + extra_length
    assert start % 64 == 0
    with zipfile.ZipFile(path) as archive:
        assert archive.read(WEIGHTS_MEMBER) == data[start:start + info.file_size]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_the_weights_lie_in_the_mapped_file_and_writing_them_never_reaches_it(tmp_path):
    from core import read_project

    path = tmp_path / "mapped.tcanvas"
    state = _saved(path)
    before = path.read_bytes()
    project = read_project(path)
    assert str(path) in Path("/proc/self/maps").read_text()
    weight = next(iter(project.weights.values()))
    weight.add_(1.0)
    assert path.read_bytes() == before
    assert _equal(read_project(path).weights, state)


def test_saving_over_a_mapped_file_keeps_the_open_weights_and_writes_the_new(tmp_path):
    from core import read_project

    path = tmp_path / "net.tcanvas"
    state = _saved(path)
    project = read_project(path)
    newer = _saved(path, shift=1.0)  # saved over the file the weights are mapped from
    assert _equal(project.weights, state)
    assert _equal(read_project(path).weights, newer)
    path.unlink()
    assert _equal(project.weights, state)


def _damaged(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.tcanvas"
    _saved(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(WEIGHTS_MEMBER)
    data[info.header_offset + 200 + info.file_size // 2] ^= 0x10  # inside a tensor
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_tensor_is_refused_or_reported_never_silent(tmp_path):
    from core import read_project

    path = _damaged(tmp_path)
    with pytest.raises(InvalidFormatError, match="checksum"):
        read_project(path)
    project = read_project(path, wait_for_check=False)
    assert project.weights is not None
    with pytest.raises(InvalidFormatError, match="checksum"):
        project.verify()
    _saved(tmp_path / "fine.tcanvas")
    read_project(tmp_path / "fine.tcanvas", wait_for_check=False).verify()


def test_a_project_saved_before_members_were_aligned_still_opens(tmp_path):
    from core import read_project

    state = {"0.weight": torch.randn(32, 64), "0.bias": torch.randn(32),
             "2.weight": torch.randn(4, 32), "2.bias": torch.randn(4)}
    path = tmp_path / "old.tcanvas"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(GRAPH_MEMBER, document_to_json(_document()))
        info = zipfile.ZipInfo(WEIGHTS_MEMBER, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(safetensors_bytes(state))
    project = read_project(path)
    assert _equal(project.weights, state)
    assert all(t.data_ptr() % t.element_size() == 0 for t in project.weights.values())


def test_saving_over_a_large_mapped_file_releases_its_cache_and_keeps_the_open_weights(
        tmp_path, monkeypatch):
    from core import read_project
    from core.io import atomic

    released = []
    real = atomic._release_cache
    monkeypatch.setattr(atomic, "LARGE", 0)  # every replaced file counts as large here
    monkeypatch.setattr(atomic, "_release_cache",
                        lambda path: (released.append(path), real(path)))
    path = tmp_path / "net.tcanvas"
    state = _saved(path)
    project = read_project(path)
    newer = _saved(path, shift=1.0)
    assert released == [path]
    assert _equal(project.weights, state)
    assert _equal(read_project(path).weights, newer)
