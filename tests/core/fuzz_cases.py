"""Hypothesis strategies that break documents and projects in the ways files break."""

from __future__ import annotations

import copy
import io
import json
import zipfile

from hypothesis import strategies as st

from core.catalog.templates import list_templates, load_template
from core.io.files import document_to_dict

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


@st.composite
def broken_project(draw) -> bytes:
    """A .tcanvas zip with a broken graph, weights or archive."""
    graph = draw(broken_graph_json()) if draw(st.booleans()) else json.dumps(
        draw(st.sampled_from(TEMPLATE_DICTS))).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if draw(st.integers(0, 6)):
            archive.writestr("graph.json", graph)
        kind = draw(st.sampled_from(["none", "random", "header", "lie"]))
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
    data = buffer.getvalue()
    if draw(st.integers(0, 3)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return data
