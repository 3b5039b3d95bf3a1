"""Exact GD through the eigenbasis of Σ_tr against the step-by-step torch.optim.SGD loop.

Both produce the linear student after ``STEPS`` full-batch GD steps with weight decay (float64,
one thread). The eigenbasis route diagonalises Σ_tr once and then evaluates any step in
O(d_in d_out); the loop pays one (N × d_in)·(d_in × d_out) product per step. Prints the speed-up
and the largest relative difference of the two results.

Run: ``python benchmarks/linear_grokking.py``
"""

from __future__ import annotations

import time

import numpy as np

from grokutils.chapters.linear_grokking import linear_estimator as le
from grokutils.chapters.linear_grokking import task as ts
from grokutils.core.seeding import seed_everything

D_IN, LAMBDA, D_OUT, SEEDS, STEPS, ETA, GAMMA = 500, 0.9, 3, [0, 1], 2000, 0.01, 1e-3


def main() -> None:
    seed_everything(0)
    n_train = round(D_IN / LAMBDA)

    start = time.perf_counter()
    problem = ts.teacher_student(D_IN, n_train, SEEDS, d_out=D_OUT, n_gen=1)
    exact = le.distance_at(problem, [STEPS], eta=ETA, gamma=GAMMA)[:, 0]
    eigen_time = time.perf_counter() - start

    start = time.perf_counter()
    looped = le.sgd_reference(problem, STEPS, eta=ETA, gamma=GAMMA)
    loop_time = time.perf_counter() - start

    error = np.abs(looped - exact).max() / np.abs(exact).max()
    print(f"d_in = {D_IN}, N_tr = {n_train}, d_out = {D_OUT}, {len(SEEDS)} runs, {STEPS} GD steps")
    print(f"eigenbasis (incl. data + eigh): {eigen_time:.2f} s; torch SGD loop: {loop_time:.2f} s")
    print(f"speed-up {loop_time / eigen_time:.1f}x, max relative difference {error:.1e}")


if __name__ == "__main__":
    main()
