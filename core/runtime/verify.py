"""Clone and verify: save the weights, build a fresh network from the document, load
them into it, and run both on one input — the chapter's ``Y_clone == Y`` as one call."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from core.document.graph import Document
from core.errors import TorchCanvasError
from core.io.weights import load_weights, savable_state, save_weights
from core.runtime.build import build_module
from core.runtime.live import LiveModel
from core.runtime.tensors import sample_input


@dataclass
class Verification:
    equal: bool
    values: int
    largest_difference: float
    output_shape: tuple[int, ...]

    def describe(self) -> str:
        verdict = "Y_clone == Y: all equal" if self.equal else \
            f"Y_clone != Y: largest difference {self.largest_difference:.3g}"
        return f"{verdict} ({self.values:,} values, output {tuple(self.output_shape)})"


def clone_and_verify(live: LiveModel, document: Document) -> Verification:
    if live.module is None:
        raise TorchCanvasError("there is no model to clone yet")
    model = live.module
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.safetensors"
        save_weights(savable_state(model), path)
        clone = build_module(document, device=live.device)
        x = sample_input(document, live.device, document.seed)
        try:
            clone.load_state_dict(load_weights(path), strict=True)
        except RuntimeError as error:
            raise TorchCanvasError(f"the clone does not take the weights: {error}") from None
    was_training = model.training
    model.eval()
    clone.eval()
    try:
        with torch.no_grad():
            y, y_clone = model(x), clone(x)
    except Exception as error:  # a network that cannot run is reported, not raised
        raise TorchCanvasError(f"the network cannot run: {error}") from None
    finally:
        model.train(was_training)
    difference = (y.float() - y_clone.float()).abs().max().item() if y.numel() else 0.0
    return Verification(bool(torch.equal(y, y_clone)), y.numel(), difference, tuple(y.shape))
