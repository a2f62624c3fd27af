"""A PNG that carries the network (issue 12): graph.json in an iTXt chunk, read back
through the validating reader; pictures without one, or broken, are refused."""

import struct
import zlib

import pytest

from core.catalog.templates import load_template
from core.errors import DocumentError, InvalidFormatError
from core.io.files import document_to_dict, document_to_json, read_project
from core.io.png_design import SIGNATURE, design_in, embed_design


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def tiny_png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_picture_carries_the_network_and_opens_as_it(tmp_path):
    document = load_template("residual-block")
    path = tmp_path / "net.png"
    path.write_bytes(embed_design(tiny_png(), document_to_json(document)))
    assert path.read_bytes().endswith(chunk(b"IEND", b""))
    opened = read_project(path).document
    assert document_to_dict(opened) == document_to_dict(document)


def test_names_outside_latin_1_survive():
    document = load_template("mlp")
    document.title = "réseau · 网络"
    text = document_to_json(document)
    assert design_in(embed_design(tiny_png(), text)).decode("utf-8") == text


@pytest.mark.parametrize("data, reason", [
    (tiny_png(), "carries no TorchCanvas network"),
    (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 10**9) + b"iTXt", "cut short"),
    (tiny_png()[:-12] + struct.pack(">I", 10**6) + b"iTXt" + b"x" * 8, "more than the file"),
])
def test_a_picture_without_a_sound_network_is_refused(tmp_path, data, reason):
    path = tmp_path / "bad.png"
    path.write_bytes(data)
    with pytest.raises(InvalidFormatError, match=reason):
        read_project(path)


def test_a_network_in_the_picture_is_checked_like_any_graph_json(tmp_path):
    path = tmp_path / "evil.png"
    path.write_bytes(embed_design(tiny_png(), '{"format": "torchcanvas", "version": 999}'))
    with pytest.raises(DocumentError, match="version"):
        read_project(path)
