"""Chapter 01's figures draw from small sweeps without error (Agg backend)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from grokutils.chapters.lazy_to_rich import experiments as ex
from grokutils.chapters.lazy_to_rich import figures
from grokutils.chapters.lazy_to_rich.committee_sweep import (
    eigenvector_label_runs,
    single_index_sweep,
)
from grokutils.chapters.lazy_to_rich.quadratic_mlp_gd import train_modular_addition

torch.set_num_threads(1)
KW = dict(d=5, width=4, steps=40, n_records=6, seed=[0, 1])


@pytest.fixture(scope="module")
def head():
    return single_index_sweep(alpha=[0.5, 1.0, 2.0], n_align=10, p=[15], **KW)


def _check(fig, panels):
    """At least ``panels`` panels, and no panel letter given twice."""
    assert len(fig.axes) >= panels
    letters = [m.group(1) for a in fig.axes if (m := re.match(r"\((\w)\)", a.get_title()))]
    assert len(letters) == len(set(letters)), f"panel letters repeat: {letters}"
    plt.close(fig)


def test_headline_and_decomposition_figures(head):
    lin = single_index_sweep(alpha=[1.0], engine="linearised", p=[15], **KW)
    _check(figures.headline(head, lin, lin.kernel_regression_loss(100)), 3)
    w2 = single_index_sweep(
        **{**KW, "width": 2}, mix=[0.0, 0.5], centred=False, engine="direct", p=[15]
    )
    _check(figures.loss_decomposition(head, w2), 3)
    _check(figures.mixing(w2, ex.axis_sweep(w2, "mix")), 2)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # tiny runs: log of inf
def test_sweep_figures(head):
    se = single_index_sweep(eps=[0.05, 0.25], p=[15], **KW)
    _check(figures.alpha_and_eps(head, se), 2)
    sig = single_index_sweep(sigma=[0.5, 1.0], p=[15], **KW)
    _check(figures.initial_scale(sig, sig, head), 3)
    gp = single_index_sweep(p=[10, 20], **KW)
    _check(figures.sample_size(gp, gp, 0.05), 2)
    ph = single_index_sweep(alpha=[0.5, 2.0], eps=[0.05, 0.25], p=[15], **KW)
    _check(figures.phase_diagram(ex.phase_diagram(ph, [0.5, 2.0], [0.05, 0.25])), 2)


def test_eigenvector_and_modular_figures():
    traj = eigenvector_label_runs(d=5, p=10, ranks=[1, 5, 10], steps=20, seeds=[0, 1], n_records=5)
    _check(figures.eigenvector_labels(ex.eigenvector_measures(traj, [1, 5, 10], 2)), 2)
    mod = train_modular_addition([0.5, 1.0], [1], p=5, width=8, steps=20, n_records=5)
    _check(figures.modular_addition(mod), 3)
