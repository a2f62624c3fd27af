"""Your own layers in the window: written, checked, added, used; untrusted code never runs."""

import zipfile

from core.catalog.custom import CENTERED_LAYER
from core.document.compose import Composer
from core.document.graph import Node
from core.io.files import document_to_json
from tests.app.driver import drop_on_edge, select, trigger
from tests.app.test_inspection import ready

BROKEN = ("class Broken(nn.Module):\n    def forward(self, x):\n"
          "        return x @ torch.ones(3, 3)\n")


def test_a_layer_written_in_the_editor_joins_the_palette_and_the_network(qtbot, make_window):
    window = make_window("sequential-mlp")
    ready(qtbot, window)
    editor = window.do_new_layer()
    qtbot.addWidget(editor)
    editor.code.setPlainText(BROKEN)
    editor.add.click()
    assert "does not run" in editor.result.text()
    assert "Broken" not in window.workspace.document.custom_layers
    editor.code.setPlainText(CENTERED_LAYER.replace("MyCenteredLayer", "MyCentered"))
    editor.add.click()
    assert "MyCentered" in window.palette.visible_types()
    document = window.workspace.document
    last = document.root.nodes[-1].id
    node = drop_on_edge(window, "MyCentered", last, "output")
    ready(qtbot, window)
    assert document.node(node).type == "MyCentered"
    assert "class MyCentered(nn.Module):" in __import__("core.io.codegen", fromlist=["x"]) \
        .to_python(document)
    out = window.workspace.live.module(__import__("torch").rand(2, 20))
    assert abs(out.mean().item()) < 1e-6
    select(window, node)
    trigger(window, "undo")  # the drop
    trigger(window, "undo")  # the layer's code
    assert "MyCentered" not in document.custom_layers


def _evil_project(tmp_path, marker):
    source = (f"import pathlib\npathlib.Path(r'{marker}').write_text('ran')\n\n\n"
              "class Evil(nn.Module):\n    def forward(self, x):\n        return x\n")
    c = Composer()
    document = c.document(c.layer("ReLU"))
    document.root.nodes.append(Node("n9", "Evil"))
    document.custom_layers["Evil"] = source
    path = tmp_path / "evil.tcanvas"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("graph.json", document_to_json(document))
    return path


def test_an_untrusted_project_opens_read_only_and_runs_nothing(qtbot, make_window, tmp_path,
                                                             monkeypatch):
    marker = tmp_path / "code-ran"
    path = _evil_project(tmp_path, marker)
    window = make_window("mlp")
    shown = []
    monkeypatch.setattr(type(window), "_ask",
                        lambda self, box: shown.append(box.shown_code()) or None)
    assert window.open_path(path)
    assert "write_text" in shown[0]  # the prompt showed the code
    assert window.workspace.read_only and "(read-only)" in window.windowTitle()
    assert not marker.exists()
    item = window.scene.nodes["n9"]
    assert "not trusted" in item.look.detail
    before = len(window.workspace.document.root.nodes)
    window.scene.drop_layer("ReLU", item.pos())
    assert len(window.workspace.document.root.nodes) == before
    assert not marker.exists()


def test_a_trusted_project_runs_its_layer(qtbot, make_window, tmp_path, monkeypatch):
    marker = tmp_path / "code-ran"
    path = _evil_project(tmp_path, marker)
    window = make_window("mlp")
    monkeypatch.setattr(type(window), "_ask", lambda self, box: box.trust)
    assert window.open_path(path)
    assert marker.exists() and not window.workspace.read_only
    assert "Evil" in window.palette.visible_types()
