"""Chapter 02's figures draw on tiny runs (Agg backend) with their labels and legends."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from linear_grokking_tiny import TINY, synthetic_two_layer

import grokutils.chapters.linear_grokking.experiments as ex
import grokutils.chapters.linear_grokking.figures as figures
from grokutils.core import params


@pytest.fixture(scope="module")
def p():
    return params.load("02_linear_grokking", "quick", 0, TINY, presets_dir="chapters/presets")


@pytest.fixture(scope="module")
def sweep(p):
    return ex.lambda_sweep(p)


def _labels(fig):
    return [ax.get_ylabel() for ax in fig.axes]


def test_lambda_sweep_draws_losses_accuracies_and_delays(p, sweep):
    fig = figures.lambda_sweep(sweep, eps=p.eps, eta=p.eta)
    assert _labels(fig)[:3] == ["loss", "accuracy (ε = 0.001)", "Δt_grok (GD steps)"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == [f"λ = {lam}" for lam in p.lambdas]
    assert "eq. 12" in [t.get_text() for t in fig.axes[2].get_legend().get_texts()]
    plt.close(fig)


def test_theory_panels_late_time_and_phase_diagrams(p):
    fig = figures.late_time(eta=p.eta)
    assert _labels(fig) == ["loss (λ = 0.9)", "asymptotic / exact"]
    plt.close(fig)
    fig = figures.phase_diagrams(ex.phase_diagrams(p.with_values(phase_points=5)))
    assert [ax.get_xlabel() for ax in fig.axes[:3]] == ["γ", "γ", "d_out"]
    plt.close(fig)


def test_output_dimension_weight_decay_init_and_noise(p, sweep):
    fig = figures.output_dimension(ex.output_dimension(p), eps=p.eps)
    assert _labels(fig)[2] == "Δt_grok theory (GD steps)"
    plt.close(fig)
    fig = figures.weight_decay(ex.weight_decay(p, sweep), eps=p.eps)
    assert fig.axes[2].get_legend().get_title().get_text() == "shaded: γ > γ_c, no grokking"
    plt.close(fig)
    init, noise = ex.init_scale(p), ex.label_noise(p)
    fig = figures.init_and_noise(init, noise)
    assert _labels(fig) == ["GD steps (λ = 0.7)", "test loss (dotted: σ²λ/(1-λ))"]
    plt.close(fig)


def test_two_layer_gain_probe_and_finite_size(p):
    fig5, probe = synthetic_two_layer(p)
    fig = figures.two_layer(fig5, eta=p.eta)
    assert _labels(fig) == ["loss", "accuracy (ε = 1e-4)"] * 2
    plt.close(fig)
    fig = figures.gain_probe(probe, fig5, eta=p.eta)
    assert _labels(fig)[0] == "test loss, tanh, d_h = 5"
    plt.close(fig)
    finite = ex.FiniteSize([20, 40], np.array([0.3, 0.2]), np.array([[0.9, 1.1], [1.0, 1.2]]))
    fig = figures.finite_size(finite, eps=p.eps)
    assert fig.axes[1].get_title() == "(b) grokking delay, ε = 0.001"
    plt.close(fig)
