"""Chapter 05's figures draw every panel from small trajectories (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from grokutils.chapters.ergodic_stability import experiments as es
from grokutils.chapters.ergodic_stability import figures
from grokutils.chapters.ergodic_stability.digits import perturbed_digits
from grokutils.chapters.ergodic_stability.sgd_ensemble import train_ensemble

TRAIN = dict(batch_size=16, steps=80, eval_every=10, burn_in=20)


@pytest.fixture(scope="module")
def nonconvergence():
    data = perturbed_digits([0.0, 0.3], n_datasets=1, n_train=200, n_pool=10)
    runs = es.nonconvergence_runs(4, 2, 0.05, 5e-4, 0.3, 1e-3, n_twins=2)
    return train_ensemble(data, runs, **TRAIN)


def test_the_non_convergence_figure_has_four_labelled_log_panels(nonconvergence):
    fig = figures.nonconvergence_figure(nonconvergence)
    assert [a.get_title() for a in fig.axes] == [
        "training loss",
        "full-batch gradient norm",
        "displacement per evaluation interval",
        "Lyapunov twins",
    ]
    assert all(a.get_xlabel() == "SGD steps" and a.get_yscale() == "log" for a in fig.axes)
    plt.close(fig)


def test_the_statistics_figure_draws_its_three_panels(nonconvergence):
    fig = figures.statistics_figure(es.ensemble_statistics(nonconvergence), 10)
    assert len(fig.axes) == 3 and fig.axes[2].get_title() == "time vs ensemble averages"
    plt.close(fig)


def test_the_sas_figures_draw_a_grid_point_and_its_table():
    # batch 32, noise 0 and 0.3, lr 0.05, 3 datasets x 2 seeds, 40 steps (burn-in 10, eval 10)
    traj = es.sas_grid_point(32, [0.0, 0.3], [0.05], 3, 2, 40, 10, 10, 1e-3, seed=0)
    table = es.config_table(traj, n_boot=10)
    fig = figures.sas_figure(traj, 0.05, 10, table)
    assert fig.axes[1].get_title() == "SAS against label noise"
    plt.close(fig)
    # the percentile interval need not contain the estimate: draw the gap figure with one that does
    table = pd.concat([table] * 3, ignore_index=True)
    table = table.assign(sas_low=table.sas * 0.5, sas_high=table.sas * 2)
    pooled = es.spearman(np.arange(6.0), np.arange(6.0))
    fig = figures.sas_gap_figure(table, pooled, 10)
    assert fig.axes[0].get_title().startswith("pooled Spearman ρ = 1.00")
    plt.close(fig)
