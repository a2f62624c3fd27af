"""The layer catalog: one `LayerSpec` per palette entry.

The entries written here by hand come first; the rest of torch.nn follows as
`core.catalog.generate` read it from torch (the data in `core.catalog.generated`).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.catalog.arguments import ArgSpec, choice, count, flag, integer, real, size
from core.catalog.generated import ENTRIES as GENERATED_ENTRIES
from core.catalog.operations import ENTRIES as OPERATION_ENTRIES
from core.catalog.operations import EXPRESSION, TENSOR
from core.catalog.refinements import CATEGORY_ORDER
from core.errors import ArgumentError, UnknownLayerError

if TYPE_CHECKING:
    from torch import nn

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


@dataclass(frozen=True)
class LayerSpec:
    """What the program knows about one layer type.

    ``factory_path`` names the class (``"nn.Linear"``), imported on first use so
    that the catalog, the palette and the inspector work before torch has loaded; it is
    called with the validated arguments as keywords. ``inputs`` is the
    smallest and largest number of inputs (``None``: no upper bound). ``expects``
    describes the input shape the layer accepts, with ``{arg}`` placeholders.

    ``outputs`` names the items of the tuple the layer returns (LSTM: output and
    (h_n, c_n)); it is empty for a layer that returns one tensor. ``input_rank`` is the
    number of dimensions the input must have (``None``: any, or several). ``sample`` is an
    input shape the default arguments accept, where ``expects`` cannot give one (see
    `sample_shape`), and ``input_dtype`` the dtype of that input. ``no_dry_run`` says why
    a lone layer of this type cannot be dry-run from a graph's one input ("" if it can).

    ``form`` says what a node of this type is in the built module: ``"module"``, a child
    module it calls; ``"expression"``, a tensor operation written into the forward
    (`core.catalog.operations`), with no module of its own; ``"tensor"``, a parameter or
    buffer registered under the node's name. The factory of the last two makes a module
    that does the same, for dry runs and step-through.
    """

    type: str
    category: str
    help: str
    factory_path: str
    args: tuple[ArgSpec, ...] = ()
    inputs: tuple[int, int | None] = (1, 1)
    expects: str = ""
    check: Callable[[Mapping[str, Any]], str | None] | None = None
    outputs: tuple[str, ...] = ()
    input_rank: int | None = None
    input_dtype: str = "float32"
    sample: tuple[int, ...] = ()
    no_dry_run: str = ""
    form: str = "module"

    @property
    def is_expression(self) -> bool:
        return self.form == EXPRESSION

    @property
    def is_tensor(self) -> bool:
        return self.form == TENSOR

    @property
    def factory(self) -> Callable[..., nn.Module]:
        return _resolve(self.factory_path)

    @property
    def class_name(self) -> str:
        return self.factory_path.rsplit(".", 1)[1]

    @property
    def code_name(self) -> str:
        """How generated source spells the class: ``nn.Linear`` or ``CenteredLayer``."""
        if self.factory_path.startswith("nn."):
            return f"nn.{self.class_name}"
        return self.class_name

    @property
    def is_custom(self) -> bool:
        """One of the chapter's layers (its source comes from core.catalog.layers)."""
        return self.factory_path.startswith("layers.")

    @property
    def is_users(self) -> bool:
        """A layer the person wrote (its source is in the document)."""
        return self.factory_path.startswith("custom.")

    @property
    def is_merge(self) -> bool:
        return self.inputs[1] is None or self.inputs[1] > 1

    def arg(self, name: str) -> ArgSpec:
        for spec in self.args:
            if spec.name == name:
                return spec
        raise ArgumentError(f"{self.type} has no argument {name!r}", name)

    def defaults(self) -> dict[str, Any]:
        return {a.name: a.default for a in self.args}

    def validate_args(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Fill defaults, check every value, and ask torch whether it takes them.

        Returns the canonical argument dict, or raises `ArgumentError` naming the
        argument and the reason.
        """
        unknown = set(args) - {a.name for a in self.args}
        if unknown:
            raise ArgumentError(f"{self.type} has no argument {sorted(unknown)[0]!r}")
        values = {a.name: a.validate(args.get(a.name, a.default)) for a in self.args}
        if self.check is not None and (reason := self.check(values)):
            raise ArgumentError(reason)
        refusal = _torch_refusal(self.type, tuple(values.items()))
        if refusal:
            raise ArgumentError(f"{self.type} refuses these arguments: {refusal}")
        return values

    def create(self, args: Mapping[str, Any]) -> nn.Module:
        factory = _RESOLVED.get(self.factory_path)
        if factory is None:
            factory = self.factory
            if not self.factory_path.startswith("custom."):  # layer code may be replaced
                _RESOLVED[self.factory_path] = factory
        return factory(**args)

    def describe_expected(self, args: Mapping[str, Any]) -> str:
        if not self.expects:
            return ""
        shown = {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}
        return self.expects.format(**shown)

    @property
    def returns_tuple(self) -> bool:
        return bool(self.outputs)

    def sample_shape(self, args: Mapping[str, Any]) -> tuple[int, ...]:
        """An input shape that ``args`` accept: ``sample``, or the first shape ``expects``
        gives with its ``{arg}`` placeholders filled in and a small size for each letter;
        ``(2, 16)`` for a layer that takes any shape."""
        if self.sample:
            return self.sample
        match = re.match(r"\(([^()]*)\)", self.expects)
        if match is None:
            return (2, 16)
        shape: list[int] = []
        for token in (t.strip() for t in match[1].split(",")):
            if token.startswith("{") and token.endswith("}"):
                value = args[token[1:-1]]
                shape.extend(value if isinstance(value, (tuple, list)) else [value])
            elif token.lstrip("-").isdigit():
                shape.append(int(token))
            elif token:
                shape.append(_SAMPLE_SIZES.get(token, 8))
        return tuple(shape)

    def key_args(self, args: Mapping[str, Any], limit: int = 3) -> str:
        """A short ``name=value`` summary of the arguments that differ most often."""
        names = [a.name for a in self.args if a.kind != "bool"][:limit]
        return _key_args_text(tuple((name, args.get(name)) for name in names))


# The size a letter of an ``expects`` shape gets in a sample input: the batch small, the
# channels divisible by the usual groups, the sequences and spatial sizes a few steps long.
_SAMPLE_SIZES = {"N": 2, "B": 2, "*": 2, "C": 4, "S": 5, "T": 6}


@functools.lru_cache(maxsize=4096)
def _key_args_text(items: tuple[tuple[str, Any], ...]) -> str:
    return ", ".join(f"{name}={value}" for name, value in items)


# The classes `create` found for PyTorch's and the catalog's own layers: importlib's look-up
# each time was a tenth of making a small layer.
_RESOLVED: dict[str, Callable[..., nn.Module]] = {}


def _resolve(path: str) -> Callable[..., nn.Module]:
    package, _, name = path.partition(".")
    if package == "custom":
        return CUSTOM_CLASSES[name]
    module = importlib.import_module({"nn": "torch.nn", "layers": "core.catalog.layers",
                                      "ops": "core.runtime.operations"}[package])
    return getattr(module, name)


# Layers whose constructor takes every value the catalog's own checks let through (sizes
# ≥ 1, a flag): asking torch would only build them, one per distinct layer, on every plan
# of a document with more distinct layers than the cache holds (2 s at 10,000).
_NOTHING_TO_REFUSE = frozenset(("nn.Linear", "nn.LazyLinear"))


@functools.lru_cache(maxsize=4096)
def _torch_refusal(layer_type: str, items: tuple[tuple[str, Any], ...]) -> str:
    """Why torch will not construct this layer ("" if it will), tried on ``meta``."""
    if spec_for(layer_type).factory_path in _NOTHING_TO_REFUSE:
        return ""
    import torch

    try:
        with torch.device("meta"):
            spec_for(layer_type).factory(**dict(items))
    except Exception as error:  # torch's own refusal, reported as the reason
        return str(error) or type(error).__name__
    return ""


def _divisible(total: str, parts: str) -> Callable[[Mapping[str, Any]], str | None]:
    def check(values: Mapping[str, Any]) -> str | None:
        if values[total] % values[parts]:
            return f"{total} ({values[total]}) must be divisible by {parts} ({values[parts]})"
        return None

    return check


def _conv_check(lazy: bool) -> Callable[[Mapping[str, Any]], str | None]:
    def check(values: Mapping[str, Any]) -> str | None:
        groups = values["groups"]
        if not lazy and values["in_channels"] % groups:
            return f"in_channels ({values['in_channels']}) must be divisible by groups ({groups})"
        if values["out_channels"] % groups:
            return f"out_channels ({values['out_channels']}) must be divisible by groups ({groups})"
        stride = values["stride"]
        strided = any(s != 1 for s in stride) if isinstance(stride, tuple) else stride != 1
        if values["padding"] == "same" and strided:
            return "padding='same' needs stride 1"
        return None

    return check


def _conv_args(dims: int, lazy: bool) -> tuple[ArgSpec, ...]:
    head = () if lazy else (count("in_channels", 1, "channels of the input", required=True),)
    return (
        *head,
        count("out_channels", 16, "channels the convolution produces", required=True),
        size("kernel_size", 3, "size of the convolving kernel", dims, required=True),
        size("stride", 1, "step between kernel positions", dims),
        ArgSpec(
            "padding", "padding", 0, "zeros added to each side, or 'same' / 'valid'",
            minimum=0, maximum=1 << 16, length=dims, choices=("same", "valid"),
        ),
        size("dilation", 1, "spacing between kernel elements", dims),
        count("groups", 1, "blocked connections from input to output channels"),
        flag("bias", True, "add a learnable bias"),
        choice("padding_mode", "zeros", PADDING_MODES, "what the padding is filled with"),
    )


def _pool_args(dims: int, average: bool) -> tuple[ArgSpec, ...]:
    common = (
        size("kernel_size", 2, "size of the pooling window", dims, required=True),
        size("stride", None, "step of the window; unset means kernel_size", dims, optional=True),
        size("padding", 0, "implicit padding on each side", dims, minimum=0),
    )
    if average:
        return (
            *common,
            flag("ceil_mode", False, "round the output size up instead of down"),
            flag("count_include_pad", True, "count padded zeros in the average"),
        )
    return (
        *common,
        size("dilation", 1, "spacing between window elements", dims),
        flag("ceil_mode", False, "round the output size up instead of down"),
    )


def _norm_args(lazy: bool) -> tuple[ArgSpec, ...]:
    head = () if lazy else (count("num_features", 16, "channels C of the input", required=True),)
    return (
        *head,
        real("eps", 1e-5, "added to the variance for numerical stability", minimum=0.0),
        real("momentum", 0.1, "weight of the newest batch in the running statistics; "
             "unset means a cumulative average", minimum=0.0, maximum=1.0, optional=True),
        flag("affine", True, "learnable scale and shift"),
        flag("track_running_stats", True, "keep running mean and variance"),
    )


_dim = integer("dim", 1, "the dimension to act along")


def _entries() -> list[LayerSpec]:
    L = LayerSpec
    return [
        # Linear
        L("Linear", "Linear", "fully connected layer: y = x Wᵀ + b", "nn.Linear", (
            count("in_features", 20, "size of each input sample", required=True),
            count("out_features", 256, "size of each output sample", required=True),
            flag("bias", True, "add a learnable bias"),
        ), expects="(*, {in_features})"),
        L("LazyLinear", "Linear", "fully connected layer whose input size is inferred",
          "nn.LazyLinear", (
              count("out_features", 256, "size of each output sample", required=True),
              flag("bias", True, "add a learnable bias"),
          ), expects="(*, in_features)"),
        L("Identity", "Linear", "passes its input through unchanged", "nn.Identity"),
        # Convolution
        L("Conv1d", "Convolution", "1-D convolution over (N, C, L)", "nn.Conv1d",
          _conv_args(1, False), expects="(N, {in_channels}, L)", check=_conv_check(False)),
        L("Conv2d", "Convolution", "2-D convolution over (N, C, H, W)", "nn.Conv2d",
          _conv_args(2, False), expects="(N, {in_channels}, H, W)", check=_conv_check(False)),
        L("LazyConv1d", "Convolution", "1-D convolution whose input channels are inferred",
          "nn.LazyConv1d", _conv_args(1, True), expects="(N, C, L)", check=_conv_check(True)),
        L("LazyConv2d", "Convolution", "2-D convolution whose input channels are inferred",
          "nn.LazyConv2d", _conv_args(2, True), expects="(N, C, H, W)", check=_conv_check(True)),
        L("ConvTranspose2d", "Convolution", "2-D transposed convolution (learned upsampling)",
          "nn.ConvTranspose2d", (
              count("in_channels", 16, "channels of the input", required=True),
              count("out_channels", 16, "channels the layer produces", required=True),
              size("kernel_size", 2, "size of the kernel", 2, required=True),
              size("stride", 2, "upsampling step", 2),
              size("padding", 0, "padding removed from each side of the output", 2, minimum=0),
              size("output_padding", 0, "extra size added to one side of the output", 2,
                   minimum=0),
              count("groups", 1, "blocked connections from input to output channels"),
              flag("bias", True, "add a learnable bias"),
              size("dilation", 1, "spacing between kernel elements", 2),
          ), expects="(N, {in_channels}, H, W)", check=_divisible("out_channels", "groups")),
        # Pooling
        L("MaxPool1d", "Pooling", "maximum over sliding windows of (N, C, L)", "nn.MaxPool1d",
          _pool_args(1, False), expects="(N, C, L)"),
        L("MaxPool2d", "Pooling", "maximum over sliding windows of (N, C, H, W)", "nn.MaxPool2d",
          _pool_args(2, False), expects="(N, C, H, W)"),
        L("AvgPool1d", "Pooling", "average over sliding windows of (N, C, L)", "nn.AvgPool1d",
          _pool_args(1, True), expects="(N, C, L)"),
        L("AvgPool2d", "Pooling", "average over sliding windows of (N, C, H, W)", "nn.AvgPool2d",
          _pool_args(2, True), expects="(N, C, H, W)"),
        L("AdaptiveAvgPool1d", "Pooling", "average pooling to a fixed output length",
          "nn.AdaptiveAvgPool1d",
          (size("output_size", 1, "length of the output", 1, required=True),),
          expects="(N, C, L)"),
        L("AdaptiveAvgPool2d", "Pooling", "average pooling to a fixed output size",
          "nn.AdaptiveAvgPool2d",
          (size("output_size", 1, "height and width of the output", 2, required=True),),
          expects="(N, C, H, W)"),
        L("AdaptiveMaxPool2d", "Pooling", "max pooling to a fixed output size",
          "nn.AdaptiveMaxPool2d",
          (size("output_size", 1, "height and width of the output", 2, required=True),),
          expects="(N, C, H, W)"),
        # Normalization
        L("BatchNorm1d", "Normalization", "normalize each channel over the batch",
          "nn.BatchNorm1d", _norm_args(False),
          expects="(N, {num_features}) or (N, {num_features}, L)"),
        L("BatchNorm2d", "Normalization", "normalize each image channel over the batch",
          "nn.BatchNorm2d", _norm_args(False), expects="(N, {num_features}, H, W)"),
        L("LazyBatchNorm1d", "Normalization", "BatchNorm1d whose channel count is inferred",
          "nn.LazyBatchNorm1d", _norm_args(True), expects="(N, C) or (N, C, L)"),
        L("LazyBatchNorm2d", "Normalization", "BatchNorm2d whose channel count is inferred",
          "nn.LazyBatchNorm2d", _norm_args(True), expects="(N, C, H, W)"),
        L("LayerNorm", "Normalization", "normalize over the last dimensions of each sample",
          "nn.LayerNorm", (
              ArgSpec("normalized_shape", "shape", (256,), "sizes of the trailing dimensions",
                      minimum=1, maximum=1 << 20, required=True),
              real("eps", 1e-5, "added to the variance for numerical stability", minimum=0.0),
              flag("elementwise_affine", True, "learnable per-element scale and shift"),
              flag("bias", True, "learnable shift (with elementwise_affine)"),
          ), expects="(*, {normalized_shape})"),
        L("GroupNorm", "Normalization", "normalize over groups of channels", "nn.GroupNorm", (
            count("num_groups", 4, "number of channel groups", required=True),
            count("num_channels", 16, "channels C of the input", required=True),
            real("eps", 1e-5, "added to the variance for numerical stability", minimum=0.0),
            flag("affine", True, "learnable per-channel scale and shift"),
        ), expects="(N, {num_channels}, *)", check=_divisible("num_channels", "num_groups")),
        # Dropout
        L("Dropout", "Dropout", "zero elements at random while training", "nn.Dropout",
          (real("p", 0.5, "probability of zeroing an element", minimum=0.0, maximum=1.0),)),
        L("Dropout2d", "Dropout", "zero whole channels at random while training", "nn.Dropout2d",
          (real("p", 0.5, "probability of zeroing a channel", minimum=0.0, maximum=1.0),),
          expects="(N, C, H, W)"),
        # Shape
        L("Flatten", "Shape", "merge a range of dimensions into one", "nn.Flatten", (
            integer("start_dim", 1, "first dimension to merge"),
            integer("end_dim", -1, "last dimension to merge"),
        )),
        L("Unflatten", "Shape", "split one dimension into several", "nn.Unflatten", (
            integer("dim", 1, "the dimension to act along", required=True),
            ArgSpec("unflattened_size", "shape", (1, -1),
                    "the sizes it becomes (one may be -1)", minimum=-1, maximum=1 << 20,
                    required=True),
        )),
        # Embedding
        L("Embedding", "Embedding", "look up a learned vector for each integer index",
          "nn.Embedding", (
              count("num_embeddings", 1000, "size of the vocabulary", required=True),
              count("embedding_dim", 64, "size of each vector", required=True),
              integer("padding_idx", None, "index whose vector stays zero", optional=True,
                      minimum=-(1 << 20), maximum=1 << 20),
              real("max_norm", None, "renormalize vectors longer than this",
                   optional=True, minimum=0.0),
              flag("scale_grad_by_freq", False, "scale gradients by inverse word frequency"),
              flag("sparse", False, "sparse gradient for the weight"),
          ), expects="integer indices, any shape", input_dtype="int64"),
        # Activation
        L("ReLU", "Activation", "max(0, x)", "nn.ReLU"),
        L("LeakyReLU", "Activation", "x for x > 0, negative_slope · x otherwise", "nn.LeakyReLU",
          (real("negative_slope", 0.01, "slope for negative inputs"),)),
        L("GELU", "Activation", "x · Φ(x), the Gaussian error linear unit", "nn.GELU",
          (choice("approximate", "none", ("none", "tanh"), "exact or tanh approximation"),)),
        L("SiLU", "Activation", "x · sigmoid(x) (swish)", "nn.SiLU"),
        L("Sigmoid", "Activation", "1 / (1 + e^-x)", "nn.Sigmoid"),
        L("Tanh", "Activation", "hyperbolic tangent", "nn.Tanh"),
        L("Softmax", "Activation", "exponentials normalized to sum to 1 along dim", "nn.Softmax",
          (integer("dim", -1, "the dimension that sums to 1"),)),
        L("LogSoftmax", "Activation", "log of softmax along dim, computed stably", "nn.LogSoftmax",
          (integer("dim", -1, "the dimension softmax runs along"),)),
        L("ELU", "Activation", "x for x > 0, alpha · (e^x − 1) otherwise", "nn.ELU",
          (real("alpha", 1.0, "value approached for very negative inputs"),)),
        L("PReLU", "Activation", "leaky ReLU with a learned slope", "nn.PReLU", (
            count("num_parameters", 1, "1, or the number of channels"),
            real("init", 0.25, "initial slope"),
        )),
        L("Softplus", "Activation", "smooth ReLU: log(1 + e^(beta·x)) / beta", "nn.Softplus", (
            real("beta", 1.0, "sharpness", minimum=1e-6),
            real("threshold", 20.0, "above this, the layer is linear"),
        )),
        L("Mish", "Activation", "x · tanh(softplus(x))", "nn.Mish"),
        # Merge
        L("Add", "Merge", "element-wise sum of two or more inputs (residual join)",
          "layers.Add", inputs=(2, None), expects="broadcastable shapes", form=EXPRESSION),
        L("Multiply", "Merge", "element-wise product of two or more inputs (gating)",
          "layers.Multiply", inputs=(2, None), expects="broadcastable shapes",
          form=EXPRESSION),
        L("Concat", "Merge", "join two or more inputs along a dimension", "layers.Concat",
          (_dim,), inputs=(2, None), expects="equal sizes except along dim",
          form=EXPRESSION),
        # The chapter's own layers
        L("CenteredLayer", "Chapter layers", "subtracts the mean of its input; no parameters",
          "layers.CenteredLayer"),
        L("MyLinear", "Chapter layers", "a hand-written linear layer with ReLU built in",
          "layers.MyLinear", (
              count("in_units", 64, "size of each input sample", required=True),
              count("units", 8, "size of each output sample", required=True),
          ), expects="(*, {in_units})"),
        L("FixedHiddenLinear", "Chapter layers",
          "x @ W + offset with W random and constant (a buffer, never trained)",
          "layers.FixedHiddenLinear", (
              count("in_features", 20, "size of each input sample", required=True),
              count("out_features", 20, "size of each output sample", required=True),
              real("offset", 1.0, "constant added to every output"),
          ), expects="(*, {in_features})"),
        L("HalveUntilL1", "Chapter layers",
          "control flow: halves the input until its L1 norm is at most limit",
          "layers.HalveUntilL1",
          (real("limit", 1.0, "the largest L1 norm left alone", minimum=1e-30),)),
        L("Sum", "Chapter layers", "sum of all elements, or along one dimension", "layers.Sum", (
            integer("dim", None, "dimension to sum over; unset sums everything", optional=True),
            flag("keepdim", False, "keep the summed dimension with size 1"),
        )),
    ]


def _generated_entries() -> list[LayerSpec]:
    """The rest of torch.nn, as `core.catalog.generate` read it from torch."""
    specs = []
    for record in GENERATED_ENTRIES:
        fields = dict(record)
        checks = fields.pop("checks", ())
        fields["args"] = tuple(ArgSpec(**arg) for arg in fields["args"])
        fields["check"] = _combined_checks(checks) if checks else None
        specs.append(LayerSpec(**fields))
    return specs


def _combined_checks(names: Iterable[str]) -> Callable[[Mapping[str, Any]], str | None]:
    """The checks a generated entry names: ``conv``, ``lazy_conv``, ``divisible:a/b``."""
    checks = []
    for name in names:
        if name in ("conv", "lazy_conv"):
            checks.append(_conv_check(lazy=name == "lazy_conv"))
        else:
            total, parts = name.removeprefix("divisible:").split("/")
            checks.append(_divisible(total, parts))

    def check(values: Mapping[str, Any]) -> str | None:
        return next((reason for c in checks if (reason := c(values))), None)

    return check


def _in_palette_order(hand: list[LayerSpec], generated: list[LayerSpec]) -> list[LayerSpec]:
    """The hand-written entries, each family followed by its generated relatives (Conv3d
    after Conv2d), then the other generated entries."""

    def family(spec: LayerSpec) -> str:
        return re.sub(r"[123]d$", "", spec.type)

    relatives: dict[str, list[LayerSpec]] = {}
    for spec in generated:
        relatives.setdefault(family(spec), []).append(spec)
    last_of_family = {family(spec): spec.type for spec in hand}
    ordered: list[LayerSpec] = []
    for spec in hand:
        ordered.append(spec)
        if last_of_family[family(spec)] == spec.type:
            ordered.extend(relatives.pop(family(spec), []))
    return ordered + [spec for specs in relatives.values() for spec in specs]


_HAND_WRITTEN = _entries()
# The torch.nn classes the hand-written entries cover (the generator leaves them alone).
HAND_WRITTEN: frozenset[str] = frozenset(
    spec.class_name for spec in _HAND_WRITTEN if spec.factory_path.startswith("nn."))
CATALOG: dict[str, LayerSpec] = {
    spec.type: spec for spec in [*_in_palette_order(_HAND_WRITTEN, _generated_entries()),
                                 *(LayerSpec(**fields) for fields in OPERATION_ENTRIES)]}
_USED = {spec.category for spec in CATALOG.values()}
CATEGORIES: tuple[str, ...] = tuple(c for c in CATEGORY_ORDER if c in _USED) + tuple(
    c for c in dict.fromkeys(spec.category for spec in CATALOG.values())
    if c not in CATEGORY_ORDER)


# Layers a person wrote (see core.catalog.custom): filled only when they ask for their code to run.
CUSTOM_SPECS: dict[str, LayerSpec] = {}
CUSTOM_CLASSES: dict[str, type] = {}
CUSTOM_SOURCES: dict[str, str] = {}


def spec_for(layer_type: str) -> LayerSpec:
    try:
        return CATALOG[layer_type]
    except KeyError:
        pass
    try:
        return CUSTOM_SPECS[layer_type]
    except KeyError:
        raise UnknownLayerError(f"unknown layer type {layer_type!r}") from None
