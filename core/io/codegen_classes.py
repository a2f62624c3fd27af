"""One class per block type, with constructor arguments, as torchvision writes them.

`core.io.codegen` writes each generated module's class as a *draft*: a list of parts, text
and the places that hold values (a layer's arguments, another class constructed, a module
that is there or not). Drafts that read the same but for those values become one class:
the values that differ between its uses become its constructor's parameters
(``BasicBlock(64, 128, stride=2, downsample=...)``), those that never differ stay
literals. A draft with one more module than another of the same class name (ResNet's
``downsample``) joins it when the two forwards are otherwise alike: the module becomes a
parameter that is ``None`` where it is absent, and the forward calls it only when set.
One whose forward adds its input to its result where the other does not (MobileNetV2's
residual) joins it with a flag: ``x + out if self.residual else out``.
"""

from __future__ import annotations

import inspect
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from core.catalog.registry import spec_for

INDENT = "    "
MARK_OPEN = "\x01"  # a node's marker inside rendered text, moved to the end of its line
_LEADING_MARKS = re.compile("(?:\x01[^\x01]*\x01)*")


@dataclass(eq=False)
class Mark:
    """The line this part starts belongs to a node (the code view's spans)."""

    node_id: str


@dataclass(eq=False)
class Layer:
    """``nn.Conv2d(64, 128, 3, stride=2)``: a layer's constructor, its arguments values."""

    layer_type: str
    names: tuple[str, ...]
    values: list[Any]
    attribute: str


@dataclass(eq=False)
class Literal:
    """One value written as it is (a parameter's size), named ``label`` when it becomes
    a parameter and no layer's argument names the same values."""

    value: Any
    label: str


@dataclass(eq=False)
class Flag(Literal):
    """Whether the class takes a step some of its uses leave out (``x + out``)."""


@dataclass(eq=False)
class Instance:
    """A generated class constructed: ``BasicBlock(64, 128, stride=2)``, on a line
    indented ``depth`` times."""

    draft: Draft
    depth: int


@dataclass(eq=False)
class Optional:
    """A module the class takes as an argument, absent (``None``) in some of its uses."""

    attribute: str
    fragment: list[Any] | None
    depth: int


@dataclass(eq=False)
class Signature:
    """``def __init__(self, ...)``: the parameters are known once every use is seen."""

    needs: tuple[str, ...]


@dataclass(eq=False)
class Draft:
    """A generated module's class before it is named: its parts, and (for a draft that
    joined a class with an optional module it lacks) where its ``None`` goes."""

    base: str
    parts: list[Any]
    order: int
    inserted: tuple[int, Any] | None = None  # (slot, value) of what it lacks
    candidates: tuple[str, ...] = ()


@dataclass(eq=False)
class Parameter:
    name: str
    slots: list[int]
    default: Any = inspect.Parameter.empty

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


@dataclass(eq=False)
class ClassGroup:
    """One class of the generated source, and the drafts that construct it."""

    template: list[Any]
    members: list[Draft] = field(default_factory=list)
    name: str = ""
    parameters: list[Parameter] = field(default_factory=list)
    by_slot: dict[int, str] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class Fragment:
    """A module written inline as an argument (the optional module), compared by text."""

    text: str
    key: str
    depth: int


def layer_arguments(layer_type: str, args: dict[str, Any]) -> tuple[str, ...]:
    """The order ``args`` are written in: the constructor's, then any it takes as
    ``**kwargs`` (nn.LSTM)."""
    ordered = [p.name for p in _parameters(spec_for(layer_type).factory) if p.name in args]
    return tuple(ordered + [name for name in args if name not in ordered])


def render_layer(layer_type: str, names: tuple[str, ...], values: list[Any],
                 given: dict[int, str]) -> str:
    """The constructor call: positional where torch has no default, keywords only where
    a literal differs from torch's default; ``given`` names the arguments that are the
    class's parameters, by their index in ``names``."""
    spec = spec_for(layer_type)
    signature = {p.name: p for p in _parameters(spec.factory)}
    parts, positional = [], True
    for index, name in enumerate(names):
        value = given.get(index)
        text = value if value is not None else repr(values[index])
        parameter = signature.get(name)
        if parameter is not None:
            if parameter.default is inspect.Parameter.empty and positional:
                parts.append(text)
                continue
            positional = False
            if value is None and parameter.default is not inspect.Parameter.empty and \
                    _same(values[index], parameter.default):
                continue
            parts.append(f"{name}={text}")
            continue
        positional = False
        if value is None and not spec.arg(name).required and \
                _same(values[index], spec.arg(name).default):
            continue
        parts.append(f"{name}={text}")
    return f"{spec.code_name}({', '.join(parts)})"


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except Exception:  # a default that does not compare is not equal
        return False


def _layer_default(layer_type: str, name: str) -> Any:
    parameter = {p.name: p for p in _parameters(spec_for(layer_type).factory)}.get(name)
    if parameter is not None:
        return parameter.default
    arg = spec_for(layer_type).arg(name)
    return inspect.Parameter.empty if arg.required else arg.default


def _parameters(factory: Any) -> tuple[inspect.Parameter, ...]:
    from core.io.codegen import _parameters as cached  # one cache for the whole writer

    return cached(factory)


class Classes:
    """Drafts in, classes out: groups drafts, joins those that differ by an optional
    module, names each class and its parameters, and renders the class text."""

    def __init__(self, reserved: set[str], render_variant) -> None:
        self.reserved = reserved
        self.render_variant = render_variant  # (draft, optional=, skip=) -> parts
        self.drafts: list[Draft] = []
        self.group_of: dict[int, ClassGroup] = {}
        self.groups: list[ClassGroup] = []

    # -- keys and values ------------------------------------------------------------

    def key(self, parts: list[Any], base: str, memo: dict[int, Any]) -> Any:
        items: list[Any] = [base]
        for part in parts:
            if isinstance(part, str):
                items.append(part)
            elif isinstance(part, Layer):
                items.append(("L", part.layer_type, part.names))
            elif isinstance(part, Instance):
                items.append(("C", self._draft_key(part.draft, memo)))
            elif isinstance(part, Optional):
                items.append(("O", part.attribute))
            elif isinstance(part, Literal):
                items.append(("V",))
            elif isinstance(part, Signature):
                items.append(("S", part.needs))
        return tuple(items)

    def _draft_key(self, draft: Draft, memo: dict[int, Any]) -> Any:
        group = self.group_of.get(id(draft))
        if group is not None:
            return ("G", id(group))
        if id(draft) not in memo:
            memo[id(draft)] = self.key(draft.parts, draft.base, memo)
        return memo[id(draft)]

    def values(self, draft: Draft) -> list[Any]:
        values = self.part_values(draft.parts)
        if draft.inserted is not None:
            values.insert(*draft.inserted)
        return values

    def part_values(self, parts: list[Any]) -> list[Any]:
        values: list[Any] = []
        for part in parts:
            if isinstance(part, Layer):
                values.extend(part.values)
            elif isinstance(part, Instance):
                values.extend(self.values(part.draft))
            elif isinstance(part, Optional):
                values.append(None if part.fragment is None else self.fragment(part))
            elif isinstance(part, Literal):
                values.append(part.value)
        return values

    def fragment(self, part: Optional) -> Fragment:
        assert part.fragment is not None
        text = self.render(part.fragment, self.part_values(part.fragment), {}, part.depth)
        return Fragment(text, _strip_marks(text), part.depth)

    # -- grouping -----------------------------------------------------------------

    def add(self, draft: Draft) -> None:
        self.drafts.append(draft)

    def finish(self) -> None:
        """Group every draft (children before the classes that construct them)."""
        heights = self._heights()
        by_height: dict[int, list[Draft]] = {}
        for draft in self.drafts:
            by_height.setdefault(heights[id(draft)], []).append(draft)
        for height in sorted(by_height):
            self._group_level(by_height[height])
        for group in self.groups:
            self._name(group)

    def _heights(self) -> dict[int, int]:
        """Each draft's level: above the classes it constructs, and level with the other
        drafts of its class name (so those can become one class), where that leaves
        every class above its children; plain heights where it would not."""
        def children(draft: Draft) -> list[Draft]:
            return [p.draft for p in draft.parts if isinstance(p, Instance)]

        plain: dict[int, int] = {}
        for draft in self.drafts:  # children were added before their parents
            plain[id(draft)] = 1 + max((plain[id(c)] for c in children(draft)), default=-1)
        heights = dict(plain)
        for _ in range(8):
            top: dict[str, int] = {}
            for draft in self.drafts:
                top[draft.base] = max(top.get(draft.base, 0), heights[id(draft)])
            changed = False
            for draft in self.drafts:
                wanted = max(top[draft.base], 1 + max((heights[id(c)] for c in children(draft)),
                                                      default=-1))
                if wanted != heights[id(draft)]:
                    heights[id(draft)], changed = wanted, True
            if not changed:
                return heights
        return plain

    def _group_level(self, drafts: list[Draft]) -> None:
        memo: dict[int, Any] = {}
        groups: dict[Any, ClassGroup] = {}
        level: list[ClassGroup] = []
        for draft in drafts:
            key = self.key(draft.parts, draft.base, memo)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ClassGroup(draft.parts)
                level.append(group)
            group.members.append(draft)
        self._join_optional(level, memo)
        if len({group.members[0].base for group in level}) < len(level):
            self._join_swapped(level, memo)
        for group in level:
            for draft in group.members:
                self.group_of[id(draft)] = group
            self.groups.append(group)

    def _join_optional(self, level: list[ClassGroup], memo: dict[int, Any]) -> None:
        """Join a class into another of its class name that has one module (or one
        residual sum) more. Each class's variants are worked out once, and found by key:
        linear in the number of classes."""
        bases: dict[str, int] = {}
        for group in level:
            bases[group.members[0].base] = bases.get(group.members[0].base, 0) + 1
        plain = {self.key(group.template, group.members[0].base, memo): group
                 for group in level if bases[group.members[0].base] > 1}
        for richer in list(level):
            if richer not in level or bases[richer.members[0].base] < 2 or \
                    not _plain(richer):
                continue
            first = richer.members[0]
            for candidate in first.candidates:
                without = self.key(self.render_variant(first, skip=candidate), first.base,
                                   memo)
                poorer = plain.get(without)
                if poorer is None or poorer is richer or poorer not in level or \
                        not _plain(poorer):
                    continue
                self._join(richer, poorer, candidate, level)
                break

    def _join_swapped(self, level: list[ClassGroup], memo: dict[int, Any]) -> None:
        """Join classes of one class name that differ only in which module one attribute
        holds (a shortcut that is ``nn.Identity()`` in one use and a block in another):
        the module becomes a constructor argument."""
        seen: dict[tuple[str, Any], ClassGroup] = {}
        for group in list(level):
            if group not in level or not _plain(group):
                continue
            first = group.members[0]
            for candidate in first.candidates:
                if candidate.startswith("flag:"):
                    continue
                key = (candidate, self.key(self.render_variant(first, skip=candidate),
                                           first.base, memo))
                other = seen.get(key)
                if other is None or other not in level or not _plain(other):
                    seen[key] = group
                    continue
                for draft in other.members + group.members:
                    draft.parts = self.render_variant(draft, swap=candidate)
                other.template = other.members[0].parts
                other.members += group.members
                level.remove(group)
                break

    def _join(self, richer: ClassGroup, poorer: ClassGroup, candidate: str,
              level: list[ClassGroup]) -> None:
        for draft in richer.members:
            draft.parts = self.render_variant(draft, optional=candidate)
        template = richer.members[0].parts
        position = next(i for i, p in enumerate(template) if isinstance(p, (Optional, Flag)))
        slot = len(self.part_values(template[:position]))
        lacking = False if isinstance(template[position], Flag) else None
        for draft in poorer.members:
            draft.inserted = (slot, lacking)
        richer.template = template
        richer.members += poorer.members
        level.remove(poorer)

    # -- parameters and names --------------------------------------------------------

    def _name(self, group: ClassGroup) -> None:
        base = group.members[0].base
        name, number = base, 2
        taken = {g.name for g in self.groups if g.name} | self.reserved
        while name in taken:
            name, number = f"{base}{number}", number + 1
        group.name = name
        vectors = [self.values(draft) for draft in group.members]
        labels = self._labels(group.template)
        columns: dict[tuple[str, ...], list[int]] = {}
        for slot in range(len(vectors[0])):
            column = tuple(_key(vector[slot]) for vector in vectors)
            if len(set(column)) > 1:
                columns.setdefault(column, []).append(slot)
        taken_names = set(self.reserved) | {"self"} | set(_needs(group.template))
        for slots in columns.values():
            best = min(slots, key=lambda slot: labels[slot][3])  # a layer's name first
            label, prefix, default, _ = labels[best]
            parameter = Parameter(_free_name(label, prefix, taken_names), slots, default)
            if parameter.default is not inspect.Parameter.empty and not any(
                    _same(vector[best], parameter.default) for vector in vectors):
                parameter.default = inspect.Parameter.empty
            taken_names.add(parameter.name)
            group.parameters.append(parameter)
            for slot in slots:
                group.by_slot[slot] = parameter.name
        group.parameters.sort(key=lambda p: not p.required)
        group.text = self._class_text(group, vectors[0])

    def _labels(self, parts: list[Any]) -> list[tuple[str, str, Any, int]]:
        """For each slot: the name a parameter for it would take, a prefix for when that
        name is taken, its default, and a rank (names from layers and classes first)."""
        empty = inspect.Parameter.empty
        labels: list[tuple[str, str, Any, int]] = []
        for part in parts:
            if isinstance(part, Layer):
                labels += [(name, part.attribute, _layer_default(part.layer_type, name), 0)
                           for name in part.names]
            elif isinstance(part, Instance):
                child = self.group_of[id(part.draft)]
                count = len(self.values(part.draft))
                slots: list[tuple[str, str, Any, int]] = [("arg", "", empty, 2)] * count
                for parameter in child.parameters:
                    for slot in parameter.slots:
                        slots[slot] = (parameter.name, "", parameter.default, 0)
                labels += slots
            elif isinstance(part, Optional):
                labels.append((part.attribute, "", None, 0))
            elif isinstance(part, Flag):
                labels.append((part.label, "", False, 0))
            elif isinstance(part, Literal):
                labels.append((part.label, "", empty, 1))
        return labels

    # -- rendering ---------------------------------------------------------------------

    def _class_text(self, group: ClassGroup, values: list[Any]) -> str:
        return f"class {group.name}(nn.Module):\n" + self.render(
            group.template, values, group.by_slot, 2, group)

    def render(self, parts: list[Any], values: list[Any], given: dict[int, str],
               depth: int, group: ClassGroup | None = None) -> str:
        """``parts`` as text, its slots filled from ``values`` or, where ``given`` names
        a parameter for the slot, with that name."""
        out: list[str] = []
        slot = 0
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Mark):
                out.append(f"{MARK_OPEN}{part.node_id}{MARK_OPEN}")
            elif isinstance(part, Signature):
                assert group is not None
                out.append(self._signature(group, part.needs))
            elif isinstance(part, Layer):
                count = len(part.names)
                named = {i: given[slot + i] for i in range(count) if slot + i in given}
                out.append(render_layer(part.layer_type, part.names,
                                        values[slot:slot + count], named))
                slot += count
            elif isinstance(part, Instance):
                count = len(self.values(part.draft))
                out.append(self._construct(part.draft, values[slot:slot + count],
                                           {i: given[slot + i] for i in range(count)
                                            if slot + i in given}, part.depth))
                slot += count
            elif isinstance(part, Optional):
                out.append(given.get(slot) or _value_text(values[slot], depth))
                slot += 1
            elif isinstance(part, Literal):
                out.append(given.get(slot) or repr(values[slot]))
                slot += 1
        return "".join(out)

    def _signature(self, group: ClassGroup, needs: tuple[str, ...]) -> str:
        parameters = [*needs]
        for parameter in group.parameters:
            parameters.append(parameter.name if parameter.required
                              else f"{parameter.name}={parameter.default!r}")
        listed = "".join(f", {p}" for p in parameters)
        return f"{INDENT}def __init__(self{listed}) -> None:"

    def _construct(self, draft: Draft, values: list[Any], given: dict[int, str],
                   depth: int) -> str:
        """``BasicBlock(64, 128, stride=2)``: the call that constructs ``draft``'s class
        with its values (or the enclosing class's parameters)."""
        group = self.group_of[id(draft)]
        arguments = [*_needs(group.template)]
        positional = True
        for parameter in group.parameters:
            slot = parameter.slots[0]
            text = given.get(slot)
            if text is None:
                value = values[slot]
                if not parameter.required and _same_value(value, parameter.default):
                    positional = False
                    continue
                text = _value_text(value, depth)
            if parameter.required and positional:
                arguments.append(text)
            else:
                positional = False
                arguments.append(f"{parameter.name}={text}")
        return f"{group.name}({', '.join(arguments)})"


def _plain(group: ClassGroup) -> bool:
    """Not joined yet: one optional part per class."""
    return all(d.inserted is None for d in group.members) and \
        not any(isinstance(p, (Optional, Flag)) for p in group.template)


def _same_value(value: Any, default: Any) -> bool:
    if value is None or default is None:
        return value is default
    return _same(value, default)


def _value_text(value: Any, depth: int) -> str:
    if isinstance(value, Fragment):
        return _reindent(value.text, value.depth, depth)
    return repr(value)


def _reindent(text: str, old: int, new: int) -> str:
    """``text`` written for a line indented ``old`` times, moved to one indented ``new``
    times (a node's marker may come before a line's indentation)."""
    if old == new or "\n" not in text:
        return text
    first, *rest = text.split("\n")
    cut = len(INDENT) * old
    shifted = []
    for line in rest:
        marks = _LEADING_MARKS.match(line)
        prefix = marks.group(0) if marks else ""
        body = line[len(prefix):]
        shifted.append(prefix + (INDENT * new + body[cut:] if body.startswith(" " * cut)
                                 else body))
    return "\n".join([first, *shifted])


def _strip_marks(text: str) -> str:
    pieces = text.split(MARK_OPEN)
    return "".join(pieces[0::2])


def _key(value: Any) -> str:
    if isinstance(value, Fragment):
        return "F" + value.key
    return f"{type(value).__name__}:{value!r}"


def _needs(parts: list[Any]) -> tuple[str, ...]:
    for part in parts:
        if isinstance(part, Signature):
            return part.needs
    return ()


def _free_name(label: str, prefix: str, taken: set[str]) -> str:
    for candidate in (label, f"{prefix}_{label}" if prefix else ""):
        if candidate and candidate.isidentifier() and not keyword.iskeyword(candidate) \
                and candidate not in taken:
            return candidate
    base = label if label.isidentifier() and not keyword.iskeyword(label) else "arg"
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"
