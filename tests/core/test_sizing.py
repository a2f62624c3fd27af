"""The sizes a layer takes from its input (issue 12), and the fix of a layer in error."""

from core.catalog.sizing import describe_fix, fix_for, sized_arguments, sizes_for_input


def test_sizes_follow_the_incoming_shape():
    assert sizes_for_input("Linear", (2, 64)) == {"in_features": 64}
    assert sizes_for_input("Conv2d", (1, 6, 14, 14)) == {"in_channels": 6}
    assert sizes_for_input("Conv2d", (6, 14, 14)) == {"in_channels": 6}  # unbatched
    assert sizes_for_input("BatchNorm1d", (2, 64)) == {"num_features": 64}
    assert sizes_for_input("LayerNorm", (2, 10, 32)) == {"normalized_shape": (32,)}
    assert sizes_for_input("GroupNorm", (1, 6, 4, 4)) == {"num_channels": 6, "num_groups": 2}
    assert sizes_for_input("MultiheadAttention", (2, 10, 30)) == {"embed_dim": 30,
                                                                  "num_heads": 2}
    assert sizes_for_input("LSTM", (2, 7, 12)) == {"input_size": 12}


def test_nothing_follows_from_no_shape_a_tuple_or_a_layer_without_sizes():
    assert sizes_for_input("ReLU", (2, 3)) == {}
    assert sizes_for_input("Linear", ((2, 3), (2, 3))) == {}
    assert sizes_for_input("Linear", None) == {}
    assert sizes_for_input("NoSuchLayer", (2, 3)) == {}
    assert sized_arguments("Linear", None, {"out_features": 5}) == {"out_features": 5}


def test_the_fix_names_what_changes():
    assert fix_for("Linear", {"in_features": 20, "out_features": 10}, (2, 64)) == \
        {"in_features": 64}
    assert fix_for("Linear", {"in_features": 64}, (2, 64)) == {}
    assert describe_fix({"in_features": 64}) == "set in_features to 64"
    assert describe_fix({"normalized_shape": (32,)}) == "set normalized_shape to [32]"
