"""Hypothesis strategies that break documents and projects in the ways files break."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import torch
from hypothesis import strategies as st

from core.catalog.templates import list_templates, load_template
from core.io.files import document_to_dict
from core.io.weights import safetensors_bytes
from tests.core.hostile_cases import header_spans

TEMPLATE_DICTS = [document_to_dict(load_template(t.name)) for t in list_templates()]

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=12), st.lists(st.integers(-5, 5), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
    st.sampled_from([10**12, -1, 0, 2**63, "n1", "input", "output", "Block", [], {}]),
)


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON value."""
    yield prefix, value
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


def _set(document, path, value):
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _delete(document, path):
    target = document
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


@st.composite
def broken_graph_json(draw) -> bytes:
    """A template's graph.json with a few fields replaced, removed, duplicated, or the
    text itself cut or sprinkled with random bytes."""
    document = copy.deepcopy(draw(st.sampled_from(TEMPLATE_DICTS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p, _ in _paths(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "edge", "cycle", "dangle",
                                       "duplicate", "deep"]))
        try:
            if action == "replace":
                _set(document, path, draw(ODD_VALUES))
            elif action == "delete":
                _delete(document, path)
            elif action in ("edge", "cycle", "dangle"):
                graph = document.get("graph")
                if isinstance(graph, dict) and isinstance(graph.get("edges"), list) and \
                        isinstance(graph.get("nodes"), list) and graph["nodes"]:
                    ids = [n.get("id") for n in graph["nodes"] if isinstance(n, dict)]
                    src = draw(st.sampled_from([*ids, "input", "n999"]))
                    dst = draw(st.sampled_from([*ids, "output", "n998"]))
                    if action == "cycle" and len(ids) > 1:
                        src, dst = ids[-1], ids[0]
                    graph["edges"].append({"from": src, "to": dst,
                                           "port": draw(st.integers(-2, 3))})
            elif action == "duplicate":
                graph = document.get("graph")
                if isinstance(graph, dict) and isinstance(graph.get("nodes"), list) and \
                        graph["nodes"]:
                    graph["nodes"].append(copy.deepcopy(graph["nodes"][0]))
            elif action == "deep":
                nested = {"container": "sequential", "nodes": [], "edges": []}
                for depth in range(draw(st.integers(30, 60))):
                    nested = {"container": "sequential", "edges": [], "nodes": [
                        {"id": f"d{depth}", "type": "Block", "graph": nested}]}
                document["graph"] = nested
        except (KeyError, IndexError, TypeError):
            continue
    text = json.dumps(document).encode()
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut]
    if draw(st.integers(0, 4)) == 0:
        position = draw(st.integers(0, max(0, len(text) - 1)))
        text = text[:position] + draw(st.binary(min_size=1, max_size=8)) + text[position + 1:]
    return text


COMPRESSIONS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


@st.composite
def broken_project(draw) -> bytes:
    """A .tcanvas zip with a broken graph, weights or archive: members stored, deflated,
    bzip2 or LZMA, then perhaps a few bytes flipped (often in the zip's headers) or the
    file cut short."""
    graph = draw(broken_graph_json()) if draw(st.booleans()) else json.dumps(
        draw(st.sampled_from(TEMPLATE_DICTS))).encode()
    compression = draw(st.sampled_from(COMPRESSIONS))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        if draw(st.integers(0, 6)):
            archive.writestr("graph.json", graph)
        kind = draw(st.sampled_from(["none", "random", "header", "lie", "real"]))
        if kind == "random":
            archive.writestr("weights.safetensors", draw(st.binary(max_size=64)))
        elif kind == "header":
            header = json.dumps({"w": {"dtype": draw(st.sampled_from(["F32", "X9", 3])),
                                       "shape": draw(st.lists(st.integers(-3, 2**40),
                                                              max_size=3)),
                                       "data_offsets": draw(st.lists(
                                           st.integers(-5, 2**50), max_size=3))}}).encode()
            archive.writestr("weights.safetensors",
                             len(header).to_bytes(8, "little") + header + b"\0" * 16)
        elif kind == "lie":
            archive.writestr("weights.safetensors", (2**40).to_bytes(8, "little") + b"{}")
        elif kind == "real":
            archive.writestr("weights.safetensors", SAFETENSORS)
    return _damaged(draw, buffer.getvalue(), header_spans(buffer.getvalue()))


def _damaged(draw, data: bytes, spans: list[tuple[int, int]]) -> bytes:
    """``data`` with 1–3 bytes replaced (in one of ``spans`` half the time), cut short,
    or as it was."""
    damage = draw(st.sampled_from(["none", "flip", "flip", "cut"]))
    if damage == "cut" or not data:
        return data[:draw(st.integers(0, len(data)))]
    if damage == "flip":
        mutable = bytearray(data)
        low, high = draw(st.sampled_from(spans)) if spans and draw(st.booleans()) else \
            (0, len(data))
        for _ in range(draw(st.integers(1, 3))):
            mutable[draw(st.integers(low, high - 1))] = draw(st.integers(0, 255))
        data = bytes(mutable)
    return data


_WEIGHT = torch.randn(4, 3)
STATE = {"a.weight": _WEIGHT, "a.bias": torch.zeros(4), "tied.weight": _WEIGHT,
         "steps": torch.tensor(7)}
SAFETENSORS = safetensors_bytes(STATE)


def _saved(legacy: bool) -> bytes:
    buffer = io.BytesIO()
    torch.save(STATE, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


TORCH_FILES = {"zip": _saved(False), "legacy": _saved(True)}


@st.composite
def broken_weights_file(draw) -> bytes:
    """A torch.save file (zip or the old pickle format) or a safetensors file with a few
    bytes flipped (in the header half the time) or cut short."""
    kind = draw(st.sampled_from(["zip", "legacy", "safetensors"]))
    if kind == "safetensors":
        length = 8 + int.from_bytes(SAFETENSORS[:8], "little")
        return _damaged(draw, SAFETENSORS, [(0, length)])
    data = TORCH_FILES[kind]
    return _damaged(draw, data, header_spans(data) if kind == "zip" else [(0, 64)])


@st.composite
def nested_json(draw) -> bytes:
    """A template whose graph, a node's args or a custom layer's args nest lists and
    objects hundreds or thousands deep, with brackets and escapes inside strings."""
    depth = draw(st.sampled_from([50, 100, 110, 120, 500, 999, 1001, 5000, 100_000]))
    openers = draw(st.lists(st.sampled_from(['[', '{"k":', '["[\\"",', '{"\\\\":']),
                            min_size=1, max_size=3))
    opening = "".join(openers[i % len(openers)] for i in range(depth))
    closing = "".join("]" if openers[i % len(openers)][0] == "[" else "}"
                      for i in reversed(range(depth)))
    nested = opening + "0" + closing
    document = copy.deepcopy(draw(st.sampled_from(TEMPLATE_DICTS)))
    place = draw(st.sampled_from(["graph", "args", "custom", "view"]))
    marker = '"__nested__"'
    if place == "graph":
        document["graph"] = "__nested__"
    elif place == "view":
        document["view"] = "__nested__"
    else:
        nodes = document["graph"]["nodes"]
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        if place == "custom":
            document["custom_layers"] = {"Mine": "class Mine: pass"}
            node["type"] = "Mine"
        node["args"] = {"deep": "__nested__"}
    return json.dumps(document).replace(marker, nested).encode()
