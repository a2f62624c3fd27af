"""Reference architectures written as their authors write them (plain `nn.Module`
classes with their own forwards), for the import tests. Each entry: a function making
the model and the shape of an example input."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F


class LeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def lenet_sequential() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


class VGG(nn.Module):
    def __init__(self, widths=(8, 16, 32), classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2, 2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(
            nn.Linear(channels * 4, 64), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(64, classes))

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def nin_block(cin: int, cout: int, kernel: int, stride: int, padding: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, padding), nn.ReLU(),
        nn.Conv2d(cout, cout, 1), nn.ReLU(), nn.Conv2d(cout, cout, 1), nn.ReLU())


def nin() -> nn.Module:
    return nn.Sequential(
        nin_block(1, 16, 5, 2, 2), nn.MaxPool2d(3, stride=2), nin_block(16, 24, 3, 1, 1),
        nn.MaxPool2d(3, stride=2), nn.Dropout(0.5), nin_block(24, 10, 3, 1, 1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

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

    def __init__(self, cin: int, width: int, stride: int = 1) -> None:
        super().__init__()
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers=(2, 2), widths=(8, 16), classes: int = 10) -> None:
        super().__init__()
        self.inplanes = 8
        self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages = []
        for index, (count, width) in enumerate(zip(layers, widths, strict=True)):
            blocks = []
            for position in range(count):
                stride = 2 if index > 0 and position == 0 else 1
                blocks.append(block(self.inplanes, width, stride))
                self.inplanes = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(self.inplanes, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


class Fire(nn.Module):
    def __init__(self, cin: int, squeeze: int, expand: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, expand, 1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, expand, 3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def squeezenet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(16, 4, 8), Fire(16, 4, 8), nn.MaxPool2d(3, 2, ceil_mode=True), Fire(16, 8, 16),
        nn.Dropout(0.5), nn.Conv2d(32, 10, 1), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1),
        nn.Flatten())


class Inception(nn.Module):
    def __init__(self, cin: int, c1: int, c2: tuple[int, int], c3: tuple[int, int],
                 c4: int) -> None:
        super().__init__()
        self.b1 = nn.Sequential(nn.Conv2d(cin, c1, 1), nn.ReLU())
        self.b2 = nn.Sequential(nn.Conv2d(cin, c2[0], 1), nn.ReLU(),
                                nn.Conv2d(c2[0], c2[1], 3, padding=1), nn.ReLU())
        self.b3 = nn.Sequential(nn.Conv2d(cin, c3[0], 1), nn.ReLU(),
                                nn.Conv2d(c3[0], c3[1], 5, padding=2), nn.ReLU())
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(cin, c4, 1), nn.ReLU())

    def forward(self, x):
        return torch.cat((self.b1(x), self.b2(x), self.b3(x), self.b4(x)), dim=1)


class GoogLeNetSmall(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 7, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.inception1 = Inception(16, 8, (8, 12), (4, 6), 6)
        self.inception2 = Inception(32, 12, (12, 16), (4, 8), 8)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                                  nn.Linear(44, 10))

    def forward(self, x):
        return self.head(self.inception2(self.inception1(self.stem(x))))


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, squeezed: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeezed, 1)
        self.fc2 = nn.Conv2d(squeezed, channels, 1)
        self.activation = nn.SiLU()
        self.scale_activation = nn.Sigmoid()

    def forward(self, x):
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


class SENet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.se = SqueezeExcitation(16, 4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.se(F.silu(self.conv(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class DenseLayer(nn.Module):
    def __init__(self, cin: int, growth: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(cin)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv(self.relu(self.norm(x)))], 1)


def densenet_block() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), DenseLayer(8, 4), DenseLayer(12, 4),
                         DenseLayer(16, 4), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(20, 3))


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(20, 64)
        self.norm = nn.BatchNorm1d(64)
        self.drop = nn.Dropout(0.1)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        return self.out(self.drop(F.gelu(self.norm(self.hidden(x)))))


class Tied(nn.Module):
    """One Linear called twice: its parameters are shared by both calls."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.shared = nn.Linear(16, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = torch.relu(self.shared(torch.relu(self.embed(x))))
        x = torch.relu(self.shared(x))
        return self.head(x)


class NestMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, x):
        return self.linear(self.net(x))


ZOO: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "lenet": (LeNet, (2, 1, 28, 28)),
    "lenet-sequential": (lenet_sequential, (2, 1, 28, 28)),
    "vgg": (VGG, (2, 3, 32, 32)),
    "nin": (nin, (2, 1, 64, 64)),
    "resnet-basic": (lambda: ResNet(BasicBlock), (2, 3, 32, 32)),
    "resnet-bottleneck": (lambda: ResNet(Bottleneck, widths=(4, 8)), (2, 3, 32, 32)),
    "squeezenet": (squeezenet, (2, 3, 48, 48)),
    "googlenet": (GoogLeNetSmall, (2, 1, 32, 32)),
    "squeeze-excitation": (SENet, (2, 3, 16, 16)),
    "densenet-block": (densenet_block, (2, 3, 16, 16)),
    "mlp": (MLP, (4, 20)),
    "tied": (Tied, (3, 8)),
    "nest-mlp": (NestMLP, (2, 20)),
}


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_res_connect = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2Small(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16),
                          nn.ReLU6(inplace=True)),
            InvertedResidual(16, 8, 1, 1), InvertedResidual(8, 12, 2, 6),
            InvertedResidual(12, 12, 1, 6), InvertedResidual(12, 16, 2, 6))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(16, classes))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        return self.classifier(x)


class Hardswished(nn.Module):
    """MobileNetV3's activations and a squeeze-excitation with hard sigmoid."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.Hardswish())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(8, 4, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(4, 8, 1)
        self.gate = nn.Hardsigmoid()
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))

    def forward(self, x):
        x = self.stem(x)
        x = x * self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))
        return self.head(x)


ZOO["mobilenet-v2"] = (MobileNetV2Small, (2, 3, 32, 32))
ZOO["mobilenet-v3-activations"] = (Hardswished, (2, 3, 16, 16))


# Modern architectures: several inputs and outputs per block, tuples, tensor operations,
# parameters used in a forward, and modules called in a loop.


class DoubleConv(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.net(x)


class Down(nn.Module):
    """Returns the pooled features and the skip connection: a block with two outputs."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = DoubleConv(cin, cout)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        skip = self.conv(x)
        return self.pool(skip), skip


class Up(nn.Module):
    """Takes the features and a skip connection: a block with two inputs."""

    def __init__(self, cin: int, cout: int, transposed: bool = True) -> None:
        super().__init__()
        self.transposed = transposed
        if transposed:
            self.up = nn.ConvTranspose2d(cin, cin // 2, 2, stride=2)
        else:
            self.up = nn.Conv2d(cin, cin // 2, 1)
        self.conv = DoubleConv(cin, cout)

    def forward(self, x, skip):
        if self.transposed:
            x = self.up(x)
        else:
            x = self.up(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True))
        return self.conv(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    def __init__(self, transposed: bool = True, classes: int = 2) -> None:
        super().__init__()
        self.down1 = Down(3, 8)
        self.down2 = Down(8, 16)
        self.bottom = DoubleConv(16, 32)
        self.up1 = Up(32, 16, transposed)
        self.up2 = Up(16, 8, transposed)
        self.head = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        x, skip1 = self.down1(x)
        x, skip2 = self.down2(x)
        x = self.bottom(x)
        x = self.up1(x, skip2)
        x = self.up2(x, skip1)
        return self.head(x)


class LSTMClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 16, num_layers=2, batch_first=True)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        out, (h, c) = self.lstm(x)  # noqa: RUF059 - as such models are written
        return self.fc(h[-1])


class GRUClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(6, 12, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(24, 3)

    def forward(self, x):
        out, h = self.gru(x)
        return self.fc(torch.cat([h[-2], h[-1]], dim=1)) + self.fc(out.mean(dim=1))


class TransformerClassifier(nn.Module):
    """nn.TransformerEncoder (which holds its layers in a ModuleList), mean over the
    sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(10, 16)
        layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(16),
                                             enable_nested_tensor=False)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.encoder(self.embed(x))
        return self.fc(x.mean(dim=1))


class StackedEncoder(nn.Module):
    """TransformerEncoderLayers stacked explicitly in a ModuleList, with a learned
    position embedding added in the forward."""

    def __init__(self) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.randn(1, 7, 16) * 0.02)
        self.embed = nn.Linear(10, 16)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, norm_first=True)
            for _ in range(3))
        self.norm = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.embed(x) + self.pos_embedding
        for layer in self.layers:
            x = layer(x)
        return self.fc(self.norm(x).mean(dim=1))


class ViTBlock(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.self_attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.dropout = nn.Dropout(0.1)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Dropout(0.1),
                                 nn.Linear(2 * width, width), nn.Dropout(0.1))

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y)
        x = x + self.dropout(y)
        return x + self.mlp(self.ln_2(x))


class ViT(nn.Module):
    """Patches, a class token expanded to the batch, position embeddings, x[:, 0]."""

    def __init__(self, width: int = 16, patch: int = 4, image: int = 16) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(3, width, patch, stride=patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, width))
        tokens = (image // patch) ** 2 + 1
        self.pos_embedding = nn.Parameter(torch.empty(1, tokens, width).normal_(std=0.02))
        self.blocks = nn.ModuleList(ViTBlock(width, 2) for _ in range(2))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        token = self.class_token.expand(x.shape[0], -1, -1)
        x = torch.cat([token, x], dim=1) + self.pos_embedding
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x)[:, 0])


class ChannelsFirstLayerNorm(nn.Module):
    """ConvNeXt's LayerNorm over the channels of (N, C, H, W), written out."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))
        self.drop_path = nn.Identity()

    def forward(self, x):
        shortcut = x
        x = self.dwconv(x)
        x = x.permute(0, 2, 3, 1)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        x = self.gamma * x
        x = x.permute(0, 3, 1, 2)
        return shortcut + self.drop_path(x)


class ConvNeXt(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 4, stride=4), ChannelsFirstLayerNorm(8))
        self.stage1 = nn.Sequential(ConvNeXtBlock(8), ConvNeXtBlock(8))
        self.downsample = nn.Sequential(ChannelsFirstLayerNorm(8), nn.Conv2d(8, 16, 2, 2))
        self.stage2 = nn.Sequential(ConvNeXtBlock(16))
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stage2(self.downsample(self.stage1(self.stem(x))))
        return self.head(self.norm(x.mean([-2, -1])))


class StochasticDepth(nn.Module):
    """Drops the whole residual branch at random while training (torchvision's
    StochasticDepth, row mode); the identity in eval."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = torch.empty([x.shape[0], 1, 1, 1]).bernoulli_(1.0 - self.p)
        return x * keep / (1.0 - self.p)


class MBConv(nn.Module):
    """EfficientNet's inverted residual with squeeze-excitation and stochastic depth."""

    def __init__(self, cin: int, cout: int, expand: int, stride: int, p: float) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_res_connect = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Sequential(nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                          nn.SiLU()),
            nn.Sequential(nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                          nn.BatchNorm2d(hidden), nn.SiLU()),
            SqueezeExcitation(hidden, max(1, cin // 4)),
            nn.Sequential(nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)))
        self.stochastic_depth = StochasticDepth(p)

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += x
        return result


class EfficientNetSmall(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.SiLU()),
            MBConv(8, 8, 1, 1, 0.0), MBConv(8, 12, 4, 2, 0.05), MBConv(12, 12, 4, 1, 0.1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(12, 10))

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class TorchvisionDenseLayer(nn.Module):
    """Takes the list of every earlier feature map: a block with as many inputs."""

    def __init__(self, cin: int, growth: int) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, 2 * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(2 * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(2 * growth, growth, 3, padding=1, bias=False)

    def forward(self, inputs):
        concated = torch.cat(inputs, 1)
        bottleneck = self.conv1(self.relu1(self.norm1(concated)))
        return self.conv2(self.relu2(self.norm2(bottleneck)))


class DenseBlock(nn.ModuleDict):
    """torchvision's _DenseBlock: a ModuleDict whose forward calls its layers in a loop."""

    def __init__(self, layers: int, cin: int, growth: int) -> None:
        super().__init__()
        for i in range(layers):
            self.add_module(f"denselayer{i + 1}", TorchvisionDenseLayer(cin + i * growth, growth))

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, 8, 3, padding=1, bias=False)), ("norm0", nn.BatchNorm2d(8)),
            ("relu0", nn.ReLU(inplace=True)), ("denseblock1", DenseBlock(3, 8, 4)),
            ("transition1", nn.Sequential(nn.BatchNorm2d(20), nn.Conv2d(20, 10, 1, bias=False),
                                          nn.AvgPool2d(2, 2))),
            ("denseblock2", DenseBlock(2, 10, 4)), ("norm5", nn.BatchNorm2d(18))]))
        self.classifier = nn.Linear(18, 10)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(torch.flatten(out, 1))


class DenseLoop(nn.Module):
    """Dense connections with the layers in a ModuleList called by the owner's loop."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3, padding=1)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(6 + 3 * i), nn.ReLU(), nn.Conv2d(6 + 3 * i, 3, 3,
                                                                          padding=1))
            for i in range(3))
        self.head = nn.Linear(15, 4)

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = torch.cat([x, layer(x)], 1)
        return self.head(x.mean((2, 3)))


class SelfAttention(nn.Module):
    """Multi-head attention written out: heads split with sizes read from the input."""

    def __init__(self, dim: int = 16, heads: int = 4) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.scale = (dim // heads) ** -0.5

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = k.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = v.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        attention = (q @ k.transpose(-2, -1) * self.scale).softmax(dim=-1)
        out = (attention @ v).transpose(1, 2).contiguous().reshape(b, t, d)
        return self.proj(out)


class GatedLinearUnits(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(8, 32)
        self.down = nn.Linear(16, 8)

    def forward(self, x):
        a, b = self.up(x).chunk(2, dim=-1)
        parts = torch.split(x, [3, 5], dim=-1)
        return self.down(a * torch.sigmoid(b)) + torch.cat([parts[1], parts[0]], -1)


class ShortcutA(nn.Module):
    """ResNet for CIFAR's option A: a strided slice padded with zero channels."""

    def __init__(self, planes: int) -> None:
        super().__init__()
        self.planes = planes

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.planes // 4, self.planes // 4),
                     "constant", 0)


class CifarBlock(nn.Module):
    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = ShortcutA(planes) if stride != 1 else nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(CifarBlock(8, 8, 1), CifarBlock(8, 16, 2))
        self.linear = nn.Linear(16, 10)

    def forward(self, x):
        out = self.layer1(F.relu(self.bn1(self.conv1(x))))
        out = F.adaptive_avg_pool2d(out, 1)
        return self.linear(out.view(out.size(0), -1))


class GatedResidual(nn.Module):
    """WaveNet's layer: returns the residual and the skip output (two outputs)."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.dilation = dilation
        self.filter = nn.Conv1d(channels, channels, 2, dilation=dilation, padding=dilation)
        self.gate = nn.Conv1d(channels, channels, 2, dilation=dilation, padding=dilation)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        causal = slice(None, -self.dilation)  # the padding's far end cut off
        h = torch.tanh(self.filter(x)[:, :, causal]) * torch.sigmoid(self.gate(x)[:, :, causal])
        return x + self.residual(h), self.skip(h)


class WaveNetSmall(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.start = nn.Conv1d(1, 8, 1)
        self.layers = nn.ModuleList(GatedResidual(8, 2 ** i) for i in range(3))
        self.end = nn.Sequential(nn.ReLU(), nn.Conv1d(8, 4, 1))

    def forward(self, x):
        x = self.start(x)
        skips = 0
        for layer in self.layers:
            x, skip = layer(x)
            skips = skips + skip
        return self.end(skips)


class TextClassifier(nn.Module):
    """Word indices in (int64): an embedding averaged over the sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(100, 12, padding_idx=0)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        return self.fc(self.dropout(self.embedding(x)).mean(dim=1))


class ECA(nn.Module):
    """Efficient channel attention: a 1-D convolution across the pooled channels."""

    def __init__(self) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(3, 8, 3, padding=1)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv = nn.Conv1d(1, 1, 3, padding=1, bias=False)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))

    def forward(self, x):
        x = self.conv0(x)
        y = self.avg_pool(x)
        y = self.conv(y.squeeze(-1).transpose(-1, -2)).transpose(-1, -2).unsqueeze(-1)
        return self.head(x * y.sigmoid())


class AudioConv(nn.Module):
    """(batch, time, features) turned channels-first for Conv1d, pooled over time."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(5, 8, 3, padding=1)
        self.norm = nn.BatchNorm1d(8)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        x = F.relu(self.norm(self.conv(x.transpose(1, 2))))
        return self.fc(x.sum(dim=-1) / 8 * 2 - 1)


class MixerBlock(nn.Module):
    def __init__(self, tokens: int, channels: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(channels)
        self.token_mix = nn.Sequential(nn.Linear(tokens, 2 * tokens), nn.GELU(),
                                       nn.Linear(2 * tokens, tokens))
        self.norm2 = nn.LayerNorm(channels)
        self.channel_mix = nn.Sequential(nn.Linear(channels, 2 * channels), nn.GELU(),
                                         nn.Linear(2 * channels, channels))

    def forward(self, x):
        x = x + self.token_mix(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mix(self.norm2(x))


class MLPMixer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 4, 4)
        self.blocks = nn.ModuleList(MixerBlock(16, 12) for _ in range(2))
        self.norm = nn.LayerNorm(12)
        self.head = nn.Linear(12, 10)

    def forward(self, x):
        x = self.stem(x).flatten(2).permute(0, 2, 1)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x).mean(dim=1))


ZOO.update({
    "unet": (UNet, (2, 3, 16, 16)),
    "unet-interpolate": (lambda: UNet(transposed=False), (2, 3, 16, 16)),
    "lstm-classifier": (LSTMClassifier, (3, 7, 6)),
    "gru-classifier": (GRUClassifier, (3, 7, 6)),
    "transformer-encoder": (TransformerClassifier, (2, 7, 10)),
    "transformer-stacked": (StackedEncoder, (2, 7, 10)),
    "vit": (ViT, (2, 3, 16, 16)),
    "convnext": (ConvNeXt, (2, 3, 32, 32)),
    "efficientnet": (EfficientNetSmall, (2, 3, 32, 32)),
    "densenet": (DenseNet, (2, 3, 16, 16)),
    "densenet-loop": (DenseLoop, (2, 3, 16, 16)),
    "self-attention": (SelfAttention, (2, 5, 16)),
    "glu-chunk-split": (GatedLinearUnits, (4, 8)),
    "resnet-option-a": (CifarResNet, (2, 3, 16, 16)),
    "wavenet": (WaveNetSmall, (2, 1, 32)),
    "text-classifier": (TextClassifier, (4, 9)),
    "eca": (ECA, (2, 3, 16, 16)),
    "audio-conv": (AudioConv, (2, 20, 5)),
    "mlp-mixer": (MLPMixer, (2, 3, 16, 16)),
})
# Entries whose input is word indices: the upper bound of the indices.
INTEGER_INPUTS = {"text-classifier": 100}
