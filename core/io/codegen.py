"""Document → standalone Python source that needs nothing but torch.

The source defines the same modules under the same attribute names as `core.runtime.build`
(both follow `core.runtime.plan`), so ``build_model().load_state_dict(...)`` takes the weights
TorchCanvas saves. Tensor operations are written as the expressions they are
(``torch.cat([a, b], 1)``, ``x.mean(dim=1)``, ``h[-1]``), parameters as ``nn.Parameter``
attributes, and held modules inside their ``nn.ModuleList``.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import re
from typing import Any

from core.catalog import layers
from core.catalog.arguments import format_index
from core.catalog.operations import Expression, Index, Input, Size, expression_for
from core.catalog.registry import spec_for
from core.document.graph import ROOT, Document
from core.document.names import GENERATED_NAMES, class_name_problem
from core.errors import BuildError
from core.io.codegen_classes import (
    MARK_OPEN,
    Classes,
    Draft,
    Flag,
    Instance,
    Layer,
    Literal,
    Mark,
    Optional,
    Signature,
    layer_arguments,
)
from core.runtime.plan import (
    EXPRESSION_CALL,
    MODULE_CALL,
    SEQUENTIAL_KIND,
    TENSOR_CALL,
    Call,
    Held,
    ModulePlan,
    input_key,
    nested_attributes,
    plan_document,
    require_output,
)

INDENT = "    "
# Read once, when this module is imported: inspect.getsource on a worker thread (the code
# view regenerates there) was seen to stall the test suite.
_LAYER_SOURCES = {
    name: inspect.getsource(value).rstrip()
    for name, value in vars(layers).items()
    if isinstance(value, type) and value.__module__ == layers.__name__
}
_SIZES = "\x02"  # where a tensor's sizes go in its expression
FLAG = "flag:"  # a candidate that is a residual sum some uses of a class leave out
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
        if MARK_OPEN in line:
            pieces = line.split(MARK_OPEN)
            for node_id in pieces[1::2]:
                spans.setdefault(node_id, []).append(number)
            line = "".join(pieces[0::2])
        lines.append(line)
    return "\n".join(lines), spans


def _mark(text: str, node_id: str) -> str:
    """Tag the line where ``text`` starts as belonging to ``node_id`` (removed later)."""
    return f"{MARK_OPEN}{node_id}{MARK_OPEN}{text}"


def _first_node(held: Held) -> str:
    item = held.items[0][1]
    return item if isinstance(item, str) else _first_node(item)


def _access(path: str, holders: dict[str, Held]) -> str:
    """How the forward reaches attribute ``path``: ``self.fc``, ``self.layers[0]``."""
    first, *rest = path.split(".")
    text = f"self.{first}" if first.isidentifier() else f"getattr(self, {first!r})"
    prefix = first
    for key in rest:
        held = holders.get(prefix)
        text += f"[{key}]" if held is not None and held.is_list else f"[{key!r}]"
        prefix = f"{prefix}.{key}"
    return text


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


def render(expression: Expression, names: list[str],
           compound: frozenset[int] = frozenset()) -> str:
    """``expression`` as Python, its inputs named by ``names``: ``torch.cat([a, b], 1)``,
    ``x.mean(dim=1)``, ``h[-1]``, ``x * 0.5``. The inputs at the ports in ``compound``
    are operator expressions, put in parentheses where an operator or a method meets
    them."""

    def argument(value: Any, receiver: bool = False) -> str:
        if isinstance(value, Input):
            name = names[value.port]
            wrap = value.port in compound and (receiver or expression.kind == "operator")
            return f"({name})" if wrap else name
        if isinstance(value, Size):
            name = names[value.port]
            return f"{f'({name})' if value.port in compound else name}.size({value.dim})"
        if isinstance(value, list):
            return "[" + ", ".join(argument(item) for item in value) + "]"
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 \
                and expression.kind == "operator":
            return f"({value!r})"
        return repr(value)

    receives = expression.kind in ("method", "getitem")
    args = [argument(a, receiver=receives and position == 0)
            for position, a in enumerate(a for a in expression.args
                                         if not isinstance(a, Index))]
    keywords = [f"{name}={argument(value)}" for name, value in expression.kwargs]
    if expression.kind == "method":
        return f"{args[0]}.{expression.target}({', '.join(args[1:] + keywords)})"
    if expression.kind == "function":
        return f"{expression.target}({', '.join(args + keywords)})"
    if expression.kind == "operator":
        return f" {expression.target} ".join(args)
    index = next(a for a in expression.args if isinstance(a, Index))
    return f"{args[0]}[{format_index(index.items)}]"


def tensor_expression(args: dict[str, Any]) -> str:
    """The tensor a ``Parameter`` node registers: ``nn.Parameter(torch.zeros(1, 1, 64))``."""
    make = {"zeros": "torch.zeros", "ones": "torch.ones", "normal": "torch.randn",
            "uniform": "torch.rand"}[args["init"]]
    if args["dtype"] != "float32" and args["init"] in ("normal", "uniform"):
        make = "torch.zeros"
    sizes = ", ".join(str(size) for size in args["shape"])
    dtype = f", dtype=torch.{args['dtype']}" if args["dtype"] != "float32" else ""
    tensor = f"{make}({sizes}{dtype})"
    if args["buffer"]:
        return tensor
    frozen = ", requires_grad=False" if not args["requires_grad"] else ""
    return f"nn.Parameter({tensor}{frozen})"


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
        self.classes = Classes(self.reserved_class_names, self._variant)
        self.drafts: dict[int, Draft] = {}
        self.plans: dict[int, ModulePlan] = {}

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
        root_parts = self.expression(self.plan, 1)
        self.classes.finish()
        root = self.classes.render(root_parts, self.classes.part_values(root_parts), {}, 1)
        groups = sorted(self.classes.groups, key=lambda g: min(d.order for d in g.members))
        classes = [group.text for group in groups]
        # repr escapes what a docstring cannot hold as written: backslashes (\\N), quotes,
        # NUL, line breaks and lone surrogates.
        lines = [repr(f"{self.document.title or 'Network'} — generated by TorchCanvas; "
                      "needs only torch."), ""]
        if "OrderedDict(" in root or any("OrderedDict(" in c for c in classes):
            lines.append("from collections import OrderedDict")
            lines.append("")
        lines += ["import json", "import sys", "", "import torch", "from torch import nn"]
        if self._users_layers() or any(re.search(r"(?<![\w.])F\.", c) for c in classes):
            lines.append("from torch.nn import functional as F")  # as the layer editor has
        lines += ["", ""]
        for layer_class in self._custom_classes():
            lines += [_layer_source(layer_class), "", ""]
        for source in self._users_layers():
            lines += [source.strip("\n"), "", ""]
        for text in classes:
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
                    and spec_for(node.type).is_custom and spec_for(node.type).form == "module":
                factory = spec_for(node.type).factory
                seen.setdefault(factory.__name__, factory)  # type: ignore[arg-type]
        return list(seen.values())

    def _users_layers(self) -> list[str]:
        """The code of the layers the person wrote that this network uses."""
        used = {node.type for _, node in self.document.walk()}
        return [source for name, source in self.document.custom_layers.items() if name in used]

    def expression(self, plan: ModulePlan, depth: int) -> list[Any]:
        """The parts of the expression that constructs ``plan``'s module."""
        if plan.kind != SEQUENTIAL_KIND:
            return [Instance(self.draft(plan), depth)]
        if not plan.attributes:
            return ["nn.Sequential()"]
        pad, inner = INDENT * depth, INDENT * (depth + 1)
        names = [name for name, _ in plan.attributes]
        numbered = names == [str(i) for i in range(len(names))]
        parts: list[Any] = ["nn.Sequential(\n" if numbered else
                            "nn.Sequential(OrderedDict([\n"]
        for name, node_id in plan.attributes:
            child = self.child(plan, node_id, depth + 1, name)
            if numbered:
                parts += [Mark(node_id), inner, *child, ",\n"]
            else:
                parts += [Mark(node_id), f"{inner}({name!r}, ", *child, "),\n"]
        parts.append(f"{pad})" if numbered else f"{pad}]))")
        return parts

    def tensor_line(self, name: str, node_id: str) -> list[Any]:
        """The line that registers a parameter or buffer, its sizes open to become
        the class's parameters (``torch.zeros(dim)``)."""
        args = self.document.node(node_id).args
        before, _, after = tensor_expression({**args, "shape": [_SIZES]}).partition(_SIZES)
        label = f"{name}_size" if name.isidentifier() else "size"
        sizes: list[Any] = []
        for position, size in enumerate(args["shape"]):
            sizes += [", "] if position else []
            sizes.append(Literal(size, label))
        tensor = [before, *sizes, after]
        if args["buffer"]:
            persistent = "" if args["persistent"] else ", persistent=False"
            return [f"{INDENT * 2}self.register_buffer({name!r}, ", *tensor, f"{persistent})"]
        if name.isidentifier():
            return [f"{INDENT * 2}self.{name} = ", *tensor]
        return [f"{INDENT * 2}self.register_parameter({name!r}, ", *tensor, ")"]

    def held(self, plan: ModulePlan, held: Held, depth: int, path: str,
             holders: dict[str, Held]) -> list[Any]:
        """``nn.ModuleList([...])`` (or ``nn.ModuleDict({...})``) for held modules."""
        holders[path] = held
        pad, inner = INDENT * depth, INDENT * (depth + 1)
        parts: list[Any] = ["nn.ModuleList([\n" if held.is_list else "nn.ModuleDict({\n"]
        for key, item in held.items:
            if isinstance(item, Held):
                expression = self.held(plan, item, depth + 1, f"{path}.{key}", holders)
                node_id = _first_node(item)
            else:
                expression = self.child(plan, item, depth + 1, f"{path}_{key}")
                node_id = item
            entry = expression if held.is_list else [f"{key!r}: ", *expression]
            parts += [Mark(node_id), inner, *entry, ",\n"]
        parts.append(f"{pad}])" if held.is_list else f"{pad}}})")
        return parts

    def child(self, plan: ModulePlan, node_id: str, depth: int, label: str) -> list[Any]:
        if node_id in plan.blocks:
            return self.expression(plan.blocks[node_id], depth)
        node = self.document.node(node_id)
        owner = node.shares or node.id
        if owner in self.hoisted:
            return [self.hoisted[owner]]
        names = layer_arguments(node.type, node.args)
        return [Layer(node.type, names, [node.args[n] for n in names], label)]

    def draft(self, plan: ModulePlan) -> Draft:
        known = self.drafts.get(id(plan))
        if known is not None:
            return known
        base = plan.class_name
        if class_name_problem(base):
            base = "Network" if plan.graph_id == ROOT else "Block"
        draft = Draft(base, [], len(self.drafts), candidates=self._optional_candidates(plan))
        self.drafts[id(plan)] = draft
        self.plans[id(draft)] = plan
        draft.parts = self.class_parts(plan)
        draft.order = len(self.classes.drafts)
        self.classes.add(draft)  # after its children: they were drafted on the way
        return draft

    def _variant(self, draft: Draft, optional: str | None = None,
                 skip: str | None = None, swap: str | None = None) -> list[Any]:
        return self.class_parts(self.plans[id(draft)], optional=optional, skip=skip,
                                swap=swap)

    def _optional_candidates(self, plan: ModulePlan) -> tuple[str, ...]:
        """Attributes that could be absent in another use of the class: a module
        called once, on one value."""
        counts: dict[str, int] = {}
        for call in plan.calls:
            if call.kind not in (EXPRESSION_CALL, TENSOR_CALL):
                counts[call.target] = counts.get(call.target, 0) + (len(call.inputs) or 9)
        hoisted_ids = set(self.hoisted)
        modules = tuple(name for name, node_id in plan.attributes
                        if name.isidentifier() and counts.get(name) == 1
                        and (self.document.node(node_id).shares or node_id) not in hoisted_ids)
        residuals = tuple(f"{FLAG}{call.node_id}" for call in plan.calls
                          if call.kind == EXPRESSION_CALL and len(call.inputs) == 2
                          and input_key(0) in call.inputs and call.inputs[0] != call.inputs[1]
                          and self.document.node(call.node_id).type == "Add")
        return modules + residuals

    def class_parts(self, plan: ModulePlan, optional: str | None = None,
                    skip: str | None = None, swap: str | None = None) -> list[Any]:
        """The class's ``__init__`` and ``forward``; ``optional`` names a module the class
        takes as a parameter that may be None, ``swap`` one it takes as a parameter,
        ``skip`` one that is left out."""
        parts: list[Any] = [Signature(tuple(self.needs(plan))),
                            f"\n{INDENT * 2}super().__init__()\n"]
        flag = _flag_name(plan) if optional and optional.startswith(FLAG) else ""
        if flag:
            parts += [f"{INDENT * 2}self.{flag} = ", Flag(True, flag), "\n"]
        for name, node_id in plan.tensors:
            parts += [Mark(node_id), *self.tensor_line(name, node_id), "\n"]
        holders: dict[str, Held] = {}
        for name, item in nested_attributes(plan.attributes):
            if name == skip:
                continue
            if isinstance(item, Held):
                expression = self.held(plan, item, 2, name, holders)
                node_id = _first_node(item)
            else:
                expression, node_id = self.child(plan, item, 2, name), item
            if name in (optional, swap):
                expression = [Optional(name, expression, 2)]
            if name.isidentifier():
                parts += [Mark(node_id), f"{INDENT * 2}self.{name} = ", *expression, "\n"]
            else:
                parts += [Mark(node_id), f"{INDENT * 2}self.add_module({name!r}, ",
                          *expression, ")\n"]
        parts.append("\n")
        parts += _Forward(self.document, plan, holders, optional, skip, flag).lines()
        return parts


def _flag_name(plan: ModulePlan) -> str:
    taken = set(plan.names.values()) | {name.split(".")[0] for name, _ in plan.attributes}
    return next(name for name in ("residual", "use_residual", "residual_flag")
                if name not in taken)


class _Forward:
    """A forward that reads like the one a person writes: a value used once further on
    keeps its variable (``x = self.bn1(x)``), the last call is returned directly, and
    tensor operations are expressions."""

    def __init__(self, document: Document, plan: ModulePlan, holders: dict[str, Held],
                 optional: str | None, skip: str | None, flag: str = "") -> None:
        self.document = document
        self.plan = plan
        self.holders = holders
        self.optional = optional
        self.skip = skip
        self.flag = flag  # the attribute that says whether the residual sum is taken
        self.flagged = optional[len(FLAG):] if optional and optional.startswith(FLAG) else ""

    def _tuples(self) -> set[str]:
        """Module calls that give a tuple (their value is taken apart with ``v[0]``):
        their variables keep a name of their own."""
        kinds = {call.node_id: call.kind for call in self.plan.calls}
        found = set()
        for call in self.plan.calls:
            if call.kind != EXPRESSION_CALL or not call.inputs or \
                    kinds.get(call.inputs[0]) != MODULE_CALL:
                continue
            node = self.document.node(call.node_id)
            index = node.args.get("index") if node.type == "GetItem" else None
            if isinstance(index, (list, tuple)) and len(index) == 1 and \
                    isinstance(index[0], int):
                found.add(call.inputs[0])
        return found

    def _reads_sizes(self, call: Call) -> bool:
        """Whether an expression reads its input twice (``x.reshape(x.size(0), -1)``,
        ``x + out if self.residual else out``): what feeds it keeps a variable, computed
        once."""
        if call.node_id == self.flagged:
            return True
        if call.kind != EXPRESSION_CALL:
            return False
        node = self.document.node(call.node_id)
        expression = expression_for(node.type, node.args, len(call.inputs))
        values = list(expression.args) + [value for _, value in expression.kwargs]
        while values:
            value = values.pop()
            if isinstance(value, Size):
                return True
            if isinstance(value, (list, tuple)):
                values.extend(value)
        return False

    def lines(self) -> list[Any]:
        plan = self.plan
        inputs = ["x"] if plan.inputs == 1 else [f"x{i + 1}" for i in range(plan.inputs)]
        signature = ", ".join(f"{name}: torch.Tensor" for name in inputs)
        returns = "torch.Tensor" if len(plan.outputs) <= 1 else "tuple[torch.Tensor, ...]"
        parts: list[Any] = [f"{INDENT}def forward(self, {signature}) -> {returns}:\n"]
        alias: dict[str, str] = {}
        for call in plan.calls:
            if call.kind not in (EXPRESSION_CALL, TENSOR_CALL) and call.target == self.skip:
                alias[call.node_id] = alias.get(call.inputs[0], call.inputs[0])
            elif self.skip and self.skip == f"{FLAG}{call.node_id}":  # x + out without x
                kept = next(source for source in call.inputs if source != input_key(0))
                alias[call.node_id] = alias.get(kept, kept)
        last_use: dict[str, int] = {}
        uses: dict[str, int] = {}
        for index, call in enumerate(plan.calls):
            if call.node_id in alias and call.kind == EXPRESSION_CALL:
                continue  # a sum left out reads nothing
            for source in call.inputs:
                value = alias.get(source, source)
                last_use[value] = index
                uses[value] = uses.get(value, 0) + 1
        tuples = self._tuples()
        outputs = [alias.get(key, key) for key in plan.outputs]
        for value in outputs:
            last_use[value] = len(plan.calls)
        variables = {input_key(i): name for i, name in enumerate(inputs)}
        local = set(inputs)
        taken = {"x", "self", "torch", "nn", "F", "getattr", *inputs}
        merges_input = any(
            input_key(0) in [alias.get(source, source) for source in call.inputs]
            and (call.kind == EXPRESSION_CALL or call.target == self.optional)
            for call in plan.calls)
        named_out = False
        emitted = [i for i, call in enumerate(plan.calls) if call.kind != TENSOR_CALL
                   and call.node_id not in alias]
        following = dict(itertools.pairwise(emitted))
        consumer: dict[str, int] = {}
        for index, call in enumerate(plan.calls):
            for source in call.inputs:
                consumer[alias.get(source, source)] = index
        final = emitted[-1] if emitted else -1
        returned_inline = False
        inlined: dict[str, str] = {}  # value → the first input it was computed from
        compound: set[str] = set()
        marks: list[Any] = []
        for index, call in enumerate(plan.calls):
            if call.kind == TENSOR_CALL:
                variables[call.node_id] = _access(call.target, self.holders)
                continue
            if call.node_id in alias:
                continue
            sources = [alias.get(source, source) for source in call.inputs]
            arguments = [variables[source] for source in sources]
            kind = ""
            if call.kind == EXPRESSION_CALL:
                node = self.document.node(call.node_id)
                expression = expression_for(node.type, node.args, len(arguments))
                kind = expression.kind
                value = render(expression, arguments, frozenset(
                    port for port, source in enumerate(sources) if source in compound))
                if call.node_id == self.flagged:
                    kept = arguments[1] if sources[0] == input_key(0) else arguments[0]
                    value = f"{value} if self.{self.flag} else {kept}"
            else:
                access = _access(call.target, self.holders)
                value = f"{access}({', '.join(arguments)})"
                if call.target == self.optional:
                    value = f"{arguments[0]} if {access} is None else {value}"
            marks.append(Mark(call.node_id))
            later = following.get(index)
            if call.kind == EXPRESSION_CALL and uses.get(call.node_id) == 1 and \
                    call.node_id not in outputs and call.node_id not in tuples and \
                    later is not None and consumer.get(call.node_id) == later and \
                    plan.calls[later].target != self.optional and len(value) <= 72 and \
                    not self._reads_sizes(plan.calls[later]):
                variables[call.node_id] = value  # written into the next line
                inlined[call.node_id] = sources[0] if sources else ""
                if kind == "operator":
                    compound.add(call.node_id)
                continue
            if index == final and outputs == [call.node_id] and not uses.get(call.node_id):
                parts += [*marks, f"{INDENT * 2}return {value}\n"]
                marks = []
                returned_inline = True
                continue
            variable = None
            first = sources[0] if sources else None
            while first in inlined:
                first = inlined[first]
            if call.target != self.optional and first is not None and first in variables \
                    and variables[first] in local and last_use.get(first, -1) <= index and \
                    first not in tuples and call.node_id not in tuples:
                variable = variables[first]  # the value goes on under its name: x = f(x)
            if variable is None:
                if merges_input and not named_out and call.target != self.optional \
                        and "out" not in taken:
                    base = "out"
                    named_out = True
                else:
                    base = re.sub(r"\W", "_", self.plan.names[call.node_id]
                                  if call.kind == EXPRESSION_CALL else call.target)
                    base = base if base.isidentifier() else f"h{base}"
                variable, number = base, 1
                while variable in taken:
                    variable, number = f"{base}_{number}", number + 1
                taken.add(variable)
                local.add(variable)
            variables[call.node_id] = variable
            parts += [*marks, f"{INDENT * 2}{variable} = {value}\n"]
            marks = []
        if not returned_inline:
            returned = [variables[key] for key in outputs] or [variables[input_key(0)]]
            parts += [*marks, f"{INDENT * 2}return {', '.join(returned)}"]
        else:
            parts[-1] = parts[-1].rstrip("\n")
        return parts
