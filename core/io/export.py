"""Leaving TorchCanvas: a ready model for a document, its weights, and ONNX."""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from core.document.graph import Document
from core.errors import TorchCanvasError
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
    save_weights(savable_state(model), path)


def onnx_available() -> bool:
    return importlib.util.find_spec("onnx") is not None


def export_onnx(model: nn.Module, document: Document, path: str | os.PathLike[str]) -> None:
    """Write ``model`` as ONNX, traced with a sample input of the document's shape."""
    if not onnx_available():
        raise TorchCanvasError(ONNX_HINT)
    sample = sample_input(document, torch.device("cpu"), document.seed)
    model = model.cpu().eval()
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter is chosen on purpose: the torch.export-based one
            # needs onnxscript as well, and cannot follow the chapter's while loop.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(model, (sample,), str(temporary), input_names=["input"],
                              output_names=["output"], dynamo=False)
        os.replace(temporary, target)
    except TorchCanvasError:
        raise
    except Exception as error:  # the exporter's reason, as one line
        temporary.unlink(missing_ok=True)
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TorchCanvasError(f"ONNX export failed: {first or type(error).__name__}") from None
