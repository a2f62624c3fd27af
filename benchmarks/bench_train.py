"""Training throughput: the window's trainer (core.training.Trainer) against a
hand-written loop on the same model, data, device and thread count (target ratio
≥ 0.95: the trainer's bookkeeping — accuracy, pause and stop checks — costs little)."""

from __future__ import annotations

import copy
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


if __name__ == "__main__":
    main()
