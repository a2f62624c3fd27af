"""Titles on node cards (issue 12, then the look at an imported ResNet): a zoomed-out
card shows its name above its kind, every card at one size for the zoom (titles that
shrank one by one to fit made neighbours differ), each line elided on its own; the
tooltip always holds the whole title and detail."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetricsF

from core.document.edit import Rename
from widgets.canvas_scene import CanvasScene
from widgets.node_item import SMALLEST_PIXELS, SUMMARY_PIXELS, NodeItem, summary_title

WIDTH = 168.0  # a card's title box in scene units
HEIGHT = 62.0
TITLES = ["1 · ReLU", "3 · LazyConv2d", "bn1 · BatchNorm2d", "▸ layer1 · Sequential",
          "avgpool · AdaptiveAvgPool2d", "Add",
          "the_encoder_of_the_second_residual_stage · LazyConvTranspose2d"]


@pytest.mark.parametrize("zoom", [0.2, 0.45, 0.6])
def test_every_title_at_a_zoom_has_one_size_that_reads(qapp, zoom):
    sizes = {summary_title(title, WIDTH, HEIGHT, zoom)[0].pixelSize() for title in TITLES}
    assert len(sizes) == 1
    (size,) = sizes
    assert size * zoom <= SUMMARY_PIXELS + 0.5
    if zoom >= 0.45:  # Fit's least zoom: as large as the summary size or two lines allow
        assert size * zoom >= 10


@pytest.mark.parametrize("zoom", [0.45, 0.6])
@pytest.mark.parametrize("title", ["3 · LazyConv2d", "11 · MaxPool2d", "maxpool · MaxPool2d",
                                   "▸ layer1 · Sequential"])
def test_a_usual_title_is_shown_whole_as_name_above_kind(qapp, zoom, title):
    font, text = summary_title(title, WIDTH, HEIGHT, zoom)
    assert text == title.replace(" · ", "\n")  # it was "3 · LazyCo…" at Fit's zoom
    metrics = QFontMetricsF(font)
    assert all(metrics.horizontalAdvance(line) <= WIDTH + 1 for line in text.splitlines())
    assert 2 * metrics.lineSpacing() <= HEIGHT + 1  # both lines inside the card


def test_far_out_a_card_shows_one_larger_line(qapp):
    font, text = summary_title("conv1 · Conv2d", WIDTH, HEIGHT, 0.3)
    assert text == "conv1" and font.pixelSize() * 0.3 >= SMALLEST_PIXELS
    assert summary_title("3 · Linear", WIDTH, HEIGHT, 0.3)[1] == "Linear"  # not "3"
    assert summary_title("Add", WIDTH, HEIGHT, 0.3) == (font, "Add")


def test_a_very_long_title_is_elided_line_by_line(qapp):
    name, kind = "the_encoder_of_the_second_residual_stage", "LazyConvTranspose2d"
    _, text = summary_title(f"{name} · {kind}", WIDTH, HEIGHT, 0.5)
    top, bottom = text.splitlines()
    assert top.endswith("…") and name.startswith(top[:-1])
    assert bottom == kind or (bottom.endswith("…") and kind.startswith(bottom[:-1]))


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
