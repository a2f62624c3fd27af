"""The command line on a machine without a display, and with hostile input: every command
answers with a result or one printable line, at once; nothing hangs, no window starts for
words that are no command, and Qt never aborts."""

import os
import subprocess
import sys
import threading
import time

import pytest

import app.main
from app.cli import main
from core.catalog.templates import template_path
from core.document.compose import Composer
from core.io.files import save_document

UNKNOWN = [["bogus", "x"], ["bogus"], ["sumary", "mlp"], ["Summary", "mlp"], ["exprot", "mlp"],
           ["run"], ["open", "x.tcanvas"], ["help"], ["x", "y", "z"]]
OPTIONS = [["--frob"], ["-x"], ["--version"], ["-"]]


def _headless() -> dict:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return environment


def _run(args, timeout=30, environment=None):
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                         text=True, timeout=timeout, env=environment or _headless())
    return run, time.monotonic() - start


def _quickly(function, seconds=2.0):
    """``function()``'s result, which must come within ``seconds``."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function()), daemon=True)
    start = time.monotonic()
    thread.start()
    thread.join(seconds * 5)
    assert not thread.is_alive(), "it hangs"
    assert time.monotonic() - start < seconds
    return result[0]


@pytest.fixture
def no_window(monkeypatch):
    """Fails the test if a window would start."""
    started = []
    monkeypatch.setattr(app.main, "run_gui", lambda path=None: started.append(path) or 0)
    return started


@pytest.mark.parametrize("args", UNKNOWN)
def test_an_unknown_command_is_named_with_the_commands(args, capsys, no_window):
    assert main(args) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert f"unknown command {args[0]!r}" in error
    assert "summary" in error and "export" in error
    assert no_window == []


@pytest.mark.parametrize("args", OPTIONS)
def test_an_unknown_option_exits_2(args, capsys, no_window):
    assert main(args) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert no_window == []


@pytest.mark.parametrize("name", ["missing.tcanvas", "folder/missing.json", "a b.tcanvas"])
def test_a_file_that_is_not_there_is_refused_before_any_window(name, capsys, no_window):
    assert main([name]) != 0
    assert "no such file" in capsys.readouterr().err
    assert no_window == []


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and devices")
@pytest.mark.parametrize("command", [[], ["summary"], ["summary", "--json"], ["export"],
                                     ["export", "--python", "OUT"]])
@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "dangling-link"])
def test_special_files_are_refused_at_once(tmp_path, capsys, no_window, command, kind):
    target = tmp_path / "in.tcanvas"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":  # /dev/zero is tried in a child with a memory limit, below
        target = "/dev/null"
    elif kind == "folder":
        target.mkdir()
    else:
        target.symlink_to(tmp_path / "gone")
    args = [*command[:1], str(target), *command[1:]]
    args = [str(tmp_path / "out.py") if a == "OUT" else a for a in args]
    assert _quickly(lambda: main(args)) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("torchcanvas: ")
    assert no_window == []
    assert not (tmp_path / "out.py").exists()


def _limited_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/zero and rlimits")
@pytest.mark.parametrize("command", [["summary", "/dev/zero"], ["/dev/zero"],
                                     ["export", "/dev/zero", "--python", "OUT"]])
def test_dev_zero_is_refused_at_once(tmp_path, command):
    """In a child whose memory is limited: reading /dev/zero would fill it."""
    args = [str(tmp_path / "out.py") if a == "OUT" else a for a in command]
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                         text=True, timeout=60, env=_headless(), preexec_fn=_limited_memory)
    assert time.monotonic() - start < 10
    assert run.returncode == 1 and run.stderr.count("\n") == 1, run.stderr
    assert "not a regular file" in run.stderr


@pytest.mark.skipif(os.name != "posix", reason="FIFOs")
@pytest.mark.parametrize("option", ["--python", "--weights", "--png"])
def test_export_over_a_fifo_is_refused_and_the_fifo_stays(tmp_path, capsys, option):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    assert _quickly(lambda: main(["export", "mlp", option, str(fifo)]), 10) == 1
    assert "not a regular file" in capsys.readouterr().err
    assert fifo.is_fifo()


def test_hostile_names_and_titles_reach_the_terminal_as_text(tmp_path, capsys):
    name = str(tmp_path / "\x1b]0;pwned\x07\x1b[2J.tcanvas")
    assert main(["summary", name]) == 1
    error = capsys.readouterr().err
    assert "\x1b" not in error and "\x07" not in error and error.count("\n") == 1
    path = tmp_path / "net.json"
    save_document(Composer().document(Composer().layer("ReLU"), title="\x1b[31mred\x1b[0m"),
                  path)
    main(["summary", str(path)])
    assert "\x1b" not in capsys.readouterr().out


def test_weights_that_cannot_be_sized_exit_nonzero_writing_nothing(tmp_path, capsys):
    c = Composer()
    path = tmp_path / "lazy.json"
    save_document(c.document(c.layer("Linear", in_features=5, out_features=3),
                             c.layer("LazyLinear", out_features=4)), path)
    out = tmp_path / "w.safetensors"
    assert main(["export", str(path), "--weights", str(out)]) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no size" in error
    assert not out.exists()


def test_an_unexpected_fault_is_still_one_line(monkeypatch, capsys):
    import app.cli

    def broken(args):
        raise ValueError("deep inside\nwith a second line")

    monkeypatch.setattr(app.cli, "summary", broken)
    assert main(["summary", "mlp"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "deep inside" in error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland")
@pytest.mark.parametrize("args", [[], [str(template_path("mlp"))]])
def test_no_display_is_said_in_one_line_without_a_qt_abort(args):
    run, elapsed = _run(args)
    assert run.returncode not in (0, -6, 134), run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert "xvfb-run" in run.stderr and "QT_QPA_PLATFORM=offscreen" in run.stderr
    assert "plugin" not in run.stderr.lower()
    assert elapsed < 10


def test_the_command_line_answers_unknown_words_without_starting_qt():
    run, elapsed = _run(["bogus", "x"])
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "unknown command 'bogus'" in run.stderr
    assert elapsed < 10


@pytest.mark.parametrize("args", [["summary"], ["export"], ["summary", "mlp", "--input"],
                                  ["summary", "mlp", "--bogus"], ["export", "mlp", "--png"]])
def test_a_command_line_argparse_cannot_read_is_one_line(args, capsys):
    assert main(args) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("torchcanvas: ")
