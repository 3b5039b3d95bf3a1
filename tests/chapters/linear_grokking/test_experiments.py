"""The measurements the linear-grokking chapter's claims are decided on (grokutils.experiments)."""

from __future__ import annotations

import numpy as np
import pytest
from linear_grokking_tiny import TINY

from grokutils.chapters.linear_grokking import experiments as ex
from grokutils.chapters.linear_grokking import linear_estimator as le
from grokutils.chapters.linear_grokking import task as ts
from grokutils.chapters.linear_grokking import theory as th
from grokutils.core import dry_run, params
from grokutils.core.trajectory import Trajectory

ETA = 0.01
STEPS = np.unique(np.round(np.geomspace(1, 1e6, 60)))


# --- runs that never cross ------------------------------------------------------------------


def test_a_run_that_never_groks_makes_a_ratio_nan_not_a_number():
    ratio = ex.finite_ratio([100.0, np.inf, 300.0], [100.0, 100.0, np.inf])
    assert ratio[0] == 1.0 and np.isnan(ratio[1:]).all()


def test_a_censored_run_counts_at_the_horizon_a_lower_bound():
    ratio = ex.censored_ratio([150.0, np.inf], theory=100.0, horizon=180.0)
    np.testing.assert_array_equal(ratio, [1.5, 1.8])


# --- exact checks of the theory (claims 1, 2, 3, 10, 12, 14) ---------------------------------


def test_eq9_closed_form_matches_quadrature_claim_1():
    assert ex.closed_form_error((0.1, 0.9, 1.5), np.geomspace(1, 5e4, 50), eta=ETA) <= 1e-8


def test_torch_sgd_matches_the_eigenbasis_solution_claim_2():
    problem = ts.teacher_student(20, 30, [0], d_out=2, noise_var=1e-3, n_gen=5)
    assert ex.sgd_error(problem, 100, eta=ETA, gamma=1e-3) <= 1e-10


def test_eq21_identity_holds_on_the_theory_claim_3():
    assert ex.identity_error(0.9, np.geomspace(10, 1e4, 10), eta=ETA) <= 1e-4


def test_eq12_is_approached_from_below_as_eps_falls_claim_10a():
    ratio = ex.envelope_ratio([0.5, 0.9], [1e-3, 1e-6, 1e-9], eta=ETA)
    assert np.all(np.diff(ratio, axis=0) > 0)
    # the spec's numbers: 0.60 (λ = 0.5) and 0.36 (λ = 0.9) at ε = 1e-3; 0.88, 0.87 at 1e-9
    np.testing.assert_allclose(ratio[0], [0.60, 0.36], atol=0.01)
    np.testing.assert_allclose(ratio[2], [0.88, 0.87], atol=0.01)


def test_lambert_w_grokking_time_is_within_20_percent_at_eps_1e3_claim_10b():
    assert ex.lambert_error(np.linspace(0.3, 0.9, 4), 1e-3, eta=ETA) <= 0.2


def test_late_time_asymptotics_behave_as_fig6_says_claim_12():
    late = ex.late_time_checks(0.9, eta=ETA)
    assert late["eq. 22"] <= 0.01 and late["eq. 23"] <= 0.01
    assert late["eq. 11 at 1e4"] > 1.9 and late["eq. 11 at 1e5"] < 1.15


def test_peak_output_dimension_picks_the_largest_delay_per_row():
    delays = np.array([[1.0, 3.0, 2.0], [np.nan, 1.0, 5.0]])
    np.testing.assert_array_equal(ex.peak_output_dimension([1, 10, 100], delays), [10, 100])


def test_weight_decay_floors_have_ratio_one_over_one_minus_lambda_squared_claim_14a():
    assert ex.weight_decay_ratio_error((0.5, 0.9), (1e-5, 1e-4), eta=ETA) <= 0.05


def test_critical_edge_is_the_largest_gamma_that_groks_per_lambda():
    gammas = np.array([1e-4, 1e-3, 1e-2])
    delay = np.array([[5.0, 7.0, np.nan], [6.0, np.nan, np.nan], [np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(ex.critical_edge(gammas, [0.5, 0.9, 1.5], delay), [1e-3, 1e-4, 0])


# --- per-run statistics of the simulations (claims 4, 5, 6, 19, N) --------------------


def test_empirical_loss_deviation_is_the_worst_step_of_each_run_claim_4():
    steps = [0, 1, 2]
    sim = Trajectory(
        steps,
        {
            "test_loss": np.array([[1.0, 0.5, 1e-250], [1.0, 0.5, 0.25]]),
            "test_loss_empirical": np.array([[1.1, 0.5, 5e-250], [1.0, 0.45, 0.25]]),
        },
    )
    other = Trajectory(
        steps, {"test_loss": np.ones((2, 3)), "test_loss_empirical": np.full((2, 3), 1.02)}
    )
    # the unresolved 1e-250 step of run 0 is left out
    np.testing.assert_allclose(ex.empirical_loss_deviation([sim, other]), [0.1, 0.1])


def test_empirical_test_loss_stays_within_five_over_root_n_gen_on_real_runs_claim_4():
    problem = ts.teacher_student(50, 100, [0, 1, 2], n_gen=2000)
    sim = le.trajectory(problem, STEPS, eta=ETA, eps=1e-3)
    assert np.all(ex.empirical_loss_deviation([sim]) <= 5 / np.sqrt(2000))


def test_decay_rate_is_monotone_on_real_runs_and_a_kink_is_caught_claim_19():
    problem = ts.teacher_student(40, 60, [0, 1], n_gen=10)
    sim = le.trajectory(problem, STEPS, eta=ETA, eps=1e-3)
    assert ex.decay_rate_monotone([sim]).all()
    t = np.arange(1.0, 8.0)
    log_convex = np.exp(-t) + np.exp(-0.1 * t)
    kinked = np.where(t < 4, np.exp(-0.1 * t), np.exp(-0.1 * 3 - 1.0 * (t - 3)))  # speeds up
    out = ex.decay_rate_monotone([Trajectory(t, {"test_loss": np.stack([log_convex, kinked])})])
    np.testing.assert_array_equal(out, [True, False])


def test_decay_rate_ignores_the_digits_lost_near_underflow_claim_19():
    t = np.arange(1.0, 6.0)
    loss = np.array([[1e-100, 1e-150, 1e-199, 1e-310, 5e-324]])  # last rates are subnormal noise
    assert ex.decay_rate_monotone([Trajectory(t, {"test_loss": loss})]).all()


def test_label_noise_floor_is_the_inverse_wishart_mean_claim_n():
    assert ex.label_noise_floor_finite(500, 1000) == pytest.approx(500 / 499)
    assert ex.label_noise_floor_finite(10**6, 2 * 10**6) == pytest.approx(
        float(th.label_noise_floor(0.5, 1.0)), rel=1e-5
    )
    problem = ts.teacher_student(30, 60, np.arange(40), noise_var=1e-2, n_gen=5)
    floor = le.trajectory(problem, [1e9], eta=ETA, eps=1e-3)["test_loss"][:, 0] / 1e-2
    mean, se = floor.mean(), floor.std(ddof=1) / np.sqrt(len(floor))
    assert abs(mean - ex.label_noise_floor_finite(30, 60)) <= 4 * se
    with pytest.raises(ValueError, match="N_tr > d_in"):
        ex.label_noise_floor_finite(50, 51)


# --- the chapter's experiments and their typed results ----------------------------------------


def test_crossing_times_interpolate_train_and_test_accuracy_per_run():
    steps = np.array([0, 10, 20])
    curve = Trajectory(
        steps,
        {
            "train_acc": np.array([[0.0, 0.9, 1.0], [0.96, 1.0, 1.0]]),
            "test_acc": np.array([[0.0, 0.1, 0.2], [0.0, 0.95, 1.0]]),
        },
    )
    np.testing.assert_allclose(ex.crossing_times(curve), [[15.0, 0.0], [np.inf, 10.0]])


def test_label_noise_floor_averages_the_scaled_noise_of_each_seed_claim_n():
    steps = [0, 10]
    curves = {
        (0.5, s): Trajectory(steps, {"test_loss": np.array([[1.0, 2 * s], [1.0, 4 * s]])})
        for s in (1e-4, 1e-3)
    }
    floor = ex.LabelNoise((0.5,), curves).floor([1e-4, 1e-3])
    np.testing.assert_allclose(floor[0.5], [2.0, 4.0])


def test_finite_size_standard_error_is_that_of_the_seed_mean():
    finite = ex.FiniteSize([10, 20], np.zeros(2), np.array([[1.0, 3.0], [2.0, 2.0]]))
    np.testing.assert_allclose(finite.delay_ratio_se, [np.sqrt(2) / np.sqrt(2), 0.0])
    one = ex.FiniteSize([10], np.zeros(1), np.array([[1.0]]))
    np.testing.assert_array_equal(one.delay_ratio_se, [0.0])


def test_init_scale_delays_are_the_gap_between_the_crossings():
    init = ex.InitScale(
        start={1.0: np.ones(2)},
        times={1.0: np.array([[10.0, 20.0], [50.0, np.inf]])},
        theory={1.0: (np.array(10.0), np.array(40.0))},
    )
    np.testing.assert_array_equal(init.delays[1.0], [40.0, np.inf])
    assert init.theory_delays == {1.0: 30.0}


def test_lambda_sweep_times_are_the_exact_grokking_steps_of_its_problems():
    p = params.load(
        "02_linear_grokking",
        "quick",
        3,
        {
            "d_in": 20,
            "seeds": 2,
            "n_gen": 100,
            "delay_lambdas": [0.1, 0.5, 0.9],
            "delay_eps": [1e-3],
        },
        presets_dir="chapters/presets",
    )
    sweep = ex.lambda_sweep(p)
    assert sweep.t_train.values.shape == sweep.t_gen.values.shape == (1, 3, 2)
    assert set(sweep.curves) == set(p.lambdas)
    t_tr, t_gen = le.grokking_steps(sweep.problems[0.9], eta=ETA, eps=1e-3, t_max=1e9)
    np.testing.assert_array_equal(sweep.t_train.at(eps=1e-3, lam=0.9), t_tr)
    np.testing.assert_array_equal(sweep.t_gen.at(eps=1e-3, lam=0.9), t_gen)
    np.testing.assert_array_equal(sweep.delay.at(eps=1e-3, lam=0.9), t_gen - t_tr)
    assert sweep.curves[0.5].test_loss.shape == (2, len(ex.logged_steps()))


def test_an_eps_lambda_grid_selects_cells_by_label_and_sorts_lambda():
    values = np.arange(12.0).reshape(2, 3, 2)  # [ε, λ, runs]
    grid = ex.EpsLambdaGrid((1e-3, 1e-5), (0.9, 0.1, 0.5), values)
    np.testing.assert_array_equal(grid.at(eps=1e-5, lam=0.1), values[1, 1])
    assert [(e, lam) for e, lam, _ in grid.cells()] == [
        (1e-3, 0.9),
        (1e-3, 0.1),
        (1e-3, 0.5),
        (1e-5, 0.9),
        (1e-5, 0.1),
        (1e-5, 0.5),
    ]
    np.testing.assert_array_equal(grid.ascending_lambda(), values[:, [1, 2, 0]])


# --- the registry: each experiment declared once, sized by the preset ----------------------------

ORDER = [
    *("machinery", "lambda_sweep", "output_dimension", "weight_decay", "phase_diagrams"),
    *("init_scale", "label_noise", "two_layer_runs", "finite_size"),
]


def test_the_registry_declares_every_experiment_once_in_notebook_order():
    assert [e.key for e in ex.EXPERIMENTS] == ORDER
    assert ex.EXPERIMENTS["weight_decay"].needs == ("lambda_sweep",)


@pytest.mark.parametrize("preset", ["quick", "book", "paper"])
def test_the_dry_run_builds_a_probe_per_experiment_at_every_preset(preset):
    p = params.load("02_linear_grokking", preset, presets_dir="chapters/presets")
    probes = dry_run.probes(p, ex.EXPERIMENTS)
    names = [probe.name for probe in probes]
    kinds = len(ex.EXPERIMENTS["two_layer_runs"].representatives(p))  # a probe per kind
    assert len(names) == len(set(names)) == len(ex.EXPERIMENTS) - 1 + kinds and kinds == 3
    assert all(probe.steps >= 1 for probe in probes)


def test_experiment_sizes_and_steps_follow_the_parameters():
    p = params.load("02_linear_grokking", "quick", presets_dir="chapters/presets")
    bigger = p.with_values(d_in=321, seeds=4, horizon=3.0, hidden_widths=[7, 9])
    for key in ("lambda_sweep", "output_dimension", "init_scale", "label_noise"):
        assert "d_in=321, 4 seeds" in ex.EXPERIMENTS[key].sizes(bigger), key
    runs = ex.EXPERIMENTS["two_layer_runs"]
    assert "d_h=[7, 9]" in runs.sizes(bigger) and "3.0 × t*_gen" in runs.sizes(bigger)
    assert not ex.EXPERIMENTS["weight_decay"].scales  # timed once, on Fig. 1's problems


def test_a_one_layer_cut_scales_every_input_dimension_to_its_share_of_the_cubic_work():
    p = params.load("02_linear_grokking", "paper", presets_dir="chapters/presets")
    sweep = ex.EXPERIMENTS["lambda_sweep"]
    assert sweep.full_steps(p) == ex.SCALE_PARTS and sweep.few_steps(p) == ex.SCALE_FEW
    cut = sweep.at_steps(p, 8)  # (8/1000)^(1/3) = 1/5
    assert (cut.d_in, cut.n_gen, cut.finite_d_ins) == (200, 2000, [100, 200, 400, 800])
    assert sweep.at_steps(p, ex.SCALE_PARTS).finite_d_ins == p.finite_d_ins
    tiny = sweep.at_steps(p.with_values(d_in=30, finite_d_ins=[30, 40]), 1)
    assert tiny.d_in == 20 and tiny.finite_d_ins == [20, 20]  # the parameters' minimum


def test_the_two_layer_points_hold_each_gain_then_each_width_and_activation():
    p = params.load("02_linear_grokking", "paper", presets_dir="chapters/presets")
    points = ex.two_layer_points(p)
    assert [(pt["d_hidden"], pt["activation"], pt["gain"]) for pt in points] == [
        *((200, "tanh", g) for g in (3.0, 10.0, 30.0)),
        *((d_h, act, 1.0) for d_h in (200, 50) for act in ("tanh", "linear")),
    ]
    fig5_steps = ex.two_layer_steps(p, 200)
    assert points[3]["steps"] == fig5_steps and fig5_steps % ex.TWO_LAYER_EVAL_EVERY == 0
    assert points[0]["steps"] == pytest.approx(1.5 * fig5_steps, abs=ex.TWO_LAYER_EVAL_EVERY)
    assert {pt["seeds"] for pt in points} == {tuple(ex.two_layer_seeds(p))}
    runs = ex.EXPERIMENTS["two_layer_runs"]
    kinds = [kind for kind, _, _ in runs.representatives(p)]
    assert kinds == ["gain probe (tanh)", "Fig. 5 tanh", "Fig. 5 linear"]
    assert runs.point_steps(points[3]) == fig5_steps // ex.TWO_LAYER_EVAL_EVERY


def test_fig5_and_the_gain_probe_are_assembled_from_the_runs_of_their_points():
    p = params.load("02_linear_grokking", "quick", 0, TINY, presets_dir="chapters/presets")
    points = ex.two_layer_points(p)
    runs = [ex.two_layer_run(**pt) for pt in points]
    fig5, probe = ex.two_layer(p, runs), ex.gain_probe(p, runs)
    assert p.hidden_widths == [5] and p.gains == [1.0, 10.0]  # points: g = 10, then Fig. 5's
    assert probe.runs[1.0].curve is fig5.curves[5, "tanh"] and fig5.curves[5, "tanh"] is runs[1]
    assert probe.runs[1.0].horizon == points[1]["steps"] < probe.runs[10.0].horizon
    for g in p.gains:
        run = probe.runs[float(g)]
        assert run.times.shape == (2, p.two_layer_seeds) and run.horizon == run.curve.steps[-1]
    with pytest.raises(ValueError, match="two-layer runs"):
        ex.two_layer(p, runs[:-1])


def test_the_dry_run_calls_the_notebook_experiments_on_tiny_sizes():
    p = params.load("02_linear_grokking", "quick", 0, TINY, presets_dir="chapters/presets")
    for probe in dry_run.probes(p, ex.EXPERIMENTS):  # in order: a need gets its result
        probe.run(1)


def test_steepest_rise_is_the_largest_per_lambda_slope_of_log_delay_claim_15b():
    gammas, lams = np.array([1e-4, 1e-3, 1e-2]), np.array([0.5, 0.9, 1.2])
    delay = np.array([[100.0, 200.0, np.nan], [50.0, 300.0, np.nan], [np.nan, 400.0, np.nan]])
    # λ = 0.5: two cells falling by 2 per decade; λ = 0.9: rising; λ = 1.2 (> 1): left out
    assert ex.steepest_rise(gammas, lams, delay) == pytest.approx(
        np.polyfit([-4, -3, -2], np.log([200, 300, 400]), 1)[0] / np.log(10)
    )
    assert np.isnan(ex.steepest_rise(gammas, lams, np.full((3, 3), np.nan)))
