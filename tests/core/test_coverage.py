"""Every interval method covers at 95 % at the unit counts the presets use, or is not used there.

A Monte Carlo over known distributions: each method is applied to ``TRIALS`` independent samples
of ``n`` units drawn from a distribution whose target (mean, median, slope, fraction) is known,
and the fraction of intervals that contain it must be within Monte Carlo error (3 binomial
standard errors) of 0.95, or at least 0.95 less that error for the methods that are exact or
conservative by construction (order statistics, Clopper-Pearson). ``UNIT_COUNTS`` spans the
counts of one run (three data sets to 16 seeds) and of pooled runs (up to 32 units).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grokutils.core.estimates import BOOTSTRAP_MIN_UNITS, LEVEL, Estimate
from grokutils.methods.censored_fraction import censored_fraction

UNIT_COUNTS = (3, 4, 6, 8, 12, 16, 24, 32)
TRIALS = 2000


def coverage(build, draw, truth: float, n: int, trials: int = TRIALS) -> float:
    """Fraction of ``trials`` intervals ``build(sample)`` containing ``truth``; each sample is
    ``draw(rng, n)``."""
    rng = np.random.default_rng(1000 + n)
    hits = 0
    for _ in range(trials):
        e = build(draw(rng, n))
        hits += e.low <= truth <= e.high
    return hits / trials


def slack(trials: int = TRIALS) -> float:
    """Three binomial standard errors of a coverage of 0.95 estimated over ``trials``."""
    return 3 * math.sqrt(LEVEL * (1 - LEVEL) / trials)


@pytest.mark.parametrize("n", UNIT_COUNTS)
def test_t_interval_of_a_mean_covers(n):
    got = coverage(Estimate.mean, lambda rng, k: rng.normal(2.0, 3.0, k), 2.0, n)
    assert abs(got - LEVEL) <= slack()


@pytest.mark.parametrize("n", UNIT_COUNTS)
def test_geometric_mean_covers_a_lognormal_ratio(n):
    got = coverage(Estimate.geometric_mean, lambda rng, k: rng.lognormal(0.3, 1.0, k), 1.35, n)
    assert abs(got - LEVEL) <= slack()


def test_a_mean_of_skewed_ratios_does_not_cover_which_is_why_ratios_use_logs():
    got = coverage(Estimate.mean, lambda rng, k: rng.lognormal(0.3, 1.0, k), math.exp(0.8), 6)
    assert got < LEVEL - slack()


@pytest.mark.parametrize("n", UNIT_COUNTS)
def test_trend_of_per_unit_slopes_covers_the_mean_slope(n):
    x = np.array([0.0, 1.0, 3.0, 4.0])

    def draw(rng, k):  # each unit has its own slope around 0.5, plus noise along the axis
        slopes = rng.normal(0.5, 0.3, (k, 1))
        return slopes * x + rng.normal(0.0, 1.0, (k, len(x)))

    got = coverage(lambda rows: Estimate.trend(rows, +1, x=x), draw, 0.5, n)
    assert abs(got - LEVEL) <= slack()


@pytest.mark.parametrize("n", UNIT_COUNTS)
def test_order_statistic_interval_of_a_median_covers(n):
    got = coverage(Estimate.median, lambda rng, k: rng.exponential(1.0, k), math.log(2), n)
    assert got >= LEVEL - slack()


@pytest.mark.parametrize("budget", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("n", (6, 8, 16, 32))
def test_a_median_censored_at_the_budget_covers(n, budget):
    def draw(rng, k):  # crossing times; a run past the budget never crossed within it
        t = rng.exponential(1.0, k)
        return np.where(t > budget, math.inf, t)

    got = coverage(lambda x: Estimate.median(x, censored_at=budget), draw, math.log(2), n)
    assert got >= LEVEL - slack()


@pytest.mark.parametrize("p", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("n", UNIT_COUNTS)
def test_clopper_pearson_covers(n, p):
    got = coverage(Estimate.fraction, lambda rng, k: rng.random(k) < p, p, n)
    assert got >= LEVEL - slack()


@pytest.mark.parametrize("n", sorted({BOOTSTRAP_MIN_UNITS, *UNIT_COUNTS}))
def test_bootstrap_covers_from_its_minimum_unit_count_and_is_unbounded_below(n):
    trials = 400  # each trial resamples 2000 times in Python
    got = coverage(
        lambda x: Estimate.bootstrap(np.mean, x), lambda rng, k: rng.normal(0, 1, k), 0.0, n, trials
    )
    if n < BOOTSTRAP_MIN_UNITS:
        assert got == 1.0  # unbounded: it cannot decide a claim
    else:
        assert abs(got - LEVEL) <= slack(trials)


@pytest.mark.parametrize("n", (3, 6, 10, 32))
def test_worst_point_of_a_mean_curve_covers_the_largest_true_deviation(n):
    truth_curve = np.array([1.0, 1.1, 0.95, 1.02, 1.0])  # the mean curve, against 1.0

    def draw(rng, k):
        return truth_curve * rng.lognormal(0.0, 0.1, (k, len(truth_curve))) / math.exp(0.005)

    truth = float(np.abs(np.log(truth_curve)).max())
    got = coverage(
        lambda x: Estimate.worst_point(x, np.ones(len(truth_curve)), log=True), draw, truth, n
    )
    assert got >= LEVEL - slack()


@pytest.mark.parametrize("n", (8, 10, 20, 32))
@pytest.mark.parametrize("p_open", [0.0, 0.3])
def test_censored_fraction_covers_whatever_the_undecided_units_would_do(n, p_open):
    """Chapter 03's W5/D5 (8, 10 or 20 data sets a run, 32 pooled): each unit holds with
    probability 0.6, and a share ``p_open`` of units is undecided whatever its outcome."""

    def draw(rng, k):
        return rng.random(k) < 0.6, rng.random(k) < p_open

    def build(sample):
        holds, open_ = sample
        return censored_fraction(holds & ~open_, open_)

    assert coverage(build, draw, 0.6, n) >= LEVEL - slack()
