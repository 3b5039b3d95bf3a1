"""Chapter 03's figures draw on synthetic sweep tables (Agg backend), with their claim marks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import grokutils.chapters.guess_and_check.figures as plots
from grokutils.core import params

ACTIVATIONS = ["linear", "tanh", "leaky_relu"]


@pytest.fixture(scope="module")
def p():
    return params.load("03_guess_and_check", "quick", presets_dir="chapters/presets")


def _table(xs, S=4):
    rng = np.random.default_rng(0)
    row = lambda: 0.1 + 0.01 * rng.random((len(xs), S))  # noqa: E731
    return {
        a: {"mean": row(), "prior": row() + 0.1, "ratio": row() * 9, "p_accept": row() * 1e-4}
        for a in ACTIVATIONS
    }


def _gd(xs, S=4):
    return {a: {"test_loss": np.full((len(xs), S), 1e-5)} for a in ACTIVATIONS}


def _legend_texts(fig):
    return {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts}


def test_width_and_depth_figures_show_gnc_prior_gd_and_the_claim_bound(p):
    fig = plots.width_figure(p, _table(p.widths), _gd(p.gd_widths), closed_prior=np.ones(4))
    assert len(fig.axes) == 6
    assert {"G&C", "prior (chance)", "chance, closed form", "claim bound 1e-3"} <= _legend_texts(
        fig
    )
    assert fig.axes[3].get_xlabel() == "width k (depth 2)"
    fig = plots.depth_figure(p, _table(p.depths), _gd(p.gd_depths), limit=np.full(4, 0.01))
    assert "G&C, depth → ∞" in _legend_texts(fig)
    plt.close("all")


def test_approach_and_acceptance_figures(p):
    widths = [20, 40, 160]
    fig = plots.approach_figure(widths, _table(widths))
    assert "claim W4: [2, 5] for k = 20…160" in _legend_texts(fig)
    fig = plots.acceptance_figure(p.widths, _table(p.widths), p.depths, _table(p.depths), 1e-5)
    assert fig.axes[0].get_ylabel() == "P(accept)"
    plt.close("all")


def test_median_iqr_refuses_runs_of_the_wrong_shape():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="runs must have shape"):
        plots.median_iqr(ax, [1, 2, 3], np.ones((2, 4)))
    plt.close(fig)
