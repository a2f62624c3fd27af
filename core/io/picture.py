"""How large a picture of the canvas may be.

A canvas may span up to ±`MAX_COORDINATE` scene units; drawn at the usual two pixels a
unit it would need gigabytes. `fit_picture` scales such a picture down to what a viewer
opens and a disk holds, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import TorchCanvasError

MAX_SIDE = 16_384  # pixels (or SVG units) along either side
MAX_PIXELS = 64 << 20  # 64 Mpx: 256 MB as 32-bit ARGB


@dataclass(frozen=True)
class PictureSize:
    """The picture to draw: ``width`` × ``height`` at ``scale`` pixels per scene unit.
    ``note`` says, when it is not empty, that it was scaled down and by how much."""

    width: int
    height: int
    scale: float
    note: str = ""


def fit_picture(width: float, height: float, scale: float = 2.0) -> PictureSize:
    """The size of a picture of a ``width`` × ``height`` scene rectangle at ``scale``,
    scaled down until it has at most `MAX_SIDE` pixels a side and `MAX_PIXELS` in all."""
    if not (math.isfinite(width) and math.isfinite(height) and math.isfinite(scale)) or \
            width <= 0 or height <= 0 or scale <= 0:
        raise TorchCanvasError(f"cannot draw a picture of {width} × {height} scene units")
    fitted = min(scale, MAX_SIDE / width, MAX_SIDE / height,
                 math.sqrt(MAX_PIXELS / (width * height)))
    size = PictureSize(max(1, math.floor(width * fitted)), max(1, math.floor(height * fitted)),
                       fitted)
    if fitted < scale:
        note = (f"the canvas is {width:,.0f} × {height:,.0f} units, too large to draw at the "
                f"usual size: the picture is scaled down to {size.width:,} × "
                f"{size.height:,} (×{fitted / scale:.3g})")
        size = PictureSize(size.width, size.height, fitted, note)
    return size


MAX_VECTOR_SIDE = 200_000  # SVG units, drawn one to one


def check_vector_picture(width: float, height: float) -> None:
    """Raise `TorchCanvasError` unless a ``width`` × ``height`` scene rectangle can be
    written as an SVG at full size (the writer cannot scale it down yet; a PNG is)."""
    if not (math.isfinite(width) and math.isfinite(height)) or \
            max(width, height) > MAX_VECTOR_SIDE:
        raise TorchCanvasError(f"the canvas is {width:,.0f} × {height:,.0f} units, more than "
                               f"an SVG can hold ({MAX_VECTOR_SIDE:,} a side): export a .png, "
                               "which is scaled down to fit")
