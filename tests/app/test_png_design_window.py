"""Export Image writes a PNG that opens as the network it shows (issue 12)."""

from core.io.files import document_to_dict
from tests.app.driver import trigger


def test_an_exported_picture_opens_as_the_network(make_window, tmp_path):
    window = make_window("residual-block")
    before = document_to_dict(window.workspace.document)
    path = tmp_path / "residual.png"
    assert window.files.export_image(path)
    trigger(window, "new")
    assert window.open_path(path)
    assert document_to_dict(window.workspace.document) == before
