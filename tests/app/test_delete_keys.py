"""Delete reconnects the neighbours of a middle node; Delete Without Reconnecting
(Shift+Backspace) leaves the gap (issue 12)."""

from tests.app.driver import select, trigger


def test_delete_keeps_the_chain_and_its_variant_breaks_it(make_window):
    window = make_window("mlp")
    hidden, relu, out = (n.id for n in window.workspace.document.root.nodes)
    select(window, relu)
    trigger(window, "delete")
    assert (hidden, out) in {(e.src, e.dst) for e in window.workspace.document.root.edges}
    trigger(window, "undo")
    select(window, relu)
    trigger(window, "delete_only")
    assert not any(e.dst == out for e in window.workspace.document.root.edges)
    assert window.actions["delete_only"].shortcut().toString() == "Shift+Backspace"
