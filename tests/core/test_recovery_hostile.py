"""Whatever an earlier run (or anyone) left in the recovery folder, the store finds it
without hanging or raising, says why a damaged copy cannot be restored, and can discard
it or move it aside; nothing but a regular file is opened."""

import json
import os
import random
import threading

import pytest

from core.catalog.templates import load_template
from core.io.recovery import RecoveryStore, check_readable

posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs and links")


def _within(seconds, function):
    """``function()``'s result; fails (instead of hanging the run) if it blocks."""
    result, error = [], []

    def run():
        try:
            result.append(function())
        except BaseException as caught:  # reported below
            error.append(caught)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for more than {seconds} s"
    if error:
        raise error[0]
    return result[0]


@pytest.fixture
def store(tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    store.write("good", load_template("mlp"), None, tmp_path / "mine.tcanvas")
    return store


def _meta(store, key="good"):
    return store.folder / f"{key}.json"


def _project(store, key="good"):
    return store.folder / f"{key}.tcanvas"


def _set_meta(store, value):
    _meta(store).write_text(value if isinstance(value, str) else json.dumps(value))


def _fifo(path):
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _folder(path):
    path.unlink(missing_ok=True)
    path.mkdir()
    (path / "inside").write_text("x")


MUTATIONS = {
    "bad zip": lambda s: _project(s).write_bytes(b"PK\x03\x04 not really a zip"),
    "truncated zip": lambda s: _project(s).write_bytes(_project(s).read_bytes()[:40]),
    "empty project": lambda s: _project(s).write_bytes(b""),
    "graph not json": lambda s: _project(s).write_bytes(b"{nope"),
    "meta not json": lambda s: _set_meta(s, "{nope"),
    "meta empty": lambda s: _set_meta(s, ""),
    "meta a list": lambda s: _set_meta(s, [1, 2]),
    "meta a string": lambda s: _set_meta(s, '"text"'),
    "meta deeply nested": lambda s: _set_meta(s, "[" * 100_000 + "]" * 100_000),
    "meta huge": lambda s: _set_meta(s, {"title": "x" * 200_000}),
    "meta binary": lambda s: _meta(s).write_bytes(bytes(range(256)) * 4),
    "saved_at 1e300": lambda s: _set_meta(s, '{"saved_at": 1e300, "original": null}'),
    "saved_at 1e999": lambda s: _set_meta(s, '{"saved_at": 1e999}'),
    "saved_at -1e300": lambda s: _set_meta(s, '{"saved_at": -1e300}'),
    "saved_at NaN": lambda s: _set_meta(s, '{"saved_at": NaN}'),
    "saved_at huge int": lambda s: _set_meta(s, '{"saved_at": ' + "9" * 400 + "}"),
    "saved_at text": lambda s: _set_meta(s, {"saved_at": "yesterday"}),
    "saved_at true": lambda s: _set_meta(s, {"saved_at": True}),
    "saved_at list": lambda s: _set_meta(s, {"saved_at": [1]}),
    "original a number": lambda s: _set_meta(s, {"original": 5, "saved_at": 1}),
    "original a list": lambda s: _set_meta(s, {"original": ["a"], "saved_at": 1}),
    "original with NUL": lambda s: _set_meta(s, {"original": "a\0b", "saved_at": 1}),
    "original markup": lambda s: _set_meta(s, {"original": "/x/<b><!--.tcanvas"}),
    "title an object": lambda s: _set_meta(s, {"title": {"a": 1}}),
    "no meta": lambda s: _meta(s).unlink(),
    "no project": lambda s: _project(s).unlink(),
    "meta is a FIFO": lambda s: _fifo(_meta(s)),
    "project is a FIFO": lambda s: _fifo(_project(s)),
    "meta is a folder": lambda s: _folder(_meta(s)),
    "project is a folder": lambda s: _folder(_project(s)),
    "project links to /dev/null": lambda s: (_project(s).unlink(),
                                             _project(s).symlink_to("/dev/null")),
    "meta links to /dev/null": lambda s: (_meta(s).unlink(), _meta(s).symlink_to("/dev/null")),
    "project links nowhere": lambda s: (_project(s).unlink(),
                                        _project(s).symlink_to(s.folder / "gone")),
    "stray FIFO json": lambda s: os.mkfifo(s.folder / "stray.json"),
    "stray folder tcanvas": lambda s: _folder(s.folder / "other.tcanvas"),
}


@posix
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_damaged_recovery_is_found_with_a_reason_or_restorable(store, mutation):
    MUTATIONS[mutation](store)
    found = _within(5, store.found)
    assert found, "a leftover that is never offered comes back at every start"
    for entry in found:
        problem = entry.problem or _within(10, lambda e=entry: check_readable(e))
        if problem is None:
            assert entry.load().document.root.nodes
        else:
            assert isinstance(problem, str) and problem
            assert "\n" not in entry.when()
        assert entry.when()  # never raises, whatever the time says
        assert entry.name
    for entry in found:
        _within(5, lambda e=entry: store.discard(e.key))
    assert _within(5, store.found) == []


@posix
@pytest.mark.parametrize("mutation", ["project is a FIFO", "meta is a folder", "bad zip",
                                      "project links to /dev/null", "no project"])
def test_a_damaged_recovery_can_be_moved_aside_and_is_kept_there(store, mutation):
    MUTATIONS[mutation](store)
    (entry,) = store.found()
    kinds_before = sorted(p.name for p in store.folder.iterdir())
    aside = store.move_aside(entry.key)
    assert store.found() == []
    assert sorted(p.name for p in aside.iterdir()) == kinds_before
    store.write("good", load_template("mlp"), None, None)  # a later one, damaged alike
    MUTATIONS[mutation](store)
    store.move_aside("good")  # names already taken in the damaged folder
    assert store.found() == [] and len(list(aside.iterdir())) == 2 * len(kinds_before)


def test_saved_at_that_cannot_be_shown_falls_back_and_the_copy_is_offered(store):
    _set_meta(store, {"saved_at": 1e300, "original": "/somewhere/net.tcanvas", "title": "T"})
    (entry,) = store.found()
    assert entry.problem is None and check_readable(entry) is None
    assert entry.when()[:2] in ("19", "20")  # the file's own time instead
    assert str(entry.original) == "/somewhere/net.tcanvas"


@pytest.mark.parametrize("seed", range(12))
def test_randomly_broken_copies_are_found_and_never_raise(store, seed):
    rng = random.Random(seed)
    data = bytearray(_project(store).read_bytes())
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.5:
        del data[rng.randrange(len(data)):]
    _project(store).write_bytes(bytes(data))
    meta = bytearray(_meta(store).read_bytes())
    if rng.random() < 0.5:
        meta[rng.randrange(len(meta))] = rng.randrange(256)
        _meta(store).write_bytes(bytes(meta))
    (entry,) = _within(5, store.found)
    problem = entry.problem or _within(20, lambda: check_readable(entry))
    assert problem is None or isinstance(problem, str)
    store.discard(entry.key)
    assert store.found() == []


@posix
def test_a_folder_in_the_way_is_neither_listed_nor_written_through(tmp_path):
    as_file = tmp_path / "recovery"
    as_file.write_text("I am a file")
    store = RecoveryStore(as_file)
    assert store.found() == []
    store.discard("anything")  # nothing there: not an error
    with pytest.raises(Exception) as caught:
        store.write("k", load_template("mlp"), None, None)
    assert "not a folder" in str(caught.value) or isinstance(caught.value, OSError)
    assert as_file.read_text() == "I am a file"
    assert RecoveryStore(tmp_path / "missing" / "recovery").found() == []


def test_the_running_sessions_own_copy_is_skipped(store):
    store.write("mine", load_template("mlp"), None, None)
    assert [r.key for r in store.found(skip=["mine"])] == ["good"]
