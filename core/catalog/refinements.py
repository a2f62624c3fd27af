"""What torch's signatures and docstrings do not say about its layers.

`core.catalog.generate` reads every public `torch.nn` layer (constructor signature, type
hints, defaults, docstring) and takes the rest from here: the palette category, the
input a layer expects, example values for arguments torch gives no usable default,
ranges and choices, and the layers it leaves out and why. Plain data: no torch.
"""

from __future__ import annotations

import re
from typing import Any

from core.catalog.arguments import MAX_SIZE

# Palette order: the common building blocks first, the losses (for training) last.
CATEGORY_ORDER = (
    "Linear", "Convolution", "Pooling", "Padding", "Normalization", "Dropout", "Shape",
    "Resampling", "Embedding", "Recurrent", "Transformer", "Activation", "Merge",
    "Tensor operations", "Distance", "Chapter layers", "Loss",
)

# Public torch.nn classes that do not become palette entries.
SKIPPED: dict[str, str] = {
    "Module": "the base class of every layer; it computes nothing",
    "Container": "the deprecated base class of the containers",
    "Sequential": "a container: on the canvas a block is the container",
    "ModuleList": "a container without a forward: blocks hold layers on the canvas",
    "ModuleDict": "a container without a forward: blocks hold layers on the canvas",
    "ParameterList": "holds parameters and has no forward",
    "ParameterDict": "holds parameters and has no forward",
    "RNNBase": "the base class of RNN, LSTM and GRU (its first argument is the mode)",
    "RNNCellBase": "the base class of the RNN cells; it has no forward",
    "DataParallel": "wraps another module to run it on several devices",
    "TransformerEncoder": "its constructor takes a TransformerEncoderLayer instance, which "
                          "no argument schema can hold",
    "TransformerDecoder": "its constructor takes a TransformerDecoderLayer instance, which "
                          "no argument schema can hold",
    "NLLLoss2d": "a deprecated alias of NLLLoss that warns when it is constructed",
}

# Constructor parameters left out of every schema (torch's default is always used).
OMITTED: dict[str, str] = {
    "device": "the document's device decides where layers live",
    "dtype": "layers are built in float32 and converted as a whole",
    "size_average": "deprecated: reduction replaces it",
    "reduce": "deprecated: reduction replaces it",
}

# Constructor parameters left out of one class's schema.
OMITTED_IN: dict[str, dict[str, str]] = {
    "Hardtanh": {"min_value": "deprecated: min_val replaces it",
                 "max_value": "deprecated: max_val replaces it"},
    "Transformer": {"custom_encoder": "a module instance", "custom_decoder": "a module instance"},
    "SyncBatchNorm": {"process_group": "a distributed process group"},
    "LinearCrossEntropyLoss": {"out_features": "an empty tuple by default, which a shape "
                                               "argument cannot hold",
                               "options": "an options object"},
}

_COUNT = {"minimum": 1, "maximum": MAX_SIZE}
_PROBABILITY = {"minimum": 0.0, "maximum": 1.0}
_DIM = {"minimum": -64, "maximum": 64}
_REDUCTION = ("none", "mean", "sum")

# Refinements by argument name, for every class that has the argument. ``example`` is the
# value used where torch has no default (or a default of None that cannot run).
ARGUMENTS: dict[str, dict[str, Any]] = {
    "in_channels": {**_COUNT, "example": 16, "help": "channels of the input"},
    "out_channels": {**_COUNT, "example": 16, "help": "channels the layer produces"},
    "in_features": {**_COUNT, "example": 64, "help": "size of each input sample"},
    "out_features": {**_COUNT, "example": 64, "help": "size of each output sample"},
    "in1_features": {**_COUNT, "example": 16, "help": "size of each sample of the first input"},
    "in2_features": {**_COUNT, "example": 16,
                     "help": "size of each sample of the second input"},
    "num_features": {**_COUNT, "example": 16, "help": "channels C of the input"},
    "num_classes": {**_COUNT, "example": 10, "help": "number of classes"},
    "n_classes": {**_COUNT, "example": 100, "help": "number of classes"},
    "input_size": {**_COUNT, "example": 16, "help": "features of each step of the input"},
    "hidden_size": {**_COUNT, "example": 32, "help": "features of the hidden state"},
    "num_layers": {**_COUNT, "help": "recurrent layers stacked on each other"},
    "proj_size": {"minimum": 0, "maximum": MAX_SIZE,
                  "help": "size of the projected hidden state; 0 for no projection"},
    "embed_dim": {**_COUNT, "example": 64, "help": "features of the query (the model size)"},
    "num_heads": {**_COUNT, "example": 4,
                  "help": "parallel attention heads; embed_dim must be divisible by it"},
    "kdim": {**_COUNT, "help": "features of the key; unset means embed_dim"},
    "vdim": {**_COUNT, "help": "features of the value; unset means embed_dim"},
    "d_model": {**_COUNT, "example": 64, "help": "features of the inputs (the model size)"},
    "nhead": {**_COUNT, "example": 4,
              "help": "parallel attention heads; d_model must be divisible by it"},
    "dim_feedforward": {**_COUNT, "help": "width of the feedforward network"},
    "num_encoder_layers": {**_COUNT, "help": "encoder layers stacked on each other"},
    "num_decoder_layers": {**_COUNT, "help": "decoder layers stacked on each other"},
    "num_embeddings": {**_COUNT, "example": 1000, "help": "size of the vocabulary"},
    "embedding_dim": {**_COUNT, "example": 64, "help": "size of each vector"},
    "groups": {**_COUNT, "help": "blocked connections from input to output channels"},
    "upscale_factor": {**_COUNT, "example": 2, "help": "factor the height and width grow by"},
    "downscale_factor": {**_COUNT, "example": 2,
                         "help": "factor the height and width shrink by"},
    "kernel_size": {"minimum": 1, "example": 3, "help": "size of the kernel"},
    "stride": {"minimum": 1, "help": "step between kernel positions"},
    "dilation": {"minimum": 1, "help": "spacing between kernel elements"},
    "padding": {"minimum": 0, "maximum": 1 << 16, "help": "zeros added to each side"},
    "output_padding": {"minimum": 0, "help": "extra size added to one side of the output"},
    "output_size": {"minimum": 1, "example": 1, "help": "size of the output"},
    "padding_idx": {"minimum": -(1 << 20), "maximum": 1 << 20,
                    "help": "index whose vector stays zero"},
    "max_norm": {"minimum": 0.0, "help": "renormalize vectors longer than this"},
    "norm_type": {"minimum": 0.0, "help": "the p of the p-norm"},
    "dropout": {**_PROBABILITY, "help": "dropout probability"},
    "eps": {"minimum": 0.0, "help": "added to the denominator for numerical stability"},
    "momentum": {**_PROBABILITY, "help": "weight of the newest batch in the running "
                 "statistics; unset means a cumulative average"},
    "label_smoothing": {**_PROBABILITY, "help": "share of the target spread evenly over "
                        "all classes"},
    "dim": {**_DIM, "help": "the dimension to act along"},
    "start_dim": {**_DIM, "help": "first dimension to merge"},
    "end_dim": {**_DIM, "help": "last dimension to merge"},
    "ignore_index": {"minimum": -(1 << 20), "maximum": 1 << 20,
                     "help": "target value that is ignored and adds nothing to the loss"},
    "blank": {"minimum": 0, "maximum": MAX_SIZE, "help": "index of the blank label"},
    "bias": {"help": "add a learnable bias"},
    "inplace": {"help": "overwrite the input instead of making a new tensor"},
    "affine": {"help": "learnable per-channel scale and shift"},
    "elementwise_affine": {"help": "learnable per-element scale and shift"},
    "track_running_stats": {"help": "keep running mean and variance"},
    "ceil_mode": {"help": "round the output size up instead of down"},
    "count_include_pad": {"help": "count padded zeros in the average"},
    "return_indices": {"help": "also return where the maxima are (the output becomes a "
                               "tuple)"},
    "batch_first": {"help": "inputs and outputs are (batch, sequence, feature) instead of "
                            "(sequence, batch, feature)"},
    "bidirectional": {"help": "run over the sequence in both directions"},
    "norm_first": {"help": "normalize before attention and feedforward instead of after"},
    "layer_norm_eps": {"minimum": 0.0, "help": "eps of the layer normalizations"},
    "padding_mode": {"help": "what the padding is filled with"},
    "reduction": {"choices": _REDUCTION,
                  "help": "how the per-element losses are combined: none, mean or sum"},
    "nonlinearity": {"choices": ("tanh", "relu"), "help": "the non-linearity of each step"},
    "activation": {"choices": ("relu", "gelu"),
                   "help": "activation of the feedforward network"},
    "divisor_override": {**_COUNT, "help": "divide by this instead of the window size"},
    "margin": {"help": "the margin the loss asks for"},
}


def _spatial(dims: int) -> str:
    return ("L", "H, W", "D, H, W")[dims - 1]


def _channels_first(dims: int, channels: str = "C") -> str:
    return f"(N, {channels}, {_spatial(dims)})"


# Refinements by class: anything a family rule (see `family`) says, overridden here.
CLASSES: dict[str, dict[str, Any]] = {
    # Linear
    "Bilinear": {"category": "Linear", "help": "bilinear layer: y = x₁ᵀ A x₂ + b",
                 "expects": "(*, {in1_features}) and (*, {in2_features})",
                 "args": {"out_features": {"example": 8}}},
    # Convolution
    "Fold": {"category": "Convolution",
             "help": "combines sliding local blocks into a large tensor (the inverse of Unfold)",
             "expects": "(N, C × ∏(kernel_size), L)", "input_rank": 3, "sample": (2, 4, 9),
             "args": {"output_size": {"example": 4, "length": 2,
                                      "help": "spatial size of the output"},
                      "kernel_size": {"example": 2, "length": 2},
                      "dilation": {"length": 2}, "padding": {"length": 2},
                      "stride": {"length": 2}}},
    "Unfold": {"category": "Convolution",
               "help": "extracts sliding local blocks from a batch of images",
               "expects": "(N, C, H, W)", "input_rank": 4,
               "args": {"kernel_size": {"example": 2, "length": 2},
                        "dilation": {"length": 2}, "padding": {"length": 2},
                        "stride": {"length": 2}}},
    # Pooling
    "FractionalMaxPool2d": {"args": {"output_ratio": {"example": 0.5, **_PROBABILITY},
                                     "output_size": {"example": None}}},
    "FractionalMaxPool3d": {"args": {"output_ratio": {"example": 0.5, **_PROBABILITY},
                                     "output_size": {"example": None}}},
    # Normalization
    "LocalResponseNorm": {"category": "Normalization", "expects": "(N, C, *)",
                          "args": {"size": {**_COUNT, "example": 5,
                                            "help": "neighbouring channels used"}}},
    "CrossMapLRN2d": {"category": "Normalization", "expects": "(N, C, H, W)", "input_rank": 4,
                      "help": "local response normalization across channels (the legacy form "
                              "of LocalResponseNorm)",
                      "args": {"size": {**_COUNT, "example": 5,
                                        "help": "neighbouring channels used"},
                               "alpha": {"help": "multiplicative factor"},
                               "beta": {"help": "exponent"}, "k": {"help": "additive factor"}}},
    "RMSNorm": {"category": "Normalization", "expects": "(*, {normalized_shape})",
                "args": {"normalized_shape": {"example": (64,), "minimum": 1,
                                              "maximum": MAX_SIZE,
                                              "help": "sizes of the trailing dimensions"},
                         "eps": {"help": "added to the mean square; unset means the dtype's "
                                         "machine epsilon"}}},
    "SyncBatchNorm": {"category": "Normalization", "expects": "(N, {num_features}, *)",
                      "sample": (2, 16, 8)},
    # Dropout
    "AlphaDropout": {"category": "Dropout", "args": {"p": {
        **_PROBABILITY, "help": "probability of dropping an element"}}},
    "FeatureAlphaDropout": {"category": "Dropout", "expects": "(N, C, *)", "sample": (2, 4, 8),
                            "args": {"p": {**_PROBABILITY,
                                           "help": "probability of dropping a channel"}}},
    # Shape
    "ChannelShuffle": {"category": "Shape", "expects": "(N, C, H, W)",
                       "args": {"groups": {"example": 2,
                                           "help": "groups the channels are divided into"}}},
    # Resampling
    "PixelShuffle": {"category": "Resampling", "expects": "(N, C × upscale_factor², H, W)",
                     "input_rank": 4, "sample": (2, 4, 8, 8)},
    "PixelUnshuffle": {"category": "Resampling",
                       "expects": "(N, C, H × downscale_factor, W × downscale_factor)",
                       "input_rank": 4, "sample": (2, 4, 8, 8)},
    "Upsample": {"category": "Resampling",
                 "expects": "(N, C, H, W), (N, C, L) or (N, C, D, H, W)",
                 "args": {"size": {"length": 0, "minimum": 1, "maximum": MAX_SIZE,
                                   "help": "size of the output; set this or scale_factor"},
                          "scale_factor": {"example": 2.0, "length": 0, "minimum": 0.0,
                                           "help": "multiplier of the input size; set this "
                                                   "or size"},
                          "mode": {"choices": ("nearest", "linear", "bilinear", "bicubic",
                                               "trilinear", "nearest-exact")},
                          "align_corners": {"help": "align the corner pixels of input and "
                                                    "output (for the linear modes)"}}},
    "UpsamplingNearest2d": {"category": "Resampling"},
    "UpsamplingBilinear2d": {"category": "Resampling"},
    # Embedding
    "EmbeddingBag": {"category": "Embedding", "expects": "(B, L) integer indices",
                     "input_dtype": "int64",
                     "args": {"mode": {"choices": ("sum", "mean", "max"),
                                       "help": "how the vectors of a bag are combined"}}},
    # Recurrent
    "RNN": {"outputs": ("output", "h_n")},
    "GRU": {"outputs": ("output", "h_n")},
    "LSTM": {"outputs": ("output", "(h_n, c_n)")},
    "RNNCell": {"expects": "(N, {input_size})"},
    "GRUCell": {"expects": "(N, {input_size})"},
    "LSTMCell": {"expects": "(N, {input_size})", "outputs": ("h_1", "c_1")},
    # Transformer
    "MultiheadAttention": {
        "category": "Transformer", "inputs": (3, 3),
        "expects": "(L, N, {embed_dim}) for query, key and value",
        "outputs": ("attn_output", "attn_output_weights"),
        "checks": ("divisible:embed_dim/num_heads",),
        "args": {"dropout": {"help": "dropout probability on the attention weights"},
                 "add_bias_kv": {"help": "add a learned bias to the key and value sequences"},
                 "add_zero_attn": {"help": "add a batch of zeros to the key and value "
                                           "sequences"}}},
    "Transformer": {"category": "Transformer", "inputs": (2, 2),
                    "expects": "(S, N, {d_model}) and (T, N, {d_model})",
                    "checks": ("divisible:d_model/nhead",)},
    "TransformerEncoderLayer": {"category": "Transformer", "expects": "(S, N, {d_model})",
                                "checks": ("divisible:d_model/nhead",)},
    "TransformerDecoderLayer": {"category": "Transformer", "inputs": (2, 2),
                                "expects": "(T, N, {d_model}) and memory (S, N, {d_model})",
                                "checks": ("divisible:d_model/nhead",)},
    # Activation
    "Threshold": {"args": {"threshold": {"example": 0.0, "help": "the value to threshold at"},
                           "value": {"example": 0.0,
                                     "help": "the value that replaces inputs at or below it"}}},
    "Softmin": {"args": {"dim": {"example": -1, "help": "the dimension that sums to 1"}}},
    "Softmax2d": {"expects": "(N, C, H, W)", "input_rank": 4},
    "GLU": {"args": {"dim": {"help": "the dimension split in half"}}},
    # Distance
    "CosineSimilarity": {"category": "Distance", "expects": "two inputs of the same shape",
                         "args": {"eps": {"help": "small value to avoid division by zero"}}},
    "PairwiseDistance": {"category": "Distance", "expects": "two inputs of the same shape",
                         "args": {"p": {"help": "the norm degree"}}},
    # Losses. Those with integer targets cannot be dry-run from a graph's one input.
    "CrossEntropyLoss": {"expects": "(N, C) logits and a target: class indices (N,) or "
                                    "class probabilities (N, C)"},
    "NLLLoss": {"expects": "(N, C) log-probabilities and integer class targets (N,)",
                "no_dry_run": "its target is integer class indices"},
    "MultiMarginLoss": {"expects": "(N, C) and integer class targets (N,)",
                        "no_dry_run": "its target is integer class indices",
                        "args": {"p": {"minimum": 1, "maximum": 2,
                                       "help": "the exponent of the hinge: 1 or 2"}}},
    "MultiLabelMarginLoss": {"expects": "(N, C) and integer class targets (N, C)",
                             "no_dry_run": "its target is integer class indices"},
    "CTCLoss": {"expects": "log-probabilities (T, N, C), targets (N, S), input lengths (N,) "
                           "and target lengths (N,)",
                "no_dry_run": "its targets and lengths are integers"},
    "MarginRankingLoss": {"expects": "x1, x2 and a target y of 1 and -1, all of shape (N,)"},
    "TripletMarginLoss": {"expects": "anchor, positive and negative of the same shape (N, D)"},
    "TripletMarginWithDistanceLoss": {"expects": "anchor, positive and negative of the same "
                                                 "shape (N, D)"},
    "GaussianNLLLoss": {"expects": "input, target and variance of the same shape",
                        "no_dry_run": "it checks that the variance is positive, and a dry run "
                                      "on meta has no values"},
    "CosineEmbeddingLoss": {"expects": "(N, D), (N, D) and a target (N,) of 1 and -1",
                            "no_dry_run": "its target has one dimension fewer than its "
                                          "inputs"},
    "AdaptiveLogSoftmaxWithLoss": {
        "expects": "(N, {in_features}) and integer targets (N,)",
        "outputs": ("output", "loss"),
        "no_dry_run": "its target is integer class indices",
        "args": {"cutoffs": {"example": (10, 50), "minimum": 1, "maximum": MAX_SIZE,
                             "help": "increasing cluster boundaries of the target classes"},
                 "div_value": {"minimum": 1.0,
                               "help": "exponent of the cluster sizes' shrinking"}}},
    "KLDivLoss": {"args": {"reduction": {"choices": (*_REDUCTION, "batchmean")}}},
    "LinearCrossEntropyLoss": {"expects": "(N, {in_features}) and integer targets (N,)",
                               "no_dry_run": "its target is integer class indices"},
}

_FAMILIES = (
    (r"(Lazy)?Conv(Transpose)?([123])d", "conv"),
    (r"(Max|Avg|LP|FractionalMax|AdaptiveMax|AdaptiveAvg)Pool([123])d", "pool"),
    (r"MaxUnpool([123])d", "unpool"),
    (r"(Reflection|Replication|Zero|Constant|Circular)Pad([123])d", "pad"),
    (r"(Lazy)?(Batch|Instance)Norm([123])d", "norm"),
    (r"Dropout([123])d", "dropout"),
    (r"Upsampling(Nearest|Bilinear)2d", "upsampling"),
    (r"(RNN|LSTM|GRU)", "recurrent"),
    (r"(RNN|LSTM|GRU)Cell", "cell"),
    (r".*Loss", "loss"),
)


def family(name: str) -> dict[str, Any]:
    """The refinements every layer of ``name``'s family shares (empty if none)."""
    for pattern, kind in _FAMILIES:
        match = re.fullmatch(pattern, name)
        if match:
            return _FAMILY_RULES[kind](match)
    return {}


def refinement(name: str) -> dict[str, Any]:
    """The family's refinements with the class's own on top (its ``args`` merged)."""
    merged = family(name)
    own = CLASSES.get(name, {})
    args = {key: dict(value) for key, value in merged.get("args", {}).items()}
    for key, value in own.get("args", {}).items():
        args[key] = {**args.get(key, {}), **value}
    return {**merged, **own, "args": args}


def _conv(match: re.Match[str]) -> dict[str, Any]:
    lazy, transpose, dims = bool(match[1]), bool(match[2]), int(match[3])
    checks: tuple[str, ...]
    if transpose:
        checks = ("divisible:out_channels/groups",) if lazy else (
            "divisible:in_channels/groups", "divisible:out_channels/groups")
    else:
        checks = ("lazy_conv",) if lazy else ("conv",)
    args: dict[str, Any] = {"kernel_size": {"help": "size of the convolving kernel"}}
    if not transpose:
        args["padding"] = {"help": "zeros added to each side, or 'same' / 'valid'",
                           "choices": ("same", "valid")}
    else:
        args["padding"] = {"help": "padding removed from each side of the output"}
        args["padding_mode"] = {"choices": ("zeros",),
                                "help": "what the padding is filled with (only zeros)"}
    if lazy:
        what = "transposed convolution" if transpose else "convolution"
        help_text = f"{dims}-D {what} whose input channels are inferred"
    elif transpose:
        help_text = f"{dims}-D transposed convolution (learned upsampling)"
    else:
        help_text = f"{dims}-D convolution over {_channels_first(dims)}"
    return {"category": "Convolution", "input_rank": dims + 2, "help": help_text,
            "expects": _channels_first(dims, "C" if lazy else "{in_channels}"),
            "checks": checks, "args": args}


def _pool(match: re.Match[str]) -> dict[str, Any]:
    kind, dims = match[1], int(match[2])
    args: dict[str, Any] = {
        "kernel_size": {"example": 2, "help": "size of the pooling window"},
        "stride": {"help": "step of the window; unset means kernel_size"},
        "padding": {"help": "implicit padding on each side"},
        "dilation": {"help": "spacing between window elements"},
    }
    if kind.startswith("Adaptive"):
        args["output_size"] = {"example": 1, "help": "size of the output"}
    if kind == "LP":
        args["norm_type"] = {"example": 2.0, "minimum": 1e-6, "help": "the p of the power "
                             "average (1 sums, infinity takes the maximum)"}
    if kind == "FractionalMax":
        args["output_size"] = {"help": "size of the output; set this or output_ratio"}
        args["output_ratio"] = {"help": "output size as a fraction of the input size"}
    return {"category": "Pooling", "input_rank": dims + 2, "expects": _channels_first(dims),
            "help": _POOL_HELP[kind].format(shape=_channels_first(dims)), "args": args}


_POOL_HELP = {
    "Max": "maximum over sliding windows of {shape}",
    "Avg": "average over sliding windows of {shape}",
    "LP": "power average over sliding windows of {shape}",
    "FractionalMax": "maximum over pseudo-random windows of {shape}",
    "AdaptiveMax": "max pooling to a fixed output size",
    "AdaptiveAvg": "average pooling to a fixed output size",
}


def _unpool(match: re.Match[str]) -> dict[str, Any]:
    dims = int(match[1])
    return {"category": "Pooling", "input_rank": dims + 2, "inputs": (2, 2),
            "help": f"partial inverse of MaxPool{dims}d: the maxima back in place, zeros "
                    "elsewhere",
            "expects": f"{_channels_first(dims)} and the indices MaxPool{dims}d returned",
            "no_dry_run": f"its second input is the indices a MaxPool{dims}d returns with "
                          "return_indices=True",
            "args": {"kernel_size": {"example": 2, "help": "size of the pooling window"},
                     "stride": {"help": "step of the window; unset means kernel_size"},
                     "padding": {"help": "padding the pooling added"}}}


def _pad(match: re.Match[str]) -> dict[str, Any]:
    dims = int(match[2])
    sides = ("left, right", "left, right, top, bottom",
             "left, right, top, bottom, front, back")[dims - 1]
    args: dict[str, Any] = {"padding": {"example": 1, "help": f"padding on each side: one "
                                        f"int, or ({sides})"}}
    if match[1] == "Constant":
        args["value"] = {"example": 0.0, "help": "the value the padding is filled with"}
    return {"category": "Padding", "input_rank": dims + 2, "expects": _channels_first(dims),
            "help": _PAD_HELP[match[1]].format(shape=_channels_first(dims)), "args": args}


_PAD_HELP = {
    "Reflection": "pad {shape} with the reflection of its border",
    "Replication": "pad {shape} with copies of its border values",
    "Zero": "pad {shape} with zeros",
    "Constant": "pad {shape} with a constant value",
    "Circular": "pad {shape} by wrapping around its opposite side",
}


def _norm(match: re.Match[str]) -> dict[str, Any]:
    lazy, kind, dims = bool(match[1]), match[2], int(match[3])
    channels = "C" if lazy else "{num_features}"
    if lazy:
        help_text = f"{kind}Norm{dims}d whose channel count is inferred"
    elif kind == "Batch":
        help_text = "normalize each channel over the batch"
    else:
        help_text = "normalize each channel of each sample on its own"
    return {"category": "Normalization", "input_rank": dims + 2, "help": help_text,
            "expects": _channels_first(dims, channels),
            "args": {"affine": {"help": "learnable per-channel scale and shift"},
                     "bias": {"help": "learnable shift (with affine)"}}}


def _dropout(match: re.Match[str]) -> dict[str, Any]:
    dims = int(match[1])
    return {"category": "Dropout", "input_rank": dims + 2, "expects": _channels_first(dims),
            "help": "zero whole channels at random while training",
            "args": {"p": {**_PROBABILITY, "help": "probability of zeroing a channel"}}}


def _upsampling(match: re.Match[str]) -> dict[str, Any]:
    return {"category": "Resampling", "input_rank": 4, "expects": "(N, C, H, W)",
            "args": {"size": {"length": 2, "help": "size of the output; set this or "
                                                   "scale_factor"},
                     "scale_factor": {"example": 2.0, "length": 2, "minimum": 0.0,
                                      "help": "multiplier of the input size; set this or "
                                              "size"}}}


def _recurrent(match: re.Match[str]) -> dict[str, Any]:
    return {"category": "Recurrent", "input_rank": 3,
            "expects": "(L, N, {input_size}), or (N, L, {input_size}) with batch_first"}


def _cell(match: re.Match[str]) -> dict[str, Any]:
    return {"category": "Recurrent", "input_rank": 2, "expects": "(N, {input_size})"}


def _loss(match: re.Match[str]) -> dict[str, Any]:
    return {"category": "Loss", "expects": "input and target of the same shape"}


_FAMILY_RULES = {
    "conv": _conv, "pool": _pool, "unpool": _unpool, "pad": _pad, "norm": _norm,
    "dropout": _dropout, "upsampling": _upsampling, "recurrent": _recurrent, "cell": _cell,
    "loss": _loss,
}
