"""When torch.fx cannot follow a forward (it asks its input questions: ``if x.dim() == 4``,
``for i in range(x.size(1))``), `torch.export` can: it runs the forward on the example
and records the operations done, with the module path of each in ``nn_module_stack``.

`module_graph` re-expresses that record as the graph `torch.fx` would have given, so
`core.io.module_import` converts it the same way: the operations of one call of a palette
layer become that call (``call_module``, found from the innermost palette layer of each
operation's module stack), and the operations outside layers become the tensor methods
and functions they are (``aten.add.Tensor`` → ``add``, ``aten.cat`` → ``torch.cat``,
``aten.select.int`` → ``x[:, 0]``). Sizes are those of the example: export specializes
them.
"""

from __future__ import annotations

import inspect
import operator
import re
from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn
from torch.nn import functional

from core.io.import_calls import ModuleImportError

LONG = 2**63 - 1
# aten operations (by their packet name) written as the tensor method of the same name
_METHODS = frozenset({
    "add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "pow", "relu", "relu_",
    "sigmoid", "tanh", "view", "reshape", "expand", "permute", "transpose", "unsqueeze",
    "squeeze", "mean", "sum", "chunk", "split", "flatten", "contiguous", "matmul", "bmm",
    "neg", "sqrt", "rsqrt", "exp", "log", "abs", "square", "reciprocal", "unflatten",
})
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "cat": torch.cat, "concat": torch.cat, "stack": torch.stack,
    "softmax": functional.softmax, "log_softmax": functional.log_softmax,
    "gelu": functional.gelu, "silu": functional.silu, "hardswish": functional.hardswish,
    "hardsigmoid": functional.hardsigmoid, "relu6": functional.relu6,
    "adaptive_avg_pool1d": functional.adaptive_avg_pool1d,
    "adaptive_avg_pool2d": functional.adaptive_avg_pool2d,
    "max_pool2d": functional.max_pool2d, "avg_pool2d": functional.avg_pool2d,
    "dropout": functional.dropout, "interpolate": functional.interpolate,
    "pad": functional.pad, "leaky_relu": functional.leaky_relu,
}
_PASS_THROUGH = frozenset({"alias", "clone", "detach", "lift_fresh_copy",
                           "_assert_tensor_metadata"})


def export_program(module: nn.Module, example: torch.Tensor) -> Any:
    try:
        return torch.export.export(module, (example,), strict=False)
    except Exception as error:  # any failure of capturing user code is this message
        text = str(error).strip()
        first = text.splitlines()[0] if text else ""
        raise ModuleImportError(f"torch.export could not capture the forward of "
                                f"{type(module).__name__} either: {type(error).__name__}: "
                                f"{first}") from None


def module_graph(program: Any, root: nn.Module, is_layer: Callable[[nn.Module], bool]
                 ) -> fx.Graph:
    """The fx graph (placeholders, ``call_module`` of layers, tensor methods and
    functions, ``get_attr`` of parameters) that torch.fx would have traced."""
    signature = program.graph_signature
    tensors = {**signature.inputs_to_parameters, **signature.inputs_to_buffers,
               **getattr(signature, "inputs_to_lifted_tensor_constants", {})}
    return _Rebuild(program.graph, tensors, root, is_layer).graph


def _normalize(stack: dict[str, tuple[str, Any]]) -> list[tuple[str, str, Any]]:
    """(key, path, type) from the outermost module in; the key is the path, with ``@n``
    for the n-th further call of one module, as torch.fx writes it."""
    entries = []
    for key, (path, kind) in stack.items():
        if not path:
            continue
        call = re.search(r"@(\d+)$", key)
        entries.append((f"{path}@{call.group(1)}" if call else path, path, kind))
    return entries


class _Rebuild:
    def __init__(self, graph: fx.Graph, tensors: dict[str, str], root: nn.Module,
                 is_layer: Callable[[nn.Module], bool]) -> None:
        self.root = root
        self.tensors = tensors
        self.graph = fx.Graph()
        self.env: dict[fx.Node, Any] = {}
        self.layer_of: dict[fx.Node, tuple[str, str, list[tuple[str, str, Any]]]] = {}
        modules = dict(root.named_modules())
        for node in graph.nodes:
            if node.op != "call_function":
                continue
            stack = _normalize(node.meta.get("nn_module_stack", {}))
            for depth, (key, path, _) in enumerate(stack):
                module = modules.get(path)
                if module is not None and is_layer(module):
                    self.layer_of[node] = (key, path, stack[:depth + 1])
                    break
        members: dict[str, list[fx.Node]] = {}
        for node, (key, _, _) in self.layer_of.items():
            members.setdefault(key, []).append(node)
        for node in graph.nodes:
            if node.op == "placeholder":
                if node.name not in tensors:
                    self.env[node] = self.graph.placeholder(node.name)
            elif node.op == "call_function":
                layer = self.layer_of.get(node)
                if layer is None:
                    self._operation(node)
                elif members[layer[0]][-1] is node:
                    self._layer(layer, members[layer[0]])
            elif node.op == "output":
                self.graph.output(self._map(node.args[0], node))

    # values

    def _value(self, node: fx.Node, user: fx.Node) -> Any:
        if node in self.env:
            return self.env[node]
        if node.op == "placeholder" and node.name in self.tensors:
            attribute = self.graph.get_attr(self.tensors[node.name])
            attribute.meta["nn_module_stack"] = self._stack_meta(user)
            return attribute
        owner = self.layer_of.get(node)
        where = f" of {owner[1]}" if owner else ""
        raise ModuleImportError(f"torch.export: a value{where} ({node.name}) is used before "
                                "the call that makes it is complete: not importable yet")

    def _map(self, value: Any, user: fx.Node) -> Any:
        if isinstance(value, fx.Node):
            return self._value(value, user)
        if isinstance(value, (list, tuple)):
            return type(value)(self._map(item, user) for item in value)
        return value

    def _stack_meta(self, node: fx.Node) -> dict[str, tuple[str, Any]]:
        stack = _normalize(node.meta.get("nn_module_stack", {}))
        return {key: (path, kind) for key, path, kind in stack}

    # operations outside layers

    def _operation(self, node: fx.Node) -> None:
        target = node.target
        name = getattr(target, "__name__", str(target))
        packet = name.split(".")[0]
        args = self._map(node.args, node)
        kwargs = {k: self._map(v, node) for k, v in node.kwargs.items()}
        if target is operator.getitem:
            made = self.graph.call_function(operator.getitem, args)
        elif packet in _PASS_THROUGH and args and isinstance(args[0], fx.Node):
            self.env[node] = args[0]
            return
        elif packet == "select":
            tensor, dim, index = args
            made = self.graph.call_function(
                operator.getitem, (tensor, (*(slice(None),) * _dim(dim, node), index)))
        elif packet == "slice":
            tensor, dim, start, end, step = list(args) + [None, 0, None, LONG, 1][len(args):]
            end = None if end is None or end >= LONG else end
            start = start if start else None
            step = None if step == 1 else step
            made = self.graph.call_function(
                operator.getitem,
                (tensor, (*(slice(None),) * _dim(dim, node), slice(start, end, step))))
        elif packet in ("linear", "conv2d", "layer_norm", "batch_norm", "embedding"):
            raise ModuleImportError(f"{_where(node)}: {packet} is called as a function on "
                                    "tensors of the module, not as a layer: not importable "
                                    "yet")
        elif packet == "dropout" and len(args) >= 3 and args[2] is False:
            self.env[node] = args[0]
            return
        elif packet == "split_with_sizes":
            made = self.graph.call_method("split", args, kwargs)
        elif packet in ("upsample_bilinear2d", "upsample_nearest2d"):
            mode = "bilinear" if "bilinear" in packet else "nearest"
            size, rest = args[1], list(args[2:])
            corners = rest.pop(0) if mode == "bilinear" and rest else None
            scales = rest[0] if rest else None
            made = self.graph.call_function(functional.interpolate, (args[0],), {
                "size": size, "scale_factor": None if size is not None else scales,
                "mode": mode, "align_corners": corners})
        elif packet in _METHODS:
            made = self.graph.call_method(packet, args, kwargs)
        elif packet in _FUNCTIONS:
            made = self.graph.call_function(_FUNCTIONS[packet], args, kwargs)
        else:
            raise ModuleImportError(f"{_where(node)}: torch.export recorded {name}, which "
                                    "no node stands for yet")
        made.meta["nn_module_stack"] = self._stack_meta(node)
        self.env[node] = made

    # one call of a layer

    def _layer(self, layer: tuple[str, str, list[tuple[str, str, Any]]],
               members: list[fx.Node]) -> None:
        _, path, stack = layer
        inside = set(members)
        inputs: list[fx.Node] = []
        for node in members:
            for source in node.all_input_nodes:
                if source in inside or (source.op == "placeholder" and
                                        source.name in self.tensors):
                    continue
                if source not in inputs:
                    inputs.append(source)
        outputs = [node for node in members if any(user not in inside for user in node.users)]
        module = self.root.get_submodule(path)
        arguments = _arguments(module, [self._value(source, members[0]) for source in inputs],
                               path)
        call = self.graph.call_module(path, tuple(arguments))
        call.meta["nn_module_stack"] = {k: (p, kind) for k, p, kind in stack}
        shapes = _output_shapes(module, inputs)
        if shapes is None:  # one tensor
            if len(outputs) != 1:
                raise ModuleImportError(f"{path} ({type(module).__name__}): torch.export "
                                        "recorded its call with several results")
            self.env[outputs[0]] = call
            return
        for output in outputs:
            shape = tuple(output.meta["val"].shape) if "val" in output.meta else None
            found = [route for route, s in shapes if s == shape]
            tuple_of, index = (*output.args, None, None)[:2]
            if len(found) > 1 and output.target is operator.getitem and \
                    isinstance(tuple_of, fx.Node) and tuple_of in inside and \
                    isinstance(index, int) and len(_results(tuple_of)) == len(shapes):
                found = [shapes[index][0]]  # aten.lstm: (output, h, c) in order
            if len(found) != 1:
                raise ModuleImportError(f"{path} ({type(module).__name__}): which of its "
                                        "results torch.export recorded could not be told "
                                        "apart")
            value: fx.Node = call
            for index in found[0]:
                value = self.graph.call_function(operator.getitem, (value, index))
                value.meta["nn_module_stack"] = {k: (p, kind) for k, p, kind in stack[:-1]}
            self.env[output] = value


def _results(node: fx.Node) -> tuple[Any, ...]:
    value = node.meta.get("val")
    return tuple(value) if isinstance(value, (tuple, list)) else ()


def _dim(dim: int, node: fx.Node) -> int:
    if dim >= 0:
        return dim
    value = node.args[0].meta.get("val") if isinstance(node.args[0], fx.Node) else None
    if value is None:
        raise ModuleImportError(f"{_where(node)}: an index along dimension {dim} of a tensor "
                                "whose rank is not known")
    return dim + value.dim()


def _where(node: fx.Node) -> str:
    stack = _normalize(node.meta.get("nn_module_stack", {}))
    return stack[-1][1] if stack else "the top module"


def _arguments(module: nn.Module, inputs: list[Any], path: str) -> list[Any]:
    """The tensors the layer was called with: the same one repeated where its forward
    takes several and the call gave one (``attention(y, y, y)``)."""
    required = [p for p in inspect.signature(module.forward).parameters.values()
                if p.default is inspect.Parameter.empty and
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(inputs) >= len(required):
        return inputs
    if len(inputs) == 1:
        return inputs * len(required)
    raise ModuleImportError(f"{path} ({type(module).__name__}): which of its inputs "
                            "torch.export recorded could not be told apart")


def _output_shapes(module: nn.Module, inputs: list[fx.Node]
                   ) -> list[tuple[tuple[int, ...], tuple[int, ...]]] | None:
    """None when the layer gives one tensor; else (route, shape) for each tensor of what
    it gives (``(1, 0)`` for ``h`` of an LSTM's ``out, (h, c)``), found by calling it on
    ``meta``."""
    spec = _spec_of(module)
    if spec is not None and not spec.returns_tuple:
        return None
    try:
        fakes = [torch.empty(tuple(node.meta["val"].shape), dtype=node.meta["val"].dtype,
                             device="meta") for node in inputs]
        twin = _meta_twin(module)
        with torch.no_grad():
            result = twin(*_arguments(module, fakes, ""))
    except Exception:  # a layer that will not run on meta: assume one tensor
        return None
    if isinstance(result, torch.Tensor):
        return None
    routes: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def walk(value: Any, route: tuple[int, ...]) -> None:
        if isinstance(value, torch.Tensor):
            routes.append((route, tuple(value.shape)))
        elif isinstance(value, (tuple, list)):
            for index, item in enumerate(value):
                walk(item, (*route, index))

    walk(result, ())
    return routes


def _spec_of(module: nn.Module) -> Any:
    from core.catalog.registry import CATALOG

    return next((spec for spec in CATALOG.values() if spec.factory_path.startswith("nn.")
                 and spec.factory is type(module)), None)


def _meta_twin(module: nn.Module) -> nn.Module:
    import copy

    twin = copy.deepcopy(module)
    return twin.to("meta")
