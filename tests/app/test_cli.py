"""The torchcanvas command: summary and export, and one-line errors."""

import json
import subprocess
import sys

import pytest

from app.cli import main
from core.catalog.templates import template_path


def test_summary_json_reports_shape_and_counts(capsys):
    assert main(["summary", str(template_path("shared-parameters")), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output_shape"] == [2, 1]
    assert data["parameters"] == data["trainable"] == 40 + 72 + 9
    assert [layer["name"] for layer in data["layers"]] == [str(i) for i in range(7)]
    assert data["layers"][4]["shared"] is True


def test_summary_with_another_input_shape(capsys):
    assert main(["summary", "mlp", "--input", "8,3"]) == 0
    out = capsys.readouterr().out
    assert "(8, 10)" in out and "Parameters: 3,594" in out


def test_export_writes_python_that_compiles(tmp_path, capsys):
    target = tmp_path / "net.py"
    assert main(["export", "chimera", "--python", str(target)]) == 0
    compile(target.read_text(), str(target), "exec")


@pytest.mark.parametrize("args", [
    ["summary", "does-not-exist.tcanvas"],
    ["summary", "mlp", "--input", "2,x"],
    ["summary", "BAD_JSON"],
    ["export", "mlp"],
])
def test_bad_input_exits_nonzero_with_one_line(tmp_path, args):
    if "BAD_JSON" in args:
        bad = tmp_path / "bad.json"
        bad.write_text('{"format": "torchcanvas", "version": 1, "graph": {"nodes": 3}}')
        args = [a if a != "BAD_JSON" else str(bad) for a in args]
    run = subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_a_shape_that_does_not_fit_exits_nonzero(capsys):
    assert main(["summary", "my-linear", "--input", "2,3"]) == 1
    assert "Problem:" in capsys.readouterr().out
