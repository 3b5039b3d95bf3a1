"""Every interval a verdict rests on: coverage, edge cases, and no silently dropped runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from grokutils.core.estimates import WORST_LOG_POINT_METHOD, WORST_POINT_METHOD, Estimate


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
    x = rng.normal(size=40)
    y = x + 0.1 * rng.normal(size=40)

    def rho(a, b):
        return stats.spearmanr(a, b).statistic

    first, second = Estimate.bootstrap(rho, x, y), Estimate.bootstrap(rho, x, y)
    assert first == second
    assert first.low > 0.8  # pairs kept together: a near-perfect correlation stays one
    with pytest.raises(ValueError, match="same number of units"):
        Estimate.bootstrap(rho, x, y[:-1])


def test_bootstrap_below_its_covering_unit_count_gives_no_interval():
    e = Estimate.bootstrap(np.mean, np.arange(31.0))
    assert e.value == 15.0 and (e.low, e.high) == (-math.inf, math.inf)


def test_geometric_mean_is_the_t_interval_of_the_logs_mapped_back():
    x = np.array([0.5, 1.0, 2.0, 4.0])
    e = Estimate.geometric_mean(x)
    logs = Estimate.mean(np.log(x))
    assert e.value == pytest.approx(math.exp(logs.value))
    assert (e.low, e.high) == pytest.approx((math.exp(logs.low), math.exp(logs.high)))
    assert Estimate.geometric_mean([1.0, 0.0, 2.0]).is_nan  # no log of a zero ratio
    with pytest.raises(ValueError, match="never-crossed"):
        Estimate.geometric_mean([1.0, math.inf])


def test_a_censored_median_is_bounded_by_the_budget_not_by_infinity():
    runs = [math.inf] * 8  # none crossed within a budget of 1500 steps
    censored = Estimate.median(runs, censored_at=1500.0)
    assert (censored.low, censored.high) == (1500.0, math.inf)
    # a claim "≤ 4590 steps" cannot be refuted by a budget of 1500, only by one above 4590
    assert censored.low < 4590 < Estimate.median(runs, censored_at=6000.0).low
    assert Estimate.median(runs).low == math.inf  # without a budget inf is a value


def test_trend_is_the_mean_per_unit_slope_with_a_t_interval():
    rows = np.array([[1.0, 2.0, 3.0], [1.0, 3.0, 5.0], [2.0, 2.5, 3.0]])
    e = Estimate.trend(rows, +1)
    assert e.per_unit == pytest.approx((1.0, 2.0, 0.5))
    assert e.value == pytest.approx(Estimate.mean([1.0, 2.0, 0.5]).value)
    assert Estimate.trend(rows, -1).value == pytest.approx(-e.value)
    on_log = Estimate.trend(np.exp(rows), +1, x=[0.0, 2.0, 4.0], log=True)
    assert on_log.per_unit == pytest.approx((0.5, 1.0, 0.25))
    assert Estimate.trend([[1.0, math.nan]] * 3, +1).is_nan


def test_a_censored_trend_is_open_on_the_side_its_budget_cannot_speak_to():
    late = np.array([[1.0, 2.0, math.inf], [1.0, 3.0, 4.0], [1.0, 2.5, 3.5]])
    up = Estimate.trend(late, +1, censored_at=5.0)  # never crossed at the far end
    assert up.censored == "high" and up.high == math.inf and math.isfinite(up.low)
    down = Estimate.trend(late, -1, censored_at=5.0)
    assert down.censored == "low" and down.low == -math.inf
    with pytest.raises(ValueError, match="censored_at"):
        Estimate.trend(late, +1)


def test_pooling_applies_the_same_statistic_to_the_union_of_units():
    a, b = [1.0, 2.0, 3.0], [2.0, 4.0]
    for build in (Estimate.mean, Estimate.geometric_mean, Estimate.median):
        assert Estimate.from_units([build(a), build(b)]) == build(a + b)
    trend = Estimate.from_units(
        [Estimate.trend([[1.0, 2.0]] * 2, 1), Estimate.trend([[1.0, 4.0]], 1)]
    )
    assert trend.per_unit == (1.0, 1.0, 3.0) and trend.method.startswith("trend")
    with pytest.raises(ValueError, match="per-unit values alone"):
        Estimate.from_units([Estimate.bootstrap(np.mean, np.arange(40.0))] * 2)
    with pytest.raises(ValueError, match="share their method"):
        Estimate.from_units([Estimate.mean(a), Estimate.median(a)])
    e = Estimate.median([3.0, math.inf], censored_at=9.0)
    assert Estimate.from_dict(e.to_dict()) == e


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


def test_worst_point_is_the_largest_deviation_with_an_interval_that_can_decide():
    rng = np.random.default_rng(6)
    curves = 1.0 + 0.01 * rng.normal(size=(8, 50))  # every point close to the reference 1
    close = Estimate.worst_point(curves, np.ones(50), log=True)
    assert 0 <= close.low <= close.value <= close.high < 0.05
    far = Estimate.worst_point(curves + np.r_[np.zeros(49), 0.5], np.ones(50))
    assert far.low > 0.4  # one point half a unit away, certainly
    assert Estimate.worst_point(curves[:1], np.ones(50)).high == math.inf
    with pytest.raises(ValueError, match="points"):
        Estimate.worst_point(curves, np.ones(3))


def test_worst_point_keeps_its_curves_and_reference_through_the_json():
    rng = np.random.default_rng(7)
    curves = 1.0 + 0.01 * rng.normal(size=(4, 5))
    reference = np.array([1.0, 1.0, 0.9, 1.0, 1.0])
    e = Estimate.worst_point(curves, reference, log=True)
    assert e.method == WORST_LOG_POINT_METHOD and len(e.per_unit) == e.n == 4
    assert e.per_unit[2] == tuple(curves[2]) and e.reference == tuple(reference)
    d = json.loads(json.dumps(e.to_dict()))
    assert d["per_unit"][1] == list(curves[1]) and d["reference"] == list(reference)
    assert Estimate.from_dict(d) == e
    diverged = np.where(np.arange(5) == 1, math.nan, curves)  # its curve travels with NaN text
    text = json.dumps(Estimate.worst_point(diverged, reference).to_dict())
    assert json.loads(text)["per_unit"][3][1] == "nan"
    assert json.dumps(Estimate.from_dict(json.loads(text)).to_dict()) == text
    linear = Estimate.worst_point(curves, np.ones(5))
    assert linear.method == WORST_POINT_METHOD and Estimate.from_dict(linear.to_dict()) == linear
    assert "reference" not in Estimate.mean([1.0, 2.0]).to_dict()  # other claims' JSON as before
    with pytest.raises(ValueError, match="points"):
        Estimate(0.1, 0.0, 0.2, 4, WORST_POINT_METHOD, per_unit=curves, reference=np.ones(3))
    with pytest.raises(ValueError, match="worst point"):
        Estimate(1.5, 1.0, 2.0, 2, "mean, t", reference=(1.0,))


def test_worst_points_pool_as_the_worst_point_of_the_stacked_curves():
    rng = np.random.default_rng(8)
    a, b = (1.0 + 0.05 * rng.normal(size=(k, 6)) for k in (3, 4))
    reference = np.linspace(0.9, 1.1, 6)
    for log in (False, True):
        runs = [Estimate.worst_point(x, reference, log=log) for x in (a, b)]
        pooled = Estimate.from_units([Estimate.from_dict(r.to_dict()) for r in runs])
        assert pooled == Estimate.worst_point(np.vstack([a, b]), reference, log=log)
        assert pooled.n == 7 and pooled.high < runs[0].high  # more units, a narrower bound
    with pytest.raises(ValueError, match="reference curve"):
        Estimate.from_units(
            [Estimate.worst_point(a, reference), Estimate.worst_point(b, reference + 0.01)]
        )
    with pytest.raises(ValueError, match="6 points against 5"):
        Estimate.from_units(
            [Estimate.worst_point(a, reference), Estimate.worst_point(b[:, :5], reference[:5])]
        )
    with pytest.raises(ValueError, match="share their method"):  # logs and differences
        Estimate.from_units(
            [Estimate.worst_point(a, reference), Estimate.worst_point(b, reference, log=True)]
        )
    diverged = Estimate.worst_point(np.vstack([a, np.full(6, math.nan)]), reference)
    assert len(diverged.per_unit) == 4  # a diverged unit is kept: pooling it stays NaN
    assert Estimate.from_units([diverged, Estimate.worst_point(b, reference)]).is_nan


def test_a_log_worst_point_is_unbounded_where_a_points_interval_reaches_zero():
    curves = np.array([[1.0, 0.01], [1.1, 0.5], [0.9, 0.001]])  # point 2: mean - half < 0
    est = Estimate.worst_point(curves, np.ones(2), log=True)
    assert est.high == math.inf and est.low <= est.value
    assert Estimate.worst_point(curves[:2], np.ones(2), log=True).high == math.inf  # n = 2


def test_a_bootstrap_of_a_whole_run_pools_its_runs_as_units():
    runs = [
        Estimate.bootstrap(np.std, np.arange(40.0) * s, pool_runs="geometric mean")
        for s in (1.0, 1.1, 0.9)
    ]
    assert runs[0].per_unit == (runs[0].value,) and runs[0].n == 40
    assert runs[0].low < runs[0].value < runs[0].high  # the run's own verdict: over its units
    pooled = Estimate.from_units(runs)
    assert (pooled.n, pooled.unit, pooled.method) == (3, "runs", "geometric mean, t on logs")
    assert pooled.value == pytest.approx(np.exp(np.mean(np.log([r.value for r in runs]))))
    z = Estimate.from_units(
        [Estimate.bootstrap(np.mean, np.arange(4.0) + k, pool_runs="mean") for k in range(3)]
    )
    assert (z.value, z.method) == (2.5, "mean, t")
    with pytest.raises(ValueError, match="pool_runs must be one of"):
        Estimate.bootstrap(np.mean, np.arange(4.0), pool_runs="median")
