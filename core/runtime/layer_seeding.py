"""Seeding a layer's random init so that its seed makes the same weights again, and the
generator and garbage-collector state a whole build runs under."""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# ``forked``: this thread's build has forked the CPU generator; ``plain_cpu``: torch's
# default device was the cpu then.
build_rng = threading.local()

draws = threading.RLock()
"""torch has one CPU generator for the whole process: a layer seeded on one thread must
draw its weights before another thread seeds the generator, draws from it or sets it back
(builds on workers, lazy layers sized, Initialize (default) redone on a worker). Held for
one layer at a time, so no thread waits for another's whole build."""


@contextmanager
def forked_rng() -> Iterator[None]:
    """The CPU generator as it was, once the layers made inside are made: forked once
    around a whole build instead of once a layer (each layer seeds it itself)."""
    if getattr(build_rng, "forked", False):
        yield
        return
    with draws:
        state = torch.get_rng_state()
    build_rng.forked = True
    build_rng.plain_cpu = torch.get_default_device().type == "cpu"
    try:
        yield
    finally:
        build_rng.forked = False
        with draws:
            torch.set_rng_state(state)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cycle collection during a build: its layers all live on, and each
    full collection walked them again (a third of a 10,000-layer build, growing with it).
    Where collection is already manual (the window collects on the GUI thread), nothing
    changes; nothing is collected here."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def seed_layer(seed: int, device: torch.device) -> None:
    """torch.manual_seed also queues a seed, with a stack trace, for every accelerator torch
    has not started: 0.6 ms a layer, 6 s of a 10,000-layer build. A layer made on the CPU
    draws from the CPU's generator alone."""
    if device.type == "cpu":
        torch.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)


def node_seed(seed: int, node_id: str) -> int:
    digest = hashlib.blake2b(f"{seed}/{node_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)
