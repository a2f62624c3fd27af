"""Document → standalone Python source that needs nothing but torch.

The source defines the same modules under the same attribute names as `core.runtime.build`
(both follow `core.runtime.plan`), so ``build_model().load_state_dict(...)`` takes the weights
TorchCanvas saves.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any

from core.catalog import layers
from core.catalog.registry import spec_for
from core.document.graph import INPUT, ROOT, Document
from core.document.names import GENERATED_NAMES, class_name_problem
from core.errors import BuildError
from core.runtime.plan import SEQUENTIAL_KIND, ModulePlan, plan_document, require_output

INDENT = "    "
# Read once, when this module is imported: inspect.getsource on a worker thread (the code
# view regenerates there) was seen to stall the test suite.
_LAYER_SOURCES = {
    name: inspect.getsource(value).rstrip()
    for name, value in vars(layers).items()
    if isinstance(value, type) and value.__module__ == layers.__name__
}
MARK = "  #@node:"
# Builtins the module level of the generated source calls.
_MODULE_BUILTINS = frozenset({"print", "len", "str"})

LOAD_WEIGHTS = '''def load_weights(model: nn.Module, path: str) -> nn.Module:
    """Load weights TorchCanvas exported: .safetensors (tied tensors are stored once and
    named again from the file's metadata) or a torch.save state_dict."""
    if str(path).endswith(".safetensors"):
        from safetensors import safe_open

        with safe_open(path, framework="pt") as weights:
            state = {key: weights.get_tensor(key) for key in weights.keys()}
            metadata = weights.metadata() or {}
        for alias, original in json.loads(metadata.get("torchcanvas.aliases", "{}")).items():
            state[alias] = state[original]
    else:
        state = torch.load(path, weights_only=True)
    model.load_state_dict(state)
    return model'''


def to_python(document: Document) -> str:
    """Python source for ``document``; raises a `DocumentError`/`BuildError` if the
    document cannot be built."""
    return to_python_with_lines(document)[0]


def python_for_export(document: Document) -> bytes:
    """`to_python` as the UTF-8 bytes of a file, compiled first: raises `BuildError` with
    the compiler's reason rather than hand out source that would not run."""
    source = to_python(document)
    try:
        compile(source, "<exported network>", "exec", dont_inherit=True)
        return source.encode("utf-8")
    except SyntaxError as error:
        raise BuildError(f"the generated Python does not compile: line {error.lineno}: "
                         f"{error.msg}") from None
    except (ValueError, UnicodeError) as error:  # NUL bytes, lone surrogates
        raise BuildError(f"the generated Python does not compile: {error}") from None


def to_python_with_lines(document: Document) -> tuple[str, dict[str, list[int]]]:
    """The source, and for each node the (1-based) lines that define or call it."""
    plan = plan_document(document)
    require_output(plan, document)
    lines: list[str] = []
    spans: dict[str, list[int]] = {}
    for number, line in enumerate(_Writer(document, plan).source().split("\n"), start=1):
        code, marker, node_id = line.partition(MARK)
        if marker:
            spans.setdefault(node_id, []).append(number)
        lines.append(code if marker else line)
    return "\n".join(lines), spans


def _mark(text: str, node_id: str) -> str:
    """Tag the first line of ``text`` as belonging to ``node_id`` (removed later)."""
    first, newline, rest = text.partition("\n")
    return f"{first}{MARK}{node_id}{newline}{rest}"


def _layer_source(layer_class: type) -> str:
    return _LAYER_SOURCES[layer_class.__name__]


def layer_expression(layer_type: str, args: dict[str, Any]) -> str:
    """``nn.Conv2d(1, 16, kernel_size=5)``: positional where torch has no default,
    keywords only where the value differs from torch's default."""
    spec = spec_for(layer_type)
    parts, positional = [], True
    for parameter in _parameters(spec.factory):
        if parameter.name not in args:
            continue
        value = args[parameter.name]
        if parameter.default is inspect.Parameter.empty and positional:
            parts.append(repr(value))
            continue
        positional = False
        if parameter.default is inspect.Parameter.empty or value != parameter.default:
            parts.append(f"{parameter.name}={value!r}")
    named = {parameter.name for parameter in _parameters(spec.factory)}
    for name, value in args.items():  # a constructor of *args, **kwargs (nn.LSTM)
        if name not in named and (spec.arg(name).required or value != spec.arg(name).default):
            parts.append(f"{name}={value!r}")
    return f"{spec.code_name}({', '.join(parts)})"


@functools.lru_cache(maxsize=1024)
def _parameters(factory: Any) -> tuple[inspect.Parameter, ...]:
    """A layer class's constructor parameters (inspect.signature is slow; a network of
    100,000 layers has a few dozen classes)."""
    return tuple(inspect.signature(factory).parameters.values())


class _Writer:
    def __init__(self, document: Document, plan: ModulePlan) -> None:
        self.document = document
        self.plan = plan
        # Names defined at the top of the module: what a class or a variable of
        # build_model must not hide.
        self.module_names = set(GENERATED_NAMES) | _MODULE_BUILTINS | {
            layer_class.__name__ for layer_class in self._custom_classes()
        } | set(self.document.custom_layers)
        self.hoisted = self._hoisted()
        self.reserved_class_names = self.module_names | set(self.hoisted.values())
        self.class_names: dict[int, str] = {}
        self.classes: list[str] = []
        self.class_bodies: dict[str, str] = {}
        self.class_by_body: dict[tuple[str, str], str] = {}
        self.next_number: dict[str, int] = {}

    def _hoisted(self) -> dict[str, str]:
        """Owners whose module appears under more than one attribute: a variable each,
        named clear of everything at the top of the module and of every class."""
        hoisted: dict[str, str] = {}
        taken = self.module_names | {sub.class_name for sub in self.plan.walk()}
        for sub in self.plan.walk():
            for _, node_id in sub.attributes:
                owner = self.document.node(node_id).shares
                if owner is None or owner in hoisted:
                    continue
                owner_name = self.document.node(owner).name
                base = owner_name if owner_name.isidentifier() else "shared"
                variable, number = base, 1
                while variable in taken:
                    variable, number = f"{base}_{number}", number + 1
                taken.add(variable)
                hoisted[owner] = variable
        return hoisted

    def needs(self, plan: ModulePlan) -> list[str]:
        used: set[str] = set()
        for sub in plan.walk():
            for _, node_id in sub.attributes:
                owner = self.document.node(node_id).shares or node_id
                if owner in self.hoisted:
                    used.add(self.hoisted[owner])
        return sorted(used)

    def source(self) -> str:
        root = self.expression(self.plan, 1)
        # repr escapes what a docstring cannot hold as written: backslashes (\\N), quotes,
        # NUL, line breaks and lone surrogates.
        lines = [repr(f"{self.document.title or 'Network'} — generated by TorchCanvas; "
                      "needs only torch."), ""]
        if "OrderedDict(" in root or any("OrderedDict(" in c for c in self.classes):
            lines.append("from collections import OrderedDict")
            lines.append("")
        lines += ["import json", "import sys", "", "import torch", "from torch import nn"]
        if self._users_layers():
            lines.append("from torch.nn import functional as F")  # as the layer editor has
        lines += ["", ""]
        for layer_class in self._custom_classes():
            lines += [_layer_source(layer_class), "", ""]
        for source in self._users_layers():
            lines += [source.strip("\n"), "", ""]
        for text in self.classes:
            lines += [text, "", ""]
        shape = tuple(self.document.input.shape)
        lines.append(f"INPUT_SHAPE = {shape!r}")
        lines += ["", "", "def build_model() -> nn.Module:"]
        lines.append(f'{INDENT}"""The network, with freshly initialized weights."""')
        for owner, variable in self.hoisted.items():
            node = self.document.node(owner)
            lines.append(_mark(f"{INDENT}{variable} = {layer_expression(node.type, node.args)}",
                               owner))
        lines.append(f"{INDENT}return {root}")
        make_input = (
            "torch.zeros(INPUT_SHAPE, dtype=torch.long)"
            if self.document.input.dtype == "int64" else "torch.rand(INPUT_SHAPE)"
        )
        lines += ["", "", *LOAD_WEIGHTS.splitlines()]
        lines += ["", "", 'if __name__ == "__main__":', f"{INDENT}model = build_model()",
                  f"{INDENT}if len(sys.argv) > 1:",
                  f"{INDENT * 2}load_weights(model, sys.argv[1])",
                  f"{INDENT}print(model)", f"{INDENT}print(model({make_input}).shape)", ""]
        return "\n".join(lines)

    def _custom_classes(self) -> list[type]:
        seen: dict[str, type] = {}
        for _, node in self.document.walk():
            if node.type != "Block" and node.type not in self.document.custom_layers \
                    and spec_for(node.type).is_custom:
                factory = spec_for(node.type).factory
                seen.setdefault(factory.__name__, factory)  # type: ignore[arg-type]
        return list(seen.values())

    def _users_layers(self) -> list[str]:
        """The code of the layers the person wrote that this network uses."""
        used = {node.type for _, node in self.document.walk()}
        return [source for name, source in self.document.custom_layers.items() if name in used]

    def expression(self, plan: ModulePlan, depth: int) -> str:
        """The expression that constructs ``plan``'s module."""
        if plan.kind != SEQUENTIAL_KIND:
            name = self.class_for(plan)
            return f"{name}({', '.join(self.needs(plan))})"
        if not plan.attributes:
            return "nn.Sequential()"
        pad, inner = INDENT * depth, INDENT * (depth + 1)
        children = [(name, node_id, self.child(plan, node_id, depth + 1))
                    for name, node_id in plan.attributes]
        if [name for name, _, _ in children] == [str(i) for i in range(len(children))]:
            body = "".join(_mark(f"{inner}{expr},", i) + "\n" for _, i, expr in children)
            return f"nn.Sequential(\n{body}{pad})"
        body = "".join(_mark(f"{inner}({name!r}, {expr}),", i) + "\n"
                       for name, i, expr in children)
        return f"nn.Sequential(OrderedDict([\n{body}{pad}]))"

    def child(self, plan: ModulePlan, node_id: str, depth: int) -> str:
        if node_id in plan.blocks:
            return self.expression(plan.blocks[node_id], depth)
        node = self.document.node(node_id)
        owner = node.shares or node.id
        if owner in self.hoisted:
            return self.hoisted[owner]
        return layer_expression(node.type, node.args)

    def class_for(self, plan: ModulePlan) -> str:
        if id(plan) in self.class_names:
            return self.class_names[id(plan)]
        parameters = "".join(f", {n}" for n in self.needs(plan))
        body = [f"{INDENT}def __init__(self{parameters}) -> None:",
                f"{INDENT * 2}super().__init__()"]
        for name, node_id in plan.attributes:
            expression = self.child(plan, node_id, 2)
            if name.isidentifier():
                body.append(_mark(f"{INDENT * 2}self.{name} = {expression}", node_id))
            else:
                body.append(_mark(f"{INDENT * 2}self.add_module({name!r}, {expression})",
                                  node_id))
        body += ["", f"{INDENT}def forward(self, x: torch.Tensor) -> torch.Tensor:"]
        variables = {INPUT: "x"}
        taken = {"x", "self", "torch", "nn", "getattr"}
        for call in plan.calls:
            base = call.target if call.target.isidentifier() else f"h{call.target}"
            variable, number = base, 1
            while variable in taken:
                variable, number = f"{base}_{number}", number + 1
            taken.add(variable)
            variables[call.node_id] = variable
            target = (f"self.{call.target}" if call.target.isidentifier()
                      else f"getattr(self, {call.target!r})")
            arguments = ", ".join(variables[source] for source in call.inputs)
            body.append(_mark(f"{INDENT * 2}{variable} = {target}({arguments})",
                              call.node_id))
        body.append(f"{INDENT * 2}return {variables[plan.output or INPUT]}")
        text = "\n".join(body)
        plain = re.sub(rf"{re.escape(MARK)}\S+", "", text)  # two blocks alike share a class
        base = plan.class_name
        if class_name_problem(base):
            base = "Network" if plan.graph_id == ROOT else "Block"
        known = self.class_by_body.get((base, plain))
        if known is not None:
            name = known
        else:
            name, number = base, self.next_number.get(base, 2)
            while name in self.class_bodies or name in self.reserved_class_names:
                name, number = f"{base}{number}", number + 1
            self.next_number[base] = number
            self.class_by_body[(base, plain)] = name
            self.class_bodies[name] = plain
            self.classes.append(f"class {name}(nn.Module):\n{text}")
        self.class_names[id(plan)] = name
        return name
