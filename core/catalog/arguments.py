"""Typed argument schemas: what each layer argument may hold, and checking a value."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.errors import ArgumentError

# Bounds that keep a design buildable: the largest size one argument may hold. A real
# build also checks the total parameter count; these stop absurd values early.
MAX_SIZE = 1 << 20

KINDS = ("int", "float", "bool", "choice", "size", "shape", "padding", "text")


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
        return list(value) if isinstance(value, tuple) else value


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
