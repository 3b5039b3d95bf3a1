"""The claim measurements of chapter 06 on inputs whose answer is known: power laws, rigid
margin shifts, exact Gamma samples, free diffusion; and the units they are decided on."""

from __future__ import annotations

import math
import types

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import special

from grokutils.chapters.thermal_landscape import experiments as ex
from grokutils.chapters.thermal_landscape import tanh_mlp
from grokutils.chapters.thermal_landscape.random_labels import random_label_data
from grokutils.chapters.thermal_landscape.thermal_langevin import thermal_run
from grokutils.core import dry_run, params
from grokutils.core.seeding import seed_record
from grokutils.core.trajectory import Trajectory

TEMPS = np.array([1e-5, 1e-4, 1e-3])


def test_a_seed_offset_redraws_the_data_sets_the_noise_and_the_toy():
    assert ex.data_seeds_for([0, 1, 2], 0) == [0, 1, 2]
    assert ex.data_seeds_for([0, 1, 2], 3) == [3_000_000, 3_000_001, 3_000_002]
    p = types.SimpleNamespace(seed=3, data_seeds=[0, 1, 2])
    assert seed_record(p.seed, ex.seed_units(p)) == {
        "data_sets": [3_000_000, 3_000_001, 3_000_002],
        "noise": [3_010_000],
        "toy": [3_020_000],
    }
    with pytest.raises(ValueError, match="seed offset must be in"):
        ex.data_seeds_for([0], -1)


@pytest.mark.parametrize("preset", params.PRESETS)
def test_the_dry_run_probes_every_declared_experiment_at_every_preset(preset):
    p = params.load("06_thermal_landscape", preset)
    probes = dry_run.probes(p, ex.EXPERIMENTS)
    names = [probe.name for probe in probes]
    assert names == [
        "temperature sweep (Adam, then Langevin)",
        "D vs N and width (sizes)",
        "D vs N and width (widths)",
        "exponential-wall toy model",
    ]
    assert all(probe.sizes and probe.steps >= 1 for probe in probes)
    widths = len(ex.size_and_width_points(p)[0])
    assert [probe.repeats for probe in probes] == [1, 1, widths, 1]


def test_experiment_sizes_follow_the_parameters():
    p = params.load("06_thermal_landscape", "paper")
    sweep, widths = ex.EXPERIMENTS["temperature_runs"], ex.EXPERIMENTS["size_and_width_runs"]
    toy = ex.EXPERIMENTS["toy_sweep"]
    assert [e.key for e in ex.EXPERIMENTS] == [
        "temperature_runs",
        "size_and_width_runs",
        "toy_sweep",
    ]
    ((_, point, _),) = sweep.representatives(p.with_values(n_steps=4000))
    assert sweep.point_steps(point) == 4000 // ex.LANGEVIN_UNIT
    assert toy.full_steps(p.with_values(toy_steps=1000)) == 1000 // ex.TOY_UNIT
    assert "N=50" in sweep.sizes(p.with_values(n_points=50))
    (_, sizes, _), (_, widest, _) = widths.representatives(p.with_values(widths=[8, 16]))
    assert sizes["n_points"] == p.sizes and widest["width"] == 16
    cut = sweep.cut(point, 5, p)  # a dry-run step: 40 Langevin steps, at most 1 snapshot per 20
    assert cut["n_steps"] == 200 and cut["n_snapshots"] == 10 and "n_snapshots" not in point


def test_noise_seeds_are_averaged_within_a_data_set():
    values = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    assert ex.by_data_set(values) == pytest.approx(values.mean(2))


def test_equipartition_law_has_slope_one_in_every_data_set():
    """⟨L⟩ = D T / 2 with a different D per data set: every per-data-set slope is one."""
    d = np.array([40.0, 50.0, 60.0, 55.0])
    slope = ex.loglog_slope(d[:, None] * TEMPS[None, :] / 2, TEMPS)
    assert slope.value == pytest.approx(1.0) and slope.n == 4 and slope.unit == "data sets"
    noisy = d[:, None] * TEMPS**1.1 * np.exp(np.random.default_rng(0).normal(0, 0.01, (4, 3)))
    est = ex.loglog_slope(noisy, TEMPS)
    assert est.low < 1.1 < est.high


def test_per_temperature_parts_are_means_over_data_sets():
    d = np.array([[10.0, 20.0, 30.0], [12.0, 22.0, 32.0]])
    parts = ex.per_temperature(d, TEMPS, scale=2.0)
    assert list(parts) == ["T=1e-05", "T=1e-04", "T=1e-03"]
    assert parts["T=1e-04"].value == pytest.approx(10.5) and parts["T=1e-04"].n == 2


def test_the_spread_is_a_statistic_of_the_seed_means_bootstrapped_from_32_data_sets():
    rng = np.random.default_rng(1)
    flat = np.tile([50.0, 50.0, 50.0], (40, 1)) + rng.normal(0, 1, (40, 3))
    spread = ex.spread_of_means(flat)
    means = flat.mean(0)
    assert spread.value == pytest.approx(means.max() / means.min())
    assert 1.0 <= spread.low <= spread.value <= spread.high < 1.2
    few = ex.spread_of_means(flat[:5])  # a bootstrap of 5 data sets does not cover
    assert (few.low, few.high) == (-np.inf, np.inf)


def test_ratios_are_geometric_means_of_the_per_data_set_ratios():
    ratio = ex.paired_ratio([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert ratio.value == pytest.approx(2.0) and (ratio.low, ratio.high) == pytest.approx((2, 2))
    assert ratio.method == "geometric mean, t on logs" and ratio.unit == "data sets"
    skewed = ex.paired_ratio([1.0, 4.0], [2.0, 1.0])  # 0.5 and 4: paired, on a log scale
    assert skewed.value == pytest.approx(math.sqrt(2))
    parts = ex.paired_ratios(np.ones((3, 2)), 2 * np.ones((3, 2)), ["a", "b"])
    assert parts["b"].value == pytest.approx(0.5)


def test_a_growing_curve_has_a_positive_mean_log_log_slope():
    sizes = [25, 50, 100]
    curve = np.array([[14.0, 27.0, 46.0], [20.0, 34.0, 45.0], [16.0, 30.0, 47.0]])
    est = ex.log_log_trend(curve, sizes)
    slopes = [np.polyfit(np.log(sizes), np.log(row), 1)[0] for row in curve]
    assert est.per_unit == pytest.approx(slopes) and est.low > 0
    assert est.method == "trend: per-unit slope, t" and est.unit == "data sets"
    flat = ex.log_log_trend(np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.5]]), [1, 10])
    assert flat.low < 0 < flat.high


def _run(**over) -> ex.ThermalGrid:
    """A minimal thermal-run grid: 2 data sets, the temperatures TEMPS, 1 noise seed (the
    fields a test does not set are NaN placeholders of the right shape)."""
    s, n_t, n, p = 2, len(TEMPS), 100, 50
    fields = {
        "temperatures": TEMPS,
        "step_size": np.full(n_t, 0.5),
        "steps": np.arange(0, 101, 10),
        "loss": np.full((s, n_t, 1, 11), 2e-4),
        "sq_norm": np.full((s, n_t, 1, 11), np.nan),
        "point_loss": np.full((s, n_t, 1, n), np.nan),
        "margin_mean": np.full((s, n_t, 1, n), np.nan),
        "margin_var": np.full((s, n_t, 1, n), np.nan),
        "pca_theta": np.full((s, n_t, 1, 10), np.nan),
        "pca_margin": np.full((s, n_t, 1, 10), np.nan),
        "theta_end": np.full((s, n_t, 1, p), np.nan),
        "theta0": np.full((s, p), np.nan),
        "loss0": np.array([1e-3, 1e-3]),
        "adam_steps": np.array([10, 10]),
        "n_points": np.array([n, n]),
        "data_seed": np.array([0, 1]),
        "n_params": p,
    }
    fields.update(over)
    return ex.ThermalGrid(**fields)


def test_a_trajectory_goes_onto_its_grid_data_set_major():
    """Replica r = (data set, T, noise) in that order: the grid view puts every series and
    per-run array at its place, and takes the per-data-set start from its first replica."""
    n_data, n_t, n_noise, n_rec, p = 2, 3, 2, 4, 5
    r = n_data * n_t * n_noise
    index = np.arange(r)
    runs = pd.DataFrame(
        {
            "data_set": index // (n_t * n_noise),
            "data_seed": 7 + index // (n_t * n_noise),
            "n_points": np.full(r, 20),
            "temperature": np.tile(np.repeat(TEMPS, n_noise), n_data),
            "step_size": np.tile(np.repeat(5e-6 / TEMPS, n_noise), n_data),
            "noise": np.tile(np.arange(n_noise), n_data * n_t),
        }
    )
    loss = index[:, None] + np.zeros(n_rec)
    final = {
        name: np.tile(index[:, None], (1, width)).astype(float)
        for name, width in [
            ("point_loss", 20), ("margin_mean", 20), ("margin_var", 20),
            ("pca_theta", 10), ("pca_margin", 10), ("theta", p), ("theta0", p),
        ]
    }  # fmt: skip
    final |= {"loss0": index * 1.0, "adam_steps": index}
    traj = Trajectory(
        np.arange(n_rec) * 10, {"train_loss": loss, "sq_weight_norm": loss}, runs, final
    )
    grid = ex.ThermalGrid.of(traj)
    assert grid.loss.shape == (2, 3, 2, 4) and grid.loss[1, 2, 0, 0] == 10
    assert grid.theta_end.shape == (2, 3, 2, p) and grid.margin_mean[0, 1, 1, 0] == 3
    assert grid.theta0[:, 0].tolist() == [0, 6] and grid.loss0.tolist() == [0, 6]
    assert grid.temperatures == pytest.approx(TEMPS) and grid.step_size == pytest.approx(
        5e-6 / TEMPS
    )
    assert grid.data_seed.tolist() == [7, 8] and grid.n_params == p
    with pytest.raises(ValueError, match="grid"):
        ex.ThermalGrid.of(traj.select(np.arange(r - 1)))


def test_the_dynamics_goes_below_the_start():
    est = ex.below_start(_run())
    assert est.value == pytest.approx(0.2) and est.high <= 1


def test_free_diffusion_ratio_is_one_for_brownian_motion():
    """|θ|² = |θ0|² + 2 P ηT t exactly in expectation: pure Brownian motion of the weights."""
    rng = np.random.default_rng(2)
    s, p, steps = 6, 400, 100
    theta0 = rng.normal(size=(s, p))
    eta_t = 0.5 * TEMPS  # step size 0.5 at every T
    sq_end = np.empty((s, len(TEMPS), 1, 11))
    for i, et in enumerate(eta_t):
        walk = theta0 + math.sqrt(2 * et * steps) * rng.normal(size=(s, p))
        sq_end[:, i, 0, -1] = (walk**2).sum(1)
    run = _run(theta0=theta0, sq_norm=sq_end, n_params=p, steps=np.arange(0, steps + 1, 10))
    assert run.sq_norm.shape == (s, len(TEMPS), 1, 11)
    for est in ex.free_diffusion_ratio(run).values():
        assert est.low < 1.0 < est.high and est.high - est.low < 0.1


def test_bracket_holds_where_the_counts_enclose_d():
    by_size = {
        "d_points": np.array([[14.2, 30.0], [10.0, 40.0]]),
        "n_above_05": np.array([[10, 24], [11, 27]]),
        "n_above_02": np.array([[13, 36], [20, 39]]),
    }
    assert ex.in_bracket(by_size).tolist() == [[False, True], [False, False]]


def test_size_sweep_reshapes_seed_major_training_sets():
    kwargs = dict(
        n_points=[6, 10], dim=3, width=8, data_seeds=[0, 1], temperatures=[1e-2], n_noise=1,
        eta_t=1e-5, eta_max=0.05, n_steps=200, n_snapshots=5, noise_seed=1, adam_threshold=0.6,
    )  # fmt: skip
    run = ex.ThermalGrid.of(thermal_run(**kwargs))
    by_size = ex.size_sweep(run, 2)
    full = ex.Fluctuations.of(run).d_points[:, 0]
    assert by_size["d_points"].shape == (2, 2)
    assert by_size["d_points"][1, 0] == pytest.approx(full[2])  # data set 1, size 6
    assert ex.width_dimensions([run, run]).shape == (4, 2)


def test_significant_modes_count_the_dense_spectrum():
    x, s = random_label_data(15, 2, [0, 1])
    theta = tanh_mlp.mlp_init(2, 3, [4, 5]).double()
    lam = tanh_mlp.top_hessian_eigenvalues(theta, x, s, 3, n_iter=theta.shape[1])[:, 0]
    counts = ex.significant_modes(theta, x, s, 3, lam, rel=1e-3)
    for k in range(2):
        spectrum = tanh_mlp.hessian_spectrum(theta[k], x[k], s[k], 3)
        assert counts[k] == (spectrum > 1e-3 * spectrum.max()).sum()
    known = tanh_mlp.hessian_spectrum(theta[1], x[1], s[1], 3)
    again = ex.significant_modes(theta, x, s, 3, lam, rel=1e-3, spectra={1: known})
    assert again.tolist() == counts.tolist()


def test_rigidly_shifted_margins_move_by_ln10_per_decade_with_a_fixed_spread():
    """Active points whose mean margin is −ln(N T) + const at every T (the exponential wall):
    the shift per decade is ln 10 and the variance ratio one; a data set whose points are all
    deep (never active) gives NaN, never a silently dropped unit."""
    n, n_t = 20, len(TEMPS)
    offsets = np.linspace(-1.0, 2.0, n)
    mean = -np.log(100 * TEMPS)[None, :, None, None] + offsets[None, None, None, :]
    mean = np.repeat(mean, 2, axis=0)
    mean[1] += 10.0  # data set 1: every point far beyond the thermal margin
    run = _run(margin_mean=mean, margin_var=np.full((2, n_t, 1, n), 2.5))
    mech = ex.margin_mechanism(run, TEMPS)
    assert mech["shift_per_decade"][0] == pytest.approx([np.log(10)] * 2)
    assert mech["median_var"][0] == pytest.approx([2.5] * 3)
    assert mech["n_common"].tolist() == [n, 0]
    assert np.isnan(mech["shift_per_decade"][1]).all()


def _exact_toy(n_coords=40, alpha=0.5, n_noise=8, n_samples=400, seed=3) -> Trajectory:
    """Toy-model output from independent exact draws ``e^{−u} ~ Gamma(α, T)`` (no time
    correlation): its statistics must match the closed forms."""
    rng = np.random.default_rng(seed)
    v = rng.gamma(
        alpha, TEMPS[:, None, None, None], size=(len(TEMPS), n_noise, n_samples, n_coords)
    )
    u = -np.log(v)
    loss = np.concatenate([v.sum(-1), v.sum(-1)], axis=-1)  # second half = the samples
    runs = pd.DataFrame(
        {"temperature": np.repeat(TEMPS, n_noise), "noise": np.tile(np.arange(n_noise), len(TEMPS))}
    )
    final = {
        "mean_curvature": v.mean(2).reshape(-1, n_coords),
        "mean_margin": u.mean(2).reshape(-1, n_coords),
        "mean_sq_margin": (u**2).mean(2).reshape(-1, n_coords),
    }
    steps = np.arange(2 * n_samples)
    return Trajectory(steps, {"train_loss": loss.reshape(-1, 2 * n_samples)}, runs, final)


def test_toy_estimates_of_exact_gamma_draws_match_the_closed_forms():
    toy = _exact_toy()
    dims = ex.toy_dimension_ratios(toy, TEMPS, 40, 0.5)
    margins = ex.toy_margin_ratios(toy, TEMPS, 0.5)
    assert set(dims) == {"D_mean", "D_var"}
    assert set(margins) == {"curvature", "Var u", "⟨u⟩ + ln T"}
    for parts in [*dims.values(), *margins.values()]:
        assert list(parts) == ["T=1e-05", "T=1e-04", "T=1e-03"]
        for est in parts.values():
            assert abs(est.value - 1) < 0.06 and est.low < est.high
    assert margins["Var u"]["T=1e-04"].n == 8 * 40 and dims["D_var"]["T=1e-04"].n == 8
    assert special.polygamma(1, 0.5) == pytest.approx(np.pi**2 / 2)
    summary = ex.ToySummary.of(toy)
    assert summary.d_mean / 40 == pytest.approx(np.ones(3), rel=0.06)
    assert summary.var_u / special.polygamma(1, 0.5) == pytest.approx(np.ones(3), rel=0.06)


def test_variance_guard_follows_the_relative_error_of_a_sample_variance():
    assert ex.too_few_samples(100.0, 1.0, "D_var") is None  # 3 · 14% < 100%
    assert "58%" in ex.too_few_samples(6.0, 1.0, "D_var")  # sqrt(2/6)
    assert ex.too_few_samples(900.0, 0.15, "toy") is None
    assert ex.too_few_samples(700.0, 0.15, "toy") is not None
    ess = np.array([[[3.0, 4.0], [1.0, 1.0]]])
    fluctuations = ex.Fluctuations(*[ess] * 7)
    assert ex.loss_ess(fluctuations, [True, False]) == 7.0


def test_toy_loss_ess_pools_the_chains():
    white = np.random.default_rng(4).normal(size=(8, 2000))
    runs = pd.DataFrame({"temperature": np.repeat([1e-4, 1e-3], 4), "noise": np.tile(range(4), 2)})
    ess = ex.toy_loss_ess(Trajectory(np.arange(2000), {"train_loss": white}, runs))
    assert 4 * 1000 * 0.7 < ess < 4 * 1000 * 1.3  # white noise: every sample is effective


def test_dense_hessian_is_symmetric_and_float64():
    x, s = random_label_data(10, 2, [0])
    theta = tanh_mlp.mlp_init(2, 3, [4])[0]
    matrix = tanh_mlp.dense_hessian(theta, x[0], s[0], 3)
    assert matrix.dtype == np.float64 and np.array_equal(matrix, matrix.T)
    assert matrix.shape == (tanh_mlp.mlp_n_params(2, 3),) * 2
    assert isinstance(theta, torch.Tensor)
