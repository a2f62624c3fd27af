"""The workspace's "weights busy" state: what waits for it runs once, in order, when the
last job ends, and a job begun by a waiting callback makes the rest wait again."""

from core.workspace import Workspace


def test_waiting_runs_in_order_after_the_last_job():
    workspace = Workspace()
    ran: list[str] = []
    workspace.when_idle(lambda: ran.append("now"))
    assert ran == ["now"] and workspace.busy is None
    workspace.begin_busy("Undoing")
    workspace.begin_busy("Opening")
    workspace.when_idle(lambda: ran.append("a"))
    workspace.when_idle(lambda: ran.append("b"))
    assert workspace.busy == "Undoing"
    workspace.end_busy()
    assert ran == ["now"] and workspace.busy == "Undoing"
    workspace.end_busy()
    assert ran == ["now", "a", "b"] and workspace.busy is None
    workspace.end_busy()  # one end too many changes nothing
    assert ran == ["now", "a", "b"]


def test_a_waiting_callback_that_begins_a_job_holds_the_rest():
    workspace = Workspace()
    ran: list[str] = []
    workspace.begin_busy("Importing")
    workspace.when_idle(lambda: (ran.append("start"), workspace.begin_busy("Redoing")))
    workspace.when_idle(lambda: ran.append("after"))
    workspace.end_busy()
    assert ran == ["start"] and workspace.busy == "Redoing"
    workspace.end_busy()
    assert ran == ["start", "after"]
