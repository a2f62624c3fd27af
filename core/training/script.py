"""A standalone training script: the network's code, the data loading, the loss,
optimizer and schedule chosen, that runs unchanged as ``python train.py`` and as
``torchrun --nproc_per_node=N train.py`` (DistributedDataParallel or ``--fsdp``)."""

from __future__ import annotations

import csv
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.document.graph import Document
from core.training.data import (
    IMAGE_SUFFIXES,
    TEACHING_SETS,
    DataError,
    generate_teaching_set,
    read_image_folder,
)
from core.training.setup import TrainConfig, schedule_values

KINDS = ("teaching", "tensors", "csv", "images")


@dataclass
class DataSource:
    """Where the script's data comes from: a teaching set (``name``), a tensor file of
    inputs and targets, a CSV file with a ``target`` column, or a folder of images with
    one sub-folder per class (read at ``image_size``, height and width, with
    ``channels`` 1 or 3, as the window reads it)."""

    kind: str = "teaching"
    name: str = "moons"
    size: int = 1000
    noise: float = 0.1
    path: str = ""
    target: str = ""
    validation: float = 0.2
    image_size: tuple[int, int] = (28, 28)
    channels: int = 3

    @classmethod
    def choose(cls, source: str, **settings: Any) -> DataSource:
        """The source as the Train dock and ``torchcanvas train`` name it: a teaching set
        by name, else a path (a folder of images, a .csv file or a tensor file)."""
        if source in TEACHING_SETS:
            return cls("teaching", source, **settings)
        path = Path(source)
        kind = "images" if path.is_dir() else "csv" if path.suffix.lower() == ".csv" \
            else "tensors"
        return cls(kind, path=str(path.resolve()), **settings)

    def check(self) -> None:
        """Raise `DataError` for a source the script would not read (a quick look: the
        script reads the data itself)."""
        if self.kind not in KINDS:
            raise DataError("a training script reads a teaching set, a tensor file, a CSV "
                            f"file or an image folder, not {self.kind!r}")
        if self.kind == "teaching":
            if self.name not in TEACHING_SETS:
                raise DataError(f"unknown teaching set {self.name!r}")
            return
        path = Path(self.path)
        if not self.path or not path.exists():
            raise DataError(f"{self.path or 'the data'}: no such file or folder")
        if self.kind == "images":
            if not path.is_dir() or not any(p.is_dir() for p in path.iterdir()):
                raise DataError(f"{path.name} has no sub-folders; put each class's images "
                                "in a folder of its own")
            if self.channels not in (1, 3) or min(self.image_size) < 1:
                raise DataError(f"images are read with 1 or 3 channels at a size of at "
                                f"least 1 × 1, not {self.channels} at {self.image_size}")
        elif self.kind == "csv":
            if not self.target:
                raise DataError(f"{path.name}: say which column is the target")
            try:
                with open(path, newline="", encoding="utf-8") as stream:
                    header = [c.strip() for c in next(csv.reader(stream), [])]
            except (OSError, UnicodeDecodeError, csv.Error) as error:
                raise DataError(f"cannot read {path.name}: {error}") from None
            if self.target not in header:
                raise DataError(f"{path.name} has no column {self.target!r}; its columns "
                                f"are {', '.join(header)}")
        elif not path.is_file():
            raise DataError(f"{path.name}: not a file")

    def to_json(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in self.__dict__.items()}


def _json_ready(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


def training_script(document: Document, config: TrainConfig,
                    data: DataSource | None = None) -> str:
    """The source of the script; compiled before it is returned."""
    from core.io.codegen import to_python

    data = data or DataSource()
    data.check()
    config.check()
    network = to_python(document)
    network = network.split('\nif __name__ == "__main__":', 1)[0].rstrip() + "\n"
    settings = {
        "loss": config.loss_for(data.kind == "teaching" and data.name != "regression")
        if config.loss == "auto" and data.kind == "teaching" else config.loss,
        "loss_args": _json_ready(config.loss_args),
        "optimizer": config.optimizer,
        "optimizer_args": _json_ready(config.optimizer_args),
        "schedule": config.schedule,
        "schedule_args": _json_ready(schedule_values(config.schedule,
                                                     config.schedule_args)),
        "batch_size": config.batch_size,
        "epochs": config.epochs,
        "seed": config.seed,
        "data": data.to_json(),
    }
    source = TEMPLATE.format(
        network=network,
        settings=repr(json.dumps(settings, indent=4)),
        generator=inspect.getsource(generate_teaching_set),
        images=inspect.getsource(read_image_folder),
        suffixes=repr(IMAGE_SUFFIXES),
    )
    compile(source, "train.py", "exec")
    return source


TEMPLATE = '''#!/usr/bin/env python3
# Training script written by TorchCanvas. Needs torch and safetensors (and Pillow for
# an image folder).
#
#   python train.py                                   one process (a GPU when there is one)
#   torchrun --nproc_per_node=8 train.py              eight GPUs of one machine (NCCL)
#   torchrun --nnodes=2 --nproc_per_node=8 --rdzv-backend=c10d \\
#       --rdzv-endpoint=HOST:29500 train.py           two machines
#   torchrun ... train.py --fsdp                      shard a model too big for one device
#
# Every process reads its share of the data (DistributedSampler); rank 0 logs and writes
# checkpoints (safetensors: File > Import Weights opens them on the canvas) and the
# script resumes from the last checkpoint in --out.

# ---- the network ---------------------------------------------------------------------

{network}
# ---- the training --------------------------------------------------------------------

import argparse  # noqa: E402
import csv  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import torch.distributed as dist  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402
from torch.utils.data.distributed import DistributedSampler  # noqa: E402

SETTINGS = json.loads({settings})
IMAGE_SUFFIXES = {suffixes}


{generator}

{images}

def load_data(spec):
    """Inputs and targets of the whole data set."""
    if spec["kind"] == "teaching":
        return generate_teaching_set(spec["name"], spec["size"], spec["noise"],
                                     SETTINGS["seed"])
    if spec["kind"] == "tensors":
        loaded = torch.load(spec["path"], map_location="cpu", weights_only=True)
        x, y = loaded["inputs"], loaded["targets"]
        return (x if x.is_floating_point() else x.float()), y
    if spec["kind"] == "images":
        x, y, _ = read_image_folder(spec["path"], *spec["image_size"], spec["channels"])
        return x, y
    with open(spec["path"], newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.reader(stream) if row]
    column = rows[0].index(spec["target"])
    x = torch.tensor([[float(v) for i, v in enumerate(row) if i != column]
                      for row in rows[1:]])
    labels = [row[column].strip() for row in rows[1:]]
    try:
        values = [float(v) for v in labels]
        if all(v == int(v) for v in values):
            return x, torch.tensor([int(v) for v in values])
        return x, torch.tensor(values)[:, None]
    except ValueError:
        classes = sorted(set(labels))
        return x, torch.tensor([classes.index(v) for v in labels])


def split(x, y, share, seed):
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    held = round(len(x) * share)
    return (x[order[held:]], y[order[held:]]), (x[order[:held]], y[order[:held]])


def parse_arguments():
    parser = argparse.ArgumentParser(description="Train the network (alone or under "
                                                 "torchrun).")
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    parser.add_argument("--batch-size", type=int, default=SETTINGS["batch_size"],
                        help="per process")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--out", default="checkpoints", help="checkpoint folder")
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--fsdp", action="store_true", help="FullyShardedDataParallel")
    parser.add_argument("--device", default=None, help="default: cuda:LOCAL_RANK or cpu")
    parser.add_argument("--json", action="store_true", help="log JSON lines")
    parser.add_argument("--rank-weights", action="store_true",
                        help="every rank also writes its final weights (for checking)")
    return parser.parse_args()


def setup():
    """(rank, world size, device, backend); starts the process group under torchrun:
    NCCL when CUDA is there, else gloo."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{{local}}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    backend = ("nccl" if cuda else "gloo") if world > 1 else "none"
    if world > 1:
        dist.init_process_group(backend)
    return rank, world, device, backend


def state_of(model, fsdp, everywhere=False):
    """The full state_dict on the CPU (gathered from every rank under FSDP: onto rank 0
    alone unless ``everywhere``)."""
    if fsdp:
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            get_model_state_dict,
        )

        state = get_model_state_dict(model, options=StateDictOptions(
            full_state_dict=True, cpu_offload=not everywhere))
        return {{k: v.detach().cpu() for k, v in state.items()}}
    inner = model.module if hasattr(model, "module") else model
    return {{k: v.detach().cpu() for k, v in inner.state_dict().items()}}


def save_weights(state, path):
    """safetensors, tied tensors stored once (the name TorchCanvas reads them back by)."""
    from safetensors.torch import save_file

    first, aliases, tensors = {{}}, {{}}, {{}}
    for key, tensor in state.items():
        identity = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(),
                    tuple(tensor.shape), tuple(tensor.stride()))
        if identity in first:
            aliases[key] = first[identity]
        else:
            first[identity] = key
            tensors[key] = tensor.contiguous()
    temporary = path + ".partial"
    save_file(tensors, temporary, metadata={{"torchcanvas.aliases": json.dumps(aliases)}})
    os.replace(temporary, path)


def main():
    args = parse_arguments()
    rank, world, device, backend = setup()
    if args.device:
        device = torch.device(args.device)
    torch.manual_seed(SETTINGS["seed"])
    (train_x, train_y), (val_x, val_y) = split(*load_data(SETTINGS["data"]),
                                               SETTINGS["data"]["validation"],
                                               SETTINGS["seed"])
    classification = not train_y.is_floating_point()
    model = build_model().to(device)
    with torch.no_grad():
        model(train_x[:2].to(device))  # sizes lazy layers before anything is wrapped
    weights = os.path.join(args.out, "last.safetensors")
    progress = os.path.join(args.out, "last-state.pt")
    start = 0
    saved = None
    if not args.no_resume and os.path.exists(weights) and os.path.exists(progress):
        load_weights(model, weights)
        saved = torch.load(progress, map_location="cpu", weights_only=True)
        start = int(saved["epoch"])
    if world > 1 and args.fsdp:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        mesh = init_device_mesh(device.type, (world,))
        for child in model.modules():  # each layer with parameters its own shard unit
            if child is not model and any(True for _ in child.parameters(recurse=False)):
                fully_shard(child, mesh=mesh)
        model = fully_shard(model, mesh=mesh)
    elif world > 1:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda"
                                        else None)
    optimizer_args = dict(SETTINGS["optimizer_args"])
    if args.lr is not None:
        optimizer_args["lr"] = args.lr
    optimizer = getattr(torch.optim, SETTINGS["optimizer"])(model.parameters(),
                                                            **optimizer_args)
    schedule = None
    if SETTINGS["schedule"] != "none":
        schedule = getattr(torch.optim.lr_scheduler, SETTINGS["schedule"])(
            optimizer, **SETTINGS["schedule_args"])
    name = SETTINGS["loss"]
    if name == "auto":
        name = "CrossEntropyLoss" if classification else "MSELoss"
    loss_function = getattr(nn, name)(**SETTINGS["loss_args"])
    if saved is not None and not args.fsdp:
        optimizer.load_state_dict(saved["optimizer"])
        if schedule is not None and "schedule" in saved:
            schedule.load_state_dict(saved["schedule"])
    dataset = TensorDataset(train_x, train_y)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True,
                                 seed=SETTINGS["seed"]) if world > 1 else None
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler,
                        shuffle=sampler is None,
                        generator=torch.Generator().manual_seed(SETTINGS["seed"]))
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
    for epoch in range(start, args.epochs):
        started = time.perf_counter()
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        totals = torch.zeros(3, device=device)  # loss sum, correct, samples
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            output = model(x)
            loss = loss_function(output, y.reshape(output.shape) if not classification
                                 else y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                totals[0] += loss.detach() * len(x)
                if classification:
                    totals[1] += (output.argmax(1) == y).sum()
                totals[2] += len(x)
        if schedule is not None:
            schedule.step()
        if world > 1:
            dist.all_reduce(totals)
        model.eval()
        with torch.no_grad():
            output = model(val_x.to(device)) if len(val_x) else None
        record = {{"epoch": epoch + 1, "train_loss": float(totals[0] / totals[2]),
                   "seconds": round(time.perf_counter() - started, 3), "world": world,
                   "backend": backend, "device": str(device)}}
        if classification:
            record["train_accuracy"] = float(totals[1] / totals[2])
        if output is not None:
            target = val_y.to(device)
            record["validation_loss"] = float(loss_function(
                output, target.reshape(output.shape) if not classification else target))
            if classification:
                record["validation_accuracy"] = float((output.argmax(1) == target)
                                                      .float().mean())
        state = state_of(model, args.fsdp)
        if rank == 0:
            if args.json:
                print(json.dumps(record), flush=True)
            else:
                print("  ".join(f"{{k}} {{v:.4f}}" if isinstance(v, float) else f"{{k}} {{v}}"
                                for k, v in record.items()), flush=True)
            save_weights(state, weights)
            extra = {{"epoch": epoch + 1}}
            if not args.fsdp:
                extra["optimizer"] = optimizer.state_dict()
                if schedule is not None:
                    extra["schedule"] = schedule.state_dict()
            torch.save(extra, progress + ".partial")
            os.replace(progress + ".partial", progress)
    if args.rank_weights:
        os.makedirs(args.out, exist_ok=True)
        save_weights(state_of(model, args.fsdp, everywhere=True),
                     os.path.join(args.out, f"rank{{rank}}.safetensors"))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''
