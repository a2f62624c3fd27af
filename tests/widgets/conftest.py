"""Fixtures for testing one widget at a time against a bare `Workspace`."""

from __future__ import annotations

import logging

import pytest

from core.catalog.templates import load_template
from core.workspace import Workspace


@pytest.fixture(autouse=True)
def listeners_never_fail(caplog):
    """A document event swallows a failing listener (it is logged and the edit stands);
    a view's listener failing is still a failed test here."""
    caplog.set_level(logging.ERROR, logger="torchcanvas")
    yield
    failures = [r for when in ("setup", "call") for r in caplog.get_records(when)
                if r.name.startswith("torchcanvas") and r.levelno >= logging.ERROR]
    formatter = logging.Formatter()
    assert not failures, "\n".join(formatter.format(r) for r in failures)


@pytest.fixture
def mlp() -> Workspace:
    """The chapter's MLP: n1 LazyLinear "hidden" (256), n2 ReLU, n3 LazyLinear "out" (10)."""
    return Workspace(load_template("mlp"))

