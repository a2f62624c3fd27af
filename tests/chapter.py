"""The chapter's networks as the chapter writes them: the reference the templates match."""

import torch
from torch import nn
from torch.nn import functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.out = nn.LazyLinear(10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand((20, 20))
        self.linear = nn.LazyLinear(20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(32), nn.ReLU())
        self.linear = nn.LazyLinear(16)

    def forward(self, X):
        return self.linear(self.net(X))


class CenteredLayer(nn.Module):
    def forward(self, X):
        return X - X.mean()


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


class FileMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.output = nn.LazyLinear(10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))


def shared_net():
    shared = nn.LazyLinear(8)
    return nn.Sequential(nn.LazyLinear(8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                         nn.LazyLinear(1))


class ResidualBlock(nn.Module):
    """Not from the chapter: the gallery's residual block, written by hand."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(20, 64)
        self.fc1 = nn.Linear(64, 64)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(64, 64)
        self.out = nn.ReLU()

    def forward(self, x):
        h = self.stem(x)
        return self.out(self.fc2(self.act(self.fc1(h))) + h)


def small_cnn():
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2, stride=2), nn.Flatten(),
        nn.LazyLinear(120), nn.ReLU(), nn.LazyLinear(84), nn.ReLU(), nn.LazyLinear(10))


def mlp_dropout_batchnorm():
    return nn.Sequential(
        nn.Flatten(), nn.LazyLinear(256), nn.LazyBatchNorm1d(), nn.ReLU(), nn.Dropout(0.5),
        nn.LazyLinear(128), nn.LazyBatchNorm1d(), nn.ReLU(), nn.Dropout(0.5),
        nn.LazyLinear(10))


# template name → (factory of the hand-written module, input shape)
REFERENCES = {
    "mlp": (MLP, (2, 20)),
    "sequential-mlp": (lambda: nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10)),
                       (2, 20)),
    "my-sequential": (lambda: MySequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10)),
                      (2, 20)),
    "fixed-hidden-mlp": (FixedHiddenMLP, (2, 20)),
    "nest-mlp": (NestMLP, (2, 20)),
    "chimera": (lambda: nn.Sequential(NestMLP(), nn.LazyLinear(20), FixedHiddenMLP()), (2, 20)),
    "shared-parameters": (shared_net, (2, 4)),
    "parameter-access": (lambda: nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1)),
                         (2, 4)),
    "centered-layer": (lambda: nn.Sequential(nn.LazyLinear(128), CenteredLayer()), (4, 8)),
    "my-linear": (lambda: nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)), (2, 64)),
    "file-io-mlp": (FileMLP, (2, 20)),
    "small-cnn": (small_cnn, (1, 1, 28, 28)),
    "residual-block": (ResidualBlock, (2, 20)),
    "mlp-dropout-batchnorm": (mlp_dropout_batchnorm, (8, 1, 28, 28)),
}
