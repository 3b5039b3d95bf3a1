"""Every interval a verdict rests on: coverage, edge cases, and no silently dropped runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from grokutils.core.estimates import Estimate


def test_mean_interval_is_the_student_t_interval():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    e = Estimate.mean(x)
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert (e.value, e.n) == (2.5, 4)
    assert e.low == pytest.approx(2.5 - half) and e.high == pytest.approx(2.5 + half)


def test_mean_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    samples = rng.normal(3.0, 2.0, size=(4000, 5))
    covered = [(e := Estimate.mean(s)).low <= 3.0 <= e.high for s in samples]
    # binomial SE of a 95 % coverage over 4000 trials is 0.0034: allow 4 of them
    assert abs(np.mean(covered) - 0.95) < 4 * 0.0034


def test_one_unit_gives_no_interval_and_a_nan_unit_is_not_dropped():
    assert Estimate.mean([0.3]).low == -math.inf
    diverged = Estimate.mean([0.1, 0.2, math.nan])
    assert diverged.is_nan and diverged.n == 3
    assert Estimate.median([1.0, math.nan, 2.0, 3.0, 4.0, 5.0]).is_nan


def test_mean_refuses_inf_but_median_counts_it_as_largest():
    with pytest.raises(ValueError, match="never-crossed"):
        Estimate.mean([1.0, math.inf])
    e = Estimate.median([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, math.inf])
    assert e.value == 4.5 and e.low == 1.0 and e.high == math.inf


@pytest.mark.parametrize(("n", "bounded"), [(5, False), (6, True), (20, True)])
def test_median_interval_exists_from_six_units(n, bounded):
    e = Estimate.median(np.arange(float(n)))
    assert math.isfinite(e.low) == bounded


def test_median_interval_has_at_least_95_percent_coverage():
    rng = np.random.default_rng(2)
    samples = rng.exponential(1.0, size=(3000, 12))
    truth = math.log(2)
    covered = [(e := Estimate.median(s)).low <= truth <= e.high for s in samples]
    assert np.mean(covered) >= 0.95 - 4 * 0.004


def test_fraction_is_clopper_pearson():
    e = Estimate.fraction(np.ones(8, dtype=bool))
    assert e.value == 1.0 and e.high == 1.0 and e.low == pytest.approx(0.025 ** (1 / 8))
    none = Estimate.fraction(np.zeros(8, dtype=bool))
    assert none.low == 0.0 and none.high == pytest.approx(1 - 0.025 ** (1 / 8))
    with pytest.raises(TypeError, match="booleans"):
        Estimate.fraction([1, 0, 1])


def test_bootstrap_is_reproducible_and_resamples_pairs_together():
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    y = x + 0.1 * rng.normal(size=30)

    def rho(a, b):
        return stats.spearmanr(a, b).statistic

    first, second = Estimate.bootstrap(rho, x, y), Estimate.bootstrap(rho, x, y)
    assert first == second
    assert first.low > 0.8  # pairs kept together: a near-perfect correlation stays one
    with pytest.raises(ValueError, match="same number of units"):
        Estimate.bootstrap(rho, x, y[:-1])


def test_exact_value_has_a_zero_width_interval():
    e = Estimate.exact(1e-15)
    assert e.is_exact and e.low == e.high == 1e-15 and e.is_machine_independent


def test_roundoff_is_exact_on_one_machine_but_not_across_machines():
    e = Estimate.roundoff(3.1e-14)
    assert e.is_exact and e.low == e.high == 3.1e-14 and not e.is_machine_independent
    e = Estimate.exact_on_run(0.0365)
    assert e.is_exact and e.low == e.high == 0.0365 and not e.is_machine_independent


def test_an_estimate_outside_its_interval_is_an_error():
    with pytest.raises(ValueError, match="outside its interval"):
        Estimate.from_interval(2.0, 0.0, 1.0, 5, "sampler SE")


def test_poolable_estimates_keep_their_per_unit_values_for_the_json():
    assert Estimate.mean([1.0, 2.0]).per_unit == (1.0, 2.0)
    assert Estimate.median([3.0, np.inf, 1.0]).to_dict()["per_unit"] == [3.0, "inf", 1.0]
    assert Estimate.fraction([True, False]).per_unit == (1.0, 0.0)
    assert Estimate.bootstrap(np.mean, np.arange(4.0)).per_unit == ()  # not poolable
    with pytest.raises(ValueError, match="per-unit values"):
        Estimate(1.0, 0.0, 2.0, 3, "mean, t", per_unit=(1.0,))
