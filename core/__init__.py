"""TorchCanvas core: the model-graph layer. Imports torch, never Qt.

The scripting face::

    from core import load_document, build_module, infer_shapes, to_python
    document = load_document("resources/templates/mlp.json")
    project = read_project("net.tcanvas")  # project.document, project.weights
    net = build_module(document)
    report = infer_shapes(document, (2, 20))
    print(report.output_shape, report.parameters)
    source = to_python(document)
    document, weights = import_module(torchvision_model, torch.randn(1, 3, 224, 224))

The names load on first use, so that the parts which need no torch (the document, the
catalog, editing) start without waiting for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_FACE = {
    "build_module": "core.runtime.build",
    "import_module": "core.io.module_import",
    "infer_shapes": "core.runtime.shapes",
    "load_document": "core.io.files",
    "read_project": "core.io.files",
    "save_document": "core.io.files",
    "to_python": "core.io.codegen",
}

__all__ = ["build_module", "import_module", "infer_shapes", "load_document", "read_project",
           "save_document", "to_python"]

if TYPE_CHECKING:
    from core.io.codegen import to_python
    from core.io.files import load_document, read_project, save_document
    from core.io.module_import import import_module
    from core.runtime.build import build_module
    from core.runtime.shapes import infer_shapes


def __getattr__(name: str) -> Any:
    if name in _FACE:
        return getattr(importlib.import_module(_FACE[name]), name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
