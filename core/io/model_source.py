"""Where a model to import comes from: ``package.module:callable`` or
``path/to/file.py:Name``.

Making the model runs that code, so callers ask the person first (the command line's
``--trust``, the window's prompt). `candidates` reads a Python file without running it,
to offer its classes and functions by name.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import itertools
import sys
from pathlib import Path

from core.errors import TorchCanvasError

MAX_SOURCE_BYTES = 4 << 20
_loaded = itertools.count(1)


class ModelSourceError(TorchCanvasError):
    """The source names no module, no file, or nothing that makes an nn.Module."""


def split_source(source: str) -> tuple[str, str]:
    """``"models.py:ResNet"`` → ``("models.py", "ResNet")``; the name part is required."""
    where, colon, name = source.rpartition(":")
    if not colon or not where or not name.isidentifier():
        raise ModelSourceError(f"{source!r}: expected package.module:Name or "
                               "path/to/file.py:Name")
    return where, name


def read_source(path: str | Path) -> str:
    """The text of a Python file, refused when it is not a regular file of sensible size."""
    target = Path(path)
    try:
        if not target.is_file():
            raise ModelSourceError(f"{target}: not a Python file")
        if target.stat().st_size > MAX_SOURCE_BYTES:
            raise ModelSourceError(f"{target.name} is over {MAX_SOURCE_BYTES >> 20} MB: not "
                                   "a model definition")
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ModelSourceError(f"{target.name}: {error}") from None


def candidates(text: str) -> list[str]:
    """Top-level classes and functions of a Python file, read without running it:
    classes first (those deriving from something ending in ``Module`` before others)."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise ModelSourceError(f"line {error.lineno}: {error.msg}") from None
    modules: list[str] = []
    classes: list[str] = []
    functions: list[str] = []
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and not statement.name.startswith("_"):
            bases = [ast.unparse(base) for base in statement.bases]
            (modules if any(b.endswith("Module") for b in bases) else classes).append(
                statement.name)
        elif isinstance(statement, ast.FunctionDef) and not statement.name.startswith("_"):
            functions.append(statement.name)
    return modules + classes + functions


def make_model(source: str):
    """Run the source's code and call ``Name`` with no arguments: the nn.Module it makes
    (in eval mode, so dropout and batch statistics do not change what is traced)."""
    from torch import nn

    where, name = split_source(source)
    if where.endswith(".py") or "/" in where or "\\" in where:
        namespace = _load_file(Path(where))
    else:
        try:
            namespace = importlib.import_module(where)
        except Exception as error:  # its code's failure, as a message
            raise ModelSourceError(f"{where}: {type(error).__name__}: {error}") from None
    maker = getattr(namespace, name, None)
    if maker is None or not callable(maker):
        raise ModelSourceError(f"{where} has no class or function {name!r}")
    try:
        model = maker()
    except Exception as error:
        raise ModelSourceError(f"{name}(): {type(error).__name__}: {error}") from None
    if not isinstance(model, nn.Module):
        raise ModelSourceError(f"{name}() made a {type(model).__name__}, not an nn.Module")
    return model.eval()


def _load_file(path: Path):
    read_source(path)  # refuses what is no regular file before anything runs
    module_name = f"torchcanvas_import_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelSourceError(f"{path}: cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look classes up here
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise ModelSourceError(f"{path.name}: {type(error).__name__}: {error}") from None
    return module
