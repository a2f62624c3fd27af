"""A live build forks the CPU generator once around all its layers and pauses automatic
cycle collection while it runs: each layer is still the one its own seed makes, and the
generator and the collector are left as they were."""

import gc

import pytest
import torch

from core.document.compose import Composer
from core.runtime.build import new_layer
from core.runtime.layer_seeding import node_seed
from core.runtime.live import LiveModel
from core.runtime.shapes import infer_shapes


def document():
    c = Composer()
    layers = []
    for i in range(6):
        layers += [c.layer("Linear", in_features=8 + i, out_features=9 + i), c.layer("ReLU")]
    layers.append(c.layer("BatchNorm1d", num_features=14))
    result = c.document(*layers, input_shape=(3, 8))
    result.seed = 7
    return result


def alone(node, seed):
    """The layer as one made by itself from its seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(node_seed(seed, node.id))
        return new_layer(node)


@pytest.mark.parametrize("collecting", [True, False])
def test_each_layer_is_its_seeds_and_the_generator_and_collector_are_left_alone(collecting):
    net = document()
    torch.manual_seed(123)
    expected_next = torch.rand(4)
    torch.manual_seed(123)
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        live = LiveModel()
        assert live.sync(net, infer_shapes(net))
        assert gc.isenabled() == collecting
    finally:
        (gc.enable if was else gc.disable)()
    assert torch.equal(torch.rand(4), expected_next)
    for index, node in enumerate(net.root.nodes):
        made = alone(node, net.seed).state_dict()
        held = live.module[index].state_dict()
        assert list(held) == list(made)
        assert all(torch.equal(held[k], made[k]) for k in made), node.id


def test_layers_made_on_a_worker_are_those_sync_makes():
    net = document()
    report = infer_shapes(net)
    worker = LiveModel()
    made = worker.missing_layers(net, report).make()
    assert len(made) == len(net.root.nodes)
    synced = LiveModel()
    synced.sync(net, report)
    for node, module in made:
        index = [n.id for n in net.root.nodes].index(node.id)
        theirs = synced.module[index].state_dict()
        assert all(torch.equal(module.state_dict()[k], theirs[k]) for k in theirs)


def chain(count: int, seed: int):
    c = Composer()
    result = c.document(*[c.layer("Linear", in_features=64, out_features=64)
                          for _ in range(count)], input_shape=(2, 64))
    result.seed = seed
    return result


def test_builds_on_two_threads_at_once_each_make_the_weights_of_their_own_seeds():
    """torch has one CPU generator: a worker building (a project opening) while the GUI
    thread builds must not draw between the other's seed and its draws."""
    import sys
    import threading

    def weights(d):
        live = LiveModel()
        live.sync(d, infer_shapes(d))
        return {name: t.clone() for name, t in live.module.state_dict().items()}

    small, big = chain(20, 1), chain(1500, 2)
    expected = weights(small)
    stop = threading.Event()

    def keep_building() -> None:
        while not stop.is_set():
            weights(big)

    worker = threading.Thread(target=keep_building)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # as the window sets it
    worker.start()
    try:
        builds = [weights(small) for _ in range(20)]
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(interval)
    differing = sum(any(not torch.equal(b[k], expected[k]) for k in expected) for b in builds)
    assert differing == 0, f"{differing} of 20 builds drew another thread's numbers"
