"""The catalog: enough layers, typed schemas, and values checked as torch would."""

import pytest
import torch

from core.catalog.registry import CATALOG, CATEGORIES, spec_for
from core.errors import ArgumentError, UnknownLayerError

REQUIRED = {
    "Linear", "LazyLinear", "Conv1d", "Conv2d", "LazyConv1d", "LazyConv2d", "ConvTranspose2d",
    "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LayerNorm", "GroupNorm", "Dropout", "Flatten",
    "Unflatten", "Embedding", "Identity", "ReLU", "LeakyReLU", "GELU", "SiLU", "Sigmoid",
    "Tanh", "Softmax", "LogSoftmax", "CenteredLayer", "MyLinear", "FixedHiddenLinear",
    "HalveUntilL1", "Sum", "Add", "Concat", "Multiply",
}


def test_catalog_has_every_required_layer_and_all_of_torch_nn():
    assert set(CATALOG) >= REQUIRED
    assert len(CATALOG) > 100
    assert "Chapter layers" in CATEGORIES and "Loss" in CATEGORIES


def test_every_entry_has_a_typed_schema_and_builds_with_defaults():
    # One loop rather than a test per entry: the suite collects garbage after every test,
    # and the catalog has over a hundred and fifty entries.
    for name, spec in CATALOG.items():
        assert spec.help and spec.category, name
        for arg in spec.args:
            assert arg.help, f"{name}.{arg.name} has no help"
            assert arg.kind in ("int", "float", "bool", "choice", "size", "shape", "padding",
                                "index", "sizes")
        args = spec.validate_args({})
        with torch.device("meta"):  # the full-size Transformer is a few hundred MB
            assert isinstance(spec.create(args), torch.nn.Module), name


def test_values_stay_typed_and_out_of_range_values_are_refused():
    linear = spec_for("Linear")
    assert linear.validate_args({"in_features": 4096, "out_features": 4096})["in_features"] == 4096
    for bad in ("256", 2.5, True, 0, -1, None):
        with pytest.raises(ArgumentError, match="in_features"):
            linear.validate_args({"in_features": bad})
    assert spec_for("Flatten").validate_args({"end_dim": -1})["end_dim"] == -1
    assert spec_for("LayerNorm").validate_args({"eps": 1e-5})["eps"] == 1e-5
    assert spec_for("BatchNorm1d").validate_args({"momentum": None})["momentum"] is None
    assert spec_for("Conv2d").validate_args({"kernel_size": [3, 5]})["kernel_size"] == (3, 5)
    assert spec_for("Conv2d").validate_args({"padding": "same"})["padding"] == "same"
    with pytest.raises(ArgumentError, match="is not one of"):
        spec_for("GELU").validate_args({"approximate": "fast"})
    with pytest.raises(ArgumentError, match="has no argument"):
        spec_for("ReLU").validate_args({"inplace": True})


def test_cross_argument_rules_are_explained():
    with pytest.raises(ArgumentError, match="divisible"):
        spec_for("GroupNorm").validate_args({"num_groups": 3, "num_channels": 16})
    with pytest.raises(ArgumentError, match="stride"):
        spec_for("Conv2d").validate_args({"padding": "same", "stride": 2})
    with pytest.raises(ArgumentError, match="Embedding refuses"):
        spec_for("Embedding").validate_args({"num_embeddings": 10, "padding_idx": 50})


def test_unknown_type():
    with pytest.raises(UnknownLayerError, match="Blah"):
        spec_for("Blah")
