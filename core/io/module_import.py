"""Any `nn.Module` in: a document whose built module has the original's nesting, names,
state_dict and outputs.

`torch.fx` traces the forward. Modules the catalog has are kept whole (a layer node each);
every other module is traced through and becomes a block with the same attribute name,
rebuilt from the module path `torch.fx` records for each operation. The tensor functions
a forward calls (``out += identity``, ``torch.flatten(x, 1)``, ``F.relu``) become the
palette's layers. What cannot be represented yet is refused with a `ModuleImportError`
naming the module and the reason; nothing is half imported.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn
from torch.nn import functional

from core.catalog.registry import CATALOG, LayerSpec
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

ROOT_PATH = ""


class ModuleImportError(TorchCanvasError):
    """A module, or a part of it, that cannot become a document (yet); the message names
    the part and why."""


def import_module(module: nn.Module, example_input: torch.Tensor,
                  ) -> tuple[Document, dict[str, torch.Tensor]]:
    """The document for ``module`` and the weights to load into it (its state_dict).

    ``example_input`` gives the input's shape and dtype. Raises `ModuleImportError`."""
    if not isinstance(example_input, torch.Tensor):
        raise ModuleImportError("the example input must be one tensor (a model with "
                                "several inputs cannot be imported yet)")
    graph = _trace(module)
    document = _Converter(module, graph).document(example_input)
    weights = {key: value.detach() for key, value in module.state_dict().items()}
    _check_keys(document, weights)
    return document, weights


# Tracing ------------------------------------------------------------------------------


def _spec_by_class() -> dict[type, LayerSpec]:
    classes: dict[type, LayerSpec] = {}
    for spec in CATALOG.values():
        if spec.factory_path.startswith("nn.") and isinstance(spec.factory, type):
            classes.setdefault(spec.factory, spec)
    return classes


class _Tracer(fx.Tracer):
    """Keeps every `torch.nn` layer whole and traces through everything else."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
            return False
        return type(m).__module__.startswith("torch.nn")


def _trace(module: nn.Module) -> fx.Graph:
    try:
        return _Tracer().trace(module)
    except Exception as error:  # any failure of tracing user code is this message
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModuleImportError(
            f"torch.fx could not follow the forward of {type(module).__name__}: "
            f"{type(error).__name__}: {first}") from None


# Converting -----------------------------------------------------------------------------


@dataclass
class _Scope:
    """A module traced through: it becomes a block (or, for the top, the root graph)."""

    path: str
    module: nn.Module
    node: Node | None  # None for the root
    graph: Graph
    inputs: list[fx.Node] = field(default_factory=list)
    outputs: list[fx.Node] = field(default_factory=list)

    @property
    def sequential(self) -> bool:
        return self.graph.container == SEQUENTIAL


class _Converter:
    def __init__(self, module: nn.Module, graph: fx.Graph) -> None:
        self.module = module
        self.fx_graph = graph
        self.specs = _spec_by_class()
        self.count = 0
        self.scopes: dict[str, _Scope] = {}
        self.layers: dict[str, Node] = {}  # module path → its node (the first call)
        self.called: set[str] = set()  # paths of the layers called so far
        self.graph_of: dict[str, Graph] = {}  # node id → the graph that holds it
        self.value_node: dict[fx.Node, Node] = {}  # fx value → the document node making it
        self.value_scope: dict[fx.Node, str] = {}  # fx value → the scope it is made in

    # Ids, names, scopes

    def _id(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def document(self, example: torch.Tensor) -> Document:
        root = self._make_scope(ROOT_PATH, self.module, None)
        self._add_registered(root)
        self._convert_calls()
        self._wire_boundaries()
        dtype = str(example.dtype).removeprefix("torch.")
        document = Document(root=root.graph, input=InputSpec(tuple(example.shape), dtype),
                            title=type(self.module).__name__)
        fill_missing_positions(document)
        return document

    def _make_scope(self, path: str, module: nn.Module, node: Node | None) -> _Scope:
        sequential = isinstance(module, nn.Sequential)
        graph = Graph(container=SEQUENTIAL if sequential else MODULE,
                      class_name="" if sequential else type(module).__name__)
        scope = _Scope(path, module, node, graph)
        self.scopes[path] = scope
        return scope

    def _add_registered(self, scope: _Scope) -> None:
        """A node for every child the module registers, in its order (so the state_dict
        keys come out in the same order), whether or not the forward calls it."""
        if scope.module._parameters or scope.module._buffers:
            names = list(scope.module._parameters) + list(scope.module._buffers)
            raise ModuleImportError(
                f"{_label(scope.path, scope.module)} holds tensors of its own "
                f"({', '.join(names[:3])}): parameters used directly in a forward cannot "
                "be imported yet")
        for position, (name, child) in enumerate(scope.module.named_children()):
            path = f"{scope.path}.{name}" if scope.path else name
            shown = "" if scope.sequential and name == str(position) else name
            if isinstance(child, (nn.ModuleList, nn.ModuleDict)):
                raise ModuleImportError(
                    f"{_label(path, child)}: an {type(child).__name__} (modules called in a "
                    "loop) cannot be imported yet")
            if _Tracer().is_leaf_module(child, path):
                node = Node(self._id(), self._layer_type(path, child), _layer_args(
                    self.specs[type(child)], child, path), shown)
                self.layers[path] = node
            else:
                node = Node(self._id(), BLOCK, {}, shown)
                inner = self._make_scope(path, child, node)
                node.graph = inner.graph
                self._add_registered(inner)
            scope.graph.nodes.append(node)
            self.graph_of[node.id] = scope.graph

    def _layer_type(self, path: str, module: nn.Module) -> str:
        spec = self.specs.get(type(module))
        if spec is None:
            raise ModuleImportError(f"{_label(path, module)}: nn.{type(module).__name__} "
                                    "is not in the palette yet")
        return spec.type

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
                raise ModuleImportError(f"{value.target}: a parameter or buffer used "
                                        "directly in a forward cannot be imported yet")
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
        inputs = _tensor_inputs(value, path)
        self._place(value, node, scope, inputs)

    def _call_function(self, value: fx.Node) -> None:
        scope = self._scope_of(value, leaf=False)
        layer_type, args, inputs = _function_layer(value, _label(scope, None))
        spec = CATALOG[layer_type]
        node = Node(self._id(), layer_type, spec.validate_args(args), "")
        self.scopes[scope].graph.nodes.append(node)
        self._place(value, node, scope, inputs)

    def _place(self, value: fx.Node, node: Node, scope: str, inputs: list[fx.Node]) -> None:
        self.value_node[value] = node
        self.value_scope[value] = scope
        graph = self.scopes[scope].graph
        for port, source in enumerate(inputs):
            graph.edges.append(Edge(self._source(source, scope), node.id, port))

    def _output(self, value: fx.Node) -> None:
        result = value.args[0]
        if not isinstance(result, fx.Node):
            raise ModuleImportError(f"{type(self.module).__name__}.forward returns "
                                    f"{type(result).__name__}, not one tensor: not "
                                    "importable yet")
        self.scopes[ROOT_PATH].graph.edges.append(
            Edge(self._source(result, ROOT_PATH), OUTPUT))

    # Values crossing the edges of blocks

    def _source(self, value: fx.Node, scope: str) -> str:
        """The id that stands for ``value`` inside ``scope``'s graph: its node, the child
        block that makes it, or the graph's input; blocks on the way learn their single
        input or output."""
        made_in = self.value_scope.get(value)
        if made_in is None:
            raise ModuleImportError(f"{value.name} is used before it is made")
        if made_in == scope:
            return INPUT if value.op == "placeholder" else self.value_node[value].id
        if _inside(made_in, scope):
            child = self.scopes[_child_towards(scope, made_in)]
            self._note_output(child, value)
            assert child.node is not None
            return child.node.id
        self._note_input(self.scopes[scope], value)
        return INPUT

    def _note_input(self, scope: _Scope, value: fx.Node) -> None:
        if value in scope.inputs:
            return
        if scope.inputs:
            raise ModuleImportError(f"{_label(scope.path, scope.module)} takes several "
                                    "inputs: a block with more than one cannot be "
                                    "imported yet")
        scope.inputs.append(value)

    def _note_output(self, scope: _Scope, value: fx.Node) -> None:
        if value in scope.outputs:
            return
        if scope.outputs:
            raise ModuleImportError(f"{_label(scope.path, scope.module)} gives several "
                                    "results: a block with more than one output cannot "
                                    "be imported yet")
        scope.outputs.append(value)

    def _wire_boundaries(self) -> None:
        """Each block's input comes from where its value is made, and its output leaves
        it. Wiring one boundary can give another block its input or output (a value
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
                    scope.graph.edges.append(Edge(self._source(value, scope.path), OUTPUT))
                    continue
                assert scope.node is not None
                parent = scope.path.rpartition(".")[0]
                self.scopes[parent].graph.edges.append(
                    Edge(self._source(value, parent), scope.node.id, 0))
        for scope in self.scopes.values():
            scope.graph.edges = list(dict.fromkeys(scope.graph.edges))


def _inside(path: str, outer: str) -> bool:
    return (outer == ROOT_PATH and path != ROOT_PATH) or path.startswith(outer + ".")


def _child_towards(outer: str, inner: str) -> str:
    rest = inner[len(outer) + 1:] if outer else inner
    head = rest.split(".", 1)[0]
    return f"{outer}.{head}" if outer else head


def _label(path: str, module: nn.Module | None) -> str:
    name = path or "the top module"
    return f"{name} ({type(module).__name__})" if module is not None else name


# Layers' arguments --------------------------------------------------------------------


def _layer_args(spec: LayerSpec, module: nn.Module, path: str) -> dict[str, Any]:
    """The catalog's arguments read back from a layer, checked by building one like it."""
    raw: dict[str, Any] = {}
    for arg in spec.args:
        if arg.name == "bias" and not isinstance(getattr(module, "bias", None), bool):
            raw["bias"] = getattr(module, "bias", None) is not None
        elif hasattr(module, arg.name):
            raw[arg.name] = getattr(module, arg.name)
    if isinstance(raw.get("stride"), tuple) and raw.get("stride") == raw.get("kernel_size") \
            and "stride" in spec.defaults() and spec.defaults()["stride"] is None:
        raw["stride"] = None  # a pooling layer's default: its kernel size
    # The short form first (3 for (3, 3)); the values as the layer holds them if the
    # short form would print differently.
    for candidate in ({k: _plain(v) for k, v in raw.items()}, raw):
        try:
            args = spec.validate_args(candidate)
            with torch.device("meta"):
                twin = spec.create(args)
        except TorchCanvasError as error:
            raise ModuleImportError(f"{path} ({type(module).__name__}): {error}") from None
        if _layout(twin) == _layout(module) and _settings(twin) == _settings(module):
            return args
    raise ModuleImportError(f"{path} ({type(module).__name__}): its settings "
                            f"({module.extra_repr()}) could not all be read back")


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Size):
        value = tuple(value)
    if isinstance(value, tuple) and value and all(v == value[0] for v in value) \
            and all(isinstance(v, int) for v in value):
        return value[0]
    return value


def _layout(module: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(key, tuple(value.shape)) for key, value in module.state_dict().items()]


def _settings(module: nn.Module) -> str:
    parts = [p for p in module.extra_repr().split(", ") if not p.startswith("inplace=")]
    return ", ".join(parts)


# Functions a forward calls --------------------------------------------------------------

_ADD = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__", "__iadd__"}
_MULTIPLY = {operator.mul, operator.imul, torch.mul, "mul", "mul_"}
_ONE_INPUT: dict[Any, str] = {
    functional.relu: "ReLU", torch.relu: "ReLU", "relu": "ReLU", "relu_": "ReLU",
    torch.sigmoid: "Sigmoid", "sigmoid": "Sigmoid",
    torch.tanh: "Tanh", "tanh": "Tanh",
    functional.silu: "SiLU", functional.mish: "Mish",
}


def _tensor_inputs(value: fx.Node, where: str) -> list[fx.Node]:
    inputs = [a for a in value.args if isinstance(a, fx.Node)]
    if len(inputs) != len(value.args) or value.kwargs:
        raise ModuleImportError(f"{where} is called with arguments other than tensors: not "
                                "importable yet")
    return inputs


def _argument(value: fx.Node, position: int, name: str, default: Any) -> Any:
    if len(value.args) > position:
        return value.args[position]
    return value.kwargs.get(name, default)


def _function_layer(value: fx.Node, where: str) -> tuple[str, dict[str, Any], list[fx.Node]]:
    """The palette layer that does what this call does, its arguments and inputs."""
    target = value.target
    first = value.args[0] if value.args else None
    if target in _ADD or target in _MULTIPLY:
        operands = [o for o in value.args[:2] if isinstance(o, fx.Node)]
        if len(operands) == 2 and value.kwargs.get("alpha", 1) == 1:
            return ("Add" if target in _ADD else "Multiply"), {}, operands
    elif target is torch.cat:
        tensors = list(first) if isinstance(first, (list, tuple)) else []
        if tensors and all(isinstance(t, fx.Node) for t in tensors):
            return "Concat", {"dim": _argument(value, 1, "dim", 0)}, tensors
    elif target in (torch.flatten, "flatten") and isinstance(first, fx.Node):
        return "Flatten", {"start_dim": _argument(value, 1, "start_dim", 0),
                           "end_dim": _argument(value, 2, "end_dim", -1)}, [first]
    elif target in _ONE_INPUT and isinstance(first, fx.Node):
        return _ONE_INPUT[target], {}, [first]
    elif target in (functional.softmax, functional.log_softmax, "softmax", "log_softmax") \
            and isinstance(first, fx.Node):
        kind = "LogSoftmax" if "log" in getattr(target, "__name__", str(target)) else "Softmax"
        return kind, {"dim": _argument(value, 1, "dim", -1)}, [first]
    elif target is functional.gelu and isinstance(first, fx.Node):
        return "GELU", {"approximate": value.kwargs.get("approximate", "none")}, [first]
    elif target in (functional.adaptive_avg_pool2d, functional.adaptive_avg_pool1d) \
            and isinstance(first, fx.Node):
        kind = "AdaptiveAvgPool2d" if target is functional.adaptive_avg_pool2d else \
            "AdaptiveAvgPool1d"
        return kind, {"output_size": _plain(_argument(value, 1, "output_size", 1))}, [first]
    elif target in (functional.max_pool2d, functional.avg_pool2d) and \
            isinstance(first, fx.Node):
        kind = "MaxPool2d" if target is functional.max_pool2d else "AvgPool2d"
        size = _plain(_argument(value, 1, "kernel_size", None))
        return kind, {"kernel_size": size,
                      "stride": _plain(_argument(value, 2, "stride", None)) or None,
                      "padding": _plain(_argument(value, 3, "padding", 0))}, [first]
    elif target is functional.dropout and isinstance(first, fx.Node):
        return "Dropout", {"p": _argument(value, 1, "p", 0.5)}, [first]
    elif target in (torch.sum, "sum") and isinstance(first, fx.Node):
        return "Sum", {"dim": _argument(value, 1, "dim", None),
                       "keepdim": _argument(value, 2, "keepdim", False)}, [first]
    name = target if isinstance(target, str) else getattr(target, "__name__", repr(target))
    raise ModuleImportError(f"{where}: its forward calls {name}(), which has no layer in the "
                            "palette yet")


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

