"""``torchcanvas train``: one line per epoch (JSON lines that parse), a saved trained
project, and one-line errors."""

import json

import torch

from app.cli import main
from core.io.files import read_project


def test_train_prints_json_lines_and_saves_the_trained_project(tmp_path, capsys):
    out = tmp_path / "trained.tcanvas"
    assert main(["train", "mlp", "--data", "moons", "--epochs", "4", "--optimizer", "Adam",
                 "--lr", "0.01", "--size", "400", "-o", str(out), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    epochs = [line for line in lines if "epoch" in line]
    assert [line["epoch"] for line in epochs] == [1, 2, 3, 4]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert epochs[-1]["validation_accuracy"] >= 0.9
    assert lines[-1]["saved"] == str(out)
    project = read_project(out)
    assert project.document.input.shape == (2, 2)
    assert project.weights["hidden.weight"].shape == (256, 2)
    assert torch.isfinite(project.weights["out.weight"]).all()


def test_train_prints_one_line_per_epoch(tmp_path, capsys):
    out = tmp_path / "trained.tcanvas"
    assert main(["train", "mlp", "--data", "xor", "--epochs", "2", "--size", "200",
                 "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1/2  loss ") and "val loss" in lines[0]
    assert lines[-1].startswith(f"wrote {out}")


def test_train_errors_are_one_line(tmp_path, capsys):
    out = str(tmp_path / "x.tcanvas")
    assert main(["train", "mlp", "--data", "nothing-here", "-o", out]) == 1
    assert "teaching sets" in capsys.readouterr().err
    assert main(["train", "mlp", "--data", "moons", "--optimizer", "Nope", "-o", out]) == 1
    assert "unknown optimizer" in capsys.readouterr().err
    assert main(["train", "mlp", "--data", "moons"]) == 2
    assert "-o OUT.tcanvas" in capsys.readouterr().err
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n1,2,0\n3,4,1\n")
    assert main(["train", "mlp", "--data", str(csv), "--target", "z", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "no column 'z'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.tcanvas").exists()


def test_export_train_script_runs_alone(tmp_path, capsys):
    import subprocess
    import sys

    script = tmp_path / "train.py"
    assert main(["export", "mlp", "--train-script", str(script), "--data", "circles",
                 "--size", "200", "--optimizer", "Adam", "--lr", "0.01"]) == 0
    assert f"wrote {script}" in capsys.readouterr().out
    done = subprocess.run([sys.executable, str(script), "--epochs", "2", "--json",
                           "--device", "cpu"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert (tmp_path / "checkpoints" / "last.safetensors").exists()
