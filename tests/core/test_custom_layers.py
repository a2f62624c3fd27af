"""Layers a person writes: checked, registered, saved as code, exported, and never run
from a file until trusted."""

import pytest
import torch

from core import build_module, infer_shapes
from core.catalog.custom import CENTERED_LAYER, CustomLayerError, check_layer, register
from core.document.compose import Composer
from core.document.graph import Node
from core.document.validate import untrusted_layers
from core.io.codegen import to_python
from core.io.files import load_document, read_project, save_document

MY_LINEAR = '''class HandLinear(nn.Module):
    """A linear layer with ReLU, written by hand."""

    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        return F.relu(torch.matmul(X, self.weight) + self.bias)
'''


def test_centered_layer_written_in_the_program_behaves_as_in_the_chapter():
    assert check_layer(CENTERED_LAYER, (2, 8)) == ("MyCenteredLayer", (2, 8))
    spec = register(CENTERED_LAYER)
    assert spec.category == "My layers"
    c = Composer()
    document = c.document(c.layer("LazyLinear", out_features=128),
                          c.layer("MyCenteredLayer"), input_shape=(4, 8))
    document.custom_layers["MyCenteredLayer"] = CENTERED_LAYER
    y = build_module(document)(torch.rand(4, 8))
    assert abs(y.mean().item()) < 1e-6


def test_my_linear_written_in_the_program_has_editable_arguments():
    name, shape = check_layer(MY_LINEAR, (2, 8))
    assert (name, shape) == ("HandLinear", (2, 8))
    spec = register(MY_LINEAR)
    assert [a.name for a in spec.args] == ["in_units", "units"]
    c = Composer()
    document = c.document(c.layer("HandLinear", in_units=64, units=8),
                          c.layer("HandLinear", in_units=8, units=1), input_shape=(2, 64))
    document.custom_layers["HandLinear"] = MY_LINEAR
    assert infer_shapes(document).output_shape == (2, 1)
    assert (build_module(document)(torch.rand(2, 64)) >= 0).all()
    source = to_python(document)
    assert "class HandLinear(nn.Module):" in source
    namespace = {}
    exec(compile(source, "generated.py", "exec"), namespace)
    assert namespace["build_model"]()(torch.rand(2, 64)).shape == (2, 1)


@pytest.mark.parametrize("source, reason", [
    ("class Broken(nn.Module)\n    pass", "line 1"),
    ("x = 1", "exactly one"),
    ("class Bad(nn.Module):\n    def __init__(self):\n        raise ValueError('no')\n",
     "does not construct"),
    ("class Bad(nn.Module):\n    def forward(self, x):\n        return x @ torch.ones(3, 3)\n",
     "does not run"),
])
def test_a_layer_that_does_not_construct_or_run_says_why(source, reason):
    with pytest.raises(CustomLayerError, match=reason):
        check_layer(source, (2, 8))


def test_a_layer_cannot_take_a_built_in_name():
    with pytest.raises(CustomLayerError, match="already a layer"):
        register(CENTERED_LAYER.replace("MyCenteredLayer", "CenteredLayer"))


EVIL = '''import pathlib
pathlib.Path(r"{marker}").write_text("ran")


class Evil(nn.Module):
    def forward(self, x):
        return x
'''


def test_an_untrusted_project_never_runs_its_code(tmp_path):
    marker = tmp_path / "code-ran"
    source = EVIL.format(marker=marker)
    c = Composer()
    document = c.document(c.layer("ReLU"))
    document.root.nodes.append(Node("n9", "Evil"))
    document.custom_layers["Evil"] = source
    path = tmp_path / "evil.tcanvas"
    from core.io.files import document_to_json

    path.write_bytes(b"")
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("graph.json", document_to_json(document))
    opened = read_project(path).document
    assert untrusted_layers(opened) == ["Evil"]
    assert infer_shapes(opened).error  # cannot build, and says so
    assert not marker.exists()
    save_document(opened, tmp_path / "again.json")  # the code is kept as text
    assert load_document(tmp_path / "again.json").custom_layers["Evil"] == source
    assert not marker.exists()
