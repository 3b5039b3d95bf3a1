"""The measurements behind chapter 01's claims: per-seed tables, worst cases, censored delay
trends, estimates."""

from __future__ import annotations

import math
import types

import numpy as np
import pandas as pd
import pytest
import torch

from grokutils.chapters.lazy_to_rich import experiments as ex
from grokutils.chapters.lazy_to_rich.committee_sweep import (
    eigenvector_label_runs,
    single_index_sweep,
)
from grokutils.core.seeding import seed_record
from grokutils.core.trajectory import Trajectory

torch.set_num_threads(1)


def _history(train, test, linear=None, steps=None):
    train, test = np.asarray(train, float), np.asarray(test, float)
    steps = np.arange(train.shape[1]) if steps is None else np.asarray(steps)
    series = {"train_loss": train, "test_loss": test}
    if linear is not None:
        series["test_loss_linear"] = linear
    return Trajectory(steps, series)


@pytest.fixture(scope="module")
def tiny_headline():
    kw = dict(d=6, width=5, steps=400, eps=[0.25], p=[30], n_records=25)
    head = single_index_sweep(alpha=[0.5, 1.0, 2.0], seed=[3, 4], n_align=8, **kw)
    lin = single_index_sweep(alpha=[1.0], seed=[3, 4], engine="linearised", **kw)
    return head, lin


def test_seed_table_puts_the_runs_of_one_seed_in_a_row(tiny_headline):
    head, _ = tiny_headline
    seeds = ex.seed_table(head, head.config["seed"])
    alphas = ex.seed_table(head, head.config["alpha"])
    np.testing.assert_array_equal(seeds, [[3, 3, 3], [4, 4, 4]])
    np.testing.assert_array_equal(alphas, [[0.5, 1, 2], [0.5, 1, 2]])
    np.testing.assert_array_equal(ex.config_values(head, "alpha"), [0.5, 1, 2])
    assert ex.seed_table(head, head.trajectory.test_loss).shape == (
        2,
        3,
        len(head.trajectory.steps),
    )


def test_table_orders_the_configurations_by_value(tiny_headline):
    head, _ = tiny_headline
    values = head.config["alpha"] * 10 + head.config["seed"]
    axis, got = ex.table(head, values, "alpha")
    np.testing.assert_array_equal(axis, [0.5, 1, 2])
    np.testing.assert_array_equal(got, [[8, 13, 23], [9, 14, 24]])


def test_headline_measures_have_one_row_per_seed_and_pair_the_linearisation(tiny_headline):
    head, lin = tiny_headline
    t = ex.headline_measures(head, lin)
    assert isinstance(t, ex.Headline)
    np.testing.assert_array_equal(t.alpha, [0.5, 1, 2])
    keys = ("ratio", "rise", "final", "norm_growth", "weight_change", "linear_share", "train_time")
    for key in keys:
        assert getattr(t, key).shape == (2, 3), key
    assert t.budget == head.trajectory.steps[-1]
    assert t.lin_deviation.shape == t.lin_departure.shape == t.lin_floor.shape == (2,)
    # the lazy start: the network follows its linearisation closely at first
    assert np.all(t.lin_deviation < 0.5)
    assert np.all(t.rise >= 1)
    with pytest.raises(ValueError, match="seeds"):
        ex.headline_measures(head, single_index_sweep(**{**_lin_kwargs(), "seed": [4, 3]}))


def _lin_kwargs():
    return dict(
        d=6, width=5, steps=400, eps=[0.25], p=[30], n_records=25, alpha=[1.0], engine="linearised"
    )


def test_rise_is_one_without_a_rise_and_the_peak_over_the_start_otherwise():
    h = _history([[1, 0.5, 0.2], [1, 0.5, 0.2]], [[2, 1, 0.5], [2, 3, 1]])
    np.testing.assert_allclose(ex.rise(h), [1, 1.5])
    np.testing.assert_allclose(ex.final_ratio(h), [0.25, 0.5])
    np.testing.assert_allclose(ex.train_at_peak(h), [1, 0.5])


def test_linear_share_is_one_when_only_the_linear_power_grows():
    parts = np.zeros((2, 3, 3))
    parts[:, :, 0] = 1.0
    parts[0, 1, 2] = 0.5  # run 0: the rise is all linear power
    parts[1, 1, 2], parts[1, 1, 0] = 0.8, 0.7  # run 1: linear power more than the rise
    test = parts.sum(-1)
    h = _history(np.ones((2, 3)), test, parts[:, :, 2])
    np.testing.assert_allclose(ex.linear_share(h), [1.0, 0.8 / 0.5])


def test_test_loss_at_the_train_crossing_is_nan_when_the_train_loss_never_crossed():
    h = _history([[1, 0.05, 0.01], [1, 0.5, 0.2]], [[1, 0.6, 0.1], [1, 1, 1]])
    got = ex.at_train_crossing(h, 0.1)
    assert got[0] == pytest.approx(0.6) and math.isnan(got[1])


def test_linearisation_deviation_stops_at_the_network_peak():
    net = _history([[1, 1, 1, 1]], [[1, 2, 1, 1]])
    lin = _history([[1, 1.01, 0.5, 0.5]], [[1, 2.02, 2, 2]])
    # up to the peak (index 1): 1 %; the later, large departure does not count
    assert ex.linearisation_deviation(net, lin)[0] == pytest.approx(0.01 / 1.01, rel=1e-12)
    with pytest.raises(ValueError, match="match"):
        ex.linearisation_deviation(net, _history([[1, 1]], [[1, 1]]))


def _delays(gap, t_train, budget=100.0):
    gap, t_train = np.asarray(gap, float), np.asarray(t_train, float)
    return types.SimpleNamespace(
        gap=gap, ratio=(t_train + gap) / t_train, train_time=t_train, budget=budget
    )


def test_a_never_crossed_delay_is_censored_at_the_budget_less_the_train_time():
    t_train = [[10, 20, 30], [10, 20, 30], [10, 20, 40]]
    gap = [[5, 10, 20], [6, 12, 15], [5, 10, np.inf]]
    # the censored gap is above 100 - 40; its ratio above 100 / 40
    assert ex.delay_censored_at(gap, t_train, 100.0, "gap") == 60
    assert ex.delay_censored_at(gap, t_train, 100.0, "ratio") == 2.5
    assert ex.delay_censored_at([[1, 2]], [[1, 1]], 100.0, "gap") is None
    e = ex.delay_trend(_delays(gap, t_train), "gap", +1, [0.0, 1.0, 2.0])
    slopes = [7.5, 4.5, (60 - 5) / 2]  # the third seed's slope with the budget in its place
    assert e.value == pytest.approx(np.mean(slopes)) and e.censored == "high"
    assert e.high == math.inf and e.low < e.value
    # a censored entry below the mean of x, if larger, lowers the slope: the low end opens
    early = ex.delay_trend(_delays([[np.inf, 10, 20]] * 2, t_train[:2]), "gap", +1, [0, 1, 2])
    assert early.censored == "low" and early.low == -math.inf and early.high < math.inf
    both = ex.delay_trend(
        _delays([[np.inf, 10, 20], [1, 10, np.inf]], t_train[:2]), "gap", +1, [0, 1, 2]
    )
    assert both.censored == "both" and (both.low, both.high) == (-math.inf, math.inf)


def test_a_delay_whose_train_loss_never_crossed_makes_the_trend_nan():
    t_train = np.array([[10.0, np.inf], [10.0, 20.0]])
    gap = np.array([[5.0, -np.inf], [5.0, 9.0]])  # the test loss crossed, the train loss not
    assert ex.delay_trend(_delays(gap, t_train), "gap", +1, [0.0, 1.0]).is_nan
    ratio = ex.delay_trend(
        _delays([[5.0, 6.0], [5.0, 9.0]], [[10.0, 10.0]] * 2), "ratio", +1, [0.0, 1.0]
    )
    assert ratio.value == pytest.approx(np.mean([np.log(16 / 15), np.log(19 / 15)]))


def test_paper_amount_of_grokking_counts_a_run_that_never_generalised_as_zero():
    steps = [0, 10, 100, 1000]
    h = _history([[1, 0.05, 0, 0], [1, 0.05, 0, 0]], [[1, 1, 0.05, 0], [1, 1, 1, 1]], steps=steps)
    np.testing.assert_array_equal(ex.amount_of_grokking(h, 0.1), [90, 0])


def test_phase_trends_are_each_seeds_slope_over_the_whole_grid():
    amounts = np.array([[[0, 1], [4, 3]], [[1, 1], [5, 1]], [[2, 0], [4, 2]]], float)
    phase = ex.PhaseDiagram(np.array([0.5, 2.0]), np.array([0.05, 0.25]), amounts, amounts)
    along_alpha = phase.trend("alpha", +1)  # the mean over ε of each seed, against log α
    slopes = (amounts[:, 1].mean(1) - amounts[:, 0].mean(1)) / np.log(4)
    np.testing.assert_allclose(along_alpha.per_unit, slopes)
    along_eps = phase.trend("eps", -1)
    np.testing.assert_allclose(
        along_eps.per_unit, (amounts[:, :, 0].mean(1) - amounts[:, :, 1].mean(1)) / np.log(5)
    )


def test_a_phase_run_that_never_generalised_is_censored_not_zero():
    amounts = np.array([[[4, 3], [6, 0]], [[3, 3], [5, 0]]], float)  # the lazy corner empty
    lower = np.full(amounts.shape, np.nan)
    lower[:, 1, 1] = [9.0, 8.0]  # never crossed: at least 9 and 8 steps of grokking
    zero = ex.PhaseDiagram(np.array([0.5, 2.0]), np.array([0.05, 0.25]), amounts, amounts)
    censored = ex.PhaseDiagram(zero.alphas, zero.eps, amounts, amounts, lower)
    assert censored.n_censored == 2 and zero.n_censored == 0
    along_alpha = censored.trend("alpha", +1)
    # the censored corner counts at the smaller bound, 8, and the slope is bounded below only
    rows = np.where(np.isfinite(lower), 8.0, amounts)
    slopes = (rows[:, 1].mean(1) - rows[:, 0].mean(1)) / np.log(4)
    np.testing.assert_allclose(along_alpha.per_unit, slopes)
    assert along_alpha.censored == "high" and along_alpha.high == np.inf
    assert zero.trend("alpha", +1).value < 0 < along_alpha.value


def test_relative_delay_uses_each_runs_own_initial_loss():
    steps = [0, 10, 100]
    h = _history([[1, 0.05, 0], [10, 0.5, 0]], [[1, 1, 0.05], [10, 10, 0.5]], steps=steps)
    t_train, gap, ratio = ex.relative_delay(h, 0.1)
    np.testing.assert_array_equal(t_train, [10, 10])
    np.testing.assert_array_equal(gap, [90, 90])
    np.testing.assert_array_equal(ratio, [10, 10])


def test_mean_of_a_unit_that_never_crossed_is_nan_not_dropped():
    assert ex.mean([1.0, 2.0, np.inf]).is_nan
    e = ex.mean([1.0, 2.0, 3.0])
    assert e.value == pytest.approx(2) and e.n == 3 and e.low < 2 < e.high


def test_geometric_mean_is_the_mean_on_logs_mapped_back():
    x = np.array([2.0, 8.0, 4.0, 4.0])
    e = ex.geometric_mean(x)
    logs = ex.mean(np.log(x))
    assert e.value == pytest.approx(4.0)
    assert e.low == pytest.approx(math.exp(logs.low)) and e.high == pytest.approx(
        math.exp(logs.high)
    )
    assert ex.geometric_mean([2.0, np.inf]).is_nan and ex.geometric_mean([2.0, 0.0]).is_nan
    one = ex.geometric_mean([3.0])
    assert one.value == pytest.approx(3.0) and one.low == 0 and one.high == math.inf


def test_modular_measures_group_runs_by_seed_and_alpha():
    steps = np.array([0, 10, 100])
    acc = np.array([[0, 0.95, 1], [0, 0.5, 1], [0, 0, 0.95], [0, 0, 0]], float)
    norm = np.array([[1, 2, 3], [1, 1, 2], [2, 2, 2], [1, 1, 1]], float)
    runs = pd.DataFrame({"alpha": [1.0, 1.0, 0.5, 0.5], "seed": [1, 2, 1, 2]})
    series = {"train_acc": acc, "test_acc": acc, "weight_norm": norm}
    t = ex.modular_measures(Trajectory(steps, series, runs))
    np.testing.assert_array_equal(t.alpha, [0.5, 1.0])
    assert t.t_test.shape == (2, 2)
    assert t.t_test[1, 0] == np.inf and t.t_test[0, 1] == pytest.approx(0.9 / 0.95 * 10)
    np.testing.assert_allclose(t.norm_growth, [[1, 3], [1, 2]])
    assert t.budget == 100
    # the test accuracy must reach the level after the training accuracy: equal times do not
    np.testing.assert_array_equal(t.groks(1.0), [False, False])


def test_groks_needs_a_finite_test_crossing_after_the_train_crossing():
    t = ex.ModularAddition(
        alpha=np.array([1.0]),
        t_train=np.array([[10.0], [10.0], [10.0]]),
        t_test=np.array([[50.0], [np.inf], [5.0]]),
        norm_growth=np.ones((3, 1)),
    )
    np.testing.assert_array_equal(t.groks(), [True, False, False])


def test_axis_sweep_tables_follow_the_axis_in_increasing_order(tiny_headline):
    head, lin = tiny_headline
    m = ex.axis_sweep(head, "alpha")
    np.testing.assert_array_equal(m.values, [0.5, 1, 2])
    traj = head.trajectory
    np.testing.assert_array_equal(m.rise, ex.table(head, ex.rise(traj), "alpha")[1])
    np.testing.assert_array_equal(m.final, ex.table(head, traj.test_loss[:, -1], "alpha")[1])
    t_train, gap, _ = ex.relative_delay(traj)
    np.testing.assert_array_equal(m.gap, ex.table(head, gap, "alpha")[1])
    np.testing.assert_array_equal(m.train_time, ex.table(head, t_train, "alpha")[1])
    assert m.budget == traj.steps[-1]
    assert m.weight_change.shape == (2, 3)
    assert ex.axis_sweep(lin, "alpha").weight_change is None  # the linearisation has no W


def test_phase_diagram_puts_seeds_first_then_alpha_then_eps():
    kw = dict(d=5, width=4, steps=60, p=[20], n_records=8, seed=[0, 1])
    sweep = single_index_sweep(alpha=[0.5, 2.0], eps=[0.05, 0.25, 1.0], **kw)
    phase = ex.phase_diagram(sweep, [0.5, 2.0], [0.05, 0.25, 1.0])
    assert phase.amount.shape == phase.ratio.shape == (2, 2, 3)
    eps = ex.seed_table(sweep, sweep.config["eps"]).reshape(2, 2, 3)
    np.testing.assert_array_equal(eps[0, 0], [0.05, 0.25, 1.0])
    assert phase.trend("alpha", +1).n == 2
    never = np.isfinite(phase.censored)  # runs whose test loss never crossed 0.1
    assert (phase.amount[never] == 0).all()  # the paper's zero, kept for the figure
    assert (phase.censored[never] >= 0).all() and (phase.censored[never] <= 60).all()


def test_eigenvector_measures_sort_the_ranks_and_normalise_the_losses():
    traj = eigenvector_label_runs(d=5, p=12, ranks=[6, 1, 12], steps=20, seeds=[0, 3], n_records=5)
    eig = ex.eigenvector_measures(traj, [6, 1, 12], 2)
    np.testing.assert_array_equal(eig.ranks, [1, 6, 12])
    assert eig.test.shape == (2, 3, len(traj.steps))
    np.testing.assert_allclose(eig.test[:, :, 0], 1.0)
    # seed 3 (row 1), rank 1: run 1 · 3 + 1 of the seed-major runs
    np.testing.assert_array_equal(eig.final[1, 0], traj.test_loss[4, -1] / traj.test_loss[4, 0])


def test_chapter_seeds_take_disjoint_blocks_per_offset_and_family():
    def params(offset):
        units = dict(seeds=[0, 1], sweep_seeds=[0, 1], trend_seeds=[0], n2_seeds=[0])
        return types.SimpleNamespace(seed=offset, eig_seeds=[0], mod_seeds=[1], **units)

    one, two = (seed_record(offset, ex.seed_units(params(offset))) for offset in (1, 2))
    assert one["headline"] == [1_000_000, 1_000_001] and one["sweep"] == [1_010_000, 1_010_001]
    assert one["modular"] == [1_050_001]
    assert vars(ex.ChapterSeeds.of(params(1))) == one  # its fields are the record's families
    seeds_one = [s for seeds in one.values() for s in seeds]
    seeds_two = [s for seeds in two.values() for s in seeds]
    assert len(set(seeds_one)) == len(seeds_one)  # no two families share a seed
    assert not set(seeds_one) & set(seeds_two)  # nor two offsets


def test_max_relative_difference_is_relative_to_the_second_argument():
    assert ex.max_relative_difference([[1.0, 2.2]], [[1.0, 2.0]]) == pytest.approx(0.1)
