"""The ``torchcanvas`` command: the main window, or a summary or export of a file."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from app import train_cli
from app.train_cli import USAGE as TRAIN_USAGE
from core.document.graph import Document
from core.errors import TorchCanvasError
from core.printable import printable

USAGE = """torchcanvas                       open the main window
  torchcanvas FILE                  open FILE in the main window
  torchcanvas summary FILE [--input 2,20] [--json]
  torchcanvas export FILE [--python OUT.py] [--weights OUT.safetensors] [--onnx OUT.onnx]
                          [--png OUT.png] [--train-script train.py]
  torchcanvas import SOURCE --input 1,3,224,224 -o OUT.tcanvas --trust
  torchcanvas import program.pt2 -o OUT.tcanvas
                          SOURCE: package.module:Name or path/to/file.py:Name
""" + TRAIN_USAGE


COMMANDS = ("summary", "export", "import", "train")


class CommandLineError(Exception):
    """A one-line message for the person at the terminal; ``status`` is the exit status
    (2 for a command line that is not understood)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise CommandLineError(f"--input {text!r}: expected sizes like 2,20") from None
    if not shape or any(size < 1 for size in shape):
        raise CommandLineError(f"--input {text!r}: every size must be a positive integer")
    return shape


def open_document(name: str) -> Document:
    """A project, a graph.json, or the name of a shipped template (``mlp``)."""
    from core.catalog.templates import load_template
    from core.io.files import load_document

    path = Path(name)
    if not os.path.lexists(path):
        try:
            return load_template(name)
        except KeyError:
            raise CommandLineError(f"{name}: no such file") from None
    check_input(name)
    return load_document(path)


def check_input(name: str) -> None:
    """Refuse anything but a regular file (or a name that is not there: a template) before
    it is opened: a FIFO or /dev/zero would be read for ever."""
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        if os.path.lexists(name):
            raise CommandLineError(f"{name}: a link to nothing") from None
        return
    except OSError as error:
        raise CommandLineError(f"{name}: {error.strerror or error}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise CommandLineError(f"{name}: {kind}; give a .tcanvas project or a graph.json")


def check_outputs(args: argparse.Namespace) -> None:
    """Every file export would write is a regular file or a new path."""
    from core.io.atomic import check_target

    for name in (args.python, args.weights, args.onnx, args.png, args.train_script):
        if name:
            check_target(name)


def summary(args: argparse.Namespace) -> int:
    from core.runtime.inspect import summary_dict, summary_text

    document = open_document(args.file)
    shape = parse_shape(args.input) if args.input else None
    if args.json:
        data = summary_dict(document, shape)
        print(json.dumps(data, indent=2))
        return 0 if data["error"] is None else 1
    print(printable(summary_text(document, shape), keep="\n"))
    return 0 if summary_dict(document, shape)["error"] is None else 1


def export(args: argparse.Namespace) -> int:
    """Python source, weights, ONNX and a picture of the canvas, as many as asked for."""
    from core.io.atomic import write_atomically
    from core.io.codegen import python_for_export

    if not (args.python or args.weights or args.onnx or args.png or args.train_script):
        raise CommandLineError("export: say what to write: --python OUT.py, --weights "
                               "OUT.safetensors, --onnx OUT.onnx, --png OUT.png or "
                               "--train-script train.py")
    document, weights = open_project(args.file)
    if args.train_script:
        train_cli.write_script(document, args)
    if args.python:
        source = python_for_export(document)  # compiled first; refused if it would not run
        write_atomically(args.python, lambda stream: stream.write(source))
        print(f"wrote {args.python}")
    if args.weights or args.onnx:
        from core.io.export import export_onnx, export_weights, ready_model

        model = ready_model(document, weights)
        if args.weights:
            export_weights(model, args.weights)
            print(f"wrote {args.weights}")
        if args.onnx:
            export_onnx(model, document, args.onnx)
            print(f"wrote {args.onnx}")
    if args.png:
        write_picture(document, args.png)
        print(f"wrote {args.png}")
    return 0


def import_model(args: argparse.Namespace) -> int:
    """Make the model SOURCE names (its code runs: --trust says so), import it, and save
    the document with its weights."""
    import torch

    from core.io.files import save_document
    from core.io.model_source import make_model
    from core.io.module_import import import_module_noting

    program = args.source.lower().endswith(".pt2")  # torch.export.save's: no code runs
    if not args.trust and not program:
        raise CommandLineError(f"import runs the code of {args.source}: add --trust if you "
                               "trust it", 2)
    if not program and not args.input:
        raise CommandLineError("import needs --input, the example input's shape", 2)
    shape = parse_shape(args.input) if not program else ()
    if Path(args.output).suffix.lower() != ".tcanvas":
        raise CommandLineError(f"{args.output}: the output is a .tcanvas project", 2)
    from core.io.atomic import check_target

    check_target(args.output)
    if program:
        from core.io.import_pt2 import import_pt2

        check_input(args.source)
        document, weights = import_pt2(args.source)
    else:
        model = make_model(args.source)
        document, weights, notes = import_module_noting(model, torch.randn(shape))
        for note in notes:
            print(f"note: {printable(note)}")
    save_document(document, args.output, weights=weights)
    layers = sum(1 for _, node in document.walk() if node.graph is None)
    blocks = sum(1 for _, node in document.walk() if node.graph is not None)
    count = sum(value.numel() for value in weights.values())
    print(f"wrote {args.output}: {document.title}, {layers:,} layers in {blocks:,} "
          f"blocks, {count:,} values")
    return 0


def open_project(name: str):
    """The document and, for a project saved with them, its weights."""
    from core.io.files import read_project

    path = Path(name)
    if not os.path.lexists(path):
        return open_document(name), None
    check_input(name)
    project = read_project(path)
    return project.document, project.weights


def write_picture(document: Document, path: str) -> None:
    """Draw the canvas without a screen (Qt's offscreen platform)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from core.io.files import document_to_json
    from core.runtime.shapes import infer_shapes
    from core.workspace import Workspace
    from widgets.canvas_image import save_scene_image
    from widgets.canvas_scene import CanvasScene

    _application = QApplication.instance() or QApplication([])
    scene = CanvasScene(Workspace(document))
    scene.apply_report(infer_shapes(document))
    note = save_scene_image(scene, path, design=document_to_json(document))
    if note:
        print(f"torchcanvas: {note}", file=sys.stderr)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a command line it cannot read is one line (exit 2), not a usage
    block."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.split()[-1]  # a command's prog ends with its name
        where = f"{command}: " if command in COMMANDS else ""
        raise CommandLineError(f"{where}{message} (see torchcanvas --help)", 2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="torchcanvas", usage=USAGE,
        description="Build PyTorch networks by pointing and clicking, and look inside them.")
    commands = parser.add_subparsers(dest="command")
    summary_parser = commands.add_parser("summary", help="print one row per layer and totals")
    summary_parser.add_argument("file", help="a .tcanvas project, a graph.json, or a template")
    summary_parser.add_argument("--input", help="input shape, e.g. 2,20 (default: the file's)")
    summary_parser.add_argument("--json", action="store_true", help="print one JSON object")
    export_parser = commands.add_parser("export", help="write the network as Python source")
    export_parser.add_argument("file", help="a .tcanvas project, a graph.json, or a template")
    export_parser.add_argument("--python", metavar="OUT.py", help="write standalone source")
    export_parser.add_argument("--weights", metavar="OUT.safetensors",
                               help="write the weights (.safetensors, or .pt for torch.save)")
    export_parser.add_argument("--onnx", metavar="OUT.onnx", help="write ONNX (needs onnx)")
    export_parser.add_argument("--png", metavar="OUT.png", help="draw the canvas (.png, .svg)")
    train_cli.add_script_arguments(export_parser)
    import_parser = commands.add_parser("import", help="turn an nn.Module into a project")
    import_parser.add_argument("source", help="package.module:Name or path/to/file.py:Name "
                                              "(a class or function making the model), or a "
                                              "program.pt2 from torch.export.save")
    import_parser.add_argument("--input", help="example input shape, e.g. 1,3,224,224 "
                                               "(a .pt2 file records its own)")
    import_parser.add_argument("-o", "--output", required=True, metavar="OUT.tcanvas",
                               help="the project to write")
    import_parser.add_argument("--trust", action="store_true",
                               help="run SOURCE's code (importing it needs that)")
    train_cli.add_parser(commands)
    return parser


def window_file(argv: list[str]) -> str | None:
    """The one file the window is asked to open (None for none), checked before any
    window starts: a word that is no command and no file is named as such."""
    if not argv:
        return None
    first = argv[0]
    if first.startswith("-"):
        raise CommandLineError(f"unknown option {first!r}; see torchcanvas --help", 2)
    if not os.path.lexists(first):
        if len(argv) > 1 or not (os.sep in first or Path(first).suffix):
            raise CommandLineError(f"unknown command {first!r}; the commands are "
                                   f"{', '.join(COMMANDS)} (or give a file to open; see "
                                   "torchcanvas --help)", 2)
        raise CommandLineError(f"{first}: no such file")
    if len(argv) > 1:
        raise CommandLineError("the window opens one file at a time", 2)
    check_input(first)
    return first


def _say(error: object) -> str:
    """One line, with nothing a terminal would obey."""
    return f"torchcanvas: {printable(' '.join(str(error).split())) or type(error).__name__}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
            from app.main import display_problem

            path = window_file(argv)
            problem = display_problem()
            if problem:
                raise CommandLineError(problem)
            from app.main import run_gui

            return run_gui(path)
        args = build_parser().parse_args(argv)
        if args.command == "import":
            return import_model(args)
        if args.command == "train":
            check_input(args.file)
            return train_cli.train(args, open_project, CommandLineError)
        check_input(args.file)
        if args.command == "export":
            check_outputs(args)
        return {"summary": summary, "export": export}[args.command](args)
    except CommandLineError as error:
        print(_say(error), file=sys.stderr)
        return error.status
    except (TorchCanvasError, OSError) as error:
        print(_say(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # still one line: the details are no use at a terminal
        print(_say(f"unexpected {type(error).__name__}: {error}"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
