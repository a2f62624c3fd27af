"""The summary from the dry run alone (a network of Linear layers and layers without
parameters) equals, row for row and in its totals, the summary that builds the network
on meta and counts a forward pass with torch.utils.flop_counter."""

from __future__ import annotations

import pytest

from core.catalog.templates import load_template
from core.document.compose import Composer
from core.document.graph import INPUT, OUTPUT, Edge
from core.runtime import summary as summaries


def _mlp():
    return load_template("mlp")


def _wide_chain():
    c = Composer()
    layers = [c.layer("LazyLinear", out_features=12), c.layer("GELU"), c.layer("Dropout", p=0.1),
              c.layer("Linear", in_features=12, out_features=8, bias=False),
              c.layer("Softmax", dim=-1)]
    return c.document(*layers, input_shape=(3, 5, 7))


def _branches():
    c = Composer()
    left = c.layer("Linear", in_features=20, out_features=6)
    right = c.layer("LazyLinear", out_features=6)
    join = c.layer("Add")
    cat = c.layer("Concat", dim=-1)
    document = c.document(left, right, join, cat)
    document.root.edges = [Edge(INPUT, left.id), Edge(INPUT, right.id),
                           Edge(left.id, join.id, 0), Edge(right.id, join.id, 1),
                           Edge(join.id, cat.id, 0), Edge(left.id, cat.id, 1),
                           Edge(cat.id, OUTPUT)]
    return document


def _one_dimensional():
    c = Composer()
    return c.document(c.layer("Linear", in_features=5, out_features=3), c.layer("ReLU"),
                      input_shape=(5,))


def _small_cnn():
    return load_template("small-cnn")


def _convolutions():
    c = Composer()
    return c.document(
        c.layer("Conv2d", in_channels=3, out_channels=8, kernel_size=3, padding=1),
        c.layer("BatchNorm2d", num_features=8), c.layer("ReLU"),
        c.layer("MaxPool2d", kernel_size=2),
        c.layer("LazyConv2d", out_channels=8, kernel_size=(3, 1), groups=4, bias=False),
        c.layer("GroupNorm", num_groups=2, num_channels=8),
        c.layer("Conv2d", in_channels=8, out_channels=4, kernel_size=2, padding="same",
                dilation=2),
        c.layer("LazyBatchNorm2d"), c.layer("Identity"),
        input_shape=(2, 3, 12, 10))


def _sequences():
    c = Composer()
    return c.document(
        c.layer("Conv1d", in_channels=4, out_channels=6, kernel_size=3, stride=2),
        c.layer("LayerNorm", normalized_shape=(5,)), c.layer("RMSNorm", normalized_shape=(5,)),
        c.layer("LazyBatchNorm1d"), c.layer("Linear", in_features=5, out_features=3),
        input_shape=(2, 4, 11))


def _volumes():
    c = Composer()
    return c.document(c.layer("LazyConv3d", out_channels=2, kernel_size=2),
                      c.layer("BatchNorm3d", num_features=2), c.layer("MaxPool3d", kernel_size=2),
                      input_shape=(1, 3, 5, 6, 7))


@pytest.mark.parametrize("make", [_mlp, _wide_chain, _branches, _one_dimensional, _small_cnn,
                                  _convolutions, _sequences, _volumes])
def test_the_summary_by_rules_equals_the_counted_one(make, monkeypatch):
    document = make()
    assert summaries._by_rules(document, summaries.infer_shapes(document),
                               summaries.ModelSummary())
    quick = summaries.model_summary(make())
    assert quick.macs and quick.rows and quick.error is None
    monkeypatch.setattr(summaries, "_by_rules", lambda *_: False)
    counted = summaries.model_summary(make())
    assert quick == counted


def test_a_network_with_other_layers_is_counted_by_torch(monkeypatch):
    c = Composer()
    document = c.document(c.layer("Linear", in_features=20, out_features=8),
                          c.layer("PReLU"))
    assert not summaries._by_rules(document, summaries.infer_shapes(document),
                                   summaries.ModelSummary())
    assert summaries.model_summary(document).macs == 2 * 20 * 8
