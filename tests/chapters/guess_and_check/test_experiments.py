"""Chapter 03's sweep grids and tables, and the measurements its claims are decided on, per data
set (the independent units)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import grokutils.chapters.guess_and_check.experiments as gc
from grokutils.chapters.guess_and_check.sampler import Conditioned
from grokutils.chapters.guess_and_check.task import make_task
from grokutils.core import dry_run, params


def _table(mean, prior=None, p_accept=None):
    """A one-activation sweep table from ``mean [X, S]`` (prior 1 unless given)."""
    mean = np.asarray(mean, float)
    prior = np.ones_like(mean) if prior is None else np.asarray(prior, float)
    p_accept = np.ones_like(mean) if p_accept is None else np.asarray(p_accept, float)
    return {"mean": mean, "prior": prior, "ratio": mean / prior, "p_accept": p_accept}


def test_a_trend_is_the_mean_per_data_set_slope_of_the_log_along_increasing_width():
    # columns are data sets; the grid is given out of order on purpose
    widths = [40, 5, 160]
    mean = [[0.2, 0.2, 0.2], [0.1, 0.25, 0.1], [0.4, 0.3, 0.2]]
    up = gc.trend({"linear": _table(mean)}, widths, sign=+1, log_x=True)["linear"]
    # per data set: slope of log L_gen against log k over k = 5, 40, 160
    x = np.log([5, 40, 160])
    rows = np.log(np.array(mean)[[1, 0, 2]].T)
    slopes = [np.polyfit(x, row, 1)[0] for row in rows]
    assert up.value == pytest.approx(np.mean(slopes))
    assert (up.n, up.unit, up.method) == (3, "data sets", "trend: per-unit slope, t")
    assert up.per_unit == pytest.approx(slopes)
    # up_to keeps the grid points k <= 40; sign -1 reverses the effect
    down = gc.trend({"linear": _table(mean)}, widths, sign=-1, log_x=True, up_to=40)["linear"]
    assert down.per_unit == pytest.approx(-(rows[:, 1] - rows[:, 0]) / (x[1] - x[0]))


def test_a_trend_between_two_grid_values_is_their_paired_log_ratio():
    depths = [6, 2, 10]
    mean = [[0.02, 0.03], [0.04, 0.02], [0.01, 0.025]]
    est = gc.trend({"tanh": _table(mean)}, depths, sign=-1, at=(2, 10))["tanh"]
    np.testing.assert_allclose(est.per_unit, -np.log([0.01 / 0.04, 0.025 / 0.02]) / 8)


def test_nan_in_a_data_set_makes_the_trend_nan_and_is_named():
    table = {"tanh": _table([[0.1, 0.1], [np.nan, 0.2]])}
    assert gc.trend(table, [5, 40], sign=+1)["tanh"].is_nan
    assert "width tanh" in gc.failed_runs(width=table)
    assert gc.failed_runs(width={"tanh": _table([[0.1], [0.2]])}, limit=np.ones(1)) is None
    assert gc.failed_runs(limit=np.array([1.0, np.nan])).endswith("limit")


def test_acceptance_falls_with_width_as_a_decreasing_trend_of_its_log():
    p = [[8e-5, 7e-5], [2e-5, 7e-5], [1e-5, 6e-5]]
    table = {"linear": _table(np.ones((3, 2)), p_accept=p)}
    falls = gc.trend(table, [5, 40, 160], "p_accept", sign=-1, log_x=True)["linear"]
    assert all(s > 0 for s in falls.per_unit)  # both fall, the second barely
    assert falls.value > 0


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
    d3 = gc.ratio_shallow_and_deep(table, depths)
    assert list(d3) == ["d = 2", "d = 10"]
    np.testing.assert_allclose(d3["d = 2"], [0.5, 0.25])
    np.testing.assert_allclose(gc.limit_ratio(table, depths, np.array([0.01, 0.05])), [1.0, 0.5])


def test_ratios_are_geometric_means_and_gaps_means_over_data_sets():
    est = gc.geometric_means({"linear": np.array([0.5, 2.0, 1.0])})["linear"]
    assert est.value == pytest.approx(1.0)
    assert (est.method, est.unit, est.n) == ("geometric mean, t on logs", "data sets", 3)
    gap = gc.means({"gap": np.array([-0.01, 0.01, 0.03])})["gap"]
    assert gap.value == pytest.approx(0.01) and gap.method == "mean, t"


@pytest.fixture(scope="module")
def quick():
    return params.load("03_guess_and_check", "quick", seed=7, presets_dir="chapters/presets")


def test_data_seeds_are_paired_across_sweeps(quick):
    seeds = gc.data_seeds(quick)
    assert seeds == [7_000_000 + s for s in range(max(quick.n_seeds, quick.n_seeds_depth))]
    assert gc.seeds_of(quick) == {"data_sets": seeds, "samplers": [7_010_000]}


def test_width_grid_is_activation_major_with_naive_rejection_at_the_narrowest_width(quick):
    points = gc.width_points(quick)
    assert len(points) == len(quick.activations) * len(quick.widths)
    assert [(pt["activation"], pt["width"]) for pt in points[:3]] == [
        ("linear", k) for k in quick.widths
    ]
    assert [pt["naive_draws"] for pt in points[:3]] == [quick.naive_draws, 0, 0]
    assert all(len(pt["seeds"]) == quick.n_seeds for pt in points)


def test_depth_grids_use_the_depth_sweeps_data_sets(quick):
    seeds = gc.data_seeds(quick)
    depth = gc.depth_points(quick)
    assert [pt["depth"] for pt in depth[:3]] == quick.depths
    assert all(pt["seeds"] == seeds[: quick.n_seeds_depth] for pt in depth)
    limit = gc.limit_point(quick)
    assert (limit["activation"], limit["depth"]) == ("linear", None)
    check = gc.check_points(quick)
    assert [pt["eps"] for pt in check] == [quick.check_eps] * len(quick.check_depths)
    assert all(pt["replicas"] >= 4 for pt in check)
    naive = gc.naive_check_points(quick)
    assert [pt["depth"] for pt in naive] == [pt["depth"] for pt in check]
    assert all(pt["n_draws"] == quick.naive_draws for pt in naive)
    assert all(pt["seeds"] == seeds[: quick.n_seeds_depth] for pt in check + naive)


def test_gd_grids_take_the_official_initialisation_scales(quick):
    width = gc.gd_width_points(quick)
    assert {pt["init_scale"] for pt in width} == {1e-3} and {pt["depth"] for pt in width} == {2}
    depth = gc.gd_depth_points(quick)
    assert [pt["init_scale"] for pt in depth] == [
        gc.official_init_scale(pt["depth"], pt["activation"]) for pt in depth
    ]


def test_gd_table_stacks_the_record_100_steps_before_the_last():
    kwargs = dict(width=5, depth=2, seeds=[0, 1], init_scale=1e-3, lr=1e-2, steps=130)
    runs = [gc.gd_point(a, sampler_seed=0, **kwargs) for a in ("linear", "tanh")]
    table = gc.gd_table(runs + runs, ["linear", "tanh"])  # two grid points per activation
    assert set(table) == {"linear", "tanh"}
    assert table["tanh"]["test_loss"].shape == (2, 2)
    at = list(runs[0].steps).index(30)  # official train_gd: last log at epoch epochs − 100
    np.testing.assert_array_equal(table["linear"]["train_loss"][0], runs[0]["train_loss"][:, at])
    assert runs[0].steps[-1] == 130


def test_gd_depth_points_give_leaky_relu_its_own_step_count():
    paper = params.load("03_guess_and_check", "paper", presets_dir="chapters/presets")
    steps = {(pt["activation"], pt["depth"]): pt["steps"] for pt in gc.gd_depth_points(paper)}
    assert {s for (a, _), s in steps.items() if a != "leaky_relu"} == {20000}
    assert {s for (a, _), s in steps.items() if a == "leaky_relu"} == {50000}


def _conditioned(mean, prior, p_accept=1e-5, method="x"):
    mean = np.asarray(mean, float)
    one = np.ones_like(mean)
    return Conditioned(
        method, 0.1, mean, 0.01 * one, 100 * one, p_accept * one, one, prior * one, one, 1
    )


def test_sweep_table_and_results_name_the_sweeps_with_nan_estimates():
    point = {"rbis": _conditioned([0.1, 0.2], 0.4, method="rbis"), "ss": None, "naive": None}
    bad = {"rbis": point["rbis"], "ss": _conditioned([np.nan, 0.2], 0.4, method="ss")}
    table = gc.sweep_table([point, bad], ["linear"])
    assert table["linear"]["method"].tolist() == ["rbis", "ss"]
    np.testing.assert_allclose(table["linear"]["ratio"][0], [0.25, 0.5])
    depth = gc.sweep_table([{"ss": _conditioned([0.1, 0.2], 0.4)}] * 2, ["linear"], key="ss")
    gd = {"linear": {"train_loss": np.zeros((1, 2)), "test_loss": np.zeros((1, 2))}}
    r = gc.Results([5, 40], table, [5], gd, [2, 6], depth, [2], gd, _conditioned([0.1, 0.1], 1))
    assert "width linear" in r.width_failed and r.depth_failed is None


def test_prior_chance_of_linear_nets_has_its_closed_form_levels():
    task = make_task([0, 1])
    excess = task.b_star.square().sum(-1) / task.n_test
    np.testing.assert_allclose(task.prior_chance_linear(normalised=False), 1 / 5 + excess)
    np.testing.assert_allclose(task.prior_chance_linear(normalised=True), 1 / 25 + excess)


# --- the registry: what the notebook runs and the dry run times ------------------------------

DECLARED = [
    "width_sweep",
    "check_subset_simulation",
    "check_naive_rejection",
    "gd_width_sweep",
    "depth_sweep",
    "depth_limit",
    "gd_depth_sweep",
]


def test_the_registry_declares_each_sweep_once_with_the_presets_sizes(quick):
    assert [e.key for e in gc.EXPERIMENTS] == DECLARED
    assert gc.start == gc.EXPERIMENTS.start
    changed = quick.with_values(widths=[5, 40, 160, 640], gd_width_steps=500, naive_draws=2000)
    assert len(gc.width_sweep.points(changed)) == len(quick.activations) * 4
    assert "640" in gc.width_sweep.sizes(changed)
    gd = gc.gd_width_sweep
    assert {gd.point_steps(pt) for pt in gd.points(changed)} == {500}
    naive = gc.check_naive_rejection
    assert {naive.point_steps(pt) for pt in naive.points(changed)} == {2000}


def test_a_width_point_cut_to_k_feature_draws_scales_every_budget_with_it(quick):
    narrowest, other = gc.width_points(quick)[:2]
    k = quick.rbis_inner // 10
    cut = gc.width_sweep.cut(narrowest, k, quick)
    assert cut["n_inner"] == k and cut["ess_min"] == pytest.approx(quick.ess_min / 10)
    assert cut["naive_draws"] == math.ceil(quick.naive_draws / 10)
    assert cut["n_particles"] == max(math.ceil(quick.ss_particles / 10), gc.MIN_PARTICLES)
    assert gc.width_sweep.cut(other, k, quick)["naive_draws"] == 0


@pytest.mark.parametrize("preset", params.PRESETS)
def test_the_dry_run_times_each_kind_of_point_at_every_preset(preset):
    p = params.load("03_guess_and_check", preset, presets_dir="chapters/presets")
    probes = {probe.name: probe for probe in dry_run.probes(p, gc.EXPERIMENTS)}
    assert len(probes) == 9 and all(probe.steps >= 1 for probe in probes.values())
    narrow = probes["G&C width sweep (narrowest width, + naive check)"]
    assert narrow.steps == p.rbis_inner and narrow.repeats == len(p.activations)
    assert probes["G&C width sweep (other widths)"].repeats == len(p.activations) * (
        len(p.widths) - 1
    )
    # the check's two samplers are timed apart: subset simulation by replicas (each with every
    # particle, one in the paper-sizes test), naive rejection by draws; the depth sweep as the
    # check's subset simulation
    for name, replicas in (
        ("naive vs SS: subset simulation", max(p.ss_replicas, 4)),
        ("G&C depth sweep", p.ss_replicas),
    ):
        assert (probes[name].steps, probes[name].few) == (replicas, 1), name
    assert probes["naive vs SS: naive rejection"].steps == p.naive_draws
    assert probes["GD depth (Leaky ReLU)"].steps == p.gd_depth_steps_leaky
