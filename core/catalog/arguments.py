"""Typed argument schemas: what each layer argument may hold, and checking a value."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from core.errors import ArgumentError

# Bounds that keep a design buildable: the largest size one argument may hold. A real
# build also checks the total parameter count; these stop absurd values early.
MAX_SIZE = 1 << 20

KINDS = ("int", "float", "bool", "choice", "size", "shape", "padding", "text", "index",
         "sizes")
# The largest dimension number or index an ``index`` or ``sizes`` argument may name.
MAX_DIM = 64
ELLIPSIS = "..."


@dataclass(frozen=True)
class ArgSpec:
    """One argument of a layer.

    ``kind`` is one of:

    - ``int``, ``bool``
    - ``float``: a number; where ``length`` is not 1, also a tuple of ``length`` numbers
      (Upsample's scale_factor)
    - ``choice``: one of ``choices`` (strings)
    - ``size``: an int, or a tuple of ``length`` ints (kernel sizes, strides)
    - ``shape``: a tuple of one or more ints (LayerNorm's normalized_shape)
    - ``padding``: a ``size`` or one of ``choices`` (``"same"``, ``"valid"``)
    - ``text``: free text that the owner parses (an initializer's mixture pieces)
    - ``index``: what goes between the brackets of ``x[...]``, as a tuple of items: an
      int, ``None`` (a new axis), ``"..."`` (Ellipsis) or a slice ``(start, stop, step)``
      of ints or ``None`` — data, never code (see `format_index`)
    - ``sizes``: a shape whose sizes may be read from the inputs: each item an int
      (``-1``: inferred) or ``(input, dim)``, the size of that input along ``dim`` (what
      ``x.size(0)`` gives in a forward; see `format_sizes`)

    ``length`` 0 means a tuple of any length. ``optional`` lets the value be ``None``
    ("not set"). ``required`` says that torch has no default for the argument: the
    ``default`` here is an example value that constructs the layer.
    """

    name: str
    kind: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    length: int = 1
    optional: bool = False
    required: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown argument kind {self.kind!r}")

    def describe_range(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        low = "" if self.minimum is None else f"{self.minimum:g}"
        high = "" if self.maximum is None else f"{self.maximum:g}"
        if low and high:
            return f"from {low} to {high}"
        if low:
            return f"at least {low}"
        if high:
            return f"at most {high}"
        return ""

    def validate(self, value: Any) -> Any:
        """Return ``value`` in its canonical form, or raise `ArgumentError` saying why."""
        if value is None:
            if self.optional:
                return None
            raise ArgumentError("must be set", self.name)
        if self.kind == "int":
            return self._number(self._int(value))
        if self.kind == "float":
            if isinstance(value, (list, tuple)) and self.length != 1:
                return tuple(self._number(self._float(v)) for v in self._items(value))
            return self._number(self._float(value))
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ArgumentError(f"expected true or false, got {value!r}", self.name)
            return value
        if self.kind == "text":
            if not isinstance(value, str):
                raise ArgumentError(f"expected text, got {value!r}", self.name)
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise ArgumentError(
                    f"{value!r} is not {self.describe_range()}", self.name
                )
            return value
        if self.kind == "padding" and isinstance(value, str):
            if value not in self.choices:
                raise ArgumentError(
                    f"{value!r} is not a size or one of {', '.join(self.choices)}", self.name
                )
            return value
        if self.kind in ("size", "padding"):
            if isinstance(value, (list, tuple)):
                items = tuple(self._number(self._int(v)) for v in self._items(value))
                return items[0] if self.length == 1 else items
            return self._number(self._int(value))
        if self.kind == "index":
            return self._index(value)
        if self.kind == "sizes":
            return self._sizes(value)
        # shape
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)) or not value:
            raise ArgumentError(f"expected a list of ints, got {value!r}", self.name)
        return tuple(self._number(self._int(v)) for v in value)

    def _items(self, value: list[Any] | tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
        """The items of a tuple value, when there are as many as ``length`` asks."""
        if self.length == 0 and not value:
            raise ArgumentError("expected one or more values, got none", self.name)
        if self.length and len(value) != self.length:
            one = "number" if self.kind == "float" else "int"
            raise ArgumentError(
                f"expected one {one} or {self.length} {one}s, got {len(value)}", self.name
            )
        return value

    def _index(self, value: Any) -> tuple[Any, ...]:
        items = value if isinstance(value, (list, tuple)) else [value]
        if not items:
            raise ArgumentError("an index needs at least one item", self.name)
        if len(items) > MAX_DIM:
            raise ArgumentError(f"an index has at most {MAX_DIM} items", self.name)
        checked: list[Any] = []
        for item in items:
            if item is None or item == ELLIPSIS:
                checked.append(item)
            elif isinstance(item, (list, tuple)):
                if len(item) != 3:
                    raise ArgumentError(f"a slice is (start, stop, step), got {item!r}",
                                        self.name)
                bounds = tuple(None if v is None else self._bounded(v, MAX_SIZE)
                               for v in item)
                if bounds[2] == 0:
                    raise ArgumentError("a slice's step cannot be 0", self.name)
                checked.append(bounds)
            else:
                checked.append(self._bounded(item, MAX_SIZE))
        if checked.count(ELLIPSIS) > 1:
            raise ArgumentError("an index can hold '...' once", self.name)
        return tuple(checked)

    def _sizes(self, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)) or not value:
            raise ArgumentError(f"expected a list of sizes, got {value!r}", self.name)
        if len(value) > MAX_DIM:
            raise ArgumentError(f"a shape has at most {MAX_DIM} sizes", self.name)
        checked: list[Any] = []
        for item in value:
            if isinstance(item, (list, tuple)):
                if len(item) != 2:
                    raise ArgumentError(f"a size read from an input is (input, dim), got "
                                        f"{item!r}", self.name)
                port, dim = self._int(item[0]), self._bounded(item[1], MAX_DIM)
                if not 0 <= port < MAX_DIM:
                    raise ArgumentError(f"there is no input {port}", self.name)
                checked.append((port, dim))
            else:
                size = self._int(item)
                if not -1 <= size <= MAX_SIZE:
                    raise ArgumentError(f"{size} is not a size (-1 means inferred)", self.name)
                checked.append(size)
        return tuple(checked)

    def _bounded(self, value: Any, limit: int) -> int:
        number = self._int(value)
        if not -limit <= number <= limit:
            raise ArgumentError(f"{number} is out of range (±{limit})", self.name)
        return number

    def _int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ArgumentError(f"expected an integer, got {value!r}", self.name)
        return value

    def _float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentError(f"expected a number, got {value!r}", self.name)
        value = float(value)
        if not math.isfinite(value):
            raise ArgumentError(f"expected a finite number, got {value!r}", self.name)
        return value

    def _number(self, value: float) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise ArgumentError(f"{value!r} is below the minimum {self.minimum:g}", self.name)
        if self.maximum is not None and value > self.maximum:
            raise ArgumentError(f"{value!r} is above the maximum {self.maximum:g}", self.name)
        return value

    def to_json(self, value: Any) -> Any:
        if isinstance(value, tuple):
            return [self.to_json(v) for v in value]
        return value


def format_index(index: tuple[Any, ...]) -> str:
    """An index as Python writes it between brackets: ``(None-slice, 0)`` → ``:, 0``."""
    parts = []
    for item in index:
        if item is None:
            parts.append("None")
        elif item == ELLIPSIS:
            parts.append("...")
        elif isinstance(item, tuple):
            start, stop, step = ("" if v is None else str(v) for v in item)
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        else:
            parts.append(str(item))
    return ", ".join(parts)


def parse_index(text: str) -> tuple[Any, ...]:
    """The items of an index written as Python writes it (``:, 0``, ``..., None, 1:3``);
    raises `ArgumentError` for anything else (it is parsed, never evaluated)."""
    items: list[Any] = []
    for part in (p.strip() for p in text.strip().strip("[]").split(",")):
        if part == "...":
            items.append(ELLIPSIS)
        elif part == "None":
            items.append(None)
        elif ":" in part:
            pieces = [p.strip() for p in part.split(":")]
            if len(pieces) > 3:
                raise ArgumentError(f"{part!r} is not a slice")
            pieces += [""] * (3 - len(pieces))
            items.append(tuple(None if p == "" else _integer(p) for p in pieces))
        else:
            items.append(_integer(part))
    return tuple(items)


def format_sizes(sizes: tuple[Any, ...]) -> str:
    """``((0, 0), -1)`` → ``size(0, 0), -1``: sizes read from input 0 along dim 0."""
    return ", ".join(f"size({item[0]}, {item[1]})" if isinstance(item, tuple) else str(item)
                     for item in sizes)


def parse_sizes(text: str) -> tuple[Any, ...]:
    """The inverse of `format_sizes`."""
    items: list[Any] = []
    for match in re.finditer(r"\s*(size\(\s*([^,()]*),([^,()]*)\)|[^,]+)\s*(,|$)", text.strip()):
        if match[2] is not None:
            items.append((_integer(match[2].strip()), _integer(match[3].strip())))
        elif match[1].strip():
            items.append(_integer(match[1].strip()))
    if not items:
        raise ArgumentError(f"{text!r}: expected sizes separated by commas")
    return tuple(items)


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ArgumentError(f"{text!r} is not a whole number") from None


def count(name: str, default: int | None, help: str, minimum: int = 1, **extra: Any) -> ArgSpec:
    """A positive size such as a feature or channel count."""
    return ArgSpec(name, "int", default, help, minimum=minimum, maximum=MAX_SIZE, **extra)


def integer(name: str, default: int | None, help: str, **extra: Any) -> ArgSpec:
    extra.setdefault("minimum", -64)
    extra.setdefault("maximum", 64)
    return ArgSpec(name, "int", default, help, **extra)


def real(name: str, default: float | None, help: str, **extra: Any) -> ArgSpec:
    return ArgSpec(name, "float", default, help, **extra)


def flag(name: str, default: bool, help: str) -> ArgSpec:
    return ArgSpec(name, "bool", default, help)


def choice(name: str, default: str, choices: tuple[str, ...], help: str) -> ArgSpec:
    return ArgSpec(name, "choice", default, help, choices=choices)


def size(
    name: str, default: Any, help: str, length: int, minimum: int = 1, **extra: Any
) -> ArgSpec:
    return ArgSpec(
        name, "size", default, help, minimum=minimum, maximum=MAX_SIZE, length=length, **extra
    )
