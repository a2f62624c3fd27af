"""``.pt2`` files written by `torch.export.save`, opened without running any code.

`torch.export.load` may unpickle arbitrary objects (some members go through torch's
unrestricted unpickler), and its deserializer evaluates symbolic-shape expressions with
sympy. So the archive is read here: the program's JSON through the bounded reader, each
weight as the raw bytes of its storage (a weight stored with pickle is refused), and the
graph rebuilt with only ``torch.ops.aten`` operations and ``operator.getitem`` as
targets. Programs with dynamic shapes, custom objects or lifted constants are refused
with the reason.

The modules are rebuilt from the module paths and classes each operation records
(`core.io.import_skeleton`), then imported as a live module is
(`core.io.module_import`). Before the document is handed out, the recorded aten graph is
run on a random input next to the built document: both must give the same values. Both
run on ``meta`` first, which computes every result's size without allocating it: a record
whose operations would ask for more memory than the machine can give (an ``aten.full`` of
a terabyte beside tiny weights) is refused, and one past `CHECK_BYTES` is checked by
shapes only.
"""

from __future__ import annotations

import operator
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from torch import fx
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from core.document.graph import Document
from core.errors import InvalidFormatError
from core.io.archive import Archive
from core.io.import_calls import ModuleImportError
from core.io.untrusted import RefusedFileError, load_json, open_regular

JSON_LIMIT = 256 << 20
WEIGHT_LIMIT = 8 << 30
VALUES_CHECKED = 2_000_000  # weights up to which the check runs the values, not shapes only
CHECK_BYTES = 1 << 30  # what that check may allocate, all its results together
_META = torch.device("meta")
_ATEN = re.compile(r"torch\.ops\.aten\.(\w+)\.(\w+)")
# The serializer's dtype codes (torch/_export/serde/schema.py ScalarType)
_DTYPES = {1: torch.uint8, 2: torch.int8, 3: torch.int16, 4: torch.int32, 5: torch.int64,
           6: torch.float16, 7: torch.float32, 8: torch.float64, 12: torch.bool,
           13: torch.bfloat16}


def import_pt2(path: str | Path) -> tuple[Document, dict[str, torch.Tensor]]:
    """The document and weights of the program a ``.pt2`` file holds. Raises
    `ModuleImportError` (what cannot be imported) or `InvalidFormatError` (a damaged or
    refused file)."""
    from core.io.import_skeleton import skeleton_module
    from core.io.module_import import convert_graph

    name = Path(path).name
    with open_regular(path) as (stream, size):
        archive = Archive(stream, size, name)
        program, weights = _read(archive, name)
    graph, signature, example = _Graph(program, name).build()  # example: on meta
    module = skeleton_module(graph, signature, weights, name)
    document = convert_graph(module, SimpleNamespace(graph=graph, graph_signature=signature),
                             example)
    _check_same(graph, signature, weights, document, example, name)
    return document, {key: weights[key] for key in module.state_dict()}


# The archive ---------------------------------------------------------------------------


def _read(archive: Archive, name: str) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    models = sorted(n for n in archive.names() if re.fullmatch(r"[^/]+/models/[^/]+\.json", n))
    if len(models) != 1:
        raise InvalidFormatError(f"{name} holds {len(models)} exported programs, not one: "
                                 "not a file torch.export.save wrote")
    prefix, _, rest = models[0].partition("/models/")
    model = rest.removesuffix(".json")
    program = _json(archive, models[0], name)
    for key in ("graph_module", "range_constraints"):
        if key not in program:
            raise InvalidFormatError(f"{name}: the program has no {key}")
    if program["range_constraints"]:
        raise ModuleImportError(f"{name} was exported with dynamic shapes, which are not "
                                "read yet (their expressions would have to be evaluated)")
    constants = f"{prefix}/data/constants/{model}_constants_config.json"
    if constants in archive.names() and _json(archive, constants, name).get("config"):
        raise ModuleImportError(f"{name} holds constants or custom objects besides its "
                                "weights: not importable (some are stored with pickle)")
    order = archive.read_bytes(f"{prefix}/byteorder", 16) if f"{prefix}/byteorder" in \
        archive.names() else b"little"
    if order.strip() != b"little":
        raise ModuleImportError(f"{name} stores its weights {order.decode(errors='replace')}-"
                                "endian: not read yet")
    config = _json(archive, f"{prefix}/data/weights/{model}_weights_config.json", name)
    weights: dict[str, torch.Tensor] = {}
    for key, entry in dict(config.get("config", {})).items():
        weights[str(key)] = _weight(archive, f"{prefix}/data/weights/", key, entry, name)
    return program, weights


def _json(archive: Archive, member: str, name: str) -> dict[str, Any]:
    if member not in archive.names():
        raise InvalidFormatError(f"{name} has no {member}")
    data = load_json(archive.read_bytes(member, JSON_LIMIT), f"{name}: {member}",
                     max_bytes=JSON_LIMIT, max_depth=64, max_values=20_000_000)
    if not isinstance(data, dict):
        raise InvalidFormatError(f"{name}: {member} is not a JSON object")
    return data


def _weight(archive: Archive, folder: str, key: str, entry: Any, name: str) -> torch.Tensor:
    where = f"{name}: weight {key}"
    try:
        if entry["use_pickle"]:
            raise ModuleImportError(f"{where} is stored with pickle, which is never read")
        meta = entry["tensor_meta"]
        dtype = _DTYPES[meta["dtype"]]
        sizes = [_int(s) for s in meta["sizes"]]
        strides = [_int(s) for s in meta["strides"]]
        offset = _int(meta["storage_offset"])
        member = folder + str(entry["path_name"])
    except (KeyError, TypeError) as error:
        raise InvalidFormatError(f"{where}: its entry is malformed ({error})") from None
    if "/" in member[len(folder):] or member not in archive.names():
        raise InvalidFormatError(f"{where}: {member} is not in the archive")
    raw = archive.read(member, WEIGHT_LIMIT)
    element = torch.empty(0, dtype=dtype).element_size()
    if raw.numel() % element:
        raise InvalidFormatError(f"{where}: its storage is not a whole number of elements")
    storage = raw.view(dtype) if raw.numel() else torch.empty(0, dtype=dtype)
    span = offset + sum((s - 1) * st for s, st in zip(sizes, strides, strict=True)) + 1 \
        if all(sizes) else 0
    if any(s < 0 for s in sizes + strides) or offset < 0 or span > storage.numel():
        raise InvalidFormatError(f"{where}: its sizes and strides run past its storage")
    tensor = torch.as_strided(storage, sizes, strides, offset)
    whole = offset == 0 and tensor.is_contiguous() and tensor.numel() == storage.numel()
    return tensor if whole else tensor.clone()  # the buffer was read for this weight alone


def _int(value: Any) -> int:
    if isinstance(value, dict) and isinstance(value.get("as_int"), int):
        return value["as_int"]
    raise ModuleImportError("a size that is an expression (dynamic shapes) is not read yet")


# The graph -----------------------------------------------------------------------------


class _Graph:
    """The recorded operations as an fx graph of aten operations."""

    def __init__(self, program: dict[str, Any], name: str) -> None:
        self.name = name
        try:
            module = program["graph_module"]
            self.data = module["graph"]
            self.specs = module["signature"]
            self.values = self.data["tensor_values"]
        except (KeyError, TypeError) as error:
            raise InvalidFormatError(f"{name}: the program lacks {error}") from None
        for kind in ("sym_int_values", "sym_bool_values", "sym_float_values",
                     "custom_obj_values"):
            if self.data.get(kind):
                raise ModuleImportError(f"{name}: the program uses {kind.replace('_', ' ')}, "
                                        "which are not read yet")
        self.graph = fx.Graph()
        self.env: dict[str, fx.Node] = {}

    def build(self) -> tuple[fx.Graph, SimpleNamespace, torch.Tensor]:
        parameters: dict[str, str] = {}
        buffers: dict[str, str] = {}
        inputs: list[str] = []
        for spec in self.specs.get("input_specs", []):
            if "parameter" in spec:
                parameters[spec["parameter"]["arg"]["name"]] = spec["parameter"]["parameter_name"]
            elif "buffer" in spec:
                buffers[spec["buffer"]["arg"]["name"]] = spec["buffer"]["buffer_name"]
            elif "user_input" in spec:
                inputs.append(spec["user_input"]["arg"]["as_tensor"]["name"])
            else:
                raise ModuleImportError(f"{self.name}: an input of kind {sorted(spec)} is not "
                                        "read yet")
        if len(inputs) != 1:
            raise ModuleImportError(f"{self.name}: the program takes {len(inputs)} inputs; "
                                    "only programs of one input are imported yet")
        for spec in self.specs.get("output_specs", []):
            if "user_output" not in spec:
                raise ModuleImportError(f"{self.name}: the program also gives "
                                        f"{sorted(spec)[0].replace('_', ' ')}: not importable "
                                        "(was it exported in training mode?)")
        for entry in self.data["inputs"]:
            name = entry["as_tensor"]["name"]
            node = self.graph.placeholder(name)
            node.meta["val"] = self._fake(name)
            self.env[name] = node
        for record in self.data["nodes"]:
            self._node(record)
        outputs = [self.env[o["as_tensor"]["name"]] for o in self.data["outputs"]]
        self.graph.output(tuple(outputs))
        signature = SimpleNamespace(inputs_to_parameters=parameters,
                                    inputs_to_buffers=buffers)
        return self.graph, signature, self.env[inputs[0]].meta["val"]

    def _fake(self, name: str) -> torch.Tensor:
        meta = self.values.get(name)
        if meta is None:
            raise InvalidFormatError(f"{self.name}: no shape is recorded for {name}")
        dtype = _DTYPES.get(meta.get("dtype"))
        if dtype is None:
            raise ModuleImportError(f"{self.name}: {name} has a dtype that is not read yet")
        return torch.empty([_int(s) for s in meta["sizes"]], dtype=dtype, device="meta")

    def _target(self, text: str) -> Any:
        if text in ("_operator.getitem", "operator.getitem"):
            return operator.getitem
        match = _ATEN.fullmatch(text)
        if match is None:
            raise ModuleImportError(f"{self.name}: the program calls {text[:80]}; only aten "
                                    "operations are read")
        packet = getattr(torch.ops.aten, match.group(1), None)
        overload = getattr(packet, match.group(2), None) if packet is not None else None
        if overload is None:
            raise ModuleImportError(f"{self.name}: {text[:80]} is not an operation of this "
                                    "torch")
        if match.group(1) in _OUTSIDE_MEMORY or any(
                argument.name == "filename" for argument in overload._schema.arguments):
            raise ModuleImportError(f"{self.name}: the program calls {text[:80]}, which "
                                    "reaches outside the tensors (files, the console); it "
                                    "is not run")
        return overload

    def _argument(self, arg: dict[str, Any]) -> Any:
        (kind, value), = arg.items()
        if kind == "as_tensor":
            return self.env[value["name"]]
        if kind == "as_tensors":
            return [self.env[v["name"]] for v in value]
        if kind == "as_optional_tensors":
            return [None if "as_none" in v else self.env[v["as_tensor"]["name"]]
                    for v in value]
        if kind in ("as_none",):
            return None
        if kind in ("as_int", "as_float", "as_bool", "as_string", "as_ints", "as_floats",
                    "as_bools", "as_strings"):
            return list(value) if isinstance(value, list) else value
        if kind == "as_scalar_type" and value in _DTYPES:
            return _DTYPES[value]
        if kind == "as_layout":
            return torch.strided
        if kind == "as_memory_format":
            return torch.contiguous_format
        if kind == "as_device" and isinstance(value, dict) and value.get("type") in ("cpu",
                                                                                      "meta"):
            return torch.device("cpu")
        raise ModuleImportError(f"{self.name}: an argument of kind {kind} is not read yet")

    def _node(self, record: dict[str, Any]) -> None:
        target = self._target(record["target"])
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for item in record["inputs"]:
            value = self._argument(item["arg"])
            if item.get("kind", 1) == 1:
                args.append(value)
            else:
                kwargs[item["name"]] = value
        node = self.graph.call_function(target, tuple(args), kwargs)
        node.meta["nn_module_stack"] = _stack(record.get("metadata", {}).get(
            "nn_module_stack", ""))
        outputs = record["outputs"]
        if len(outputs) == 1 and "as_tensor" in outputs[0]:
            name = outputs[0]["as_tensor"]["name"]
            node.meta["val"] = self._fake(name)
            self.env[name] = node
            return
        names = [o["as_tensor"]["name"] if "as_tensor" in o else None for o in outputs] \
            if not (len(outputs) == 1 and "as_tensors" in outputs[0]) else \
            [o["name"] for o in outputs[0]["as_tensors"]]
        node.meta["val"] = tuple(self._fake(n) if n else None for n in names)
        for index, name in enumerate(names):
            if name is None:
                continue
            item = self.graph.call_function(operator.getitem, (node, index))
            item.meta["val"] = self._fake(name)
            item.meta["nn_module_stack"] = node.meta["nn_module_stack"]
            self.env[name] = item


def _stack(text: str) -> dict[str, tuple[str, str]]:
    """``key,path,type;...`` as ``{key: (path, type)}``."""
    stack: dict[str, tuple[str, str]] = {}
    for entry in filter(None, str(text).split(";")):
        parts = entry.split(",")
        if len(parts) != 3:
            raise ModuleImportError(f"a module path is recorded as {entry[:80]!r}, which is "
                                    "not read")
        key, path, kind = parts
        stack[key] = (path, kind)
    return stack


# aten operations that read or write files or print: a recorded program is run to check
# the network read from it, so these are refused by name (with any taking a file name).
_OUTSIDE_MEMORY = frozenset({"from_file", "save", "_print", "warn", "_test_warn_in_autograd"})


def _check_same(graph: fx.Graph, signature: SimpleNamespace, weights: dict[str, torch.Tensor],
                document: Document, example: torch.Tensor, name: str) -> None:
    """Run the recorded operations (aten only) and the document on one input: with the
    file's weights for a network of up to `VALUES_CHECKED` values whose run allocates at
    most `CHECK_BYTES`, on ``meta`` (shapes only) otherwise, where two forward passes
    would take seconds or the memory. Raises `ModuleImportError` when they differ or
    when the record's run would not fit in memory (measured on meta, nothing allocated)."""
    from core.errors import BuildError
    from core.runtime.build import build_module
    from core.runtime.limits import check_fits

    tensors = {**signature.inputs_to_parameters, **signature.inputs_to_buffers}
    placeholders = [node.name for node in graph.nodes if node.op == "placeholder"]
    recorded = fx.GraphModule(torch.nn.Module(), graph)
    with torch.device("meta"):  # no initialization: the file's weights are put in place
        built = build_module(document)

    def run(device: str) -> tuple[Any, Any]:
        sample = torch.randn(example.shape, device=device) if example.is_floating_point() \
            else torch.zeros(example.shape, dtype=example.dtype, device=device)
        # copies: an in-place operation in the record must not reach the weights read
        feed = [weights[tensors[p]].to(device, copy=True) if p in tensors else sample
                for p in placeholders]
        state = {key: weights[key].to(device) for key in built.state_dict()}
        built.load_state_dict(state, strict=True, assign=True)
        with torch.no_grad():
            return recorded(*feed)[0], built.eval()(sample)

    try:
        with _Allocations() as allocations:
            expected, got = run("meta")
        check_fits(allocations.total, f"{name}: running the recorded program to check it",
                   "(its results and the network's, on its recorded input)")
    except BuildError as error:
        raise ModuleImportError(str(error)) from None
    except RuntimeError as error:  # a size past what a tensor can hold, among others
        raise ModuleImportError(f"{name}: the recorded program cannot be run to check it "
                                f"({str(error)[:200]})") from None
    if sum(t.numel() for t in weights.values()) <= VALUES_CHECKED and \
            allocations.total <= CHECK_BYTES:
        try:  # an operation's own scratch memory is not among the results counted above
            expected, got = run("cpu")
        except RuntimeError as error:
            raise ModuleImportError(f"{name}: the recorded program fails when run to check "
                                    f"it ({str(error)[:200]})") from None
    same = isinstance(got, torch.Tensor) and got.shape == expected.shape and (
        got.device.type == "meta" or torch.allclose(got, expected, atol=1e-4, rtol=1e-4))
    if not same:
        raise ModuleImportError(f"{name}: the network read from the file does not compute "
                                "what the file records")


class _Allocations(TorchDispatchMode):
    """Runs every aten operation on ``meta`` (a recorded ``device`` argument too) and
    adds up the bytes of the new tensors they return (a view or an in-place result shares
    its input's memory, and is not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None
                           ) -> Any:
        args, kwargs = list(args), dict(kwargs or {})
        for index, argument in enumerate(func._schema.arguments):
            if argument.name == "device":
                if index < len(args) and not argument.kwarg_only:
                    args[index] = _META
                else:
                    kwargs["device"] = _META
        result = func(*args, **kwargs)
        if all(r.alias_info is None for r in func._schema.returns):
            self.total += sum(leaf.nbytes for leaf in tree_leaves(result)
                              if isinstance(leaf, torch.Tensor))
        return result


__all__ = ["RefusedFileError", "import_pt2"]
