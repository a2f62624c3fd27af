"""Shape-aware layers (issue 12): a layer added after a node takes its input size from
the incoming shape, so LeNet is built from the palette with no layer turning red; a
layer in error offers the fix in its tooltip and a Fix button in the status bar."""

from app.main_window import MainWindow
from core.document.edit import SetArguments
from core.document.graph import Document, InputSpec
from core.runtime.report import format_shape
from core.workspace import Workspace
from tests.app.driver import select, wait_for_shapes

# LeNet (d2l 7.6) as a person builds it: the layer, then the arguments they choose.
LENET = [
    ("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}),
    ("Sigmoid", {}),
    ("AvgPool2d", {"kernel_size": 2, "stride": 2}),
    ("Conv2d", {"out_channels": 16, "kernel_size": 5}),
    ("Sigmoid", {}),
    ("AvgPool2d", {"kernel_size": 2, "stride": 2}),
    ("Flatten", {}),
    ("Linear", {"out_features": 120}),
    ("Sigmoid", {}),
    ("Linear", {"out_features": 84}),
    ("Sigmoid", {}),
    ("Linear", {"out_features": 10}),
]


def test_lenet_is_built_from_the_palette_with_no_layer_in_error(qtbot, settings):
    document = Document(input=InputSpec((1, 1, 28, 28)))
    window = MainWindow(Workspace(document), settings)
    qtbot.addWidget(window)
    window.show()
    wait_for_shapes(qtbot, window)
    actions = 0
    for layer_type, chosen in LENET:
        window.palette.layer_activated.emit(layer_type)
        actions += 1
        node_id = window.scene.selected_node_ids()[0]
        for name, value in chosen.items():  # one field of the inspector each
            assert window.scene.execute(SetArguments(node_id, {name: value}))
            actions += 1
        wait_for_shapes(qtbot, window)
        report = window.scene.report
        assert not report.node_errors(), (layer_type, report.node_errors())
    assert format_shape(window.scene.report.output_shape) == "(1, 10)"
    assert actions == 24  # about 40 when every size was typed by hand


def test_a_linear_in_error_is_fixed_in_one_click(qtbot, settings):
    from core.document.compose import Composer, chain

    c = Composer()
    first = c.layer("Linear", in_features=20, out_features=64)
    second = c.layer("Linear", in_features=20, out_features=10)
    window = MainWindow(Workspace(Document(root=chain(first, second),
                                           input=InputSpec((2, 20)))), settings)
    qtbot.addWidget(window)
    window.show()
    wait_for_shapes(qtbot, window)
    look = window.scene.nodes[second.id].look
    assert look.error and "Fix: set in_features to 64" in look.tooltip
    assert look.error.startswith("1 · Linear expects (*, 20)"), look.error  # as drawn
    select(window, second.id)
    assert window.fix_button.isVisible()
    assert window.fix_button.text() == "Fix: set in_features to 64"
    window.fix_button.click()
    wait_for_shapes(qtbot, window)
    assert window.workspace.document.node(second.id).args["in_features"] == 64
    assert not window.scene.report.node_errors()
    select(window, second.id)
    assert not window.fix_button.isVisible()
