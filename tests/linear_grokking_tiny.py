"""Tiny parameters and synthetic Fig. 5 results of chapter 02, shared by the tests of its
claims and of its figures."""

from __future__ import annotations

import numpy as np

import grokutils.chapters.linear_grokking.experiments as ex
from grokutils.core.trajectory import Trajectory

TINY = {
    "d_in": 20,
    "seeds": 2,
    "n_gen": 100,
    "delay_lambdas": [0.1, 0.5, 0.9],
    "delay_eps": [0.001],
    "d_outs": [1, 3],
    "phase_points": 5,
    "two_layer_d_in": 20,
    "hidden_widths": [5],
    "two_layer_seeds": 2,
    "gains": [1.0, 10.0],
    "finite_d_ins": [20, 40],
}


def synthetic_two_layer(p) -> tuple[ex.TwoLayer, ex.GainProbe]:
    """Fig. 5 results without the GD loops (the test of the claims, not of the training)."""
    steps = np.arange(0, 501, 50)
    acc = np.clip(steps / 400.0, 0, 1) * np.ones((2, 1))
    curve = Trajectory(
        steps,
        {
            "train_loss": 1 / (1 + steps) * np.ones((2, 1)),
            "test_loss": 1 / (1 + steps) * np.ones((2, 1)),
            "train_acc": acc,
            "test_acc": acc,
        },
    )
    d_h = p.hidden_widths[0]
    curves = {(d_h, act): curve for act in ("linear", "tanh")}
    times = {key: ex.crossing_times(c) for key, c in curves.items()}
    fig5 = ex.TwoLayer(0.5, 1e-4, 5, curves, {d_h: (380.0, 380.0)}, times)
    runs = {g: ex.GainRun(curve, times[d_h, "tanh"], 500.0) for g in p.gains}
    return fig5, ex.GainProbe(d_h, runs)
