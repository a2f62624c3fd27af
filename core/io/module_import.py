"""Any `nn.Module` in: a document whose built module has the original's nesting, names,
state_dict and outputs.

`torch.fx` traces the forward. Layers the catalog has are kept whole (a layer node each);
every other module is traced through and becomes a block with the same attribute name,
rebuilt from the module path `torch.fx` records for each operation. A block takes as many
inputs and gives as many outputs as cross its border. The tensor functions a forward calls
(``out += identity``, ``torch.flatten(x, 1)``, ``x.mean(dim=1)``, ``h[-1]``) become the
palette's layers and tensor operations (`core.io.import_calls`); the parameters and
buffers a forward reads become ``Parameter`` nodes; the modules of an ``nn.ModuleList``
are held in it (named ``layers.0``) and called where the forward calls them.
What cannot be represented yet is refused with a `ModuleImportError` naming the module and
the reason; nothing is half imported.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from core.catalog.registry import CATALOG, CUSTOM_SOURCES, LayerSpec
from core.document.graph import (
    BLOCK,
    INPUT,
    MODULE,
    OUTPUT,
    SEQUENTIAL,
    Document,
    Edge,
    Graph,
    InputSpec,
    Node,
)
from core.document.layout import fill_missing_positions
from core.errors import TorchCanvasError
from core.io.import_calls import Alias, Converted, ModuleImportError, Symbolic, convert_call
from core.io.import_layers import layer_args, module_inputs

__all__ = ["ModuleImportError", "import_module", "import_module_noting"]

ROOT_PATH = ""
_DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}


def import_module(module: nn.Module, example_input: torch.Tensor, capture: str = "auto",
                  ) -> tuple[Document, dict[str, torch.Tensor]]:
    """The document for ``module`` and the weights to load into it (its state_dict).

    ``example_input`` gives the input's shape and dtype. ``capture``: ``"fx"``,
    ``"export"`` (torch.export, which runs the forward on the example), or ``"auto"``:
    torch.fx, torch.export where fx cannot follow the forward, and where neither can,
    the parts they cannot follow kept whole as layers of their own code
    (`import_module_noting` says which and why). Raises `ModuleImportError`."""
    document, weights, _ = import_module_noting(module, example_input, capture)
    return document, weights


def import_module_noting(module: nn.Module, example_input: torch.Tensor,
                         capture: str = "auto",
                         ) -> tuple[Document, dict[str, torch.Tensor], list[str]]:
    """`import_module`, and notes for the person: the parts kept whole, and why."""
    if not isinstance(example_input, torch.Tensor):
        raise ModuleImportError("the example input must be one tensor (a model with "
                                "several inputs cannot be imported yet)")
    notes: list[str] = []
    opaque: dict[str, LayerSpec] = {}
    if capture == "export":
        graph = _export(module, example_input, None)
    else:
        try:
            graph = _trace(module)
        except ModuleImportError as traced:
            if capture == "fx":
                raise
            try:
                graph = _export(module, example_input, traced)
            except ModuleImportError as neither:
                graph, opaque, notes = _trace_around(module, neither)
    document = _Converter(module, graph, opaque).document(example_input)
    if opaque:
        document.custom_layers.update({spec.type: CUSTOM_SOURCES[spec.type]
                                       for spec in opaque.values()})
    weights = {key: value.detach() for key, value in module.state_dict().items()}
    _check_keys(document, weights)
    if opaque:
        _check_outputs(document, weights, module, example_input)
    return document, weights, notes


def _trace_around(module: nn.Module, failure: ModuleImportError
                  ) -> tuple[fx.Graph, dict[str, LayerSpec], list[str]]:
    """The trace with the parts neither fx nor export can follow kept whole."""
    from core.io.import_opaque import opaque_layer, opaque_parts

    parts = opaque_parts(module, _Tracer, failure)
    opaque: dict[str, LayerSpec] = {}
    notes: list[str] = []
    for path, why in parts.items():
        spec, note = opaque_layer(module.get_submodule(path), path, why)
        opaque[path] = spec
        notes.append(note)
    kept = set(parts)

    class Around(_Tracer):
        def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
            return module_qualified_name in kept or \
                super().is_leaf_module(m, module_qualified_name)

    try:
        graph = Around().trace(module)
    except Exception:  # parts found, yet the trace still fails: the first reason stands
        raise failure from None
    return _drop_unused(graph), opaque, notes


def _check_outputs(document: Document, weights: dict[str, torch.Tensor], module: nn.Module,
                   example: torch.Tensor) -> None:
    from core.runtime.build import build_module

    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    with torch.no_grad():
        got, expected = built.eval()(example), module(example)
    same = isinstance(got, torch.Tensor) and isinstance(expected, torch.Tensor) and \
        got.shape == expected.shape and torch.allclose(got, expected, atol=1e-5)
    if not same:
        raise ModuleImportError("with the parts torch.fx and torch.export cannot follow "
                                "kept whole, the imported network does not compute what "
                                f"{type(module).__name__} does")


# Tracing ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _spec_by_class() -> dict[type, LayerSpec]:
    classes: dict[type, LayerSpec] = {}
    for spec in CATALOG.values():
        if spec.factory_path.startswith("nn.") and isinstance(spec.factory, type):
            classes.setdefault(spec.factory, spec)
    return classes


def _is_layer(module: nn.Module) -> bool:
    """A module the catalog has: it stays one node."""
    return type(module) in _spec_by_class()


def _is_held(module: nn.Module) -> bool:
    """A container with no forward of its own: its modules are called by its owner."""
    return isinstance(module, (nn.ModuleList, nn.ModuleDict)) and \
        type(module).forward is nn.Module.forward


class _Tracer(fx.Tracer):
    """Keeps every catalog layer whole and traces through everything else.

    ``nn.TransformerEncoder`` is followed as what its forward does without masks (each
    layer in turn, then the norm): the real forward asks questions of its input
    (``src.is_nested``) that a trace cannot answer.
    """

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return _is_layer(m)

    def call_module(self, m: nn.Module, forward: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        if isinstance(m, nn.TransformerEncoder) and len(args) == 1 and \
                all(v is None or v is False for v in kwargs.values()):
            def encode(src: Any) -> Any:
                for layer in m.layers:
                    src = layer(src)
                return src if m.norm is None else m.norm(src)

            forward = encode
        return super().call_module(m, forward, args, kwargs)


def _trace(module: nn.Module) -> fx.Graph:
    try:
        graph = _Tracer().trace(module)
    except Exception as error:  # any failure of tracing user code is this message
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModuleImportError(
            f"torch.fx could not follow the forward of {type(module).__name__}: "
            f"{type(error).__name__}: {first}") from None
    return _drop_unused(graph)


def _drop_unused(graph: fx.Graph) -> fx.Graph:
    for value in reversed(list(graph.nodes)):  # `out, (h, c) = lstm(x)` leaves out, c unused
        if value.op == "call_function" and value.target in (operator.getitem, getattr) \
                and not value.users:
            graph.erase_node(value)
    return graph


def convert_graph(module: nn.Module, program: Any, example: torch.Tensor) -> Document:
    """The document for an exported program's graph (``program.graph`` and its
    ``graph_signature``) of ``module``'s forward."""
    from core.io.import_export import module_graph

    document = _Converter(module, module_graph(program, module, _is_layer)).document(example)
    _check_keys(document, {key: value.detach() for key, value in module.state_dict().items()})
    return document


def _export(module: nn.Module, example: torch.Tensor, traced: ModuleImportError | None
            ) -> fx.Graph:
    """torch.export's record of the forward (where torch.fx could not follow it: the
    message then gives both reasons)."""
    from core.io.import_export import export_program, module_graph

    try:
        return module_graph(export_program(module, example), module, _is_layer)
    except ModuleImportError as exported:
        if traced is None:
            raise
        raise ModuleImportError(f"{traced}; {exported}") from None


# Converting -----------------------------------------------------------------------------


@dataclass
class _Scope:
    """A module traced through: it becomes a block (or, for the top, the root graph)."""

    path: str
    module: nn.Module
    node: Node | None  # None for the root
    graph: Graph
    parent: str | None
    inputs: list[fx.Node] = field(default_factory=list)
    outputs: list[fx.Node] = field(default_factory=list)

    @property
    def sequential(self) -> bool:
        return self.graph.container == SEQUENTIAL


class _Converter:
    def __init__(self, module: nn.Module, graph: fx.Graph,
                 opaque: dict[str, LayerSpec] | None = None) -> None:
        self.module = module
        self.fx_graph = graph
        self.opaque = opaque or {}  # module path → the layer of its own code
        self.specs = _spec_by_class()
        self.count = 0
        self.scopes: dict[str, _Scope] = {}
        self.layers: dict[str, Node] = {}  # module path → its node (the first call)
        self.tensors: dict[str, tuple[str, Node]] = {}  # tensor path → (scope, its node)
        self.called: set[str] = set()  # paths of the layers called so far
        self.graph_of: dict[str, Graph] = {}  # node id → the graph that holds it
        self.value_node: dict[fx.Node, Node] = {}  # fx value → the document node making it
        self.value_scope: dict[fx.Node, str] = {}  # fx value → the scope it is made in
        self.symbolic: dict[fx.Node, Symbolic] = {}  # sizes and shapes read from tensors
        self.aliases: dict[fx.Node, fx.Node] = {}  # values that are another value
        # (child block, value) → the token that stands for that output of the block in its
        # parent's edges until every block knows how many outputs it gives (one: the
        # block itself; more: a GetItem of it; see _resolve_block_outputs)
        self.pending: dict[tuple[str, fx.Node], str] = {}

    # Ids, names, scopes

    def _id(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def document(self, example: torch.Tensor) -> Document:
        root = self._make_scope(ROOT_PATH, self.module, None, None)
        self._add_registered(root)
        self._convert_calls()
        self._wire_boundaries()
        self._resolve_block_outputs()
        dtype = str(example.dtype).removeprefix("torch.")
        document = Document(root=root.graph, input=InputSpec(tuple(example.shape), dtype),
                            title=type(self.module).__name__)
        fill_missing_positions(document)
        return document

    def _make_scope(self, path: str, module: nn.Module, node: Node | None,
                    parent: str | None) -> _Scope:
        sequential = isinstance(module, nn.Sequential)
        graph = Graph(container=SEQUENTIAL if sequential else MODULE,
                      class_name="" if sequential else type(module).__name__)
        scope = _Scope(path, module, node, graph, parent)
        self.scopes[path] = scope
        return scope

    def _add_registered(self, scope: _Scope) -> None:
        """A node for every tensor and child the module registers, in its order (so the
        state_dict keys come out in the same order), whether or not the forward uses it."""
        self._add_tensors(scope)
        for position, (name, child) in enumerate(scope.module.named_children()):
            shown = "" if scope.sequential and name == str(position) else name
            self._add_child(scope, name, shown, child)

    def _add_child(self, scope: _Scope, name: str, shown: str, child: nn.Module) -> None:
        """``name`` is the child's path below ``scope`` (``layers.0`` for a held one)."""
        path = f"{scope.path}.{name}" if scope.path else name
        if _is_held(child):
            if child._parameters or child._buffers:
                raise ModuleImportError(f"{_label(path, child)} holds tensors of its own, "
                                        "which cannot be imported yet")
            for key, item in child.named_children():
                self._add_child(scope, f"{name}.{key}", f"{name}.{key}", item)
            return
        if path in self.opaque or _is_layer(child):
            spec = self.opaque.get(path) or self.specs[type(child)]
            node = Node(self._id(), spec.type, layer_args(spec, child, path), shown)
            self.layers[path] = node
        else:
            node = Node(self._id(), BLOCK, {}, shown)
            inner = self._make_scope(path, child, node, scope.path)
            node.graph = inner.graph
            self._add_registered(inner)
        scope.graph.nodes.append(node)
        self.graph_of[node.id] = scope.graph

    def _add_tensors(self, scope: _Scope) -> None:
        """A ``Parameter`` node for each parameter and buffer the module holds itself."""
        module = scope.module
        entries = [(name, tensor, False) for name, tensor in module._parameters.items()] + \
            [(name, tensor, True) for name, tensor in module._buffers.items()]
        for name, tensor, buffer in entries:
            if tensor is None:
                continue
            where = f"{_label(scope.path, module)}: {name}"
            if tensor.dtype not in _DTYPES or tensor.dim() == 0:
                raise ModuleImportError(f"{where} is a {tensor.dim()}-dimensional "
                                        f"{tensor.dtype} tensor, which a Parameter node "
                                        "cannot hold yet")
            persistent = name not in module._non_persistent_buffers_set
            init = "zeros"
            if buffer and not persistent:  # not in the state_dict: its values must be known
                init = next((fill for fill, value in (("zeros", 0), ("ones", 1))
                             if bool((tensor == value).all())), "")
                if not init:
                    raise ModuleImportError(f"{where} is a buffer kept out of the state_dict "
                                            "(persistent=False): its values cannot be "
                                            "imported")
            node = Node(self._id(), "Parameter", CATALOG["Parameter"].validate_args({
                "shape": tuple(tensor.shape), "buffer": buffer, "persistent": persistent,
                "requires_grad": bool(tensor.requires_grad) if not buffer else True,
                "init": init, "dtype": _DTYPES[tensor.dtype]}), name)
            scope.graph.nodes.append(node)
            self.graph_of[node.id] = scope.graph
            self.tensors[f"{scope.path}.{name}" if scope.path else name] = (scope.path, node)

    # The calls

    def _convert_calls(self) -> None:
        for value in self.fx_graph.nodes:
            if value.op == "placeholder":
                if self.value_scope:
                    raise ModuleImportError(f"{type(self.module).__name__}.forward takes "
                                            "several inputs: not importable yet")
                self.value_scope[value] = ROOT_PATH
            elif value.op == "call_module":
                self._call_module(value)
            elif value.op in ("call_function", "call_method"):
                self._call_function(value)
            elif value.op == "get_attr":
                self._get_attr(value)
            elif value.op == "output":
                self._output(value)

    def _scope_of(self, value: fx.Node, leaf: bool) -> str:
        """The module whose forward made ``value``; ``leaf``: the last entry of the stack
        is the called layer itself."""
        stack = list(value.meta.get("nn_module_stack", {}).items())
        if leaf:
            stack = stack[:-1]
        if not stack:
            return ROOT_PATH
        key, (path, _) = stack[-1]
        if key != path:  # "layer1.0@1": the second call of one block
            raise ModuleImportError(f"{path} is called more than once: a block used twice "
                                    "cannot be imported yet")
        return path

    def _call_module(self, value: fx.Node) -> None:
        path = str(value.target)
        owner = self.layers.get(path)
        if owner is None:
            raise ModuleImportError(f"{path}: called but not found among the modules")
        scope = self._scope_of(value, leaf=True)
        if path in self.called:  # called again: a twin that shares its module
            node = Node(self._id(), owner.type, dict(owner.args), "", owner.id)
            self.scopes[scope].graph.nodes.append(node)
        else:
            node = owner
            self.called.add(path)
            if self.graph_of[owner.id] is not self.scopes[scope].graph:
                raise ModuleImportError(f"{path} is called from {scope or 'the top'}, "
                                        "outside the module that holds it")
        inputs = module_inputs(value, self.module, path)
        self._place(value, node, scope, inputs)

    def _call_function(self, value: fx.Node) -> None:
        scope = self._scope_of(value, leaf=False)
        converted = convert_call(value, self.symbolic, _label(scope, None))
        if isinstance(converted, Alias):
            self.aliases[value] = converted.tensor
            return
        if not isinstance(converted, Converted):
            self.symbolic[value] = converted
            return
        spec = CATALOG[converted.type]
        try:
            args = spec.validate_args(converted.args)
        except TorchCanvasError as error:
            raise ModuleImportError(f"{_label(scope, None)}: {converted.type}: {error}") \
                from None
        node = Node(self._id(), converted.type, args, "")
        self.scopes[scope].graph.nodes.append(node)
        self._place(value, node, scope, converted.inputs)

    def _get_attr(self, value: fx.Node) -> None:
        target = str(value.target)
        if target not in self.tensors:
            raise ModuleImportError(f"{target}: a tensor attribute that is neither a "
                                    "parameter nor a buffer cannot be imported")
        owner, node = self.tensors[target]
        scope = self._scope_of(value, leaf=False)
        if owner != scope:
            raise ModuleImportError(f"{target} is read in the forward of "
                                    f"{scope or 'the top'}, not of the module that holds it")
        self._place(value, node, scope, [])

    def _place(self, value: fx.Node, node: Node, scope: str, inputs: list[fx.Node]) -> None:
        self.value_node[value] = node
        self.value_scope[value] = scope
        graph = self.scopes[scope].graph
        for port, source in enumerate(inputs):
            src, src_port = self._source(source, scope)
            graph.edges.append(Edge(src, node.id, port, src_port))

    def _output(self, value: fx.Node) -> None:
        result = value.args[0]
        results = list(result) if isinstance(result, (tuple, list)) else [result]
        if not results or not all(isinstance(r, fx.Node) for r in results):
            raise ModuleImportError(f"{type(self.module).__name__}.forward returns "
                                    f"{type(result).__name__}, not tensors: not importable "
                                    "yet")
        for port, item in enumerate(results):
            assert isinstance(item, fx.Node)
            src, src_port = self._source(item, ROOT_PATH)
            self.scopes[ROOT_PATH].graph.edges.append(Edge(src, OUTPUT, port, src_port))

    # Values crossing the edges of blocks

    def _source(self, value: fx.Node, scope: str) -> tuple[str, int]:
        """What stands for ``value`` inside ``scope``'s graph: its node, (an output of)
        the child block that makes it, or one of the graph's inputs; blocks on the way
        learn their inputs and outputs."""
        while value in self.aliases:
            value = self.aliases[value]
        if value in self.symbolic:
            raise ModuleImportError(f"{_label(scope, None)}: a size ({value.name}) is used "
                                    "as a tensor, which cannot be imported yet")
        made_in = self.value_scope.get(value)
        if made_in is None:
            raise ModuleImportError(f"{value.name} is used before it is made")
        if made_in == scope:
            return (INPUT, 0) if value.op == "placeholder" else (self.value_node[value].id, 0)
        if self._inside(made_in, scope):
            child = self.scopes[self._child_towards(scope, made_in)]
            if value not in child.outputs:
                child.outputs.append(value)
            assert child.node is not None
            token = f"\0{child.node.id}\0{value.name}"
            self.pending[(child.path, value)] = token
            return token, 0
        inputs = self.scopes[scope].inputs
        if value not in inputs:
            inputs.append(value)
        return INPUT, inputs.index(value)

    def _inside(self, path: str, outer: str) -> bool:
        while path != outer:
            parent = self.scopes[path].parent
            if parent is None:
                return False
            path = parent
        return True

    def _child_towards(self, outer: str, inner: str) -> str:
        while self.scopes[inner].parent != outer:
            inner = self.scopes[inner].parent  # type: ignore[assignment]
        return inner

    def _wire_boundaries(self) -> None:
        """Each block's inputs come from where their values are made, and its outputs
        leave it. Wiring one boundary can give another block an input or output (a value
        passed through several levels), so this goes on until nothing new is learnt."""
        wired: set[tuple[str, str, fx.Node]] = set()
        while True:
            pending = [(scope, "in", value) for scope in self.scopes.values()
                       if scope.node is not None for value in scope.inputs] + \
                      [(scope, "out", value) for scope in self.scopes.values()
                       for value in scope.outputs]
            pending = [p for p in pending if (p[0].path, p[1], p[2]) not in wired]
            if not pending:
                break
            for scope, side, value in pending:
                wired.add((scope.path, side, value))
                if side == "out":
                    src, src_port = self._source(value, scope.path)
                    scope.graph.edges.append(
                        Edge(src, OUTPUT, scope.outputs.index(value), src_port))
                    continue
                assert scope.node is not None and scope.parent is not None
                src, src_port = self._source(value, scope.parent)
                self.scopes[scope.parent].graph.edges.append(
                    Edge(src, scope.node.id, scope.inputs.index(value), src_port))
        for scope in self.scopes.values():
            scope.graph.edges = list(dict.fromkeys(scope.graph.edges))

    def _resolve_block_outputs(self) -> None:
        """Edges from a block that gives one output come from the block; from a block that
        gives several, from a GetItem that picks the output."""
        keys: dict[str, str] = {}
        for (path, value), token in self.pending.items():
            scope = self.scopes[path]
            assert scope.node is not None and scope.parent is not None
            if len(scope.outputs) == 1:
                keys[token] = scope.node.id
                continue
            index = scope.outputs.index(value)
            picker = Node(self._id(), "GetItem",
                          CATALOG["GetItem"].validate_args({"index": (index,)}))
            parent = self.scopes[scope.parent].graph
            parent.nodes.append(picker)
            parent.edges.append(Edge(scope.node.id, picker.id))
            keys[token] = picker.id
        for scope in self.scopes.values():
            scope.graph.edges = [Edge(keys.get(e.src, e.src), e.dst, e.port, e.src_port)
                                 for e in scope.graph.edges]
            if not any(edge.dst == OUTPUT for edge in scope.graph.edges):
                # never called, or the identity in this mode (stochastic depth in eval)
                scope.graph.edges.append(Edge(INPUT, OUTPUT))


def _label(path: str, module: nn.Module | None) -> str:
    name = path or "the top module"
    return f"{name} ({type(module).__name__})" if module is not None else name


# Checking -------------------------------------------------------------------------------


def _check_keys(document: Document, weights: dict[str, torch.Tensor]) -> None:
    from core.runtime.build import build_module

    with torch.device("meta"):
        built = build_module(document)
    ours = {key: tuple(value.shape) for key, value in built.state_dict().items()}
    theirs = {key: tuple(value.shape) for key, value in weights.items()}
    if ours != theirs:
        missing = sorted(theirs.keys() - ours.keys())
        extra = sorted(ours.keys() - theirs.keys())
        different = sorted(k for k in ours.keys() & theirs.keys() if ours[k] != theirs[k])
        problems = [f"{label}: {', '.join(keys[:4])}" for label, keys in (
            ("missing", missing), ("unexpected", extra), ("other shapes", different)) if keys]
        raise ModuleImportError("the imported graph's state_dict differs from the module's "
                                f"({'; '.join(problems)})")
