"""Batched ensemble against a loop of single runs: the same runs, trained both ways.

One SAS configuration of the chapter (perturbed datasets × seeds, SGD with momentum and
weight decay on digits) is trained once as one batched tensor computation and once as a
Python loop over its runs, each run alone. Prints both CPU times (one thread), the speed-up
and the largest difference between the two results.

    python benchmarks/ergodic_stability.py [--datasets 8] [--seeds 2] [--steps 400]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from grokutils.chapters.ergodic_stability.digits import perturbed_digits
from grokutils.chapters.ergodic_stability.sgd_ensemble import run_grid, train_ensemble
from grokutils.core.seeding import seed_everything


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=8, help="perturbed datasets")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per dataset")
    parser.add_argument("--steps", type=int, default=400, help="SGD steps")
    parser.add_argument("--batch-size", type=int, default=32, help="minibatch size")
    args = parser.parse_args()
    seed_everything(0)
    data = perturbed_digits([0.2], n_datasets=args.datasets)
    runs = run_grid(
        dataset=range(args.datasets),
        seed=range(args.seeds),
        noise=[0.2],
        lr=[0.03],
        weight_decay=[1e-3],
    )
    train = dict(
        batch_size=args.batch_size,
        steps=args.steps,
        eval_every=args.steps // 4,
        burn_in=args.steps // 2,
        record_gradient=False,
    )
    start = time.process_time()
    batched = train_ensemble(data, runs, **train)
    t_batched = time.process_time() - start
    start = time.process_time()
    looped = [train_ensemble(data, runs.iloc[[r]], **train) for r in range(len(runs))]
    t_looped = time.process_time() - start
    diff = max(
        np.abs(batched.test_loss[r] - one.test_loss[0]).max() for r, one in enumerate(looped)
    )
    print(f"{len(runs)} runs x {args.steps} steps, batch {args.batch_size} (CPU seconds, 1 thread)")
    print(f"batched ensemble : {t_batched:8.2f} s")
    print(f"loop of runs     : {t_looped:8.2f} s")
    print(f"speed-up         : {t_looped / t_batched:8.1f}x")
    print(f"max |Δ test loss| between the two: {diff:.2e}")


if __name__ == "__main__":
    main()
