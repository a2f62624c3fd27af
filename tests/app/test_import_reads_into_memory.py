"""Import Weights keeps the file's tensors while the person answers its prompt and for
Redo: they are read into memory, so a file rewritten meanwhile (truncated first, as
save_file and torch.save do) cannot end the process when they are read (review2,
finding 4). Run in a child process: a mapped read would kill it with SIGBUS."""

import os
import subprocess
import sys
from pathlib import Path

CHILD = r'''
import sys
import torch
from safetensors.torch import save_file
from app.model_files import read_and_match
path = sys.argv[1]
net = torch.nn.Linear(1024, 1024)
save_file({"weight": torch.ones(1024, 1024), "bias": torch.ones(1024)}, path)
incoming, match = read_and_match(path, net)
open(path, "wb").close()  # another program starts rewriting the file
print(match.complete, incoming["weight"].sum().item(), incoming["bias"].sum().item())
'''


def test_imported_tensors_outlive_the_file_being_truncated(tmp_path):
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "w.safetensors")],
                            capture_output=True, text=True, cwd=root, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(root),
                                 "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", str(float(1024 * 1024)), "1024.0"]
