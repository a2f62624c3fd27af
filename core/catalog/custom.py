"""Your own layers: a small `nn.Module` subclass written in the program, checked, and
added to the catalog under "My layers".

Code runs only when the person asks: when they check or add a layer they wrote, or when
they say they trust a project that carries layer code. A project opened without trust
keeps its code as text and never executes it.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from core.catalog.arguments import ArgSpec, count, flag, real
from core.catalog.registry import CATALOG, CUSTOM_CLASSES, CUSTOM_SOURCES, CUSTOM_SPECS, LayerSpec
from core.document.names import class_name_problem
from core.errors import TorchCanvasError

CATEGORY = "My layers"

CENTERED_LAYER = '''class MyCenteredLayer(nn.Module):
    """Subtracts the mean of its input (the chapter's CenteredLayer, written by you)."""

    def forward(self, X):
        return X - X.mean()
'''


class CustomLayerError(TorchCanvasError):
    """Layer code that does not define, construct or run as a layer."""


def compile_layer(source: str) -> type[nn.Module]:
    """Run ``source`` (the person's own code) and return the one nn.Module it defines."""
    namespace: dict[str, Any] = {"torch": torch, "nn": nn, "F": torch.nn.functional,
                                 "__name__": "torchcanvas_layers"}
    try:
        exec(compile(source, "<your layer>", "exec"), namespace)
    except SyntaxError as error:
        raise CustomLayerError(f"line {error.lineno}: {error.msg}") from None
    except Exception as error:  # the person's code, reported back to them
        raise CustomLayerError(f"the code failed: {type(error).__name__}: {error}") from None
    classes = [value for value in namespace.values() if isinstance(value, type)
               and issubclass(value, nn.Module) and value.__module__ == "torchcanvas_layers"]
    if len(classes) != 1:
        raise CustomLayerError(f"define exactly one nn.Module subclass (found {len(classes)})")
    return classes[0]


def layer_arguments(layer: type[nn.Module]) -> tuple[ArgSpec, ...]:
    """Arguments from the constructor: typed by annotation or default; a bare name is a
    size (an int, 8 until you set it)."""
    arguments: list[ArgSpec] = []
    if layer.__init__ is nn.Module.__init__:
        return ()
    for parameter in list(inspect.signature(layer.__init__).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise CustomLayerError("*args and **kwargs cannot be edited; name each argument")
        default = None if parameter.default is parameter.empty else parameter.default
        annotation = parameter.annotation
        if isinstance(default, bool) or annotation is bool:
            arguments.append(flag(parameter.name, bool(default), "your argument"))
        elif isinstance(default, float) or annotation is float:
            arguments.append(real(parameter.name, float(default or 0.0), "your argument"))
        else:
            arguments.append(count(parameter.name, int(default or 8), "your argument",
                                   minimum=0))
    return tuple(arguments)


def check_layer(source: str, input_shape: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """Compile, construct with the default arguments and run on a random input of
    ``input_shape``: the layer's name and its output shape, or `CustomLayerError`."""
    layer = compile_layer(source)
    arguments = {a.name: a.default for a in layer_arguments(layer)}
    try:
        module = layer(**arguments)
    except Exception as error:  # the person's code, reported back to them
        raise CustomLayerError(f"{layer.__name__}({_call(arguments)}) does not construct: "
                               f"{type(error).__name__}: {error}") from None
    try:
        with torch.no_grad():
            output = module(torch.rand(input_shape))
    except Exception as error:  # the person's code, reported back to them
        raise CustomLayerError(f"{layer.__name__} does not run on an input of shape "
                               f"{tuple(input_shape)}: {type(error).__name__}: {error}") from None
    if not isinstance(output, torch.Tensor):
        raise CustomLayerError(f"{layer.__name__} returned {type(output).__name__}, "
                               "not a tensor")
    return layer.__name__, tuple(output.shape)


def _call(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())


def register(source: str) -> LayerSpec:
    """Compile ``source`` and put its layer in the catalog (this runs the code)."""
    layer = compile_layer(source)
    name = layer.__name__
    if name in CATALOG:
        raise CustomLayerError(f"{name} is already a layer in the catalog; give yours "
                               f"another name (My{name}, say)")
    problem = class_name_problem(name)  # its class statement heads the exported Python
    if problem:
        raise CustomLayerError(f"{problem}: give your layer another name (My{name}, say)")
    doc = (inspect.getdoc(layer) or "your own layer").splitlines()[0]
    spec = LayerSpec(name, CATEGORY, doc, f"custom.{name}", layer_arguments(layer))
    CUSTOM_CLASSES[name] = layer
    CUSTOM_SPECS[name] = spec
    CUSTOM_SOURCES[name] = source
    forget_cached_layers()
    return spec


def forget_cached_layers() -> None:
    """A layer name may now stand for other code: drop what was worked out for it."""
    from core.catalog import registry as catalog
    from core.runtime import shapes

    catalog._torch_refusal.cache_clear()
    shapes._evaluate.cache_clear()


def register_document_layers(document) -> list[str]:
    """Run the layer code a document carries (only once the person trusts it)."""
    return [register(source).type for source in document.custom_layers.values()]
