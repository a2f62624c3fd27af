"""Long titles on node cards (issue 12): a zoomed-out card first shrinks its title's
font, then elides it; the tooltip always holds the whole title and detail."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetricsF

from core.document.edit import Rename
from widgets.canvas_scene import CanvasScene
from widgets.node_item import SMALLEST_PIXELS, SUMMARY_PIXELS, NodeItem, summary_title

WIDTH = 168.0  # a card's title box in scene units


@pytest.mark.parametrize("zoom", [0.45, 0.6])
@pytest.mark.parametrize("title", ["3 · LazyConv2d", "11 · MaxPool2d", "7 · LazyLinear"])
def test_a_usual_title_is_shown_whole_when_zoomed_out(qapp, zoom, title):
    font, text = summary_title(title, WIDTH, 39, zoom)
    assert text == title  # it was "3 · LazyCo…" at Fit's zoom
    assert font.pixelSize() * zoom >= SMALLEST_PIXELS - 1  # still readable on screen
    assert QFontMetricsF(font).horizontalAdvance(text) <= WIDTH + 1


def test_a_short_title_keeps_the_summary_size(qapp):
    font, text = summary_title("1 · ReLU", WIDTH, 39, 0.5)
    assert text == "1 · ReLU" and font.pixelSize() == round(SUMMARY_PIXELS / 0.5)


def test_a_very_long_title_is_elided_not_cut(qapp):
    title = "the_encoder_of_the_second_residual_stage · LazyConvTranspose2d"
    font, text = summary_title(title, WIDTH, 39, 0.5)
    assert text.endswith("…") and title.startswith(text[:-1])
    assert font.pixelSize() == round(SMALLEST_PIXELS / 0.5)


def test_the_tooltip_holds_the_whole_title(qapp, mlp):
    scene = CanvasScene(mlp)
    name = "the_encoder_of_the_second_residual_stage"
    mlp.execute(Rename("n1", name))
    scene.flush()
    scene.refresh_looks()
    item = scene.nodes["n1"]
    assert isinstance(item, NodeItem)
    assert item.look.tooltip.splitlines()[0].startswith(f"{name} · LazyLinear")
    assert "fully connected" in item.look.tooltip or "linear" in item.look.tooltip.lower()
    scene.detach()
