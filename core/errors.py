"""Typed errors. Each carries a one-line message that names the place that is wrong."""

from __future__ import annotations


class TorchCanvasError(Exception):
    """Base of every error TorchCanvas raises on purpose."""


class DocumentError(TorchCanvasError):
    """A document (or a file holding one) is not valid.

    ``where`` names the place, e.g. ``graph.nodes[2].args.out_features``.
    """

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InvalidFormatError(DocumentError):
    """The file is not a TorchCanvas document, or a field has the wrong form."""


class UnsupportedVersionError(DocumentError):
    """The file was written by a format version this program does not read."""


class UnknownLayerError(DocumentError):
    """A node names a layer type the catalog does not have."""


class ArgumentError(DocumentError):
    """A layer argument has the wrong type or a value the layer would reject."""


class DanglingEdgeError(DocumentError):
    """An edge names a node that is not in its graph."""


class CycleError(DocumentError):
    """The edges of a graph form a cycle, so there is no order to run it in."""


class PortError(DocumentError):
    """A node has too few or too many inputs, or two edges feed one port."""


class SharingError(DocumentError):
    """A shared node points at a node that cannot be its owner."""


class InvalidNameError(DocumentError):
    """A node or class name that the built module or the generated Python cannot use as
    written (a keyword, a name nn.Module already has, one Python would fold into
    another)."""


class PositionError(DocumentError):
    """A node position that is not a finite point within the canvas's bounds."""


class EditError(TorchCanvasError):
    """An edit that cannot be made; the document is left as it was."""


class BuildError(TorchCanvasError):
    """The document cannot be turned into a module (e.g. nothing reaches the output)."""
