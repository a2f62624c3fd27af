"""``torchcanvas train``: train a project on a teaching set or a data file from the
terminal, one line per epoch (JSON lines with ``--json``), and save the trained project."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.errors import TorchCanvasError

USAGE = ("  torchcanvas train FILE --data moons [--epochs 20] [--optimizer SGD] [--lr 0.1]\n"
         "                        [--batch-size 32] [--seed 0] [--device cpu]"
         " [-o OUT.tcanvas] [--json]")


def add_parser(commands) -> None:
    parser = commands.add_parser("train", help="train the network and save it")
    parser.add_argument("file", help="a .tcanvas project, a graph.json, or a template")
    parser.add_argument("--data", required=True,
                        help="a teaching set (moons, circles, spirals, xor, blobs, "
                             "regression), a .csv file, a tensor file or an image folder")
    parser.add_argument("--target", default="", help="the CSV column to predict")
    parser.add_argument("--size", type=int, default=1000, help="teaching set size")
    parser.add_argument("--noise", type=float, default=0.1, help="teaching set noise")
    parser.add_argument("--validation", type=float, default=0.2,
                        help="share of the data held out for validation")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--optimizer", default="SGD", help="any torch.optim optimizer")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--loss", default="auto",
                        help="a torch.nn loss (auto: CrossEntropyLoss or MSELoss)")
    parser.add_argument("--schedule", default="none",
                        help="none, StepLR, ExponentialLR or CosineAnnealingLR")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("-o", "--output", metavar="OUT.tcanvas",
                        help="where to save the trained project (default: FILE, when it "
                             "is a .tcanvas project)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")


def add_script_arguments(parser) -> None:
    """``export --train-script``, with the same data and training settings as train."""
    parser.add_argument("--train-script", metavar="train.py",
                        help="write a training script for python or torchrun")
    parser.add_argument("--data", default="moons",
                        help="(with --train-script) a teaching set, a .csv or tensor file, or "
                             "a folder of images (one sub-folder per class)")
    parser.add_argument("--target", default="", help="the CSV column to predict")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--validation", type=float, default=0.2)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--optimizer", default="SGD")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--loss", default="auto")
    parser.add_argument("--schedule", default="none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")


def write_script(document, args: argparse.Namespace) -> None:
    from core.io.atomic import write_atomically
    from core.training.data import image_settings
    from core.training.script import DataSource, training_script

    size, channels = image_settings(tuple(document.input.shape))
    source = DataSource.choose(args.data, size=args.size, noise=args.noise,
                               target=args.target, validation=args.validation,
                               image_size=size, channels=channels)
    text = training_script(document, config_from(args), source)
    write_atomically(args.train_script, lambda stream: stream.write(text.encode()))
    print(f"wrote {args.train_script}")


def config_from(args: argparse.Namespace):
    from core.training import TrainConfig

    return TrainConfig(loss=args.loss, optimizer=args.optimizer,
                       optimizer_args={"lr": args.lr}, schedule=args.schedule,
                       batch_size=args.batch_size, epochs=args.epochs, seed=args.seed,
                       device=args.device)


def prepared(args: argparse.Namespace, open_project):
    """The workspace with the project in it (input shape following the data), the
    split data and the settings, or a typed error."""
    from core.document.edit import SetInput
    from core.runtime.devices import check_device
    from core.training import check_fits_data, load_data, split
    from core.training.data import image_settings
    from core.workspace import Workspace

    config = config_from(args)
    config.check()
    check_device(args.device)
    document, weights = open_project(args.file)
    size, channels = image_settings(tuple(document.input.shape))
    data = load_data(args.data, target=args.target, size=args.size, noise=args.noise,
                     seed=args.seed, image_size=size, channels=channels)
    workspace = Workspace()
    workspace.replace(document, weights=weights)
    shape = (document.input.shape[0], *data.input_shape)
    if tuple(document.input.shape) != shape:
        workspace.execute(SetInput(shape, "float32"))
    live = workspace.live
    if live.module is None:
        raise TorchCanvasError(f"the network cannot be built: {live.error or 'no layers'}")
    check_fits_data(live.module, data)
    return workspace, split(data, args.validation, args.seed), config


def format_epoch(stats, epochs: int) -> str:
    def accuracy(value):
        return "-" if value is None else f"{value:.1%}"

    validation = "" if stats.validation_loss is None else (
        f"  val loss {stats.validation_loss:.4f} acc {accuracy(stats.validation_accuracy)}")
    return (f"epoch {stats.epoch:>{len(str(epochs))}}/{epochs}  loss {stats.train_loss:.4f} "
            f"acc {accuracy(stats.train_accuracy)}{validation}  {stats.seconds:.2f} s")


def train(args: argparse.Namespace, open_project, command_line_error) -> int:
    from core.io.atomic import check_target
    from core.io.files import save_document
    from core.io.weights import savable_state
    from core.training import ApplyTraining, Trainer, copy_for_training

    output = args.output or (args.file if Path(args.file).suffix.lower() == ".tcanvas"
                             else None)
    if output is None:
        raise command_line_error("train: say where to save the trained project: "
                                 "-o OUT.tcanvas", 2)
    if Path(output).suffix.lower() != ".tcanvas":
        raise command_line_error(f"{output}: the output is a .tcanvas project", 2)
    check_target(output)
    workspace, data, config = prepared(args, open_project)
    live = workspace.live
    clone = copy_for_training(live.module, config.device)
    terminal = sys.stderr.isatty() and not args.json
    steps = -(-len(data.train) // config.batch_size)

    def on_epoch(stats) -> None:
        if terminal:
            print("\r\033[K", end="", file=sys.stderr)
        if args.json:
            print(json.dumps(stats.as_dict()), flush=True)
        else:
            print(format_epoch(stats, config.epochs), flush=True)

    def on_step(stats) -> None:
        done = int(20 * stats.step / steps)
        print(f"\r[{'#' * done}{'.' * (20 - done)}] epoch {stats.epoch} loss "
              f"{stats.loss:.4f}", end="", file=sys.stderr, flush=True)

    result = Trainer(clone, data, config, on_epoch=on_epoch,
                     on_step=on_step if terminal else None).run()
    workspace.execute(ApplyTraining(live, clone,
                                    f"Train ({len(result.epochs)} epochs)"))
    save_document(workspace.document, output, weights=savable_state(live.module))
    if args.json:
        print(json.dumps({"saved": str(output), "epochs": len(result.epochs),
                          "seconds": round(result.seconds, 3)}))
    else:
        print(f"wrote {output} ({len(result.epochs)} epochs in {result.seconds:.1f} s)")
    return 0
