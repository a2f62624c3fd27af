"""Catalog entries for the whole of `torch.nn`, read from torch itself.

Every public `nn.Module` subclass becomes an entry: its arguments come from the
constructor's signature (names, type hints, defaults), their help from the docstring's
``Args:`` section, the entry's help from the docstring's first sentence, and the number
of inputs from ``forward``. `core.catalog.refinements` adds what torch does not say.

The palette must work before torch has loaded, so the result is written once, as plain
data, to `core.catalog.generated`; run ``python -m core.catalog.generate`` after a torch
upgrade, and the test that compares the two says when that is due.
"""

from __future__ import annotations

import ast
import collections.abc
import inspect
import pprint
import re
import sys
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.catalog import refinements
from core.catalog.arguments import MAX_SIZE, ArgSpec

OUTPUT = Path(__file__).with_name("generated.py")
_EMPTY = inspect.Parameter.empty


class Unrepresentable(Exception):
    """A constructor parameter that no argument kind can hold."""


def layer_classes() -> dict[str, type[nn.Module]]:
    """Every public `nn.Module` subclass in `torch.nn`, by name."""
    return {name: value for name, value in sorted(vars(nn).items())
            if not name.startswith("_") and isinstance(value, type)
            and issubclass(value, nn.Module)}


def generate(hand_written: collections.abc.Collection[str] = ()) -> tuple[
        list[dict[str, Any]], dict[str, str]]:
    """The entry records for every layer not in ``hand_written``, and the layers left
    out with the reason for each."""
    records: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for name, layer in layer_classes().items():
        if name in hand_written:
            continue
        if name in refinements.SKIPPED:
            skipped[name] = refinements.SKIPPED[name]
            continue
        try:
            records.append(describe(name, layer))
        except Unrepresentable as error:
            skipped[name] = str(error)
        except Exception as error:
            raise RuntimeError(f"{name}: {error}") from error
    order = {category: i for i, category in enumerate(refinements.CATEGORY_ORDER)}
    records.sort(key=lambda r: (order.get(r["category"], len(order)), r["type"]))
    return records, skipped


def describe(name: str, layer: type[nn.Module]) -> dict[str, Any]:
    """The entry record for one layer class (`LayerSpec`'s fields as plain data)."""
    refined = refinements.refinement(name)
    docs = _argument_docs(layer.__doc__ or "")
    args = []
    for parameter in _parameters(layer):
        reason = refinements.OMITTED.get(parameter.name) or \
            refinements.OMITTED_IN.get(name, {}).get(parameter.name)
        if reason or parameter.name.startswith("_"):
            continue
        spec = _argument(name, layer, parameter, docs.get(parameter.name, ""),
                         refined["args"].get(parameter.name, {}))
        if spec is not None:
            args.append(spec)
    record: dict[str, Any] = {
        "type": name,
        "category": refined.get("category", "Activation"),
        "help": refined.get("help") or _class_help(layer),
        "factory_path": f"nn.{name}",
        "args": tuple(_arg_record(spec) for spec in args),
        "inputs": refined.get("inputs") or _inputs(layer),
        "expects": refined.get("expects", ""),
    }
    outputs = refined.get("outputs", ())
    reasons = [refined["no_dry_run"]] if "no_dry_run" in refined else []
    optional = {"outputs": outputs, "input_rank": refined.get("input_rank"),
                "input_dtype": refined.get("input_dtype", "float32"),
                "sample": refined.get("sample", ()), "no_dry_run": "; ".join(reasons),
                "checks": refined.get("checks", ())}
    defaults = {"outputs": (), "input_rank": None, "input_dtype": "float32", "sample": (),
                "no_dry_run": "", "checks": ()}
    record.update({k: v for k, v in optional.items() if v != defaults[k]})
    return record


def _arg_record(spec: ArgSpec) -> dict[str, Any]:
    plain = ArgSpec(spec.name, spec.kind, None, "")
    record = {"name": spec.name, "kind": spec.kind, "default": spec.default, "help": spec.help}
    for field in ("minimum", "maximum", "choices", "length", "optional", "required"):
        if getattr(spec, field) != getattr(plain, field):
            record[field] = getattr(spec, field)
    return record


# Parameters ---------------------------------------------------------------------------


def _parameters(layer: type[nn.Module]) -> list[inspect.Parameter]:
    """The constructor's named parameters. RNN, LSTM and GRU take ``*args, **kwargs``;
    their docstrings open with the real signature, typed as `nn.RNNBase` types it."""
    named = [p for p in inspect.signature(layer).parameters.values()
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    doc = inspect.cleandoc(layer.__doc__ or "")
    if named or not doc.startswith("__init__("):
        return named
    header = doc.splitlines()[0]
    function = ast.parse(f"def f{header.removeprefix('__init__')}: pass").body[0]
    assert isinstance(function, ast.FunctionDef)
    positional = function.args.args
    defaults = [_EMPTY] * (len(positional) - len(function.args.defaults)) + [
        ast.literal_eval(value) for value in function.args.defaults]
    hints = _base_annotations(layer)
    return [inspect.Parameter(arg.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=default, annotation=hints.get(arg.arg, _EMPTY))
            for arg, default in zip(positional, defaults, strict=True)]


def _base_annotations(layer: type) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    for base in reversed(layer.__mro__):
        init = base.__dict__.get("__init__")
        if init is None or base is object:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.annotation is not _EMPTY:
                hints[parameter.name] = parameter.annotation
    return hints


def _inputs(layer: type[nn.Module]) -> tuple[int, int]:
    """How many tensors ``forward`` needs: its parameters without a default."""
    parameters = list(inspect.signature(layer.forward).parameters.values())[1:]
    needed = sum(1 for p in parameters if p.default is _EMPTY
                 and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    return (max(needed, 1), max(needed, 1))


class _Type:
    """What a type hint allows, as the argument kinds see it."""

    def __init__(self, annotation: Any) -> None:
        self.atoms: set[str] = set()
        self.choices: tuple[str, ...] = ()
        self.length = 1
        self._add(annotation)

    def _add(self, hint: Any) -> None:
        origin, items = typing.get_origin(hint), typing.get_args(hint)
        if hint is _EMPTY:
            return
        if origin in (typing.Union, types.UnionType):
            for item in items:
                self._add(item)
        elif origin is typing.Literal:
            self.atoms.add("literal")
            self.choices = tuple(str(item) for item in items)
        elif hint is type(None) or hint is None:
            self.atoms.add("none")
        elif hint in (bool, int, float, str):
            self.atoms.add(hint.__name__)
        elif origin is tuple:
            element = _Type(items[0] if items else int)
            kind = "floats" if "float" in element.atoms else "ints"
            self.atoms.add(kind if element.atoms <= {"int", "float", "none"} else "other")
            self.length = 0 if (not items or Ellipsis in items) else len(items)
        elif origin in (list, collections.abc.Sequence) or hint is torch.Size:
            self.atoms.add("sequence")
        elif hint is torch.Tensor:
            self.atoms.add("tensor")
        elif origin is collections.abc.Callable or hint is typing.Any:
            self.atoms.add("other")
        else:
            self.atoms.add("other")


def _argument(layer_name: str, layer: type, parameter: inspect.Parameter, doc: str,
              refined: dict[str, Any]) -> ArgSpec | None:
    """The schema of one constructor parameter; None for one torch's default must keep
    (a tensor, a module, a callable); `Unrepresentable` if it has no default."""
    common = refinements.ARGUMENTS.get(parameter.name, {})
    settings = {**common, **refined}
    hint = _Type(parameter.annotation)
    default = parameter.default
    if hint.atoms == set() and default is not _EMPTY and default is not None:
        hint = _Type(type(default))
    required = default is _EMPTY
    optional = default is None or ("none" in hint.atoms and not required)
    kind = _kind(hint, settings, default)
    if kind is None:
        if required:
            raise Unrepresentable(f"its argument {parameter.name!r} has no default and no "
                                  "argument kind can hold it")
        return None
    choices = tuple(settings.get("choices", hint.choices))
    if kind == "choice" and callable(default) and getattr(default, "__name__", "") in choices:
        default = default.__name__  # Transformer's activation: F.relu is "relu"
    if "example" in settings and (required or default is None):
        default = settings["example"]
    elif required:
        raise Unrepresentable(f"its argument {parameter.name!r} has no default and no "
                              "example value (add one to core.catalog.refinements)")
    if kind == "float" and isinstance(default, int) and not isinstance(default, bool):
        default = float(default)
    length = settings.get("length", hint.length if kind != "float" else
                          (hint.length if "floats" in hint.atoms else 1))
    if kind in ("size", "padding") and length == 0 and "length" not in settings:
        length = _dimensions(layer_name) or 0
    if kind == "float" and "floats" in hint.atoms and "length" not in settings:
        length = _dimensions(layer_name) or 0
    minimum, maximum = settings.get("minimum"), settings.get("maximum")
    if kind in ("int", "size", "padding", "shape"):
        lowest = -MAX_SIZE if kind == "int" else 1
        minimum = lowest if "minimum" not in settings else minimum
        maximum = MAX_SIZE if "maximum" not in settings else maximum
    spec = ArgSpec(
        parameter.name, kind, default,
        settings.get("help") or doc or parameter.name.replace("_", " "),
        minimum=minimum, maximum=maximum,
        choices=choices if kind in ("choice", "padding") else (),
        length=length if kind in ("size", "padding", "float") else 1,
        optional=optional, required=required,
    )
    spec.validate(spec.default)
    return spec


def _kind(hint: _Type, settings: dict[str, Any], default: Any) -> str | None:
    atoms = hint.atoms - {"none"}
    if "literal" in atoms:
        return "choice"
    if atoms == {"bool"}:
        return "bool"
    if "sequence" in atoms and atoms <= {"int", "sequence", "ints"}:
        return "shape"
    if "ints" in atoms and atoms <= {"int", "ints", "str"}:
        return "padding" if "str" in atoms else "size"
    if atoms == {"int", "str"}:
        return "padding"
    if atoms == {"int"}:
        return "int"
    if atoms and atoms <= {"float", "floats", "int"}:
        return "float"
    if "str" in atoms and atoms <= {"str", "other"}:
        return "choice" if settings.get("choices") else ("text" if atoms == {"str"} else None)
    if not atoms and (default is None or default is _EMPTY):
        # Untyped and without a telling default (MultiheadAttention's embed_dim, kdim):
        # typed by the example, else a size.
        example = settings.get("example")
        return "float" if isinstance(example, float) else "int"
    return None


def _dimensions(layer_name: str) -> int | None:
    match = re.search(r"([123])d$", layer_name)
    return int(match[1]) if match else None


# Docstrings ---------------------------------------------------------------------------

_SECTION = re.compile(r"^(Args|Arguments|Parameters|Keyword args|Keyword arguments):\s*$")
_ENTRY = re.compile(r"^(\w+)\s*(?:\((.*?)\))?\s*:\s*(.*)$")


def _argument_docs(doc: str) -> dict[str, str]:
    """The first sentence of each entry of the docstring's ``Args:`` section."""
    found: dict[str, str] = {}
    current: str | None = None
    indent: int | None = None
    inside = False
    for line in inspect.cleandoc(doc).splitlines():
        stripped = line.strip()
        if _SECTION.match(stripped):
            inside, indent, current = True, None, None
            continue
        if not inside or not stripped:
            continue
        depth = len(line) - len(line.lstrip())
        if indent is None:
            indent = depth
        if depth < indent:
            inside = False
            continue
        match = _ENTRY.match(stripped) if depth == indent else None
        if match:
            current = match[1]
            found[current] = match[3]
        elif depth == indent:
            inside = False
        elif current is not None:
            found[current] += " " + stripped
    return {name: first_sentence(clean_rst(text)) for name, text in found.items()}


def _class_help(layer: type) -> str:
    lines = inspect.cleandoc(layer.__doc__ or "").splitlines()
    if lines and lines[0].startswith("__init__("):
        lines = lines[1:]
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = first_sentence(clean_rst(" ".join(paragraph)))
    # The losses open alike ("Creates a criterion that measures …"): keep what differs.
    text = re.sub(r"^(creates a criterion that|this criterion|this loss) ", "", text)
    return text or layer.__name__


_LATEX = {r"\times": "×", r"\ge": "≥", r"\geq": "≥", r"\le": "≤", r"\leq": "≤",
          r"\infty": "∞", r"\sigma": "σ", r"\tanh": "tanh", r"\prod": "∏", r"\sum": "Σ",
          r"\cdot": "·", r"\lambda": "λ", r"\alpha": "α", r"\beta": "β", r"\ldots": "…",
          r"\dots": "…", r"\epsilon": "ε", r"\log": "log", r"\exp": "exp"}


def _latex(text: str) -> str:
    text = re.sub(r"\\(?:text|mathrm|operatorname|mathbf|mathcal)\{([^{}]*)\}", r"\1", text)
    for command, symbol in sorted(_LATEX.items(), key=lambda item: -len(item[0])):
        text = text.replace(command, symbol)
    text = re.sub(r"_\{([^{}]*)\}", r"_\1", text)
    return text.replace("\\", "").replace("{", "").replace("}", "")


def clean_rst(text: str) -> str:
    """reStructuredText and LaTeX markup reduced to plain text."""
    text = re.sub(r":math:`([^`]*)`", lambda m: _latex(m[1]), text)
    text = re.sub(r":\w+:`~?([^`<]*?)\s*(?:<[^>]*>)?`",
                  lambda m: m[1].rsplit(".", 1)[-1], text)
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r"`([^`<]*?)\s*(?:<[^>]*>)?`_*", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def first_sentence(text: str) -> str:
    """The first sentence, without its full stop, in lower case unless it starts with an
    acronym, and without any ``Default:`` note."""
    text = re.split(r"\s*\bDefault\s*:", text)[0]
    match = re.search(r"(?<!e\.g)(?<!w\.r\.t)(?<!etc)(?<!\bvs)(?<!\b[A-Za-z])\.(\s|$)",
                      text)
    if match:
        text = text[:match.start()]
    text = text.strip().rstrip(".:;, ")
    first_word = text.split(" ", 1)[0]
    if first_word[1:].islower() or first_word in ("A", "An"):
        text = text[0].lower() + text[1:]
    return text


# The data file ------------------------------------------------------------------------

_HEADER = '''"""Catalog entries for torch.nn {version}, generated by `core.catalog.generate`.

Do not edit: change `core.catalog.refinements` and run ``python -m core.catalog.generate``.
Plain data, so that the palette works before torch has loaded.

Left out of the catalog:
{skipped}
"""

from typing import Any

TORCH_VERSION = {version!r}

ENTRIES: tuple[dict[str, Any], ...] = '''


def source(hand_written: collections.abc.Collection[str]) -> str:
    """The text of `core.catalog.generated` for the installed torch."""
    records, skipped = generate(hand_written)
    version = torch.__version__.split("+")[0]
    listed = "\n".join(textwrap.fill(f"- {name}: {reason}", 92, subsequent_indent="  ")
                       for name, reason in skipped.items())
    lines = ["("]
    for record in records:
        lines.append("    {")
        for key, value in record.items():
            if key != "args" or not value:
                lines.append(_item(f"{key!r}: ", value, 8))
                continue
            lines.append(f"        {key!r}: (")
            lines += [_item("", arg, 12) for arg in value]
            lines.append("        ),")
        lines.append("    },")
    lines.append(")")
    return _HEADER.format(version=version, skipped=listed) + "\n".join(lines) + "\n"


def _item(prefix: str, value: Any, indent: int) -> str:
    """``prefix`` and ``value`` at ``indent`` within 99 columns, with a comma; a dict's
    items packed several to a line."""
    width = 98 - indent
    if not isinstance(value, dict):
        text = pprint.pformat(value, width=width - len(prefix))
        return " " * indent + prefix + text.replace("\n", "\n" + " " * (indent + len(prefix))) + ","
    lines: list[str] = []
    line = prefix + "{"
    for position, (key, item) in enumerate(value.items()):
        end = "}" if position == len(value) - 1 else ", "
        part = f"{key!r}: {item!r}{end}"
        if len(line) + len(part) > width and line.strip() not in ("{", prefix + "{"):
            lines.append(line.rstrip())
            line = " "
        if len(line) + len(part) > width:
            start = f"{key!r}: "
            text = pprint.pformat(item, width=width - len(line) - len(start) - 2)
            part = start + text.replace("\n", "\n" + " " * (indent + len(line) + len(start))) \
                + end
        line += part
    lines.append(line)
    return "\n".join(" " * indent + text for text in lines) + ","


def main() -> None:
    from core.catalog.registry import HAND_WRITTEN

    OUTPUT.write_text(source(HAND_WRITTEN), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
