"""The exported training script: it runs under torchrun on the CPU (gloo) and on its
own, the ranks agree, it resumes, and its checkpoint loads strictly into the project."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.document.compose import Composer
from core.io.weights import load_weights
from core.runtime.build import build_module
from core.training import DataError, TrainConfig, load_image_folder
from core.training.data import image_settings
from core.training.script import DataSource, training_script

TORCHRUN = Path(sys.executable).with_name("torchrun")


def tiny_document():
    c = Composer()
    return c.document(c.layer("Linear", in_features=2, out_features=16), c.layer("ReLU"),
                      c.layer("Linear", in_features=16, out_features=2), input_shape=(2, 2))


def write_script(folder: Path, epochs: int = 3) -> Path:
    config = TrainConfig(optimizer="SGD", optimizer_args={"lr": 0.2}, batch_size=16,
                         epochs=epochs, schedule="StepLR",
                         schedule_args={"step_size": 2, "gamma": 0.5})
    path = folder / "train.py"
    path.write_text(training_script(tiny_document(), config, DataSource(size=256)))
    return path


def run(args: list[str], folder: Path, timeout: int = 120) -> list[dict]:
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=timeout,
                          env=environment)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def torchrun(folder: Path, *extra: str, processes: int = 2) -> list[dict]:
    return run([str(TORCHRUN), "--standalone", f"--nproc_per_node={processes}",
                "train.py", "--json", "--rank-weights", "--out", "ck", *extra], folder)


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed")
def test_script_under_torchrun_on_the_cpu_then_resumed_alone(tmp_path):
    write_script(tmp_path)
    lines = torchrun(tmp_path)
    assert [line["epoch"] for line in lines] == [1, 2, 3]  # rank 0 alone logs
    assert {line["world"] for line in lines} == {2} and lines[0]["backend"] == "gloo"
    assert lines[-1]["train_loss"] < lines[0]["train_loss"]
    ranks = [load_weights(tmp_path / "ck" / f"rank{r}.safetensors") for r in (0, 1)]
    assert same(*ranks)
    last = load_weights(tmp_path / "ck" / "last.safetensors")
    assert same(last, ranks[0])
    module = build_module(tiny_document())
    module.load_state_dict(last, strict=True)
    # Resumed on its own from the last checkpoint: epochs 4 and 5 only.
    more = run([sys.executable, "train.py", "--json", "--epochs", "5", "--out", "ck",
                "--device", "cpu"], tmp_path)
    assert [line["epoch"] for line in more] == [4, 5]
    assert more[0]["world"] == 1 and more[0]["backend"] == "none"
    assert more[-1]["train_loss"] < lines[0]["train_loss"]


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed")
def test_script_with_fsdp_on_the_cpu(tmp_path):
    write_script(tmp_path, epochs=2)
    lines = torchrun(tmp_path, "--fsdp")
    assert [line["epoch"] for line in lines] == [1, 2]
    assert lines[-1]["train_loss"] < lines[0]["train_loss"]
    ranks = [load_weights(tmp_path / "ck" / f"rank{r}.safetensors") for r in (0, 1)]
    assert same(*ranks)
    build_module(tiny_document()).load_state_dict(ranks[0], strict=True)


@pytest.mark.skipif(not torch.cuda.is_available() or not TORCHRUN.exists(),
                    reason="needs CUDA and torchrun")
def test_script_uses_nccl_on_cuda(tmp_path):
    write_script(tmp_path, epochs=2)
    processes = min(torch.cuda.device_count(), 2)
    lines = torchrun(tmp_path, processes=processes)
    assert lines[0]["device"].startswith("cuda")
    assert lines[0]["backend"] == ("nccl" if processes > 1 else "none")
    assert lines[-1]["train_loss"] < lines[0]["train_loss"]
    last = load_weights(tmp_path / "ck" / "last.safetensors")
    build_module(tiny_document()).load_state_dict(last, strict=True)


def test_script_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(DataError, match="unknown teaching set"):
        training_script(tiny_document(), TrainConfig(), DataSource(name="mnist"))
    with pytest.raises(DataError, match="not 'video'"):
        training_script(tiny_document(), TrainConfig(), DataSource(kind="video"))
    with pytest.raises(DataError, match="no such file or folder"):
        training_script(tiny_document(), TrainConfig(), DataSource.choose(
            str(tmp_path / "missing")))
    with pytest.raises(DataError, match="has no sub-folders"):
        training_script(tiny_document(), TrainConfig(), DataSource.choose(str(tmp_path)))
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n1,2,0\n")
    with pytest.raises(DataError, match="no column 'kind'; its columns are a, b, label"):
        training_script(tiny_document(), TrainConfig(),
                        DataSource.choose(str(table), target="kind"))


def image_folder(root: Path) -> Path:
    """Two classes of grey pictures of different sizes: dark ones and light ones."""
    from PIL import Image

    generator = torch.Generator().manual_seed(0)
    for label, base in (("dark", 30), ("light", 200)):
        (root / label).mkdir(parents=True)
        for i in range(12):
            pixels = (base + torch.randint(0, 40, (9 + i % 3, 7), generator=generator))
            Image.fromarray(pixels.to(torch.uint8).numpy(), "L").save(
                root / label / f"{i}.png")
    return root


def test_script_reads_an_image_folder_as_the_window_does(tmp_path):
    folder = image_folder(tmp_path / "pictures")
    c = Composer()
    document = c.document(c.layer("Flatten"), c.layer("Linear", in_features=30,
                                                       out_features=2),
                          input_shape=(4, 1, 6, 5))
    size, channels = image_settings(document.input.shape)
    assert (size, channels) == ((6, 5), 1)
    source = DataSource.choose(str(folder), image_size=size, channels=channels,
                               validation=0.25)
    assert source.kind == "images"
    config = TrainConfig(optimizer="SGD", optimizer_args={"lr": 0.5}, batch_size=4,
                         epochs=3)
    script = tmp_path / "train.py"
    script.write_text(training_script(document, config, source))
    # The script's own loader gives what the window's gives, value for value.
    spec = importlib.util.spec_from_file_location("written_train", script)
    written = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(written)
    x, y = written.load_data(written.SETTINGS["data"])
    window = load_image_folder(folder, size, channels)
    assert torch.equal(x, window.inputs) and torch.equal(y, window.targets)
    lines = run([sys.executable, "train.py", "--json", "--device", "cpu", "--out", "ck"],
                tmp_path)
    assert [line["epoch"] for line in lines] == [1, 2, 3]
    assert lines[-1]["train_loss"] < lines[0]["train_loss"]
    assert lines[-1]["validation_accuracy"] == 1.0
    build_module(document).load_state_dict(
        load_weights(tmp_path / "ck" / "last.safetensors"), strict=True)
    # An unreadable image: the script stops with the file's name.
    (folder / "dark" / "broken.png").write_bytes(b"no picture")
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "train.py", "--no-resume"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode != 0 and "dark/broken.png is not a readable image" in done.stderr
