"""Models people already have, imported: the document builds a module with the same
nesting, state_dict and outputs; it loads strictly into the original class and back;
its exported Python and its saved project give the same outputs."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from core import build_module, to_python
from core.io.files import read_project, save_document
from core.io.module_import import ModuleImportError, import_module
from tests.core.model_zoo import INTEGER_INPUTS, ZOO


def example_for(name: str) -> torch.Tensor:
    shape = ZOO[name][1]
    if name in INTEGER_INPUTS:
        return torch.randint(0, INTEGER_INPUTS[name], shape)
    return torch.randn(shape)


def imported(name: str):
    make, _ = ZOO[name]
    torch.manual_seed(0)
    original = make().eval()
    example = example_for(name)
    document, weights = import_module(original, example)
    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    return original, built.eval(), document, weights, example


@pytest.mark.parametrize("name", sorted(ZOO))
def test_an_imported_model_equals_the_original(name):
    original, built, document, _weights, example = imported(name)
    assert list(built.state_dict()) == list(original.state_dict())
    with torch.no_grad():
        assert torch.equal(built(example), original(example))
    again = ZOO[name][0]()
    again.load_state_dict(built.state_dict(), strict=True)  # back into the author's class
    assert document.input.shape == tuple(example.shape)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_its_export_and_its_project_give_the_same_outputs(name, tmp_path):
    original, _built, document, weights, example = imported(name)
    namespace: dict = {"__name__": "exported"}
    exec(compile(to_python(document), f"{name}.py", "exec"), namespace)
    exported = namespace["build_model"]()
    exported.load_state_dict(original.state_dict(), strict=True)
    save_document(document, tmp_path / f"{name}.tcanvas", weights=weights)
    project = read_project(tmp_path / f"{name}.tcanvas")
    reopened = build_module(project.document)
    reopened.load_state_dict(project.weights, strict=True)
    with torch.no_grad():
        expected = original(example)
        assert torch.equal(exported.eval()(example), expected)
        assert torch.equal(reopened.eval()(example), expected)


def test_nesting_and_names_follow_the_module():
    original, built, document, _, _ = imported("resnet-basic")
    assert [name for name, _ in built.named_children()][:4] == \
        ["conv1", "bn1", "relu", "maxpool"]
    assert type(built.layer1[0]).__name__ == "BasicBlock"
    assert {name for name, _ in original.named_modules()} <= \
        {name for name, _ in built.named_modules()}
    block = document.root.nodes[4].graph  # layer1
    assert block.container == "sequential" and len(block.nodes) == 2
    assert block.nodes[0].graph.class_name == "BasicBlock"


def test_a_layer_called_twice_becomes_a_twin_that_shares_it():
    _, _built, document, _, _ = imported("tied")
    twins = [n for n in document.root.nodes if n.shares]
    assert len(twins) == 1
    owner = document.node(twins[0].shares)
    assert owner.name == "shared"


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)
        self.join = Join()

    def forward(self, x):
        return self.join(self.a(x), self.b(x))


class Join(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.out = nn.Linear(4, 2)

    def forward(self, x, y):
        return self.out(x + y)


class UsesMean(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)

    def forward(self, x):
        return self.body(x).mean(dim=1)


class WithToken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 4))
        self.body = nn.Linear(4, 4)

    def forward(self, x):
        return self.body(x + self.token)


class Looping(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(2))

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return x


class Branching(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x
        return -x


@pytest.mark.parametrize("module", [TwoInputs(), UsesMean(), WithToken(), Looping()],
                         ids=["two-inputs", "mean", "token", "loop"])
def test_what_was_refused_before_imports_now(module):
    module.eval()
    example = torch.randn(2, 4)
    document, weights = import_module(module, example)
    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    assert list(built.state_dict()) == list(module.state_dict())
    with torch.no_grad():
        assert torch.equal(built(example), module(example))


class CalledTwice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.join = Join()

    def forward(self, x):
        return self.join(self.join(x, x), x)


class ScalarParameter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(0.5))

    def forward(self, x):
        return x * self.alpha


class RandomMask(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mask", torch.rand(4), persistent=False)

    def forward(self, x):
        return x * self.mask


class TensorIndex(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("index", torch.tensor([1, 0]))

    def forward(self, x):
        return x[self.index]


class SizeArithmetic(nn.Module):
    def forward(self, x):
        return x.view(x.size(0) * 2, -1)


@pytest.mark.parametrize("module, words", [
    (Branching(), "torch.fx could not follow the forward of Branching: .*; torch.export "
                  "could not capture the forward of Branching either"),
    (CalledTwice(), "join is called more than once"),
    (ScalarParameter(), "alpha is a 0-dimensional"),
    (RandomMask(), "mask is a buffer kept out of the state_dict"),
    (TensorIndex(), "indexes with Node"),
    (SizeArithmetic(), "computes with a size"),
])
def test_what_cannot_be_imported_yet_is_named_with_the_reason(module, words):
    with pytest.raises(ModuleImportError, match=words.replace("(", r"\(").replace(")", r"\)")
                       if ".*" not in words else words):
        import_module(module, torch.randn(2, 4))


def exported_classes(source: str) -> list[str]:
    return re.findall(r"^class (\w+)\(nn\.Module\):", source, re.MULTILINE)


def test_a_block_used_with_different_sizes_is_one_class_with_arguments():
    _, _, document, _, _ = imported("resnet-basic")
    source = to_python(document)
    assert exported_classes(source) == ["BasicBlock", "ResNet"]
    assert "def __init__(self, in_channels, out_channels, stride=1, downsample=None)" in source
    assert "BasicBlock(8, 8)," in source
    assert "BasicBlock(8, 16, stride=2, downsample=nn.Sequential(" in source
    _, _, document, _, _ = imported("convnext")  # a parameter's size is an argument too
    source = to_python(document)
    assert exported_classes(source) == ["ChannelsFirstLayerNorm", "ConvNeXtBlock", "ConvNeXt"]
    assert "self.gamma = nn.Parameter(torch.zeros(in_channels))" in source


def test_the_exported_forward_reads_like_code_a_person_writes():
    _, _, document, _, _ = imported("resnet-basic")
    source = to_python(document)
    block = source[source.index("class BasicBlock"):source.index("class ResNet")]
    assert "out = self.bn1(out)" in block and "conv1 = self.conv1" not in block
    assert "downsample = x if self.downsample is None else self.downsample(x)" in block
    assert block.rstrip().endswith("return self.relu(out + downsample)")
    root = source[source.index("class ResNet"):]
    assert "x = self.layer2(x)" in root and "return self.fc(x)" in root
    _, _, document, _, _ = imported("convnext")
    source = to_python(document)
    assert "out = self.norm(out.permute(0, 2, 3, 1))" in source  # an operation in its call
    assert "((x - out) ** 2.0).mean(dim=1, keepdim=True)" in source
    _, _, document, _, _ = imported("mobilenet-v2")
    source = to_python(document)
    assert "return x + out if self.residual else out" in source
    assert "InvertedResidual(12, 72, 12, residual=True)," in source


@pytest.mark.parametrize("name, classes", [
    ("resnet-bottleneck", ["Bottleneck", "ResNet"]),
    ("unet", ["DoubleConv", "Down", "Up", "UNet"]),
    ("vit", ["ViTBlock", "ViT"]),
    ("googlenet", ["Inception", "GoogLeNetSmall"]),
    ("mobilenet-v2", ["InvertedResidual", "MobileNetV2Small"]),  # residual or not: a flag
    ("efficientnet", ["SqueezeExcitation", "StochasticDepth", "MBConv", "EfficientNetSmall"]),
    ("resnet-option-a", ["CifarBlock", "ShortcutA", "CifarResNet"]),  # shortcut: an argument
])
def test_each_block_type_is_written_once(name, classes):
    _, _, document, _, _ = imported(name)
    assert exported_classes(to_python(document)) == classes


class AsksItsInput(nn.Module):
    """What torch.fx cannot follow and torch.export can: questions about sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.token = nn.Parameter(torch.randn(1, 8))
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        if x.dim() == 3:
            x = x.unsqueeze(0)
        y = torch.relu(self.bn(self.conv(x)))
        for _ in range(x.size(1) - 2):
            y = y * 0.5
        return self.fc(y.mean((2, 3)) + self.token)


def test_what_torch_fx_cannot_follow_is_captured_with_torch_export():
    module = AsksItsInput().eval()
    with pytest.raises(ModuleImportError, match=r"torch\.fx could not follow"):
        import_module(module, torch.randn(2, 3, 8, 8), capture="fx")
    example = torch.randn(2, 3, 8, 8)
    document, weights = import_module(module, example)
    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    assert list(built.state_dict()) == list(module.state_dict())
    namespace: dict = {"__name__": "exported"}
    exec(compile(to_python(document), "asks.py", "exec"), namespace)
    exported = namespace["build_model"]()
    exported.load_state_dict(module.state_dict(), strict=True)
    with torch.no_grad():
        assert torch.equal(built.eval()(example), module(example))
        assert torch.equal(exported.eval()(example), module(example))


@pytest.mark.parametrize("name", ["resnet-basic", "vit", "lstm-classifier", "unet-interpolate",
                                  "glu-chunk-split", "wavenet", "densenet"])
def test_torch_export_alone_gives_the_same_network(name):
    make, _ = ZOO[name]
    torch.manual_seed(0)
    original = make().eval()
    example = example_for(name)
    document, weights = import_module(original, example, capture="export")
    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    assert list(built.state_dict()) == list(original.state_dict())
    with torch.no_grad():
        assert torch.allclose(built.eval()(example), original(example), atol=1e-6)


class ValueGate(nn.Module):
    """Branches on its input's values: neither torch.fx nor torch.export can follow it."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.scale(x)
        return -x


class AroundAGate(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.gate = ValueGate()
        self.b = nn.Linear(4, 2)

    def forward(self, x):
        return self.b(torch.relu(self.gate(self.a(x))))


def test_a_part_nothing_can_follow_is_one_node_with_its_own_code(tmp_path):
    from core.io.module_import import import_module_noting

    module = AroundAGate().eval()
    example = torch.randn(3, 4)
    document, weights, notes = import_module_noting(module, example)
    assert notes == [notes[0]] and notes[0].startswith("gate (ValueGate) is kept as one layer "
                                                       "with its own code: neither torch.fx "
                                                       "nor torch.export can follow")
    gate = next(node for node in document.root.nodes if node.name == "gate")
    assert gate.type == "ValueGate" and gate.graph is None
    assert "if x.sum() > 0:" in document.custom_layers["ValueGate"]
    built = build_module(document)
    built.load_state_dict(weights, strict=True)
    assert list(built.state_dict()) == list(module.state_dict())
    with torch.no_grad():
        for x in (example, -example.abs(), example.abs()):  # both ways through the gate
            assert torch.equal(built.eval()(x), module(x))
    save_document(document, tmp_path / "gate.tcanvas", weights=weights)
    assert "ValueGate" in read_project(tmp_path / "gate.tcanvas").document.custom_layers
