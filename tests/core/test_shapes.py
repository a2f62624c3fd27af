"""The dry run on meta: shapes per node, errors that name node and shapes, counts."""

import resource

from core import infer_shapes
from core.document.compose import Composer, chain
from core.document.graph import BLOCK, INPUT, OUTPUT, Document, Edge, Graph, InputSpec, Node


def test_a_layer_that_does_not_fit_names_itself_and_both_shapes():
    c = Composer()
    bad = c.layer("Linear", "hidden", in_features=10, out_features=5)
    document = c.document(c.layer("ReLU"), bad, c.layer("Tanh"), input_shape=(2, 20))
    report = infer_shapes(document)
    message = report.nodes[bad.id].error
    assert "hidden" in message and "Linear" in message
    assert "(*, 10)" in message and "(2, 20)" in message
    after = document.root.nodes[2].id
    assert report.nodes[after].waiting_for == bad.id
    assert report.nodes[document.root.nodes[0].id].output_shape == (2, 20)
    assert not report.ok


def test_a_branch_that_does_not_depend_on_the_error_still_gets_its_shape():
    c = Composer()
    good = c.layer("LazyLinear", out_features=7)
    bad = c.layer("Linear", in_features=3, out_features=7)
    join = c.layer("Add")
    document = c.document(good, bad, join)
    document.root.edges = [Edge(INPUT, good.id), Edge(INPUT, bad.id), Edge(good.id, join.id, 0),
                           Edge(bad.id, join.id, 1), Edge(join.id, OUTPUT)]
    report = infer_shapes(document)
    assert report.nodes[good.id].output_shape == (2, 7)
    assert report.nodes[good.id].parameters == 20 * 7 + 7
    assert report.nodes[bad.id].error
    assert report.nodes[join.id].waiting_for == bad.id


def test_input_shape_can_be_overridden():
    c = Composer()
    document = c.document(c.layer("LazyConv2d", out_channels=8, kernel_size=3),
                          c.layer("AdaptiveAvgPool2d", output_size=1), c.layer("Flatten"))
    report = infer_shapes(document, (4, 3, 32, 32))
    assert report.output_shape == (4, 8)
    assert report.parameters == 8 * 3 * 9 + 8


def test_bad_graphs_never_raise():
    cyclic = Document(root=Graph(nodes=[Node("n1", "ReLU"), Node("n2", "ReLU")],
                                 edges=[Edge("n1", "n2"), Edge("n2", "n1")]))
    assert "cycle" in infer_shapes(cyclic).error
    unknown = Document(root=Graph(nodes=[Node("n1", "Nope")], edges=[]))
    assert "Nope" in infer_shapes(unknown).error
    assert infer_shapes(Document(), (2, -1)).error
    unconnected = Document(root=Graph(nodes=[Node("n1", "ReLU")], edges=[]))
    report = infer_shapes(unconnected)
    assert report.error is None and report.output_shape is None
    assert report.nodes["n1"].waiting_for == INPUT


def test_a_merge_waits_until_it_has_two_inputs():
    c = Composer()
    add = c.layer("Add")
    document = c.document(add)
    assert infer_shapes(document).nodes[add.id].waiting_for == INPUT


def test_embedding_takes_integer_input():
    c = Composer()
    document = c.document(c.layer("Embedding", num_embeddings=100, embedding_dim=16),
                          input_shape=(2, 7), dtype="int64")
    assert infer_shapes(document).output_shape == (2, 7, 16)


def _seventy_billion():
    """80 blocks of 8192-wide layers (a 28672-wide MLP) and a head: over 70B parameters."""
    c = Composer()
    blocks = []
    for _ in range(80):
        blocks.append(c.block(
            c.layer("Linear", in_features=8192, out_features=8192 * 3),
            c.layer("Linear", in_features=8192 * 3, out_features=8192),
            c.layer("Linear", in_features=8192, out_features=28672),
            c.layer("GELU"),
            c.layer("Linear", in_features=28672, out_features=8192),
        ))
    head = c.layer("Linear", in_features=8192, out_features=32000)
    return Document(root=chain(*blocks, head), input=InputSpec((1, 8192)))


def test_seventy_billion_parameter_design_is_inferred_without_memory():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = infer_shapes(_seventy_billion())
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    per_block = (8192 * 24576 + 24576) + (24576 * 8192 + 8192) + (8192 * 28672 + 28672) \
        + (28672 * 8192 + 8192)
    assert report.ok
    assert report.parameters == 80 * per_block + 8192 * 32000 + 32000 > 70e9
    assert report.output_shape == (1, 32000)
    assert grown_mb < 200


def test_nested_blocks_report_inner_shapes():
    c = Composer()
    inner = c.block(c.layer("LazyLinear", out_features=4), c.layer("ReLU"), name="inner")
    document = c.document(inner, c.layer("LazyLinear", out_features=2))
    report = infer_shapes(document)
    assert report.nodes[inner.id].output_shape == (2, 4)
    assert report.nodes[inner.graph.nodes[0].id].output_shape == (2, 4)
    assert report.nodes[inner.id].parameters == 20 * 4 + 4
    assert inner.type == BLOCK
