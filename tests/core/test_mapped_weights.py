"""A plain safetensors weights file is mapped, not copied: the tensors equal what the
safetensors library loads, writing to them leaves the file alone, and the header is
checked as before."""

import pytest
import torch
from safetensors.torch import load_file, save_file

from core.io.weights import WeightsError, load_tensor_file, load_weights, save_weights


def state() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {"layer.weight": torch.randn(64, 48, generator=generator),
            "layer.bias": torch.randn(64, generator=generator).double(),
            "half": torch.randn(5, 3, generator=generator).half(),
            "steps": torch.arange(11, dtype=torch.int64),
            "mask": torch.tensor([True, False, True]),
            "empty": torch.zeros(0, 4)}


@pytest.mark.parametrize("writer", ["safetensors", "torchcanvas"])
def test_a_mapped_load_equals_the_safetensors_library(tmp_path, writer):
    path = tmp_path / "weights.safetensors"
    (save_file if writer == "safetensors" else save_weights)(state(), path)
    ours, theirs = load_weights(path), load_file(path)
    assert ours.keys() == theirs.keys()
    for key, tensor in theirs.items():
        assert ours[key].dtype == tensor.dtype and ours[key].shape == tensor.shape
        assert torch.equal(ours[key], tensor)
    assert load_tensor_file(path).keys() == theirs.keys()


def test_the_tensors_lie_in_the_file_and_writing_to_them_leaves_it_alone(tmp_path):
    path = tmp_path / "weights.safetensors"
    save_file({"w": torch.zeros(1024)}, path)
    loaded = load_weights(path)["w"]
    loaded += 1  # a private mapping: the file keeps its zeros
    assert torch.equal(load_file(path)["w"], torch.zeros(1024))
    # Changed in place by another program, the file shows through the mapping (the
    # aliasing the README describes), which a copy would not.
    again, kept = load_weights(path)["w"], load_tensor_file(path)["w"]
    offset = path.stat().st_size - 4
    with open(path, "r+b") as stream:
        stream.seek(offset)
        stream.write(torch.tensor([7.0]).numpy().tobytes())
    assert again[-1].item() == 7.0
    assert kept[-1].item() == 0.0  # a tensor file is read: a browser keeps it for long


def test_a_header_that_lies_is_still_refused(tmp_path):
    path = tmp_path / "bad.safetensors"
    save_file({"a": torch.ones(4), "b": torch.ones(4)}, path)
    data = bytearray(path.read_bytes())
    header_end = 8 + int.from_bytes(data[:8], "little")
    text = bytes(data[8:header_end]).replace(b"[16,32]", b"[8,24]  ")
    path.write_bytes(bytes(data[:8]) + text + bytes(data[header_end:]))
    with pytest.raises(WeightsError, match="overlap"):
        load_weights(path)
    path.write_bytes(bytes(data[:-4]))  # cut short: a range past the end
    with pytest.raises(WeightsError, match="declares bytes"):
        load_weights(path)
