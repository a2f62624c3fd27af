"""Colours, sizes and fonts shared by the canvas and the panels."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont

NODE_WIDTH = 190.0
NODE_HEIGHT = 66.0
PORT_RADIUS = 5.0
BOUNDARY_WIDTH = 150.0
BOUNDARY_HEIGHT = 30.0
FRAME_MARGIN = 26.0
FRAME_HEADER = 30.0
FRAME_MIN_WIDTH = 330.0

BACKGROUND = QColor("#f6f7f9")
GRID = QColor("#e8eaee")
NODE_FILL = QColor("#ffffff")
NODE_BORDER = QColor("#9aa3af")
TEXT = QColor("#1f2328")
MUTED = QColor("#5c6370")
SELECTED = QColor("#2563eb")
ERROR = QColor("#c62828")
ERROR_FILL = QColor("#fdecec")
TWIN = QColor("#7c3aed")
EDGE = QColor("#6b7280")
EDGE_LABEL = QColor("#374151")
FRAME_FILL = QColor(37, 99, 235, 14)
FRAME_BORDER = QColor("#94a3b8")
BOUNDARY_FILL = QColor("#eef2f7")
PROBE = QColor("#0f766e")

CATEGORY_COLORS = {
    "Linear": QColor("#3b82f6"),
    "Convolution": QColor("#0ea5e9"),
    "Pooling": QColor("#14b8a6"),
    "Normalization": QColor("#a855f7"),
    "Dropout": QColor("#64748b"),
    "Shape": QColor("#78716c"),
    "Embedding": QColor("#f59e0b"),
    "Activation": QColor("#22c55e"),
    "Merge": QColor("#ef4444"),
    "Chapter layers": QColor("#ec4899"),
    "Block": QColor("#334155"),
}


def category_color(category: str) -> QColor:
    return CATEGORY_COLORS.get(category, QColor("#6b7280"))


def font(point_size: float = 9.0, bold: bool = False) -> QFont:
    result = QFont()
    result.setPointSizeF(point_size)
    result.setBold(bold)
    return result
