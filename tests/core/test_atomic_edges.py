"""File-system edges of every write: special files, modes, long names, odd names, the
ONNX temporary, and weights that cannot be sized."""

import os
import stat
import time

import pytest
import torch

from core.catalog.templates import load_template
from core.document.compose import Composer
from core.errors import TorchCanvasError
from core.io.atomic import SaveError, temporary_prefix, write_atomically
from core.io.files import save_document

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file kinds and modes")


def _write(path, data=b"new"):
    write_atomically(path, lambda stream: stream.write(data))


@pytest.mark.parametrize("kind", ["fifo", "folder", "dev-null-link", "fifo-link"])
def test_a_special_file_at_the_target_is_refused_and_left(tmp_path, kind):
    target = tmp_path / "out.py"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "dev-null-link":  # a device, without ever writing to a real one
        if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
            pytest.skip("/dev/null is not a device here")
        target.symlink_to("/dev/null")
    else:
        os.mkfifo(tmp_path / "pipe")
        target.symlink_to(tmp_path / "pipe")
    before = os.lstat(target)
    with pytest.raises(SaveError, match="not a regular file"):
        _write(target)
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o600, 0o755, 0o640])
def test_a_replaced_file_keeps_its_mode(tmp_path, mode):
    target = tmp_path / "net.json"
    target.write_bytes(b"old")
    os.chmod(target, mode)
    _write(target)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(target).st_mode) == mode


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_file_follows_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        _write(tmp_path / "new.py")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.py").st_mode) == 0o666 & ~umask


def test_a_saved_project_keeps_its_mode(tmp_path):
    target = tmp_path / "net.tcanvas"
    save_document(load_template("mlp"), target)
    os.chmod(target, 0o644)
    save_document(load_template("mlp"), target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


@pytest.mark.parametrize("length", [200, 240, 251, 255])
def test_a_long_legal_name_can_be_saved(tmp_path, length):
    name = "n" * (length - len(".tcanvas")) + ".tcanvas"
    assert len(name.encode()) == length
    save_document(load_template("mlp"), tmp_path / name)
    assert (tmp_path / name).is_file()
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_long_multibyte_name_can_be_saved(tmp_path):
    name = "é" * 123 + ".json"  # 251 bytes
    assert len(name.encode()) == 251
    _write(tmp_path / name)
    assert (tmp_path / name).read_bytes() == b"new"


@pytest.mark.parametrize("name", ["*.py", "a*", "[ab].py", "?.py", "net.py", "x[!y].py",
                                  "model.py.*", "*"])
def test_the_stale_sweep_matches_only_this_names_temporaries(tmp_path, name):
    unrelated = [".other.py.abcdefgh.tmp", ".b.py.12345678.tmp", ".a.tmp", ".net.py.x.tmp",
                 f".{name}.abcdefgh.tmp.keep", ".a.py.zzzzzzzz.tmp", ".abcdefgh.tmp"]
    stale = f"{temporary_prefix(name)}abcd1234.tmp"
    old = time.time() - 600
    for leftover in [*unrelated, stale]:
        (tmp_path / leftover).write_bytes(b"x")
        os.utime(tmp_path / leftover, (old, old))
    _write(tmp_path / name)
    left = {p.name for p in tmp_path.iterdir()}
    assert set(unrelated) - {stale} <= left
    assert stale not in left


def test_the_sweep_leaves_young_temporaries_and_links(tmp_path):
    young = tmp_path / f"{temporary_prefix('net.py')}abcd1234.tmp"
    young.write_bytes(b"being written")
    link = tmp_path / f"{temporary_prefix('net.py')}linklink.tmp"
    link.symlink_to(tmp_path / "elsewhere")
    old = time.time() - 600
    os.utime(link, (old, old), follow_symlinks=False)
    _write(tmp_path / "net.py")
    assert young.exists() and link.is_symlink()


def test_a_planted_link_at_a_predictable_temporary_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    for name in (".net.onnx.tmp", ".net.onnx.tmp.tmp", ".tc-net.onnx.tmp"):
        (tmp_path / name).symlink_to(victim)
    _write(tmp_path / "net.onnx")
    assert victim.read_bytes() == b"precious"


def test_onnx_export_writes_through_a_private_temporary(tmp_path, monkeypatch):
    import core.io.export as export

    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (tmp_path / ".net.onnx.tmp").symlink_to(victim)  # the name the old exporter used
    written = []

    def fake_export(model, args, f, **kwargs):
        assert not isinstance(f, (str, os.PathLike)), "the exporter got a path to follow"
        written.append(f)
        f.write(b"onnx bytes")

    monkeypatch.setattr(export, "onnx_available", lambda: True)
    monkeypatch.setattr(torch.onnx, "export", fake_export)
    document = load_template("mlp")
    export.export_onnx(export.ready_model(document), document, tmp_path / "net.onnx")
    assert (tmp_path / "net.onnx").read_bytes() == b"onnx bytes"
    assert victim.read_bytes() == b"precious"
    os.mkfifo(tmp_path / "pipe.onnx")
    with pytest.raises(TorchCanvasError, match="not a regular file"):
        export.export_onnx(export.ready_model(document), document, tmp_path / "pipe.onnx")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe.onnx").st_mode)


def test_onnx_export_failure_leaves_nothing(tmp_path, monkeypatch):
    import core.io.export as export

    def failing(model, args, f, **kwargs):
        f.write(b"half")
        raise RuntimeError("unsupported operator\nsecond line")

    monkeypatch.setattr(export, "onnx_available", lambda: True)
    monkeypatch.setattr(torch.onnx, "export", failing)
    document = load_template("mlp")
    with pytest.raises(TorchCanvasError, match=r"^ONNX export failed: unsupported operator$"):
        export.export_onnx(export.ready_model(document), document, tmp_path / "net.onnx")
    assert list(tmp_path.iterdir()) == []


def _unsizable():
    c = Composer()
    only_lazy = c.document(c.layer("LazyConv2d", out_channels=4, kernel_size=3),
                           input_shape=(2, 20))  # once written as an empty file
    c = Composer()
    broken_before = c.document(c.layer("Linear", in_features=5, out_features=3),
                               c.layer("LazyLinear", out_features=4))
    return [broken_before, only_lazy]


@pytest.mark.parametrize("index", [0, 1])
def test_weights_of_layers_that_cannot_be_sized_are_refused_writing_nothing(tmp_path, index):
    from core.io.export import export_weights, ready_model

    document = _unsizable()[index]
    try:
        model = ready_model(document)
    except TorchCanvasError:
        return  # refused even earlier, which is as good
    if not any(torch.nn.parameter.is_lazy(v) for v in model.state_dict().values()):
        pytest.skip("this design could be sized after all")
    with pytest.raises(TorchCanvasError, match="no size yet"):
        export_weights(model, tmp_path / "w.safetensors")
    assert list(tmp_path.iterdir()) == []
