"""A dry run that comes back after the document has changed again is not drawn when the
newer one is already due: drawing it would lower the whole document on the GUI thread."""

import threading

import widgets.node_look as node_look
from core.document.compose import chain
from core.document.edit import SetArgument
from core.document.graph import Document, InputSpec, Node
from core.runtime.shapes import infer_shapes
from tests.app.driver import wait_for_shapes


def test_a_report_overtaken_by_an_edit_waits_for_the_newer_one(make_window, qtbot,
                                                                monkeypatch):
    window = make_window()
    layers = [Node(f"n{i}", "Linear", {"in_features": 8, "out_features": 8})
              for i in range(1, 41)]
    window.workspace.replace(Document(root=chain(*layers), input=InputSpec((2, 8))))
    wait_for_shapes(qtbot, window)
    older = window.workspace.revision
    snapshot = window.workspace.document.snapshot()
    report = infer_shapes(snapshot)

    lowered_here = []
    lower = node_look.plan_document

    def counted(document):
        cached = document.plan_cache
        if threading.current_thread() is threading.main_thread() and (
                cached is None or cached[0] != document.structure_version):
            lowered_here.append(document.structure_version)
        return lower(document)

    monkeypatch.setattr(node_look, "plan_document", counted)
    window.workspace.execute(SetArgument("n40", "out_features", 4))
    assert window._shape_timer.isActive()  # the newer dry run is due
    window._show_report((older, report, snapshot.plan_cache))
    assert lowered_here == []
    assert window.scene.report is not report

    wait_for_shapes(qtbot, window)
    assert window.scene.report.output_shape == (2, 4)
    assert lowered_here == []  # the worker's plan was kept for the newer one too
