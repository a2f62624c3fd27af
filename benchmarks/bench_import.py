"""Importing real models: time from an `nn.Module` to a document (`import_module`), to a
built module with its weights loaded, and to the shapes of a dry run; the same through
torch.export (the fallback where torch.fx cannot follow a forward); a `.pt2` file read
without running code (`import_pt2`) next to `torch.export.load` (which unpickles); and
how many lines and classes the exported Python takes (torchvision's resnet.py, the whole
ResNet family with its helpers, is 269 lines in the version this was compared with).
Outputs are compared with a tolerance of 1e-5: attention's fused kernels may order sums
differently.

The ResNets are defined here the way torchvision defines them (BasicBlock / Bottleneck,
stages of (2, 2, 2, 2) and (3, 4, 6, 3)), so the benchmark needs no torchvision."""

from __future__ import annotations

import re
import statistics
import time

import torch
from torch import nn

REPEATS = 3


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _shortcut(cin, planes, stride)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, planes * 4, stride)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def _shortcut(cin: int, cout: int, stride: int) -> nn.Module | None:
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNet(nn.Module):
    def __init__(self, block, layers, classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._stage(block, 64, layers[0], 1)
        self.layer2 = self._stage(block, 128, layers[1], 2)
        self.layer3 = self._stage(block, 256, layers[2], 2)
        self.layer4 = self._stage(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, classes)

    def _stage(self, block, planes: int, count: int, stride: int) -> nn.Sequential:
        blocks = []
        for index in range(count):
            blocks.append(block(self.inplanes, planes, stride if index == 0 else 1))
            self.inplanes = planes * block.expansion
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class EncoderBlock(nn.Module):
    def __init__(self, width: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.self_attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class VisionTransformer(nn.Module):
    """ViT-B/16's sizes: 16-pixel patches of a 224 image, width 768, 12 blocks of 12 heads,
    a class token and position embeddings used directly in forward."""

    def __init__(self, width: int = 768, depth: int = 12, heads: int = 12,
                 hidden: int = 3072, patch: int = 16, image: int = 224) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(3, width, patch, stride=patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, width))
        tokens = (image // patch) ** 2 + 1
        self.pos_embedding = nn.Parameter(torch.empty(1, tokens, width).normal_(std=0.02))
        self.layers = nn.Sequential(*(EncoderBlock(width, heads, hidden) for _ in range(depth)))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, 1000)

    def forward(self, x):
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        token = self.class_token.expand(x.shape[0], -1, -1)
        x = torch.cat([token, x], dim=1) + self.pos_embedding
        return self.head(self.ln(self.layers(x))[:, 0])


def _median_ms(work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> dict[str, float]:
    from core import build_module, import_module, infer_shapes, to_python

    figures: dict[str, float] = {}
    example = torch.randn(1, 3, 224, 224)
    for name, model in (("ResNet-50", ResNet(Bottleneck, (3, 4, 6, 3))),
                        ("ResNet-18", ResNet(BasicBlock, (2, 2, 2, 2))),
                        ("ViT-B/16", VisionTransformer())):
        model.eval()
        imported_ms, (document, weights) = _median_ms(lambda m=model: import_module(m, example))

        def build(document=document, weights=weights):
            built = build_module(document)
            built.load_state_dict(weights, strict=True)
            return built

        built_ms, built = _median_ms(build)
        shapes_ms, report = _median_ms(lambda d=document: infer_shapes(d))
        with torch.no_grad():
            equal = torch.allclose(built.eval()(example), model(example), atol=1e-5)
        layers = sum(1 for _, node in document.walk() if node.graph is None)
        source = to_python(document)
        lines = len(source.splitlines())
        classes = re.findall(r"^class (\w+)\(nn\.Module\)", source, re.MULTILINE)
        print(f"{name}: {layers} layers, {report.parameters:,} parameters; outputs equal: "
              f"{equal}")
        print(f"  import_module                  {imported_ms:8.0f} ms")
        print(f"  build and load its weights     {built_ms:8.0f} ms")
        print(f"  dry run (shapes on meta)       {shapes_ms:8.0f} ms")
        print(f"  together                       {imported_ms + built_ms + shapes_ms:8.0f} ms")
        print(f"  exported Python                {lines:8d} lines, classes "
              f"{', '.join(classes)}" + (
                  " (torchvision's resnet.py: 269 lines for the whole family)"
                  if "ResNet" in name else ""))
        key = name.lower().replace("-", "").replace("/", "")
        figures |= {f"{key}_import_ms": imported_ms, f"{key}_build_ms": built_ms,
                    f"{key}_shapes_ms": shapes_ms, f"{key}_lines": lines,
                    f"{key}_classes": len(classes)}
        if name == "ResNet-50":
            figures |= _through_export(model, example, document)
    return figures


def _through_export(model, example, document) -> dict[str, float]:
    """ResNet-50 through torch.export: captured in-process, and read from a .pt2 file
    without running code, next to torch.export.load (interleaved, medians)."""
    import tempfile
    from pathlib import Path

    from core import import_module
    from core.io.import_pt2 import import_pt2

    exported_ms, (through, _) = _median_ms(
        lambda: import_module(model, example, capture="export"))
    same = [n.type for _, n in through.walk()] == [n.type for _, n in document.walk()]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "resnet50.pt2"
        torch.export.save(torch.export.export(model, (example,)), path)
        ours, theirs = [], []
        for _ in range(REPEATS):
            start = time.perf_counter()
            import_pt2(path)
            ours.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            torch.export.load(path)
            theirs.append((time.perf_counter() - start) * 1000)
    pt2_ms, load_ms = statistics.median(ours), statistics.median(theirs)
    print(f"  import_module through torch.export {exported_ms:5.0f} ms (same nodes as fx: "
          f"{same})")
    print(f"  .pt2 file: import_pt2 (no code runs) {pt2_ms:5.0f} ms; torch.export.load "
          f"(unpickles) {load_ms:5.0f} ms (ratio {pt2_ms / load_ms:.2f})")
    return {"resnet50_export_import_ms": exported_ms, "resnet50_pt2_ms": pt2_ms,
            "resnet50_export_load_ms": load_ms}


if __name__ == "__main__":
    main()
