"""The stability estimators on series and run tables with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from grokutils.methods import stability


def ar1(phi: float, n: int, n_series: int, seed: int, sigma: float = 1.0) -> np.ndarray:
    """Stationary AR(1) series ``x_t = φ x_{t-1} + σ ε_t``, shape ``[n_series, n]``."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma, size=(n_series, n))
    x = np.empty((n_series, n))
    x[:, 0] = noise[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, n):  # a recursion in time, batched over series
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x


def ar1_tau(phi: float) -> float:
    return (1 + phi) / (2 * (1 - phi))


def test_autocorrelation_of_ar1_decays_as_phi_to_the_lag():
    rho = stability.autocorrelation(ar1(0.8, 20_000, 8, seed=1)).mean(0)
    # the mean over 8 series of 20 000 points: SE of ρ(t) ≲ sqrt(2τ/N/8) ≈ 0.01
    assert rho[:6] == pytest.approx(0.8 ** np.arange(6), abs=0.05)


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_integrated_autocorrelation_time_of_ar1_matches_closed_form(phi):
    taus = stability.integrated_autocorrelation_time(ar1(phi, 20_000, 32, seed=2))
    expected = ar1_tau(phi)
    se = taus.std(ddof=1) / np.sqrt(len(taus))
    # Sokal's window truncates the tail ρ(t > W) ~ φ^W ≈ e^{-c}: a relative bias of < 2 %
    assert abs(taus.mean() - expected) < 3 * se + 0.02 * expected


def test_time_average_standard_error_matches_spread_across_series():
    phi, n = 0.9, 4000
    x = ar1(phi, n, 400, seed=3)
    ta = stability.time_average(x)
    # the spread of 400 independent time averages, against the IAT-corrected SE of each one
    spread = ta.mean.std(ddof=1)
    exact = np.sqrt(2 * ar1_tau(phi) / n / (1 - phi**2))
    assert np.median(ta.se) == pytest.approx(exact, rel=0.1)
    assert spread == pytest.approx(exact, rel=3 / np.sqrt(2 * 400))  # SE of an SD: σ/sqrt(2n)
    assert np.all(ta.ess < n)


def test_naive_standard_error_is_too_small_by_sqrt_two_tau():
    x = ar1(0.9, 4000, 50, seed=4)
    naive = x.std(-1) / np.sqrt(x.shape[-1])
    ratio = np.median(stability.time_average(x).se / naive)
    assert ratio == pytest.approx(np.sqrt(2 * ar1_tau(0.9)), rel=0.15)


def test_running_average_is_the_mean_of_the_first_t_points():
    x = np.array([[1.0, 3.0, 5.0, 7.0]])
    assert stability.running_average(x) == pytest.approx(np.array([[1.0, 2.0, 3.0, 4.0]]))


def test_drift_z_flags_a_trend_and_not_a_stationary_ar1():
    x = ar1(0.9, 2000, 200, seed=5)
    z = stability.drift_z(x)
    # the corrected z is ~N(0, 1) under no trend: at most a few percent beyond |z| > 3
    assert np.mean(np.abs(z) > 3) < 0.05
    trend = x + 0.01 * np.arange(2000)  # 20 units over the run, sd of x is 2.3
    assert np.all(stability.drift_z(trend) > 3)


def test_uncorrected_trend_test_would_flag_stationary_ar1():
    # why drift_z inflates its SE: the naive OLS z has variance ≈ 2τ_int = 19 for φ = 0.9
    z = stability.drift_z(ar1(0.9, 2000, 200, seed=6))
    assert np.std(z) == pytest.approx(1.0, abs=0.25)


def runs_table(effect: float, noise: float, n_datasets: int, n_seeds: int, seed: int):
    """Time averages ``value[d, s] = effect * u_d + noise * v_{d,s}`` with standard normals."""
    rng = np.random.default_rng(seed)
    dataset, seeds = np.meshgrid(np.arange(n_datasets), np.arange(n_seeds), indexing="ij")
    values = effect * rng.normal(size=(n_datasets, 1)) + noise * rng.normal(
        size=(n_datasets, n_seeds)
    )
    return values.ravel(), dataset.ravel(), seeds.ravel()


def test_sas_pair_mean_is_the_mean_absolute_difference_of_same_seed_pairs():
    values = np.array([0.0, 1.0, 3.0, 10.0])
    dataset, seed = np.array([0, 1, 2, 0]), np.array([0, 0, 0, 1])
    est = stability.sas_pair_mean(values, dataset, seed)
    assert est.n_pairs == 3  # (0,1), (0,2), (1,2); run 3 has another seed
    assert est.mean == pytest.approx((1 + 3 + 2) / 3)
    assert est.se == pytest.approx(np.sqrt(np.var([1, 3, 2]) / 3))
    floor = stability.seed_floor(values, dataset, seed)
    assert floor.n_pairs == 1 and floor.mean == pytest.approx(10.0)


def test_sas_of_a_pure_dataset_effect_is_the_mean_normal_difference():
    # |u_i − u_j| for standard normals has mean 2/sqrt(π); the pair mean over n datasets is a
    # U-statistic with SE sqrt(4 ζ₁ / n), ζ₁ = Var E[|u − u'| | u] ≈ 0.163
    n = 2000
    values, dataset, seed = runs_table(1.0, 0.0, n, 2, seed=7)
    est = stability.sas_pair_mean(values, dataset, seed)
    assert est.mean == pytest.approx(2 / np.sqrt(np.pi), abs=3 * np.sqrt(4 * 0.163 / n))
    assert stability.seed_floor(values, dataset, seed).mean == 0


def test_debiased_sas_removes_the_seed_floor():
    effect, noise = 0.3, 1.0
    values, dataset, seed = runs_table(effect, noise, 300, 4, seed=8)
    # E Δ² = 2 effect² + 2 noise² (different data), 2 noise² (same data): debiased = sqrt(2)·effect
    assert stability.sas_debiased(values, dataset, seed) == pytest.approx(
        np.sqrt(2) * effect, rel=0.15
    )
    values, dataset, seed = runs_table(0.0, noise, 300, 4, seed=9)
    assert stability.sas_debiased(values, dataset, seed) < 0.15 * np.sqrt(2) * noise


def test_cluster_bootstrap_centres_on_the_estimate_and_is_wider_than_the_pair_formula():
    values, dataset, seed = runs_table(1.0, 0.1, 10, 2, seed=10)
    est = stability.sas_pair_mean(values, dataset, seed)
    boot = stability.cluster_bootstrap_sas(values, dataset, seed, n_boot=4000)
    assert np.nanmean(boot) == pytest.approx(float(est.mean), rel=0.1)
    # pairs sharing a dataset are dependent: the pair formula understates the spread
    assert np.nanstd(boot) > est.se


def test_cluster_bootstrap_of_a_permutation_reproduces_the_estimate():
    values, dataset, seed = runs_table(1.0, 0.2, 6, 2, seed=11)

    class Identity:
        def integers(self, low, high, size):
            return np.tile(np.arange(high), (size[0], 1))

    boot = stability.cluster_bootstrap_sas(values, dataset, seed, n_boot=3, rng=Identity())
    assert boot == pytest.approx(np.full(3, stability.sas_pair_mean(values, dataset, seed).mean))


def test_wasserstein1_matches_scipy_and_a_shift():
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(3, 500)), rng.exponential(size=(3, 500))
    expected = [stats.wasserstein_distance(a, b) for a, b in zip(x, y, strict=True)]
    assert stability.wasserstein1(x, y) == pytest.approx(expected)
    assert stability.wasserstein1(x, x + 0.7) == pytest.approx(np.full(3, 0.7))
    assert np.all(stability.wasserstein1(x, y) >= np.abs(x.mean(1) - y.mean(1)))


def test_spearman_interval_of_monotone_and_independent_data():
    x = np.arange(20.0)
    exact = stability.spearman_interval(x, np.exp(x / 5))
    assert exact.rho == 1 and exact.low == 1 and exact.high == 1
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=(2, 40))
    ind = stability.spearman_interval(a, b, rng=np.random.default_rng(14))
    assert ind.low < 0 < ind.high and ind.low < ind.rho < ind.high
    assert ind.rho == pytest.approx(stats.spearmanr(a, b).statistic)
    constant = stability.spearman_interval(np.zeros(5), np.arange(5.0))
    assert np.isnan([constant.rho, constant.low, constant.high]).all()


def test_estimators_name_bad_arguments():
    with pytest.raises(ValueError, match="dataset and seed"):
        stability.sas_pair_mean(np.zeros(3), np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="no same-dataset"):
        stability.seed_floor(np.zeros(3), np.arange(3), np.zeros(3))
    with pytest.raises(ValueError, match="x has non-finite"):
        stability.time_average(np.array([1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(ValueError, match="equal"):
        stability.wasserstein1(np.zeros(3), np.zeros(4))


def test_time_averages_of_stationary_runs_converge_as_one_over_sqrt_t():
    spread, slope = stability.time_average_convergence(ar1(0.5, 4000, 200, seed=15))
    # SD of A(T) over 200 runs: relative SE 1/sqrt(400) per T, correlated along T
    assert slope == pytest.approx(-0.5, abs=0.1)
    assert spread[-1] == pytest.approx(np.sqrt(2 * ar1_tau(0.5) / 4000 / 0.75), rel=0.2)


def test_ergodicity_check_of_independent_stationary_runs():
    x = ar1(0.8, 3000, 100, seed=16)
    final = ar1(0.8, 10, 100, seed=17)[:, -1]  # one draw of the stationary law per run
    check = stability.ergodicity_check(x, final)
    assert check.spread_ratio == pytest.approx(1.0, abs=3 / np.sqrt(2 * 100) + 0.1)
    assert abs(check.ensemble_z) < 3
    shifted = stability.ergodicity_check(x, final + 1.0)  # an ensemble that has moved on
    assert shifted.ensemble_z > 3
