"""The measurements behind chapter 05's claims, on data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grokutils.chapters.ergodic_stability import experiments as es
from grokutils.chapters.ergodic_stability.digits import perturbed_digits
from grokutils.chapters.ergodic_stability.sgd_ensemble import train_ensemble
from grokutils.core import params
from grokutils.core.claims import Claim, Verdict
from grokutils.core.estimates import Estimate
from grokutils.core.seeding import seed_everything
from grokutils.methods import stability

seed_everything(0)


def ar1(phi: float, n: int, n_series: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n_series, n))
    x = np.empty((n_series, n))
    x[:, 0] = noise[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x


def synthetic_cube(effect_by_noise: dict[float, float], n_datasets=6, n_seeds=3, seed=0):
    """A SAS grid whose dataset k shifts every time-averaged test loss by ``effect · u_k``
    (``u_k`` fixed per dataset), times the effect of the configuration's noise level, plus a
    small seed-to-seed jitter; the gap is 0.5 everywhere."""
    rng = np.random.default_rng(seed)
    configs = pd.DataFrame(
        [(n, lr, 32) for n in effect_by_noise for lr in (0.01, 0.03)], columns=list(es.CONFIG)
    )
    u = rng.normal(size=(n_datasets, 1, 1))
    effect = configs.noise.map(effect_by_noise).to_numpy()[None, :, None]
    test = 1.0 + effect * u + 1e-4 * rng.normal(size=(n_datasets, len(configs), n_seeds))
    shape = test.shape
    return es.RunCube(
        configs,
        test=test,
        train=test - 0.5,
        tau=np.ones(shape),
        collapsed=np.zeros(shape, dtype=bool),
    )


# ------------------------------------------------------------------ SAS grid


def test_the_cube_of_a_sas_grid_point_gives_the_config_tables_sas_gap_and_tau():
    traj = es.sas_grid_point(
        batch_size=32,
        noise_levels=[0.0, 0.3],
        lrs=[0.05],
        n_datasets=3,
        n_seeds=2,
        steps=60,
        burn_in=20,
        eval_every=10,
        weight_decay=1e-3,
        seed=0,
    )
    table = es.config_table(traj, n_boot=10)
    cube = es.run_cube([traj])
    assert cube.test.shape == (3, 2, 2)
    pd.testing.assert_frame_equal(cube.configs, table[list(es.CONFIG)], check_dtype=False)
    sas = es.sas_per_config(cube.test, np.arange(3))
    np.testing.assert_allclose(sas, table.sas, rtol=1e-10)
    np.testing.assert_allclose((cube.test - cube.train).mean((0, 2)), table.gap, rtol=1e-8)
    np.testing.assert_allclose(np.median(cube.tau, axis=(0, 2)), table.tau_test)
    np.testing.assert_array_equal(cube.stable, ~table.collapsed.to_numpy())


def test_a_resampled_dataset_is_never_paired_with_its_own_copy():
    test = np.array([0.0, 1.0, 3.0])[:, None, None] * np.ones((3, 1, 2))
    # draw (0, 0, 1): the pairs are (0, 1) twice, never (0, 0)
    assert es.sas_per_config(test[[0, 0, 1]], np.array([0, 0, 1])) == pytest.approx([1.0])
    assert es.sas_per_config(test, np.arange(3)) == pytest.approx([(1 + 3 + 2) / 3])
    assert np.isnan(es.sas_per_config(test[[2, 2, 2]], np.array([2, 2, 2]))).all()


def test_sas_rises_with_noise_when_noise_multiplies_the_dataset_effect():
    few = es.noise_rise_fold(synthetic_cube({0.0: 0.001, 0.2: 0.02}))
    assert (few.low, few.high) == (-np.inf, np.inf)  # a bootstrap of 6 data sets
    assert few.per_unit == (few.value,)  # the grid is one unit when runs pool
    cube = synthetic_cube({0.0: 0.001, 0.2: 0.02}, n_datasets=32)
    rises = es.noise_rise_fold(cube)
    assert rises.value == pytest.approx(20, rel=0.05) and rises.low > 1
    assert rises.unit == "datasets"
    verdict = Claim.check(
        "S3", "rises", rises, reference="rises", source="prototype", at_least=1, quick=True
    )
    assert verdict.verdict == Verdict.REPRODUCED
    assert es.sas_fold(cube) == pytest.approx([20, 20], rel=0.05)


def test_no_noise_effect_gives_an_undecided_fold():
    cube = synthetic_cube({0.0: 0.0, 0.2: 0.0}, n_datasets=32)  # only the seed jitter
    rises = es.noise_rise_fold(cube)
    verdict = Claim.check(
        "S3", "rises", rises, reference="rises", source="prototype", at_least=1, quick=True
    )
    assert verdict.verdict != Verdict.REPRODUCED


def test_grids_pool_as_one_unit_each():
    grids = [
        es.noise_rise_fold(synthetic_cube({0.0: 0.001, 0.2: f}, seed=k))
        for k, f in enumerate([0.01, 0.02, 0.015, 0.03])
    ]
    pooled = Estimate.from_units(grids)
    assert (pooled.n, pooled.unit, pooled.method) == (4, "runs", "geometric mean, t on logs")
    assert 1 < pooled.low < pooled.value < pooled.high


def test_sas_over_gap_is_the_dataset_effect_over_the_gap_and_skips_collapsed_configs():
    many = es.sas_over_gap(synthetic_cube({0.0: 0.01, 0.2: 0.01}, n_datasets=32))
    assert many.n == 32 and many.low <= many.value <= many.high < 0.1
    cube = synthetic_cube({0.0: 0.01, 0.2: 0.01})
    ratio = es.sas_over_gap(cube)
    expected = es.sas_per_config(cube.test, np.arange(6)) / 0.5
    assert ratio.value == pytest.approx(np.median(expected))
    assert (ratio.low, ratio.high) == (-np.inf, np.inf)  # a bootstrap of 6 data sets
    collapsed = cube.collapsed.copy()
    collapsed[0, 0, 0] = True  # one run of configuration 0 collapsed
    cut = es.RunCube(cube.configs, cube.test, cube.train, cube.tau, collapsed)
    assert cut.stable.tolist() == [False, True, True, True]
    assert es.sas_over_gap(cut).value == pytest.approx(np.median(expected[1:]))
    # a collapsed configuration leaves its (lr, B) pair out of the noise comparison
    assert len(es.sas_fold(cut)) == 1


def test_tau_ratio_compares_the_median_autocorrelation_times_of_two_noise_levels():
    cube = synthetic_cube({0.0: 0.01, 0.2: 0.01})
    tau = np.where(cube.configs.noise.to_numpy()[None, :, None] > 0, 6.0, 2.0) * np.ones(
        cube.tau.shape
    )
    ratio = es.tau_ratio(es.RunCube(cube.configs, cube.test, cube.train, tau, cube.collapsed))
    assert ratio.value == pytest.approx(3.0)
    assert (ratio.low, ratio.high) == (-np.inf, np.inf)  # a bootstrap of 6 data sets
    assert (ratio.n, ratio.unit) == (6, "datasets")
    assert ratio.method == "bootstrap; runs pool: geometric mean, t on logs"
    # one ratio per data set: the median over its seeds, then over the configurations
    tau = tau * np.exp(np.arange(6.0))[:, None, None]  # a data set's τ scales both noise levels
    ratio = es.tau_ratio(es.RunCube(cube.configs, cube.test, cube.train, tau, cube.collapsed))
    assert ratio.per_unit == pytest.approx([3.0])  # the grid's value: one unit when runs pool


def test_spearman_of_monotone_points_and_of_too_few():
    x = np.arange(40.0)
    rho = es.spearman(x, x**3)
    assert rho.n == 40 and rho.value == pytest.approx(1.0)
    assert (rho.low, rho.high) == pytest.approx((1.0, 1.0))
    assert es.spearman(x[:2], x[:2]).is_nan
    few = es.spearman(x[:8], x[:8])  # a bootstrap of fewer than 32 points: unbounded
    assert few.value == pytest.approx(1.0) and (few.low, few.high) == (-np.inf, np.inf)
    assert es.spearman(x, np.ones(40)).is_nan


# ------------------------------------------------------------------ non-convergence ensemble


def test_window_ratio_of_a_plateau_is_one_and_of_a_decay_small():
    t = np.arange(90.0)
    plateau = 1 + 0.1 * np.sin(t)[None, :] * np.ones((4, 1))
    assert es.per_run_window_ratio(plateau) == pytest.approx(np.ones(4), rel=0.05)
    decay = np.exp(-t / 10)[None, :] * np.array([[1.0], [2.0]])
    assert (es.per_run_window_ratio(decay) < 0.01).all()


def test_twins_that_decorrelate_differ_instantaneously_but_not_on_average():
    base, twin = ar1(0.5, 4000, 6, seed=1), ar1(0.5, 4000, 6, seed=2)
    spread, z = es.twin_measurements(twin, base)
    assert spread == pytest.approx(np.full(6, np.sqrt(2)), rel=0.1)  # two independent copies
    assert (z < es.TWIN_Z).all()
    _, z_shifted = es.twin_measurements(twin + 0.5, base)  # a different time average
    assert (z_shifted > es.TWIN_Z).all()


def test_seed_deviations_are_the_seed_spread_of_the_running_averages_per_seed():
    x = ar1(0.5, 400, 6, seed=3)
    t, dev = es.seed_deviations(x)
    assert t[0] == 100 and t[-1] == 400 and dev.shape == (6, 301)
    spread, _ = stability.time_average_convergence(x)
    rms = np.sqrt((dev**2).mean(0) * 5 / 6)
    np.testing.assert_allclose(rms, spread[t - 1], rtol=1e-10)


def test_the_spread_of_stationary_runs_decays_at_minus_one_half_per_seed():
    parts = es.spread_decay(ar1(0.5, 4000, 200, seed=11))
    decay, rate = parts["decay"], parts["rate"]
    assert (decay.n, decay.unit, decay.method) == (200, "seeds", "trend: per-unit slope, t")
    assert decay.low > 0  # the time averages approach one another
    assert rate.value == pytest.approx(-decay.value)
    assert rate.low < -0.5 < rate.high and rate.high - rate.low < 0.4


def test_the_spread_of_random_walks_grows():
    walks = np.cumsum(np.random.default_rng(0).normal(size=(16, 2000)), axis=1)
    assert es.spread_decay(walks)["decay"].high < 0  # no common time average


def test_the_law_of_a_relaxing_ensemble_settles_and_of_a_stationary_one_does_not_move():
    t = np.arange(400.0)
    relaxing = np.exp(-t / 40)[None, :] + 0.01 * ar1(0.5, 400, 32, seed=4)
    assert es.law_drift_ratio(relaxing, 4).high < 0.2
    stationary = es.law_drift_ratio(ar1(0.5, 400, 32, seed=5), 4)
    assert stationary.low < 1 < stationary.high  # at its floor: no decision
    few = es.law_drift_ratio(relaxing[:12], 4)  # a bootstrap of fewer than 32 seeds
    assert few.value < 0.2 and (few.low, few.high) == (-np.inf, np.inf)


def test_ergodicity_of_independent_stationary_runs():
    x = ar1(0.8, 2000, 32, seed=6)
    parts = es.ergodicity(x, final=x[:, -1])
    reference = stability.ergodicity_check(x, x[:, -1])
    assert parts["spread ratio"].value == pytest.approx(reference.spread_ratio)
    assert parts["ensemble z"].value == pytest.approx(reference.ensemble_z)
    assert parts["spread ratio"].high < 2 and -3 < parts["ensemble z"].value < 3


def test_krylov_bogolyubov_is_exact_and_within_its_bound_for_any_f_in_0_1():
    rng = np.random.default_rng(7)
    for _ in range(20):
        f = rng.random((5, 30)) ** rng.uniform(0.1, 5)
        value, bound = es.krylov_bogolyubov(f)
        assert value.is_exact and bound == pytest.approx(2 / 29)
        assert value.value == pytest.approx(abs(f[:, -1].mean() - f[:, 0].mean()) / 29)
        assert value.value <= bound
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        es.krylov_bogolyubov(2 * f)


@pytest.fixture(scope="module")
def nonconvergence():
    data = perturbed_digits([0.0, 0.3], n_datasets=1, n_train=200, n_pool=10)
    runs = es.nonconvergence_runs(5, 2, 0.05, 5e-4, 0.3, 1e-3, n_twins=3)
    traj = train_ensemble(data, runs, batch_size=16, steps=120, eval_every=10, burn_in=30)
    return data, traj


def test_the_non_convergence_estimates_count_their_own_units(nonconvergence):
    _, traj = nonconvergence
    assert es.window_ratio(traj, "displacement").n == 5
    assert es.window_ratio(traj, "grad_norm").n == 5
    twins = es.twins(traj)
    assert [e.n for e in twins.values()] == [3, 3]
    assert all(e.unit == "twin pairs" for e in twins.values())
    assert es.control_ratio(traj).n == 2
    cut = es.decay_cut(traj)
    assert [e.n for e in cut.values()] == [2, 2]
    assert cut["gradient norm"].value > 0


def test_the_measurements_of_the_ensemble_are_its_estimators_on_the_constant_lr_seeds(
    nonconvergence,
):
    _, traj = nonconvergence
    m = es.measure_nonconvergence(traj)
    assert isinstance(m, es.NonconvergenceMeasurements)
    loss_c = es.constant_lr_losses(traj)
    assert loss_c.shape == (5, 10)  # 5 seeds, records at steps 30, 40, ..., 120
    assert m.spread_decay == es.spread_decay(loss_c)["decay"]
    assert m.spread_rate == es.spread_decay(loss_c)["rate"]
    whole_run = es.constant_lr_losses(traj, burn_in=False)
    assert whole_run.shape == (5, 13) and (whole_run[:, -10:] == loss_c).all()  # from step 0
    assert m.law_drift == es.law_drift_ratio(whole_run, 4)  # Z3 sees the law converge
    assert m.displacement_ratio == es.window_ratio(traj, "displacement")
    assert m.krylov_bogolyubov.is_exact and m.krylov_bogolyubov_bound == pytest.approx(2 / 12)
    assert 0 <= m.drifting <= 1 and m.law_floor >= 0
    windows = es.plateau_windows(traj)
    assert windows.shape == (3, 2) and (windows > 0).all().all()


def test_the_sharpness_table_has_one_run_per_group_and_its_threshold(nonconvergence):
    data, traj = nonconvergence
    table = es.sharpness_table(params.load("05_ergodic_stability", "quick"), data, traj)
    assert table.index.tolist() == ["constant", "twin", "step", "cosine", "clean_wd", "control"]
    np.testing.assert_allclose(table["2(1+μ)/η"], 2 * (1 + table.momentum) / table.lr)
    assert (table.sharpness > 0).all()


def test_the_sas_grid_measurements_compare_the_two_lowest_noise_levels():
    cube = synthetic_cube({0.0: 1e-3, 0.2: 1e-2, 0.4: 1e-1})
    stable = pd.DataFrame(
        {"noise": [0.0, 0.0, 0.2, 0.2], "sas": [1, 2, 3, 4.0], "gap": [1, 2, 3, 5.0]}
    )
    m = es.measure_sas_grid(cube, stable)
    assert (m.lo, m.hi) == (0.0, 0.2)
    assert m.noise_rise.value == pytest.approx(10, rel=0.1) and m.rising == 1
    assert m.pooled_rho == es.spearman(stable.sas, stable.gap)
    assert m.within_rho.n == 2 and np.isnan(m.within_rho.value)


def test_the_stationarity_claims_need_two_relaxation_times_before_and_in_their_window():
    assert es.relaxation_steps(0.05, 5e-4) == pytest.approx(4000)
    book = params.load("05_ergodic_stability", "book", seed=0)
    assert es.transient_window(book) is None
    quick = params.load("05_ergodic_stability", "quick", seed=0)
    assert "4000 steps" in es.transient_window(quick)
    short = params.load("05_ergodic_stability", "book", seed=0, overrides={"z_steps": 12000})
    assert "window 4000" in es.transient_window(short)
