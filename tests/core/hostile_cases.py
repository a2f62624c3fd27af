"""Hostile files built byte by byte: zip members compressed in every way zipfile knows,
decompression bombs, safetensors headers that lie, and pickles that break torch.load.

Each builder returns the file's bytes; nothing here is written to disk by itself.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass

from core.catalog.templates import load_template
from core.io.files import document_to_json

GRAPH = document_to_json(load_template("mlp")).encode()

# bzip2 of 2,298,478,592 zero bytes (137 × 16 MiB), 1,649 bytes: too slow to compress
# in a test, so it is kept here as the compressor wrote it.
BZIP2_ZEROS_SIZE = 137 << 24
BZIP2_ZEROS_CRC = 364162805
BZIP2_ZEROS = base64.b64decode(
    "QlpoOTFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakK"
    "gJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCX"
    "MUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFB"
    "WSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkm"
    "U1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZ"
    "Dgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J"
    "4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLf"
    "AV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFf"
    "jkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45A"
    "AMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADA"
    "AAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAA"
    "CCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAgg"
    "ADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAw"
    "gE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBN"
    "RkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZC"
    "oCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAl"
    "qQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakK"
    "gJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCX"
    "MUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFB"
    "WSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkm"
    "U1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZ"
    "Dgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J"
    "4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLf"
    "AV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFf"
    "jkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1ksORQoABrvwEDAAAIAAAggADDMCappgQk2qqgk8XckU4UJAqYHiHA="
)

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14


@dataclass
class Member:
    """One zip member as it goes into the file: its data already compressed, and the
    sizes and checksum its headers declare (which may lie)."""

    name: str
    data: bytes
    method: int = STORED
    size: int | None = None  # declared uncompressed size; len(data) when None
    crc: int | None = None
    flags: int = 0
    raw_name: bytes | None = None  # the name's bytes when they are not UTF-8
    packed: int | None = None  # declared compressed size; len(data) when None


def zip_bytes(members: list[Member]) -> bytes:
    """A zip with exactly these members and headers (zipfile cannot write lies)."""
    out = bytearray()
    central = bytearray()
    for member in members:
        name = member.raw_name if member.raw_name is not None else member.name.encode()
        size = len(member.data) if member.size is None else member.size
        crc = zlib.crc32(member.data) if member.crc is None else member.crc
        declared = len(member.data) if member.packed is None else member.packed
        wide = size >= 0xFFFFFFFF or declared >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, declared) if wide else b""
        small = 0xFFFFFFFF if wide else size
        packed = 0xFFFFFFFF if wide else declared
        version = 45 if wide else 20
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", version, member.flags,
                           member.method, 0, 0x21, crc, packed, small, len(name), len(extra))
        out += name + extra + member.data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", version, version,
                               member.flags, member.method, 0, 0x21, crc, packed, small,
                               len(name), len(extra), 0, 0, 0, 0, offset)
        central += name + extra
    start = len(out)
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                       len(central), start, 0)
    return bytes(out)


def deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def deflated_repeats(unit: bytes, times: int) -> bytes:
    """Raw deflate of unit * times built from one compressed copy: a full flush
    makes every copy compress to the same bytes, so a bomb costs no time to make."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = packer.compress(unit) + packer.flush(zlib.Z_FULL_FLUSH)
    return piece * times + b"\x03\x00"  # an empty final block ends the stream


def project(graph: bytes = GRAPH, graph_method: int = DEFLATED,
            weights: bytes | None = None) -> bytes:
    members = [Member("graph.json", deflate(graph) if graph_method == DEFLATED else graph,
                      graph_method, len(graph), zlib.crc32(graph))]
    if weights is not None:
        members.append(Member("weights.safetensors", weights))
    return zip_bytes(members)


def safetensors(header: object, data: bytes = b"") -> bytes:
    encoded = json.dumps(header).encode()
    return len(encoded).to_bytes(8, "little") + encoded + data


# The examples of issue 15 -------------------------------------------------------------


def bzip2_graph_bomb() -> bytes:
    """A 1.6 KB bzip2 graph.json that declares 2 KB and expands to 2.3 GB."""
    return zip_bytes([Member("graph.json", BZIP2_ZEROS, BZIP2, 2048, BZIP2_ZEROS_CRC)])


def deflated_weights_bomb(megabytes: int = 2192) -> bytes:
    """About 1 KB per MB of zeros: 2.3 MB of deflate that expand to 2.3 GB of weights."""
    unit = bytes(1 << 20)
    weights = Member("weights.safetensors", deflated_repeats(unit, megabytes), DEFLATED,
                     megabytes << 20, 0)
    return zip_bytes([Member("graph.json", GRAPH), weights])


def deflated_dicts_graph(count: int = 20_000_000) -> bytes:
    """A graph.json of count empty objects, deflated to about 60 KB."""
    unit = b"{}," * (1 << 16)
    times = count // (1 << 16)
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = stream.compress(b"[") + stream.flush(zlib.Z_FULL_FLUSH)
    body = deflated_repeats(unit, times)[:-2]
    crc = zlib.crc32(b"[")
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(b"{}]", crc)
    # A flushed stream ends on a byte boundary, so a stream of its own can follow it.
    return zip_bytes([Member("graph.json", head + body + deflate(b"{}]"), DEFLATED,
                             1 + len(unit) * times + 3, crc)])


def misaligned_aliases(count: int = 300, megabytes: int = 8) -> bytes:
    """count float32 tensors on one odd-offset byte range: each would be copied to
    fix its alignment before anyone noticed they overlap."""
    size = megabytes << 20
    header = {f"t{i}": {"dtype": "F32", "shape": [size // 4],
                        "data_offsets": [1, 1 + size]} for i in range(count)}
    return safetensors(header, bytes(size + 1))


def empty_tensors(count: int = 1_200_000) -> bytes:
    """count entries of zero elements: no data, a header of ~50 bytes each."""
    entry = '{"dtype":"F32","shape":[0],"data_offsets":[0,0]}'
    body = ",".join(f'"t{i}":{entry}' for i in range(count))
    encoded = ("{" + body + "}").encode()
    return len(encoded).to_bytes(8, "little") + encoded


# Class 5: what zipfile, zlib and the JSON parser raise on their own -------------------


def odd_members() -> dict[str, bytes]:
    """Projects whose graph.json zipfile cannot read, keyed by what escaped before."""
    graph = deflate(GRAPH)
    bad_name = b"graph\xff.json"
    return {
        "encrypted (RuntimeError)": zip_bytes([Member("graph.json", graph, DEFLATED,
                                                      len(GRAPH), zlib.crc32(GRAPH), 0x1)]),
        "deflate64 (NotImplementedError)": zip_bytes([Member("graph.json", graph, 9,
                                                             len(GRAPH), zlib.crc32(GRAPH))]),
        "LZMA garbage (LZMAError)": zip_bytes([Member(
            "graph.json", b"\x09\x14\x05\x00" + b"\xff" * 5 + graph, LZMA, len(GRAPH), 0)]),
        "bzip2 garbage (OSError)": zip_bytes([Member("graph.json", b"BZh9" + graph, BZIP2,
                                                     len(GRAPH), 0)]),
        "deflate garbage (zlib.error)": zip_bytes([Member("graph.json", b"\xff" * 64,
                                                          DEFLATED, len(GRAPH), 0)]),
        # A stored deflate block of 65,535 bytes that runs past the end of the file.
        "deflate cut short (EOFError)": zip_bytes([Member(
            "graph.json", b"\x00\xff\xff\x00\x00" + GRAPH, DEFLATED, 0xFFFF, 0,
            packed=0xFFFF + 5)]),
        "UTF-8 flag on a bad name (UnicodeDecodeError)": zip_bytes([
            Member("graph.json", GRAPH, raw_name=bad_name, flags=0x800)]),
        "expands past its size": zip_bytes([Member("graph.json", graph, DEFLATED, 100,
                                                   zlib.crc32(GRAPH[:100]))]),
    }


def flipped(data: bytes, rng, flips: int, span: tuple[int, int] | None = None) -> bytes:
    """``data`` with ``flips`` bytes replaced by random ones (inside ``span`` if given)."""
    mutable = bytearray(data)
    low, high = span or (0, len(data))
    for _ in range(flips):
        mutable[rng.randrange(low, high)] = rng.randrange(256)
    return bytes(mutable)


def header_spans(data: bytes) -> list[tuple[int, int]]:
    """The byte ranges of a zip's local headers, directory entries and end record —
    where a flipped byte changes what zipfile believes."""
    spans = []
    for signature, length in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46), (b"PK\x05\x06", 22)):
        at = data.find(signature)
        while at >= 0:
            spans.append((at, min(at + length, len(data))))
            at = data.find(signature, at + 1)
    return spans


def nested_header(depth: int = 100_000) -> bytes:
    return safetensors_text('{"__metadata__":{"a":' + "[" * depth + "]" * depth + "}}")


def safetensors_text(header: str, data: bytes = b"") -> bytes:
    encoded = header.encode()
    return len(encoded).to_bytes(8, "little") + encoded + data


def metadata_only(metadata: dict[str, str]) -> bytes:
    return safetensors({"__metadata__": metadata, "w": {"dtype": "F32", "shape": [1],
                                                        "data_offsets": [0, 4]}}, bytes(4))


def odd_safetensors() -> dict[str, bytes]:
    """safetensors files keyed by the exception each raised before."""
    return {
        "nested header (RecursionError)": nested_header(),
        "nested aliases (RecursionError)": metadata_only(
            {"torchcanvas.aliases": "[" * 100_000 + "]" * 100_000}),
        "list alias (TypeError)": metadata_only({"torchcanvas.aliases": '{"v": ["w"]}'}),
        "integer in the order (KeyError)": metadata_only({"torchcanvas.order": "[1]"}),
        "stride overflow (RuntimeError)": safetensors({"w": {
            "dtype": "F32", "shape": [1 << 39, 1 << 39, 1 << 39, 0], "data_offsets": [0, 0]}}),
        "metadata not strings": safetensors({"__metadata__": {"a": {"b": 1}}}),
        "alias over a stored tensor": metadata_only({"torchcanvas.aliases": '{"w": "w"}'}),
        "bool shape": safetensors({"w": {"dtype": "F32", "shape": [True],
                                         "data_offsets": [0, 4]}}, bytes(4)),
    }


def shared_record_torch_file(count: int = 1000, floats: int = 1 << 18) -> bytes:
    """A torch.save file of ``count`` tensors whose directory entries all point at the
    first one's bytes: ~1 MB on disk, ``count`` MB once torch has read every record."""
    import io
    import zipfile

    import torch

    buffer = io.BytesIO()
    torch.save({f"t{i}": torch.zeros(floats) for i in range(count)}, buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = bytearray()
    central = bytearray()
    shared = None
    records = [info for info in source.infolist()]
    for info in records:
        name = info.filename.encode()
        data = source.read(info)
        is_storage = "/data/" in info.filename and info.filename.split("/")[-1].isdigit()
        if is_storage and shared is not None:
            offset = shared
        else:
            offset = len(out)
            if is_storage:
                shared = offset
            out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21,
                               zlib.crc32(data), len(data), len(data), len(name), 0)
            out += name + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21,
                               zlib.crc32(data), len(data), len(data), len(name), 0, 0, 0,
                               0, 0, offset)
        central += name
    start = len(out)
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(records), len(records),
                       len(central), start, 0)
    return bytes(out)
