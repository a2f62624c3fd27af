"""torchcanvas import: a model from a Python file or a module path becomes a project whose
weights load and whose outputs equal the model's; its code runs only with --trust."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from app.cli import main
from core import build_module
from core.io.files import read_project
from tests.core import model_zoo

ZOO_FILE = Path(model_zoo.__file__)


def outputs_equal(project: Path, model: torch.nn.Module, shape) -> bool:
    loaded = read_project(project)
    built = build_module(loaded.document)
    built.load_state_dict(loaded.weights, strict=True)
    x = torch.randn(shape)
    with torch.no_grad():
        return torch.equal(built.eval()(x), model.eval()(x))


def test_a_file_and_a_class_name_become_a_project(tmp_path, capsys):
    source = tmp_path / "zoo.py"
    shutil.copy(ZOO_FILE, source)
    out = tmp_path / "resnet.tcanvas"
    torch.manual_seed(0)
    assert main(["import", f"{source}:GoogLeNetSmall", "--input", "2,1,32,32", "-o", str(out),
                 "--trust"]) == 0
    assert "GoogLeNetSmall, 34 layers in 12 blocks" in capsys.readouterr().out
    model = model_zoo.GoogLeNetSmall()
    model.load_state_dict(read_project(out).weights, strict=True)
    assert outputs_equal(out, model, (2, 1, 32, 32))


def test_a_module_path_works_too(tmp_path):
    out = tmp_path / "mlp.tcanvas"
    assert main(["import", "tests.core.model_zoo:MLP", "--input", "4,20", "-o", str(out),
                 "--trust"]) == 0
    assert read_project(out).document.root.class_name == "MLP"


def test_without_trust_nothing_runs_and_nothing_is_written(tmp_path, capsys):
    source = tmp_path / "boom.py"
    marker = tmp_path / "ran"
    source.write_text(f"open({str(marker)!r}, 'w').close()\nclass Net: pass\n")
    out = tmp_path / "x.tcanvas"
    assert main(["import", f"{source}:Net", "--input", "2,3", "-o", str(out)]) == 2
    assert "add --trust if you trust it" in capsys.readouterr().err
    assert not marker.exists() and not out.exists()


@pytest.mark.parametrize("source, words", [
    ("tests.core.model_zoo:Nope", "has no class or function 'Nope'"),
    ("no_such_package_here:Net", "ModuleNotFoundError"),
    ("nocolon", "expected package.module:Name"),
    ("tests.core.test_import:CalledTwice", "called more than once"),
])
def test_what_cannot_be_imported_is_one_line(tmp_path, capsys, source, words):
    out = tmp_path / "x.tcanvas"
    assert main(["import", source, "--input", "2,4", "-o", str(out), "--trust"]) == 1
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1
    assert not out.exists()


def test_a_pt2_file_needs_no_trust_and_no_input(tmp_path, capsys):
    torch.manual_seed(0)
    model = model_zoo.ResNet(model_zoo.BasicBlock).eval()
    program = tmp_path / "resnet.pt2"
    torch.export.save(torch.export.export(model, (torch.randn(2, 3, 32, 32),)), program)
    out = tmp_path / "resnet.tcanvas"
    assert main(["import", str(program), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    model.load_state_dict(read_project(out).weights, strict=True)
    assert outputs_equal(out, model, (2, 3, 32, 32))


def test_a_python_source_still_needs_its_input_shape(tmp_path, capsys):
    out = tmp_path / "mlp.tcanvas"
    assert main(["import", "tests.core.model_zoo:MLP", "-o", str(out), "--trust"]) == 2
    assert "needs --input" in capsys.readouterr().err
    assert not out.exists()


def test_a_part_kept_whole_is_named_with_the_reason(tmp_path, capsys):
    out = tmp_path / "gate.tcanvas"
    assert main(["import", "tests.core.test_import:AroundAGate", "--input", "3,4", "-o",
                 str(out), "--trust"]) == 0
    assert "note: gate (ValueGate) is kept as one layer" in capsys.readouterr().out
    assert "ValueGate" in read_project(out).document.custom_layers
