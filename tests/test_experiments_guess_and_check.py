"""The measurements chapter 03's claims are decided on, per data set (the independent units)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import grokutils.experiments.guess_and_check as gc
from grokutils.book.claims import Verdict


def _table(mean, prior=None, p_accept=None):
    """A one-activation sweep table from ``mean [X, S]`` (prior 1 unless given)."""
    mean = np.asarray(mean, float)
    prior = np.ones_like(mean) if prior is None else np.asarray(prior, float)
    p_accept = np.ones_like(mean) if p_accept is None else np.asarray(p_accept, float)
    return {"mean": mean, "prior": prior, "ratio": mean / prior, "p_accept": p_accept}


def test_a_trend_is_decided_per_data_set_along_increasing_width():
    # columns are data sets; the grid is given out of order on purpose
    widths = [40, 5, 160]
    mean = [[0.20, 0.20, 0.20], [0.10, 0.25, 0.10], [0.23, 0.30, 0.20]]
    up = gc.trend({"linear": _table(mean)}, widths)["linear"]
    assert up.tolist() == [True, False, False]  # set 1 falls 5 → 40; set 2 ties 40 → 160
    assert gc.trend({"linear": _table(mean)}, widths, up_to=40)["linear"].tolist() == [
        True,
        False,
        True,
    ]


def test_nan_in_a_data_set_is_never_a_trend_and_is_named():
    table = {"tanh": _table([[0.1, 0.1], [np.nan, 0.2]])}
    assert gc.trend(table, [5, 40])["tanh"].tolist() == [False, True]
    assert "width tanh" in gc.failed_runs(width=table)
    assert gc.failed_runs(width={"tanh": _table([[0.1], [0.2]])}, limit=np.ones(1)) is None
    assert gc.failed_runs(limit=np.array([1.0, np.nan])).endswith("limit")


def test_acceptance_falls_with_width_as_a_decreasing_trend():
    p = [[8e-5, 7e-5], [2e-5, 7e-5], [1e-5, 6e-5]]
    table = {"linear": _table(np.ones((3, 2)), p_accept=p)}
    falls = gc.trend(table, [5, 40, 160], "p_accept", increasing=False)["linear"]
    assert falls.tolist() == [True, False]


def test_ratio_to_chance_is_taken_within_each_data_set():
    mean, prior = [[0.1, 0.2], [0.19, 0.22]], [[0.2, 0.25], [0.2, 0.23]]
    r = gc.ratio_at({"linear": _table(mean, prior)}, [5, 160], 160)["linear"]
    np.testing.assert_allclose(r, [0.95, 0.22 / 0.23])
    with pytest.raises(ValueError, match="not on the grid"):
        gc.ratio_at({"linear": _table(mean, prior)}, [5, 160], 640)


def test_w4_parts_are_the_gap_at_640_and_k_times_the_gap():
    ratio = np.array([[0.9], [0.96], [0.995]])
    parts = gc.gap_parts(
        {"linear": _table(ratio)}, [20, 80, 640], at=640, scaled=[20, 80], activations=["linear"]
    )
    assert list(parts) == [
        "linear, gap at k = 640",
        "linear, k × gap at k = 20",
        "linear, k × gap at k = 80",
    ]
    np.testing.assert_allclose([v[0] for v in parts.values()], [0.005, 2.0, 3.2])


def test_depth_claims_compare_the_deepest_depth_with_depth_two_per_data_set():
    depths = [6, 2, 10]  # deepest found by value, not position
    mean = [[0.02, 0.03], [0.04, 0.02], [0.01, 0.025]]
    table = {"linear": _table(mean, prior=np.full((3, 2), 0.08))}
    np.testing.assert_allclose(gc.depth_fall(table, depths)["linear"], [0.25, 1.25])
    assert gc.deeper_is_better(table, depths)["linear"].tolist() == [True, False]
    d3 = gc.ratio_shallow_and_deep(table, depths)
    assert list(d3) == ["d = 2", "d = 10"]
    np.testing.assert_allclose(d3["d = 2"], [0.5, 0.25])
    np.testing.assert_allclose(gc.limit_ratio(table, depths, np.array([0.01, 0.05])), [1.0, 0.5])


def test_spearman_of_the_median_curve_with_a_bootstrap_over_data_sets():
    rng = np.random.default_rng(0)
    depths = [2, 4, 6, 8, 10]
    falling = np.linspace(0.05, 0.01, 5)[:, None] * (1 + 0.05 * rng.standard_normal((5, 8)))
    est = gc.spearman_of_median(depths, falling)
    assert est.value == pytest.approx(-1) and est.high < -0.9
    assert (est.n, est.unit) == (8, "data sets")
    flat = 0.03 + 0.01 * rng.standard_normal((5, 8))
    assert gc.spearman_of_median(depths, flat).high > -0.9  # no trend: not decided as one
    assert math.isnan(gc.spearman([1, 2, 3], [1.0, np.nan, 0.0]))


def test_acceptance_rises_with_depth_needs_end_points_and_rank_correlation():
    p = [[1e-7, 1e-7, 5e-7], [5e-7, 2e-8, 1e-6], [2e-6, 5e-8, 4e-7]]
    table = {"linear": _table(np.ones((3, 3)), p_accept=p)}
    assert gc.acceptance_rises(table, [2, 6, 10]).tolist() == [True, False, False]


def test_medians_are_over_data_sets_with_order_statistic_intervals():
    est = gc.medians({"linear": np.arange(10.0)})["linear"]
    assert (est.value, est.low, est.high, est.unit) == (4.5, 1.0, 8.0, "data sets")


def _gd(gen, train):
    """GD results of one width (or depth) on the data sets: ``[1, S]``."""
    return {"gen": np.array([gen], float), "train": np.array([train], float)}


def _w5(gd):
    return gc.gd_claim(
        "W5", "GD generalises", gd, bound=1e-3, at_least=0.5, reference="good", source="paper"
    )


def test_gd_claims_refute_on_fitted_runs_and_stay_undecided_on_unfitted_ones():
    """A fitted run that generalises badly refutes its data set; an unfitted one leaves it
    undecided, and the claim inconclusive if the undecided data sets could change the verdict."""
    fitted_good = {"linear": _gd([1e-5] * 6, [1e-7] * 6)}
    holds, undecided = gc.gd_generalises(fitted_good, bound=1e-3)["linear"]
    assert holds.all() and not undecided.any()
    assert _w5(fitted_good).verdict == Verdict.REPRODUCED

    # two of six data sets still near the saddle at the origin: they cannot say
    one_stuck = {"linear": _gd([1e-5] * 4 + [4e-2] * 2, [1e-7] * 4 + [3e-4] * 2)}
    holds, undecided = gc.gd_generalises(one_stuck, bound=1e-3)["linear"]
    assert holds.tolist() == [True] * 4 + [False] * 2 and undecided.sum() == 2
    claim = _w5(one_stuck)
    assert claim.verdict == Verdict.INCONCLUSIVE and "did not fit" in claim.note

    # GD fits the data and generalises badly on 9 of 10: refuted whatever the tenth says
    interpolates_badly = {"linear": _gd([3e-2] * 9 + [4e-2], [1e-9] * 9 + [3e-2])}
    claim = _w5(interpolates_badly)
    assert claim.verdict == Verdict.NOT_REPRODUCED and "did not fit" not in claim.note


def test_a_gd_claim_with_several_activations_fails_if_one_does():
    good, bad = _gd([1e-5] * 6, [1e-8] * 6), _gd([2e-2] * 6, [1e-9] * 6)
    assert _w5({"linear": good, "leaky_relu": bad}).verdict == Verdict.NOT_REPRODUCED
    assert _w5({"linear": good, "tanh": good}).verdict == Verdict.REPRODUCED
