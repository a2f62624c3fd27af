"""A part that neither torch.fx nor torch.export can follow (it branches on the values of
its input, say) becomes one node that keeps its own source: a layer of your own, as the
layer editor makes them, so the rest of the model still opens as an editable network.

`opaque_parts` traces again and again, each time keeping whole the innermost module
whose forward the trace failed in, until the trace goes through. Each such module's class
source becomes the layer's code: the project then carries it, and opening the project
asks for trust before that code runs, as for any layer code. The person already trusted
this code by importing the model.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

from torch import fx, nn

from core.catalog.registry import CUSTOM_SOURCES, CUSTOM_SPECS, LayerSpec
from core.errors import TorchCanvasError
from core.io.import_calls import ModuleImportError

MAX_PARTS = 16


def opaque_parts(module: nn.Module, tracer_class: type[fx.Tracer], failure: Exception
                 ) -> dict[str, str]:
    """``{path: why}`` for the modules to keep whole so that torch.fx can trace the rest;
    raises ``failure`` when the top module's own forward is what cannot be followed."""
    parts: dict[str, str] = {}
    for _ in range(MAX_PARTS):
        tracer = _isolating(tracer_class, set(parts))
        try:
            tracer.trace(module)
            return parts
        except Exception as error:  # any failure of tracing user code: find where
            path = tracer.failed_in
            if not path or path in parts:
                raise failure from None
            text = str(error).strip()
            parts[path] = f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
    raise failure


def _isolating(tracer_class: type[fx.Tracer], kept: set[str]) -> Any:
    class Isolating(tracer_class):  # type: ignore[valid-type, misc]
        """Keeps ``kept`` whole and remembers which module's forward a failure is in."""

        def __init__(self) -> None:
            super().__init__()
            self.path: list[str] = []
            self.failed_in = ""

        def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
            return module_qualified_name in kept or \
                super().is_leaf_module(m, module_qualified_name)

        def call_module(self, m: nn.Module, forward: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
            name = self.path_of_module(m)
            self.path.append(name)
            try:
                result = super().call_module(m, forward, args, kwargs)
            except Exception:
                if not self.failed_in:
                    self.failed_in = name
                raise
            self.path.pop()
            return result

    return Isolating()


def opaque_layer(module: nn.Module, path: str, why: str) -> tuple[LayerSpec, str]:
    """The layer of your own that stands for ``module``, and the note that says so."""
    from core.catalog.custom import CustomLayerError, register

    kind = type(module)
    where = f"{path} ({kind.__name__})"
    try:
        source = textwrap.dedent(inspect.getsource(kind))
    except (OSError, TypeError):
        raise ModuleImportError(f"{where}: neither torch.fx nor torch.export can follow its "
                                f"forward ({why}), and its source cannot be read") from None
    name = kind.__name__
    if CUSTOM_SOURCES.get(name) == source:
        spec = CUSTOM_SPECS[name]
    else:
        try:
            spec = register(source)
        except (CustomLayerError, TorchCanvasError) as error:
            raise ModuleImportError(f"{where}: neither torch.fx nor torch.export can follow "
                                    f"its forward ({why}), and its code cannot stand as a "
                                    f"layer of its own: {error}") from None
    note = (f"{where} is kept as one layer with its own code: neither torch.fx nor "
            f"torch.export can follow its forward ({why}).")
    return spec, note
