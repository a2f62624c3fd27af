"""What a network learns from: teaching sets made on the spot, a person's CSV file, tensor
file or image folder, and the split into training and validation.

Every loader answers with a `Dataset` or a `DataError` naming what is wrong; nothing
outside the returned tensors is changed.
"""

from __future__ import annotations

import csv
import importlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from core.errors import TorchCanvasError

TEACHING_SETS = ("moons", "circles", "spirals", "xor", "blobs", "regression")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
MAX_SIZE = 10_000_000


class DataError(TorchCanvasError):
    """Data that cannot be used for training, with the reason in one line."""


@dataclass
class Dataset:
    """Inputs and targets, row for row. ``classes`` names the classes of a
    classification set (targets are int64 class indices); it is empty for regression
    (targets are float)."""

    inputs: torch.Tensor
    targets: torch.Tensor
    name: str = ""
    classes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.inputs.shape[0] != self.targets.shape[0]:
            raise DataError(f"{self.name or 'the data'}: {self.inputs.shape[0]} inputs but "
                            f"{self.targets.shape[0]} targets")

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def is_classification(self) -> bool:
        return not self.targets.is_floating_point()

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one sample (without the batch dimension)."""
        return tuple(self.inputs.shape[1:])

    def subset(self, index: torch.Tensor, name: str) -> Dataset:
        return Dataset(self.inputs[index], self.targets[index], name, list(self.classes))


@dataclass
class Split:
    train: Dataset
    validation: Dataset


def split(data: Dataset, validation: float = 0.2, seed: int = 0) -> Split:
    """A seeded random split; ``validation`` is the share held out (0 keeps none)."""
    if not 0.0 <= validation < 1.0:
        raise DataError(f"the validation share must be in [0, 1), not {validation}")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    held = round(len(data) * validation)
    if len(data) - held < 1:
        raise DataError(f"{data.name}: too few samples ({len(data)}) to split")
    return Split(data.subset(order[held:], f"{data.name} (train)"),
                 data.subset(order[:held], f"{data.name} (validation)"))


# Teaching sets -----------------------------------------------------------------------


def teaching_set(name: str, size: int = 1000, noise: float = 0.1, seed: int = 0,
                 classes: int = 3) -> Dataset:
    """One of `TEACHING_SETS`, made from ``seed``: two-dimensional points with class
    labels, or (``regression``) a noisy sine curve of one input and one output."""
    if name not in TEACHING_SETS:
        raise DataError(f"unknown data set {name!r}; the teaching sets are "
                        f"{', '.join(TEACHING_SETS)}")
    if not 2 <= size <= MAX_SIZE:
        raise DataError(f"size must be from 2 to {MAX_SIZE:,}, not {size}")
    if not 0.0 <= noise <= 10.0:
        raise DataError(f"noise must be from 0 to 10, not {noise}")
    if name == "blobs" and not 2 <= classes <= 64:
        raise DataError(f"blobs: classes must be from 2 to 64, not {classes}")
    x, y = generate_teaching_set(name, size, noise, seed, classes)
    count = classes if name == "blobs" else 2
    return Dataset(x, y, name, [] if name == "regression" else [str(i) for i in range(count)])


def generate_teaching_set(name: str, size: int, noise: float, seed: int, classes: int = 3):
    """The points and labels of a teaching set; self-contained (torch and math only), so
    that an exported training script carries this very function."""
    g = torch.Generator().manual_seed(seed)
    if name == "regression":
        x = torch.rand(size, 1, generator=g) * 6 - 3
        return x, torch.sin(x) + noise * torch.randn(size, 1, generator=g)
    if name == "blobs":
        labels = torch.arange(size) % classes
        angle = labels.float() * (2 * math.pi / classes)
        centres = torch.stack([torch.cos(angle), torch.sin(angle)], 1) * 3
        return centres + (0.5 + noise) * torch.randn(size, 2, generator=g), labels
    labels = torch.arange(size) % 2
    if name == "moons":
        t = torch.rand(size, generator=g) * math.pi
        upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
        lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
        x = torch.where(labels[:, None] == 0, upper, lower)
    elif name == "circles":
        t = torch.rand(size, generator=g) * 2 * math.pi
        radius = torch.where(labels == 0, 1.0, 0.5)
        x = torch.stack([torch.cos(t), torch.sin(t)], 1) * radius[:, None]
    elif name == "spirals":
        r = torch.rand(size, generator=g) * 0.9 + 0.1
        t = r * 3 * math.pi + labels.float() * math.pi
        x = torch.stack([r * torch.cos(t), r * torch.sin(t)], 1)
    else:  # xor
        x = torch.rand(size, 2, generator=g) * 2 - 1
        labels = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()
    x = x + noise * torch.randn(size, 2, generator=g)
    return x.float(), labels.long()


# A person's data ---------------------------------------------------------------------


def load_csv(path: str | os.PathLike[str], target: str, task: str = "auto") -> Dataset:
    """A CSV file with a header row; ``target`` names the column to predict, every other
    column is an input. ``task`` is ``classification`` (target values become classes),
    ``regression`` or ``auto`` (classes when the target is text or whole numbers)."""
    name = Path(path).name
    if task not in ("auto", "classification", "regression"):
        raise DataError(f"task must be auto, classification or regression, not {task!r}")
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read {name}: {error}") from None
    rows = [row for row in rows if row]
    if len(rows) < 2:
        raise DataError(f"{name} needs a header row and at least one row of data")
    header = [column.strip() for column in rows[0]]
    if target not in header:
        raise DataError(f"{name} has no column {target!r}; its columns are "
                        f"{', '.join(header)}")
    if len(header) < 2:
        raise DataError(f"{name} has no input columns besides {target!r}")
    column = header.index(target)
    inputs: list[list[float]] = []
    labels: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{name}, line {number}: {len(row)} values, but the header "
                            f"has {len(header)} columns")
        values = []
        for index, text in enumerate(row):
            if index == column:
                continue
            try:
                values.append(float(text))
            except ValueError:
                raise DataError(f"{name}, line {number}, column {header[index]!r}: "
                                f"{text.strip()[:40]!r} is not a number") from None
        inputs.append(values)
        labels.append(row[column].strip())
    x = torch.tensor(inputs, dtype=torch.float32)
    numbers = _numbers(labels)
    whole = numbers is not None and all(v == int(v) for v in numbers)
    if task == "regression" or (task == "auto" and numbers is not None and not whole):
        if numbers is None:
            raise DataError(f"{name}: the target column {target!r} holds text, which "
                            "regression cannot predict")
        return Dataset(x, torch.tensor(numbers, dtype=torch.float32)[:, None], name)
    if numbers is not None and whole:
        classes = [str(v) for v in sorted({int(v) for v in numbers})]
        labels = [str(int(v)) for v in numbers]
    else:
        classes = sorted(set(labels))
    index_of = {label: i for i, label in enumerate(classes)}
    y = torch.tensor([index_of[label] for label in labels], dtype=torch.int64)
    return Dataset(x, y, name, classes)


def _numbers(texts: list[str]) -> list[float] | None:
    try:
        return [float(text) for text in texts]
    except ValueError:
        return None


def load_tensor_data(path: str | os.PathLike[str]) -> Dataset:
    """A tensor file holding ``{"inputs": …, "targets": …}`` (the chapter's x-files as a
    dict), read with ``weights_only=True`` through the project's loaders."""
    from core.io.weights import WeightsError, load_tensor_file

    name = Path(path).name
    try:
        tensors = load_tensor_file(path)
    except WeightsError as error:
        raise DataError(str(error)) from None
    missing = [key for key in ("inputs", "targets") if key not in tensors]
    if missing:
        raise DataError(f"{name} has no {' or '.join(repr(m) for m in missing)} tensor; "
                        f"it holds {', '.join(sorted(tensors)) or 'nothing'}")
    inputs, targets = tensors["inputs"], tensors["targets"]
    if inputs.dim() < 1 or targets.dim() < 1 or inputs.shape[0] != targets.shape[0]:
        raise DataError(f"{name}: inputs {tuple(inputs.shape)} and targets "
                        f"{tuple(targets.shape)} do not have one row each per sample")
    if not inputs.is_floating_point():
        inputs = inputs.float()
    classes: list[str] = []
    if not targets.is_floating_point():
        targets = targets.long()
        if targets.dim() != 1 or (len(targets) and targets.min() < 0):
            raise DataError(f"{name}: integer targets must be class indices 0, 1, … "
                            "in one dimension")
        classes = [str(i) for i in range(int(targets.max()) + 1 if len(targets) else 0)]
    return Dataset(inputs, targets, name, classes)


def load_image_folder(path: str | os.PathLike[str], size: tuple[int, int] = (28, 28),
                      channels: int = 3) -> Dataset:
    """One sub-folder per class, each image resized to ``size`` (height, width) with
    ``channels`` 1 (grey) or 3 (RGB), as floats in [0, 1]. Needs Pillow."""
    try:
        importlib.import_module("PIL.Image")
    except ImportError:
        raise DataError("reading an image folder needs Pillow (pip install pillow)") \
            from None
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root.name}: not a folder")
    if channels not in (1, 3):
        raise DataError(f"channels must be 1 or 3, not {channels}")
    try:
        inputs, targets, classes = read_image_folder(root, size[0], size[1], channels)
    except ValueError as error:
        raise DataError(str(error)) from None
    return Dataset(inputs, targets, root.name, classes)


def read_image_folder(path, height: int, width: int, channels: int,
                      suffixes: tuple[str, ...] = IMAGE_SUFFIXES):
    """(images, class indices, class names) of a folder with one sub-folder of images
    per class, in name order; raises ValueError naming what cannot be read.
    Self-contained (torch, pathlib and Pillow), so that an exported training script
    carries this very function and resizes as the window does."""
    from pathlib import Path

    from PIL import Image

    root = Path(path)
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if not folders:
        raise ValueError(f"{root.name} has no sub-folders; put each class's images in a "
                         "folder of its own")
    images, labels = [], []
    for index, folder in enumerate(folders):
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in suffixes:
                continue
            try:
                with Image.open(file) as image:
                    picture = image.convert("L" if channels == 1 else "RGB").resize(
                        (width, height))
                    data = torch.frombuffer(bytearray(picture.tobytes()), dtype=torch.uint8)
            except (OSError, ValueError) as error:  # UnidentifiedImageError is an OSError
                raise ValueError(f"{folder.name}/{file.name} is not a readable image: "
                                 f"{error}") from None
            images.append(data.reshape(height, width, channels).permute(2, 0, 1))
            labels.append(index)
    if not images:
        raise ValueError(f"{root.name} has no images in its sub-folders")
    return (torch.stack(images).float() / 255.0, torch.tensor(labels),
            [folder.name for folder in folders])


def image_settings(input_shape: tuple[int, ...]) -> tuple[tuple[int, int], int]:
    """The (height, width) and channels images are read at for a network whose input
    is ``input_shape``: its own for an (N, 1 or 3, H, W) input, else 28 × 28 RGB."""
    if len(input_shape) == 4 and input_shape[1] in (1, 3) and min(input_shape[2:]) >= 1:
        return (int(input_shape[2]), int(input_shape[3])), int(input_shape[1])
    return (28, 28), 3


def load_data(source: str, *, target: str = "", size: int = 1000, noise: float = 0.1,
              seed: int = 0, image_size: tuple[int, int] = (28, 28),
              channels: int = 3) -> Dataset:
    """A teaching set by name, or a file or folder by path (CSV needs ``target``)."""
    if source in TEACHING_SETS:
        return teaching_set(source, size=size, noise=noise, seed=seed)
    path = Path(source)
    if path.is_dir():
        return load_image_folder(path, image_size, channels)
    if not path.exists():
        raise DataError(f"{source}: no such file, and not one of the teaching sets "
                        f"({', '.join(TEACHING_SETS)})")
    if path.suffix.lower() == ".csv":
        if not target:
            raise DataError(f"{path.name}: say which column is the target")
        return load_csv(path, target)
    return load_tensor_data(path)
