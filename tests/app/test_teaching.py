"""Teaching from the window: examples, live code, the summary and stepping through."""

from PySide6.QtWidgets import QApplication

from core.catalog.templates import list_templates
from core.io.codegen import to_python
from tests.app.driver import assert_canvas_matches, drop_on_edge, select, trigger
from tests.app.test_inspection import ready


def teaching_ready(qtbot, window):
    ready(qtbot, window)
    window.model_docks["code"].raise_()  # the code is written while its tab is on show
    qtbot.waitUntil(lambda: window.teaching.idle and bool(window.teaching.code.text),
                    timeout=10_000)
    QApplication.processEvents()


def test_the_gallery_lists_every_example_and_opens_one(qtbot, make_window, screenshots):
    window = make_window("mlp")
    ready(qtbot, window)
    gallery = window.teaching.show_gallery()
    qtbot.addWidget(gallery)
    assert gallery.list.count() == len(list_templates())
    gallery.choose("residual-block")
    assert "skip connection" in gallery.about.text()
    gallery.grab().save(str(screenshots / "gallery.png"))
    gallery._open()
    assert window.workspace.document.root.class_name == "ResidualBlock"
    teaching_ready(qtbot, window)
    assert_canvas_matches(window)
    assert window.scene.report.output_shape == (2, 64)


def test_the_code_view_follows_edits_and_highlights_the_selection(qtbot, make_window):
    window = make_window("sequential-mlp")
    teaching_ready(qtbot, window)
    document = window.workspace.document
    assert window.teaching.code.text == to_python(document)
    first, second = document.root.nodes[0].id, document.root.nodes[1].id
    drop_on_edge(window, "Dropout", first, second)
    qtbot.waitUntil(lambda: "nn.Dropout()" in window.teaching.code.text, timeout=10_000)
    assert window.teaching.code.text == to_python(document)
    select(window, second)
    lines = window.teaching.code.highlighted
    assert lines and all("nn.ReLU()" in window.teaching.code.text.splitlines()[n - 1]
                         for n in lines)


def test_the_summary_table_has_totals(qtbot, make_window):
    window = make_window("chimera")
    teaching_ready(qtbot, window)
    window.model_docks["summary"].raise_()
    qtbot.waitUntil(lambda: window.teaching.idle and window.teaching.summary.summary is not None,
                    timeout=10_000)
    model = window.teaching.summary.model
    last = model.rowCount() - 1
    assert model.text(last, 0).startswith("Total")
    assert model.text(last, 3) == "4,712"
    assert "MACs" in window.teaching.summary.text


def test_step_through_shows_each_step_on_the_canvas(qtbot, make_window, screenshots):
    window = make_window("fixed-hidden-mlp")
    teaching_ready(qtbot, window)
    trigger(window, "step_through")
    panel = window.teaching.steps
    assert panel.list.count() == 6
    panel.go(4)
    assert "halved" in panel.list.item(4).text()
    halve = window.workspace.document.root.nodes[4].id
    assert window.scene.selected_node_ids() == [halve]
    assert "halved" in window.scene.nodes[halve].probe
    window.model_docks["steps"].raise_()
    window.grab().save(str(screenshots / "step-through.png"))
