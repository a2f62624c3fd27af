"""TorchCanvas core: the model-graph layer. Imports torch, never Qt.

The scripting face::

    from core import load_document, build_module, infer_shapes, to_python
    document = load_document("resources/templates/mlp.json")
    net = build_module(document)
    report = infer_shapes(document, (2, 20))
    print(report.output_shape, report.parameters)
    source = to_python(document)
"""

from core.build import build_module
from core.codegen import to_python
from core.files import load_document, save_document
from core.shapes import infer_shapes

__all__ = ["build_module", "infer_shapes", "load_document", "save_document", "to_python"]
