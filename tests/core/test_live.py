"""The live model follows the document and keeps weights across unrelated edits."""

import numpy as np
import pytest
import torch

from core.catalog.templates import load_template
from core.document.edit import AddNode, RemoveNodes, SetArgument
from core.document.graph import ROOT, Node
from core.document.history import History
from core.runtime.live import LiveModel, TensorRef
from core.runtime.shapes import infer_shapes
from core.runtime.tensors import (
    SetTensorValue,
    backward_once,
    clear_gradients,
    histogram,
    parameter_rows,
)


def synced(document, live=None):
    live = live or LiveModel()
    live.sync(document)
    live.materialize(document, infer_shapes(document))
    return live


def test_lazy_parameters_are_sized_by_the_dry_run():
    document = load_template("mlp")
    live = LiveModel()
    live.sync(document)
    assert all(row.lazy for row in parameter_rows(live, document))
    live.materialize(document, infer_shapes(document))
    shapes = {row.qualified: row.shape for row in parameter_rows(live, document)}
    assert shapes == {"hidden.weight": (256, 20), "hidden.bias": (256,),
                      "out.weight": (10, 256), "out.bias": (10,)}


def test_weights_survive_an_unrelated_edit_and_come_back_after_undo():
    document = load_template("sequential-mlp")
    live = synced(document)
    first = document.root.nodes[0].id
    weight = live.built.modules[first].weight.detach().clone()

    def current():
        return live.built.modules[first].weight

    history = History(document)
    history.push(AddNode(ROOT, Node("n9", "ReLU")))
    synced(document, live)
    assert torch.equal(current(), weight)
    history.push(RemoveNodes([first]))
    synced(document, live)
    history.undo()
    synced(document, live)
    assert torch.equal(current(), weight)
    history.push(SetArgument(first, "out_features", 128))
    synced(document, live)
    assert current().shape == (128, 20)
    history.undo()
    synced(document, live)
    assert torch.equal(current(), weight)


def test_parameter_rows_name_tied_tensors_both_ways():
    document = load_template("shared-parameters")
    live = synced(document)
    rows = {row.qualified: row for row in parameter_rows(live, document)}
    assert rows["2.weight"].shared_with == ["4.weight"]
    assert rows["4.weight"].shared_with == ["2.weight"]
    assert rows["2.weight"].ref == rows["4.weight"].ref
    assert rows["4.weight"].node_ids == [document.root.nodes[4].id]
    fixed = load_template("fixed-hidden-mlp")
    fixed_rows = {r.qualified: r for r in parameter_rows(synced(fixed), fixed)}
    assert fixed_rows["rand_weight.weight"].kind == "buffer"
    # The second use of `linear` has no attribute of its own: its tensors are linear's.
    owner, twin = fixed.root.nodes[0].id, fixed.root.nodes[3].id
    assert fixed_rows["linear.weight"].node_ids == [owner, twin]


def test_an_edit_to_a_shared_weight_shows_in_both_places_and_undoes():
    document = load_template("shared-parameters")
    live = synced(document)
    owner = document.root.nodes[2].id
    history = History(document)
    before = live.module[4].weight[0, 0].item()
    history.push(SetTensorValue(live, TensorRef(owner, "weight"), (0, 0), 100.0))
    assert live.module[2].weight[0, 0] == 100 and live.module[4].weight[0, 0] == 100
    history.undo()
    assert live.module[4].weight[0, 0].item() == before


def test_gradients_appear_after_one_backward_and_clear_again():
    document = load_template("parameter-access")
    live = synced(document)
    assert {row.grad for row in parameter_rows(live, document)} == {"none"}
    backward_once(live, document)
    assert {row.grad for row in parameter_rows(live, document)} == {"present"}
    clear_gradients(live)
    assert live.module[2].weight.grad is None


def test_histogram_bins_match_numpy():
    data = torch.randn(100_000)
    bins = histogram(data, bins=50)
    counts, _ = np.histogram(data.numpy(), bins=50, range=(data.min().item(),
                                                            data.max().item()))
    assert bins.total == 100_000
    assert np.abs(bins.counts - counts).max() <= 2



def test_a_design_too_large_for_the_machine_is_refused_before_allocating():
    from core.document.compose import Composer

    c = Composer()
    document = c.document(c.layer("Linear", in_features=1 << 20, out_features=1 << 20),
                          input_shape=(1, 1 << 20))
    assert infer_shapes(document).parameters > 10**12  # the dry run is free
    live = LiveModel()
    assert live.sync(document) is False
    assert "GiB" in live.error and "nothing was allocated" in live.error
    assert live.module is None


def test_layers_made_elsewhere_equal_those_made_inline_and_only_missing_ones_are_made():
    from core.catalog.templates import load_template
    from core.document.edit import SetArgument
    from core.runtime.shapes import infer_shapes
    from core.workspace import Workspace

    inline = Workspace(load_template("mlp-dropout-batchnorm"))
    workspace = Workspace(load_template("mlp-dropout-batchnorm"))
    report = infer_shapes(workspace.document)
    build = workspace.layers_to_build(report, workspace.revision)
    layers = [n.id for _, n in workspace.document.walk() if n.graph is None]
    assert build is not None and [n.id for n in build.nodes] == layers
    made = build.make()
    assert workspace.adopt_report(report, workspace.revision, made=made)
    ours, theirs = workspace.live.module.state_dict(), inline.live.module.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    assert workspace.layers_to_build(report, workspace.revision) is None  # in step
    linear = next(n for n in workspace.document.root.nodes if n.type == "LazyLinear")
    workspace.execute(SetArgument(linear.id, "out_features", 7))
    report = infer_shapes(workspace.document)
    build = workspace.layers_to_build(report, workspace.revision)
    made_for = {n.id: n for n in build.nodes}
    assert made_for[linear.id].args["out_features"] == 7
    assert len(made_for) < len(layers)  # the unchanged ones are kept
    workspace.execute(SetArgument(linear.id, "out_features", 9))  # while a worker makes it
    made = build.make()
    assert not workspace.adopt_report(report, workspace.revision - 1, made=made)
    assert workspace.live.module.state_dict()["1.weight"].shape[0] == 9


def test_layers_made_for_a_document_since_replaced_stay_out_of_the_new_ones_cache():
    """A build that ends after another document was opened: its layers were made from the
    old document's seed, and must not be taken as made from the new one's."""
    from core.catalog.templates import load_template
    from core.runtime.shapes import infer_shapes
    from core.workspace import Workspace

    first, second = load_template("mlp"), load_template("mlp")
    first.seed, second.seed = 1, 2
    workspace = Workspace(first)
    report = infer_shapes(workspace.document)
    build = workspace.layers_to_build(report, workspace.revision)
    old_revision = workspace.revision
    workspace.replace(second)  # opened while the worker builds the first
    made = build.make()
    assert not workspace.adopt_report(report, old_revision, made=made)
    workspace.adopt_report(infer_shapes(workspace.document), workspace.revision)
    expected = Workspace(load_template("mlp"))
    expected.document.seed = 2
    expected.adopt_report(infer_shapes(expected.document), expected.revision)
    ours = workspace.live.module.state_dict()
    theirs = expected.live.module.state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_a_cancelled_build_makes_nothing():
    from core.catalog.templates import load_template
    from core.runtime.live import BuildCancelled
    from core.runtime.shapes import infer_shapes
    from core.workspace import Workspace

    workspace = Workspace(load_template("mlp"))
    report = infer_shapes(workspace.document)
    build = workspace.layers_to_build(report, workspace.revision)
    steps = []
    with pytest.raises(BuildCancelled):
        build.make(cancelled=lambda: len(steps) == 1, progress=steps.append)
    assert steps == [1]


@pytest.fixture
def small_budget(monkeypatch):
    monkeypatch.setenv("TORCHCANVAS_MEMORY_BUDGET", str(32 << 20))  # 32 MiB


def big_input_design(layer: str = "LazyLinear", **args):
    from core.document.compose import Composer, chain
    from core.document.graph import Document, InputSpec

    c = Composer()
    return Document(root=chain(c.layer(layer, out_features=4, **args)),
                    input=InputSpec((4096, 4096)))


def test_sizing_lazy_layers_counts_the_sample_not_only_the_weights(small_budget):
    from core.workspace import Workspace

    workspace = Workspace(big_input_design())  # 64 MiB of input for 64 KiB of weights
    live = workspace.live
    assert "sizing its lazy layers needs" in live.error and "(4096, 4096)" in live.error
    weight = live.module.state_dict(keep_vars=True)["0.weight"]
    assert isinstance(weight, torch.nn.parameter.UninitializedParameter)  # left lazy


def test_running_a_sample_counts_its_activations(small_budget):
    from core.errors import BuildError
    from core.runtime.stepper import step_through
    from core.runtime.tensors import backward_once, sample_input
    from core.workspace import Workspace

    workspace = Workspace(big_input_design("Linear", in_features=4096))
    live = workspace.live
    assert live.error is None and live.module is not None  # 64 KiB of weights fit
    with pytest.raises(BuildError, match="a forward pass needs"):
        backward_once(live, workspace.document)
    with pytest.raises(BuildError, match="a forward pass needs"):
        step_through(live, workspace.document, torch.zeros(1))
    with pytest.raises(BuildError, match="the sample input needs"):
        sample_input(workspace.document, live.device)
