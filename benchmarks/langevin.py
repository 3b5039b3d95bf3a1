"""Langevin replica-steps per second on the chapter-06 MLP: R replicas (temperatures × noise
seeds) batched in one tensor vs one replica at a time.

Both runs do the same work (overdamped Langevin on the tanh MLP d-h-h-1 fitted to random
labels, R replicas, the same number of steps each); prints both rates and their ratio.
Usage: python benchmarks/langevin.py [replicas] [steps] [width] [n_points]
"""

import sys
import time

import numpy as np
import torch

from grokutils.chapters.thermal_landscape import tanh_mlp
from grokutils.chapters.thermal_landscape.random_labels import random_label_data
from grokutils.core.seeding import seed_everything, torch_generator
from grokutils.methods.langevin import overdamped_langevin, replica_grid, rescaled_step_sizes


def run(theta0: torch.Tensor, x, s, width: int, temps: np.ndarray, n_steps: int) -> float:
    """Seconds for ``n_steps`` Langevin steps of the replicas ``temps`` in one batch."""
    n_rep = len(temps)
    start = time.perf_counter()
    overdamped_langevin(
        tanh_mlp.mlp_loss_and_grad(x.expand(n_rep, -1, -1), s.expand(n_rep, -1), width),
        theta0.expand(n_rep, -1),
        torch.as_tensor(temps, dtype=torch.float32),
        torch.as_tensor(rescaled_step_sizes(temps, 5e-6, 0.5), dtype=torch.float32),
        n_steps,
        generator=torch_generator(0),
    )
    return time.perf_counter() - start


def main() -> None:
    replicas = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    n_points = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    seed_everything(0)
    x, s = random_label_data(n_points, 10, [0])
    theta0 = tanh_mlp.mlp_init(10, width, [1000])
    temps = replica_grid(np.geomspace(1e-5, 3e-3, replicas // 2), 2)
    run(theta0, x, s, width, temps, 5)  # warm-up
    batched = run(theta0, x, s, width, temps, steps)
    looped = sum(run(theta0, x, s, width, temps[k : k + 1], steps) for k in range(len(temps)))
    work = len(temps) * steps
    rate_b, rate_l = work / batched, work / looped
    print(f"Langevin on the 10-{width}-{width}-1 tanh MLP, N = {n_points}, {len(temps)} replicas")
    print(f"x {steps} steps, 1 thread")
    print(f"batched (one tensor)  : {rate_b:8.0f} replica-steps/s")
    print(f"one replica at a time : {rate_l:8.0f} replica-steps/s")
    print(f"speed-up              : {rate_b / rate_l:8.1f}x")


if __name__ == "__main__":
    main()
