"""Speed of the committee-machine training of chapter 01 (Kumar et al.), against naive baselines.

1. A sweep of runs (α × seeds) batched as one tensor computation vs a Python loop of runs.
2. The exact (w̄, M) recursion vs gradient descent on the weights at the paper's size
   (D = 100, P = 550, N = 500).

Prints the speed-ups measured in this run (single-threaded).
Run: ``python benchmarks/lazy_to_rich.py``.
"""

from __future__ import annotations

import time

import numpy as np

from grokutils.chapters.lazy_to_rich.committee_sweep import single_index_sweep
from grokutils.core.seeding import seed_everything


def seconds(fn, repeat: int = 2) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    seed_everything(0)
    sweep = {"d": 40, "width": 100, "steps": 1000, "eps": [0.05], "p": [160], "n_records": 50}
    alphas, seeds = [0.125, 0.5, 2.0, 8.0], [0, 1]
    batched = seconds(lambda: single_index_sweep(alpha=alphas, seed=seeds, **sweep))
    looped = seconds(
        lambda: [single_index_sweep(alpha=[a], seed=[s], **sweep) for a in alphas for s in seeds]
    )
    runs = len(alphas) * len(seeds)
    print(f"sweep of {runs} runs, D=40, P=160, 1000 steps:")
    print(
        f"  batched {batched:.2f} s, loop of runs {looped:.2f} s: speed-up {looped / batched:.1f}x"
    )

    paper = {"d": 100, "width": 500, "steps": 100, "eps": [0.02], "p": [550], "n_records": 10}
    direct = seconds(lambda: single_index_sweep(engine="direct", **paper), repeat=1)
    recursion = seconds(lambda: single_index_sweep(engine="statistics", **paper), repeat=1)
    print("paper size D=100, P=550, N=500, 100 steps, one run:")
    print(
        f"  direct GD {direct / 100 * 1e3:.1f} ms/step, (w̄, M) recursion "
        f"{recursion / 100 * 1e3:.1f} ms/step: speed-up {direct / recursion:.1f}x"
    )


if __name__ == "__main__":
    main()
