"""What a node or a class may be called.

A node's name becomes an attribute of the built module and, in exported Python, an
attribute and a local variable; a graph's class name becomes a class statement. Both
must mean the same thing to `torch.nn`, to `torch.fx` and to the Python compiler, so a
name is refused when Python reads it as another name (it folds every identifier to
NFKC: ``ａ`` is ``a``), when a module already has an attribute of that name
(``forward``, ``_modules``), or when the generated Python uses it itself (``x``,
``self``, ``nn``). No torch here: the module attributes are listed, and a test checks
the list against the installed torch.
"""

from __future__ import annotations

import builtins
import keyword
import unicodedata

from core.errors import InvalidNameError

# The attributes of an nn.Module, an nn.Sequential and a torch.fx.GraphModule instance
# (torch 2.13), less the dunders, which every name starting with "__" stands for.
MODULE_ATTRIBUTES = frozenset({
    "T_destination", "_apply", "_backward_hooks", "_backward_pre_hooks", "_boxed_call",
    "_buffers", "_call_impl", "_code", "_compiled_call_impl", "_create_node_hooks",
    "_deepcopy_hooks", "_deepcopy_init", "_erase_node_hooks", "_forward_hooks",
    "_forward_hooks_always_called", "_forward_hooks_with_kwargs", "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs", "_get_backward_hooks", "_get_backward_pre_hooks",
    "_get_item_by_idx", "_get_name", "_graph", "_is_full_backward_hook", "_lineno_map",
    "_load_from_state_dict", "_load_state_dict_post_hooks", "_load_state_dict_pre_hooks",
    "_maybe_warn_non_full_backward_hook", "_modules", "_named_members",
    "_non_persistent_buffers_set", "_parameters", "_prologue_start",
    "_recompile_submodules", "_register_create_node_hook", "_register_deepcopy_hook",
    "_register_erase_node_hook", "_register_load_state_dict_pre_hook",
    "_register_replace_node_hook", "_register_state_dict_hook", "_replace_hooks",
    "_replicate_for_data_parallel", "_save_to_state_dict", "_set_replace_hook",
    "_slow_forward", "_state_dict_hooks", "_state_dict_pre_hooks", "_tracer_cls",
    "_tracer_extras", "_unregister_create_node_hook", "_unregister_deepcopy_hook",
    "_unregister_erase_node_hook", "_unregister_replace_node_hook", "_version",
    "_wrapped_call", "_wrapped_call_impl", "add_module", "add_submodule", "append", "apply",
    "bfloat16", "buffers", "call_super_init", "children", "code", "compile", "cpu", "cuda",
    "delete_all_unused_submodules", "delete_submodule", "double", "dump_patches", "eval",
    "extend", "extra_repr", "float", "forward", "get_buffer", "get_extra_state",
    "get_parameter", "get_submodule", "graph", "half", "insert", "ipu", "load_state_dict",
    "meta", "modules", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "pop", "print_readable", "recompile",
    "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "shape_env", "share_memory", "state_dict", "to",
    "to_empty", "to_folder", "train", "training", "type", "xpu", "zero_grad",
})

# Names the generated Python defines, imports or calls where a node's name can reach.
GENERATED_NAMES = frozenset({
    "x", "self", "torch", "nn", "F", "json", "sys", "OrderedDict", "build_model",
    "load_weights", "INPUT_SHAPE", "model", "getattr", "super",
})

# A class statement sits at the top of the generated module, where it would hide a
# builtin from everything after it.
_BUILTINS = frozenset(dir(builtins))


def normal_form(name: str) -> str:
    """The name as Python reads it (identifiers are compared after NFKC)."""
    return unicodedata.normalize("NFKC", name)


def node_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a node's name, or ``None`` when it can ("" is automatic).

    A dotted name (``layers.0``, ``heads.cls``) is a path: the node's module is held in an
    ``nn.ModuleList`` (or ``nn.ModuleDict``) attribute ``layers`` of the graph's module,
    at item ``0``; each part is a name of its own."""
    if not name:
        return None
    if "." in name:
        return _path_problem(name)
    if name.isdigit():
        if not name.isascii():
            return f"{name!r} is not a number Python can index with: use the digits 0-9"
        return None
    return _identifier_problem(name) or (
        f"{name!r} is already an attribute of every nn.Module" if name in MODULE_ATTRIBUTES
        else f"{name!r} is a name the generated Python uses itself"
        if name in GENERATED_NAMES else None)


def _path_problem(name: str) -> str | None:
    parts = name.split(".")
    if any(not part for part in parts):
        return f"{name!r} has an empty part: write a path as layers.0"
    if parts[0].isdigit():
        return f"{name!r} starts with a number: the first part names the list attribute"
    for part in parts:
        problem = node_name_problem(part)
        if problem:
            return f"in {name!r}: {problem}"
    return None


def class_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a generated class's name, or ``None`` ("" is automatic)."""
    if not name:
        return None
    if not name.isidentifier():
        return f"{name!r} is not a class name"
    return _identifier_problem(name) or (
        f"{name!r} would hide Python's own {name}" if name in _BUILTINS
        else f"{name!r} is a name the generated Python uses itself"
        if name in GENERATED_NAMES else None)


def _identifier_problem(name: str) -> str | None:
    if not name.isidentifier():
        return (f"{name!r} is not a Python name: use letters, digits and _, "
                "not starting with a digit")
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword"
    folded = normal_form(name)
    if folded != name:
        if unicodedata.normalize("NFC", name) == folded:  # looks the same, composed apart
            return f"{name!a} is {folded!r} written with combining marks: type it again"
        return f"Python reads {name!r} as {folded!r}: write it that way"
    if name.startswith("__"):
        return f"{name!r} starts with two underscores, which Python renames inside a class"
    return None


def check_node_name(name: str, where: str = "") -> None:
    """Raise `InvalidNameError` unless ``name`` can name a node."""
    problem = node_name_problem(name)
    if problem:
        raise InvalidNameError(problem, where)


def check_class_name(name: str, where: str = "") -> None:
    """Raise `InvalidNameError` unless ``name`` can name a generated class."""
    problem = class_name_problem(name)
    if problem:
        raise InvalidNameError(problem, where)
