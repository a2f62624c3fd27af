"""Reading and writing documents: ``graph.json`` and the ``.tcanvas`` project.

A file is parsed into plain records first, each field checked where it is read, so a
bad file raises a typed error naming the place (``graph.nodes[2].args``) and nothing
half-built escapes. A ``.tcanvas`` is a zip of ``graph.json`` and, when the model has
weights, ``weights.safetensors``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from core.catalog.registry import spec_for
from core.document.graph import BLOCK, CONTAINERS, Document, Edge, Graph, InputSpec, Node
from core.document.validate import MAX_DEPTH, check_document, check_position
from core.errors import DocumentError, InvalidFormatError, UnsupportedVersionError
from core.io.archive import Archive
from core.io.atomic import write_atomically
from core.io.checksum import Checksum
from core.io.untrusted import expansion_budget, load_json, open_regular
from core.io.weights import WeightsError, read_safetensors_bytes, safetensors_writer
from core.io.zip_write import ZipWriter

FORMAT = "torchcanvas"
VERSION = 1
GRAPH_MEMBER = "graph.json"
WEIGHTS_MEMBER = "weights.safetensors"
PROJECT_SUFFIX = ".tcanvas"

MAX_GRAPH_BYTES = 64 << 20
MAX_NODES = 100_000
# What the JSON parser may build, checked before it runs: a node takes ~13 values (so
# MAX_NODES plain layers fit) and each block nests 3 levels (graph, nodes, node). Parsing
# 2 M values takes under a second and a few hundred MB at worst.
MAX_JSON_VALUES = 2_000_000
MAX_JSON_DEPTH = 3 * MAX_DEPTH + 16
_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# Renamed layer types map here so old files still open.
RENAMED_TYPES: dict[str, str] = {}


@dataclass
class Project:
    """What a project file holds: the document and, if saved, its weights.

    The weights of a ``.tcanvas`` project lie where the file maps them (nothing is
    copied). ``check`` is the check of their checksum when `read_project` was told not
    to wait for it: `verify` waits for it and raises `InvalidFormatError` if the file
    was damaged."""

    document: Document
    weights: dict[str, torch.Tensor] | None = None
    check: Checksum | None = None

    def verify(self) -> None:
        if self.check is not None:
            self.check.wait()


# Document ↔ plain data -------------------------------------------------------------


def document_to_dict(document: Document) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": document.title,
        "description": document.description,
        "input": {"shape": list(document.input.shape), "dtype": document.input.dtype},
        "seed": document.seed,
        "device": document.device,
        "graph": _graph_to_dict(document.root),
        "view": {"positions": {k: list(v) for k, v in document.positions.items()}},
        **({"custom_layers": dict(document.custom_layers)} if document.custom_layers else {}),
    }


def _graph_to_dict(graph: Graph) -> dict[str, Any]:
    return {
        "container": graph.container,
        "class_name": graph.class_name,
        "nodes": [_node_to_dict(node) for node in graph.nodes],
        "edges": [_edge_to_dict(e) for e in graph.edges],
    }


def _edge_to_dict(edge: Edge) -> dict[str, Any]:
    """``from_port`` (which input of the graph an edge from the input carries) is written
    only when it is not 0, so a file without it reads as before."""
    data: dict[str, Any] = {"from": edge.src, "to": edge.dst, "port": edge.port}
    if edge.src_port:
        data["from_port"] = edge.src_port
    return data


def _node_to_dict(node: Node) -> dict[str, Any]:
    data: dict[str, Any] = {"id": node.id, "type": node.type}
    if node.name:
        data["name"] = node.name
    if node.type != BLOCK:
        try:
            spec = spec_for(node.type)
            data["args"] = {a.name: a.to_json(node.args.get(a.name, a.default))
                            for a in spec.args}
        except DocumentError:  # a layer whose code is not trusted: keep what the file said
            data["args"] = {k: list(v) if isinstance(v, tuple) else v
                            for k, v in node.args.items()}
    if node.shares:
        data["shares"] = node.shares
    if node.graph is not None:
        data["graph"] = _graph_to_dict(node.graph)
    return data


def document_from_dict(data: Any) -> Document:
    """Build a document from parsed JSON; raises a `DocumentError` subclass if invalid."""
    reader = _Reader()
    document = reader.document(data)
    check_document(document, untrusted_ok=True)
    return document


class _Reader:
    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.custom: dict[str, str] = {}

    def document(self, data: Any) -> Document:
        obj = _object(data, "the file")
        if obj.get("format") != FORMAT:
            raise InvalidFormatError("this is not a TorchCanvas document (format is not "
                                     f"{FORMAT!r})")
        version = obj.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidFormatError("version must be an integer", "version")
        if version != VERSION:
            raise UnsupportedVersionError(
                f"format version {version} is not supported (this program reads {VERSION})",
                "version",
            )
        input_data = _object(obj.get("input", {}), "input")
        shape = _list(input_data.get("shape", [2, 20]), "input.shape")
        if not shape or any(isinstance(s, bool) or not isinstance(s, int) or not 0 < s <= 1 << 31
                            for s in shape):
            raise InvalidFormatError("must be a list of positive integers", "input.shape")
        dtype = _string(input_data.get("dtype", "float32"), "input.dtype")
        if dtype not in ("float32", "float64", "int64"):
            raise InvalidFormatError(f"unknown dtype {dtype!r}", "input.dtype")
        view = _object(obj.get("view", {}), "view")
        placed = _object(view.get("positions", {}), "view.positions")
        seed = obj.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 1 << 63:
            raise InvalidFormatError("must be a non-negative integer", "seed")
        custom = _object(obj.get("custom_layers", {}), "custom_layers")
        for name, source in custom.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise InvalidFormatError(f"{name!r} is not a layer name", "custom_layers")
            _string(source, f"custom_layers.{name}")
        self.custom = custom
        root = self.graph(obj.get("graph"), "graph", depth=0)
        # Positions of nodes the graph does not have are dropped unread.
        positions = {}
        for key, value in placed.items():
            if key in self.ids:
                positions[key] = check_position(value, f"view.positions.{key}")
        document = Document(
            root=root,
            input=InputSpec(tuple(shape), dtype),
            title=_string(obj.get("title", ""), "title"),
            description=_string(obj.get("description", ""), "description"),
            seed=seed,
            device=_string(obj.get("device", "cpu"), "device"),
            positions=positions,
            custom_layers=dict(custom),
        )
        return document

    def graph(self, data: Any, where: str, depth: int) -> Graph:
        if depth > MAX_DEPTH:
            raise InvalidFormatError(f"blocks are nested more than {MAX_DEPTH} deep", where)
        obj = _object(data, where)
        container = _string(obj.get("container", "sequential"), f"{where}.container")
        if container not in CONTAINERS:
            raise InvalidFormatError(f"must be one of {', '.join(CONTAINERS)}",
                                     f"{where}.container")
        graph = Graph(container=container,
                      class_name=_string(obj.get("class_name", ""), f"{where}.class_name"))
        for index, item in enumerate(_list(obj.get("nodes", []), f"{where}.nodes")):
            graph.nodes.append(self.node(item, f"{where}.nodes[{index}]", depth))
        for index, item in enumerate(_list(obj.get("edges", []), f"{where}.edges")):
            graph.edges.append(self.edge(item, f"{where}.edges[{index}]"))
        return graph

    def node(self, data: Any, where: str, depth: int) -> Node:
        obj = _object(data, where)
        node_id = _string(obj.get("id"), f"{where}.id")
        if not _ID.match(node_id) or node_id in ("input", "output"):
            raise InvalidFormatError(f"{node_id!r} is not a valid node id", f"{where}.id")
        if node_id in self.ids:
            raise InvalidFormatError(f"node id {node_id!r} is used twice", f"{where}.id")
        if len(self.ids) >= MAX_NODES:
            raise InvalidFormatError(f"more than {MAX_NODES} nodes", where)
        self.ids.add(node_id)
        layer_type = _string(obj.get("type"), f"{where}.type")
        layer_type = RENAMED_TYPES.get(layer_type, layer_type)
        name = _string(obj.get("name", ""), f"{where}.name")
        shares = obj.get("shares")
        if shares is not None:
            shares = _string(shares, f"{where}.shares")
        if layer_type == BLOCK:
            return Node(node_id, BLOCK, name=name, shares=shares,
                        graph=self.graph(obj.get("graph"), f"{where}.graph", depth + 1))
        if "graph" in obj:
            raise InvalidFormatError("only blocks own a graph", f"{where}.graph")
        try:
            spec = spec_for(layer_type)
        except DocumentError as error:
            if layer_type in self.custom:  # its code has not run: keep the args as written
                args = _object(obj.get("args", {}), f"{where}.args")
                return Node(node_id, layer_type, dict(args), name, shares)
            raise type(error)(str(error), f"{where}.type") from None
        args = _object(obj.get("args", {}), f"{where}.args")
        try:
            args = spec.validate_args(args)
        except DocumentError as error:
            raise type(error)(str(error), f"{where}.args") from None
        return Node(node_id, layer_type, args, name, shares)

    def edge(self, data: Any, where: str) -> Edge:
        obj = _object(data, where)
        ports = []
        for key in ("port", "from_port"):
            port = obj.get(key, 0)
            if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 1 << 16:
                raise InvalidFormatError(f"{key} must be a small non-negative integer",
                                         f"{where}.{key}")
            ports.append(port)
        return Edge(_string(obj.get("from"), f"{where}.from"),
                    _string(obj.get("to"), f"{where}.to"), ports[0], ports[1])


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidFormatError(f"expected an object, got {_kind(value)}", where)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidFormatError(f"expected a list, got {_kind(value)}", where)
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidFormatError(f"expected a string, got {_kind(value)}", where)
    return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


# Files --------------------------------------------------------------------------------


def document_to_json(document: Document) -> str:
    return json.dumps(document_to_dict(document), indent=2) + "\n"


def document_from_json(text: str | bytes) -> Document:
    """A document from graph.json text; its size, nesting and number of values are
    checked before it is parsed, so no text makes the parser build more than ~1 GB."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return document_from_dict(load_json(data, GRAPH_MEMBER, max_bytes=MAX_GRAPH_BYTES,
                                        max_depth=MAX_JSON_DEPTH, max_values=MAX_JSON_VALUES))


def save_document(document: Document, path: str | os.PathLike[str],
                  weights: dict[str, torch.Tensor] | None = None, cancel=None) -> None:
    """Write ``document`` atomically: ``.json`` as graph.json alone, anything else as a
    ``.tcanvas`` project (with ``weights`` if given). A set ``cancel`` event stops the
    write with `Cancelled`, and the file that was there stays as it was. Layer code that
    is not trusted is written back as the text it was."""
    check_document(document, untrusted_ok=True)
    text = document_to_json(document).encode()
    if Path(path).suffix.lower() == ".json":
        if weights is not None:
            raise InvalidFormatError("a .json file holds no weights; save a .tcanvas project")
        write_atomically(path, lambda stream: stream.write(text))
        return
    body = safetensors_writer(weights, cancel) if weights is not None else None

    def write(stream) -> None:
        archive = ZipWriter(stream)
        archive.add_deflated(GRAPH_MEMBER, text)
        if body is not None:
            archive.add_stored(WEIGHTS_MEMBER, *body)
        archive.close()

    write_atomically(path, write)


MAX_PICTURE_BYTES = 256 * 2**20


def read_project(path: str | os.PathLike[str], *, wait_for_check: bool = True) -> Project:
    """Read a ``.tcanvas`` project or a bare ``graph.json``: a result, or one
    `InvalidFormatError` (or subclass) whatever the file holds.

    The weights are mapped from the file, not read. Their checksum is checked before
    this returns; with ``wait_for_check=False`` it is checked on a thread of its own
    while the caller goes on, and ``project.verify()`` gives the verdict."""
    name = Path(path).name
    with open_regular(path) as (stream, size):
        try:
            head = stream.read(4)
            if head == b"\x89PNG":  # a canvas picture that carries its network
                from core.io.png_design import design_in

                if size > MAX_PICTURE_BYTES:
                    raise InvalidFormatError(f"{name} is too large a picture to open")
                stream.seek(0)
                return Project(document_from_json(design_in(stream.read(size), name)))
            if head not in (b"PK\x03\x04", b"PK\x05\x06"):
                if size > MAX_GRAPH_BYTES:
                    raise InvalidFormatError(f"{name} is too large for a graph.json")
                stream.seek(0)
                return Project(document_from_json(stream.read(MAX_GRAPH_BYTES + 1)))
            project = _read_archive(Archive(stream, size, name), size)
        except OSError as error:
            raise InvalidFormatError(f"cannot read {name}: {error.strerror or error}") \
                from None
    if project.check is not None:
        if wait_for_check:
            project.check.wait()
            project.check = None
        else:
            project.check.start()
    return project


def _read_archive(archive: Archive, size: int) -> Project:
    if GRAPH_MEMBER not in archive.names():
        raise InvalidFormatError(f"{archive.name} has no {GRAPH_MEMBER}")
    # A stored member is bounded by the file; a deflated one by the expansion budget.
    room = max(size, expansion_budget(size))
    document = document_from_json(archive.read_bytes(GRAPH_MEMBER,
                                                     min(MAX_GRAPH_BYTES, room)))
    weights = check = None
    if WEIGHTS_MEMBER in archive.names():
        mapped = archive.map_stored(WEIGHTS_MEMBER, room)
        if mapped is None:
            data = archive.read(WEIGHTS_MEMBER, room)
        else:
            data, check = mapped
        try:
            weights = read_safetensors_bytes(data)
        except WeightsError as error:
            raise InvalidFormatError(str(error), WEIGHTS_MEMBER) from None
    return Project(document, weights, check)


def load_document(path: str | os.PathLike[str]) -> Document:
    """The document in a ``.tcanvas`` project or ``graph.json`` file."""
    return read_project(path).document

