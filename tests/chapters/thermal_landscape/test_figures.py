"""Smoke tests of chapter 06's figures (Agg backend): each draws its panels, with labels and
legends, from the miniature chapter's results."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from thermal_landscape_run import mini_chapter

from grokutils.chapters.thermal_landscape import experiments as ex
from grokutils.chapters.thermal_landscape import figures, theory


@pytest.fixture(scope="module")
def mini():
    return mini_chapter()


def _panels(fig, n):
    axes = fig.axes
    assert len(axes) == n
    assert all(a.get_xlabel() and a.get_ylabel() and a.get_title() for a in axes)
    plt.close(fig)


def test_every_figure_draws_its_labelled_panels(mini):
    p, run = mini.p, mini.run
    d_units, d_var_units = ex.dimensions(run)
    exponential = ex.exponential_regime(p)
    fig = figures.loss_and_dimension(run, d_units, d_var_units, exponential)
    assert all(a.get_legend() is not None for a in fig.axes)
    _panels(fig, 3)
    _panels(figures.loss_histograms(run, d_units, d_var_units, exponential), 3)
    _panels(figures.size_and_width(mini.sizes, p.sizes, p.widths, 1e-4, p.sweep_points), 2)
    d_star = figures.typical_dimension(d_units, exponential)
    _panels(figures.curvature(mini.curvature, run.temperatures, d_star), 2)
    exact = theory.toy_model_moments(p.toy_coords, p.toy_alpha, run.temperatures)
    toy = ex.ToySummary.of(mini.toy)
    margins = ex.pooled_margin_mechanism(run)
    wall = figures.exponential_wall(margins, toy, exact, run.temperatures, p.toy_coords, 0.5)
    _panels(wall, 3)
    _panels(figures.pitfalls(run, p.eta_t), 3)
