"""Training throughput: the window's trainer (core.training.Trainer) against a
hand-written loop on the same model, data, device and thread count (target ratio
≥ 0.95: the trainer's bookkeeping — accuracy, pause and stop checks — costs little)."""

from __future__ import annotations

import copy
import itertools
import time

import torch
from torch import nn

from core.training import TrainConfig, Trainer, split, teaching_set

EPOCHS = 3
BATCH = 64
SIZE = 16_384
ROUNDS = 3


def model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))


def by_hand(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The loop a person writes: shuffle, slice, forward, loss, backward, step."""
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss_function = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    started = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        total = torch.zeros(())
        for begin in range(0, len(x), BATCH):
            index = order[begin:begin + BATCH]
            output = net(x[index])
            loss = loss_function(output, y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)
        float(total)
    return EPOCHS * len(x) / (time.perf_counter() - started)


def ours(net: nn.Module, data) -> float:
    config = TrainConfig(optimizer="SGD", optimizer_args={"lr": 0.1}, batch_size=BATCH,
                         epochs=EPOCHS)
    result = Trainer(net, data, config).run()
    return EPOCHS * len(data.train) / result.seconds


def main() -> None:
    data = split(teaching_set("moons", size=SIZE, noise=0.1), 0.0)
    base = model()
    threads = Trainer(copy.deepcopy(base), data, TrainConfig()).threads()
    saved = torch.get_num_threads()
    hand, trainer = [], []
    for _ in range(ROUNDS):
        torch.set_num_threads(threads)
        hand.append(by_hand(copy.deepcopy(base), data.train.inputs, data.train.targets))
        torch.set_num_threads(saved)
        trainer.append(ours(copy.deepcopy(base), data))
    parameters = sum(p.numel() for p in base.parameters())
    print(f"training throughput, MLP of {parameters:,} parameters on {SIZE:,} moons, batch "
          f"{BATCH}, {EPOCHS} epochs, cpu, {threads} thread(s), best of {ROUNDS}:")
    print(f"  Trainer:            {max(trainer):,.0f} samples/s")
    print(f"  hand-written loop:  {max(hand):,.0f} samples/s")
    print(f"  ratio {max(trainer) / max(hand):.2f} (target ≥ 0.95)")
    frame_times()


def frame_times(rounds: int = 2, idle_seconds: float = 3.0) -> None:
    """The GUI thread's turns while the Train dock trains, next to the same window idle.

    A 5 ms heartbeat timer records when it fires; the gap between two beats is the
    longest the event loop was busy in between (a turn), or the beat itself when idle.
    The GUI thread's own CPU time in each gap is recorded too: on a loaded machine a
    turn's wall time also holds time the thread waited for a core or for the
    interpreter lock, which the CPU time leaves out.
    Each round: the idle window for a few seconds, then Start (the click's own turn
    timed too) and the run to its end. Target: longest turn ≤ 50 ms."""
    import os
    import statistics
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.interpreter import share_with_workers
    from app.main_window import MainWindow
    from app.settings import Settings
    from core.catalog.templates import load_template
    from core.workspace import Workspace

    application = QApplication.instance() or QApplication([])
    folder = tempfile.mkdtemp()
    settings = Settings(QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Workspace(load_template("mlp")), settings)
    share_with_workers(window)
    window.show()

    def wait(condition, seconds: float = 120.0) -> None:
        end = time.perf_counter() + seconds
        while not condition() and time.perf_counter() < end:
            application.processEvents()
            time.sleep(0.002)

    wait(lambda: hasattr(window, "training"))
    panel = window.training.panel
    panel.size.setValue(8000)
    panel.epochs.setValue(15)
    window.model_docks["train"].raise_()
    wait(lambda: False, 2.0)  # the window settles
    beats: list[tuple[float, float]] = []  # wall clock, the GUI thread's CPU time
    heartbeat = QTimer(interval=5)
    heartbeat.timeout.connect(lambda: beats.append((time.perf_counter(), time.thread_time())))

    def turns(during) -> list[tuple[float, float]]:
        beats.clear()
        heartbeat.start()
        during()
        heartbeat.stop()
        return [((b[0] - a[0]) * 1000, (b[1] - a[1]) * 1000)
                for a, b in itertools.pairwise(beats)]

    idle: list[tuple[float, float]] = []
    training: list[tuple[float, float]] = []
    clicks: list[float] = []
    for _ in range(rounds):
        idle += turns(lambda: wait(lambda: False, idle_seconds))

        def train() -> None:
            started = time.perf_counter()
            panel.start.click()
            clicks.append((time.perf_counter() - started) * 1000)
            wait(lambda: not window.training.busy)

        training += turns(train)
    window.hide()  # close would ask to save the trained model
    window.deleteLater()
    print(f"GUI thread, {rounds} rounds; each: the idle window {idle_seconds:g} s, then the "
          "Train dock training 15 epochs of 6,400 moons (live curves, boundary and "
          "histograms); 5 ms heartbeat:")
    for name, pairs in (("idle window", idle), ("while training", training)):
        gaps = sorted(wall for wall, _ in pairs)
        cpu = max(spent for _, spent in pairs)
        print(f"  {name:15s} median turn {statistics.median(gaps):5.1f} ms, 99th percentile "
              f"{gaps[int(len(gaps) * 0.99)]:5.1f} ms, longest {gaps[-1]:6.1f} ms over "
              f"{len(gaps)} beats; the most GUI-thread CPU time in one turn {cpu:5.1f} ms")
    print(f"  Start's own turn {max(clicks):.1f} ms at most (the data loads on a worker); "
          "target: longest turn ≤ 50 ms")


if __name__ == "__main__":
    main()
