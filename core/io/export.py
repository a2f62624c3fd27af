"""Leaving TorchCanvas: a ready model for a document, its weights, and ONNX."""

from __future__ import annotations

import importlib.util
import os
import warnings

import torch
from torch import nn

from core.document.graph import Document
from core.errors import TorchCanvasError
from core.io.atomic import write_atomically
from core.io.files import read_project
from core.io.weights import savable_state, save_weights
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes
from core.runtime.tensors import sample_input

ONNX_HINT = ("ONNX export needs the onnx package: pip install 'torchcanvas[onnx]' "
             "(or pip install onnx)")


def ready_model(document: Document, weights: dict[str, torch.Tensor] | None = None) -> nn.Module:
    """The document's network with every lazy layer sized, holding ``weights`` when
    given (a project's saved weights) or the document's seeded initial weights."""
    live = LiveModel()
    if not live.sync(document):
        raise TorchCanvasError(live.error or "the document cannot be built")
    if weights is not None:
        problems = live.load_state(weights)
        if problems:
            raise TorchCanvasError("; ".join(problems))
    live.materialize(document, infer_shapes(document))
    assert live.module is not None
    return live.module


def project_model(path: str | os.PathLike[str]) -> tuple[Document, nn.Module]:
    project = read_project(path)
    return project.document, ready_model(project.document, project.weights)


def export_weights(model: nn.Module, path: str | os.PathLike[str]) -> None:
    """Write every tensor of ``model``; refused, writing nothing, while a lazy layer has
    no size (a partial or empty file would pass for the network's weights)."""
    unsized = [key for key, value in model.state_dict().items()
               if torch.nn.parameter.is_lazy(value)]
    if unsized:
        listed = ", ".join(unsized[:3]) + (", …" if len(unsized) > 3 else "")
        raise TorchCanvasError(f"cannot write the weights: {listed} have no size yet, the "
                               "dry run does not reach their layers (torchcanvas summary "
                               "says why)")
    save_weights(savable_state(model), path)


def onnx_available() -> bool:
    return importlib.util.find_spec("onnx") is not None


def export_onnx(model: nn.Module, document: Document, path: str | os.PathLike[str]) -> None:
    """Write ``model`` as ONNX, traced with a sample input of the document's shape."""
    if not onnx_available():
        raise TorchCanvasError(ONNX_HINT)
    sample = sample_input(document, torch.device("cpu"), document.seed)
    model = model.cpu().eval()
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter is chosen on purpose: the torch.export-based one
            # needs onnxscript as well, and cannot follow the chapter's while loop.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            # Through a private temporary file (created exclusively, never a link); the
            # TorchScript exporter writes to a stream although its annotation says path.
            write_atomically(path, lambda stream: torch.onnx.export(
                model, (sample,), stream,  # type: ignore[arg-type]
                input_names=["input"], output_names=["output"], dynamo=False))
    except TorchCanvasError:
        raise
    except Exception as error:  # the exporter's reason, as one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TorchCanvasError(f"ONNX export failed: {first or type(error).__name__}") from None
