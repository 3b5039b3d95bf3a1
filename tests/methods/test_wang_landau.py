"""Wang-Landau samplers against exactly known densities of states (spec §5.3)."""

import numpy as np
import pytest
import torch

from grokutils.core.seeding import seed_everything
from grokutils.methods.exact_dos import (
    IsingMoves,
    fit_harmonic_entropy,
    harmonic_cv,
    ising_exact_dos,
)
from grokutils.methods.wang_landau import (
    Axis,
    WLMDConfig,
    bottleneck_barrier,
    conditional_mean,
    differentiable,
    langevin_displacement_variance,
    normalise_ln_g,
    wang_landau_discrete,
    wlmd,
)

N_DIM = 8  # harmonic system: exact S = (n/2)·ln U + ((n-3)/2)·ln(1 - y²)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread (small ops are faster and reproducible), as in the chapters."""
    seed_everything(0)


def test_ising_exact_dos_obeys_sum_rules():
    energies, g = ising_exact_dos(4)
    assert g.sum() == 2**16
    assert g[0] == g[-1] == 2  # the two ground states and the two checkerboards
    assert np.array_equal(g, g[::-1])
    assert len(energies) == 15  # E = ±28 is not reachable on a 4×4 torus


def test_one_over_t_wang_landau_matches_exact_ising_dos():
    energies, g = ising_exact_dos(4)
    moves = IsingMoves(4)
    state, idx = moves.initial(32, seed=1)
    run = wang_landau_discrete(
        moves, state, idx, len(energies), 60_000, schedule="1/t", record_every=60_000, seed=2
    )
    ln_g = normalise_ln_g(run.final["ln_g"], 16 * np.log(2))  # [replicas, levels]
    error = ln_g.mean(0) - np.log(g)
    sem = ln_g.std(0, ddof=1) / np.sqrt(len(ln_g))
    assert np.all(np.abs(error) <= 4 * sem)  # 4 SE: 15 levels compared at once
    assert np.all(run.last("ln_f") == pytest.approx(15 / 60_000))


def test_discrete_wang_landau_records_a_trajectory_after_each_block_of_moves():
    energies, _ = ising_exact_dos(4)
    moves = IsingMoves(4)
    state, idx = moves.initial(3, seed=0)
    run = wang_landau_discrete(
        moves,
        state,
        idx,
        len(energies),
        3000,
        record_every=1000,
        observe=lambda ln_g: {"spread": ln_g.max(1) - ln_g.min(1)},
    )
    assert run.steps.tolist() == [1000, 2000, 3000]  # after 1000, 2000, 3000 trial moves
    assert run.ln_f.shape == run.spread.shape == (3, 3)  # [replicas, records]
    assert run.final["ln_g"].shape == (3, len(energies))
    assert np.allclose(run.last("spread"), np.ptp(run.final["ln_g"], axis=1))


@pytest.fixture(scope="module")
def harmonic_run():
    groups, walkers = 8, 16
    q0 = torch.randn(
        groups * walkers, N_DIM, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    q0 = q0 / q0.norm(dim=1, keepdim=True) * np.sqrt(2.0)  # start on U = 1 (x = 0)
    axes = (
        Axis(-1.2, 1.2, 12, wall_low=-1.2, wall_high=1.2, wall=100.0),
        Axis(-0.95, 0.95, 19, wall_low=-0.95, wall_high=0.95, wall=50.0),
    )
    # Δt = 0.005: at 0.01 the stiff ln U and y edges bias the slope by ≈3 % (spec §5.3a)
    config = WLMDConfig(dt=0.005, friction=0.025, F=0.05, t_rise=4000)
    return wlmd(
        differentiable(harmonic_cv),
        q0,
        axes,
        config,
        20_000,
        groups=groups,
        seed=1,
        record_every=500,
    )


def test_wlmd_recovers_exact_harmonic_entropy_within_three_standard_errors(harmonic_run):
    run = harmonic_run
    interior = np.zeros(run.hist.shape, dtype=bool)
    interior[:, 2:-2, 2:-2] = True  # two kernel widths away from the walls
    mask = interior & (run.hist > 0)
    x, y = (a.centres for a in run.axes)
    coef = fit_harmonic_entropy(run.entropy, mask, x, y)  # [groups, (slope, y-profile)]
    sem = coef.std(0, ddof=1) / np.sqrt(len(coef))
    exact = np.array([N_DIM / 2, (N_DIM - 3) / 2])
    assert np.all(np.abs(coef.mean(0) - exact) <= 3 * sem)
    assert np.all(sem < 0.1 * exact)  # the budget resolves both to 10 %


def test_wlmd_thermostat_holds_kinetic_temperature(harmonic_run):
    # integrator bias shows up as heating first (spec §5.1 item 7)
    record = harmonic_run.record
    temperature = record.kinetic_temperature[:, len(record.steps) // 2 :]  # [walkers, T/2]
    assert abs(temperature.mean() - 1.0) < 0.05


def test_wlmd_records_cv_and_observables_per_walker(harmonic_run):
    record = harmonic_run.record
    assert record.n_runs == 128 and record.steps[0] == 500  # after the first 500 steps
    assert set(record.series) == {"cv0", "cv1", "kinetic_temperature"}
    assert record.cv0.shape == (128, len(record.steps)) == (128, len(harmonic_run.factor))


def test_free_langevin_displacement_matches_closed_form():
    n_walk, steps = 4000, 300
    q0 = torch.zeros(n_walk, 1, dtype=torch.float64)
    config = WLMDConfig(dt=0.1, friction=0.2, kT=0.5, F=1e-12, t_rise=1.0)
    run = wlmd(
        differentiable(lambda q: q[:, :1] * 0.0),
        q0,
        (Axis(-1, 1, 4),),
        config,
        steps,
        seed=3,
        record_every=steps,
        observe_fn=lambda q: {"q": q[:, 0]},
    )
    variance = run.record.last("q").var()
    exact = langevin_displacement_variance(np.array([steps]), 0.1, 0.2, 0.5)[0]
    se = exact * np.sqrt(2 / n_walk)  # sd of a Gaussian sample variance
    assert abs(variance - exact) <= 3 * se


def test_wlmd_reflects_walkers_into_the_box():
    q0 = torch.zeros(16, 3, dtype=torch.float64)
    config = WLMDConfig(dt=0.5, friction=0.1, bound=0.3)
    run = wlmd(
        differentiable(harmonic_cv), q0 + 0.1, (Axis(-8, 2, 10),) * 2, config, 200, record_every=200
    )
    assert run.final_q.abs().max() <= 0.3


def test_bottleneck_barrier_finds_a_dip_and_no_dip():
    s = np.array([[5.0, 1.0, 6.0], [5.0, 1.0, 6.0]])
    mask = np.ones_like(s, dtype=bool)
    assert bottleneck_barrier(s, mask, (0, 0), (0, 2)) == pytest.approx(4.0)
    assert (
        bottleneck_barrier(np.array([[1.0, 2.0, 3.0]]), np.ones((1, 3), bool), (0, 0), (0, 2))
        == 0.0
    )


def test_conditional_mean_averages_per_bin():
    axis = Axis(0, 3, 3)
    mean, count, _ = conditional_mean(np.array([0.5, 0.6, 1.5]), np.array([1.0, 3.0, 5.0]), axis, 1)
    assert np.allclose(mean[:2], [2.0, 5.0]) and np.allclose(count, [2, 1, 0])
    assert np.isnan(mean[2])


def test_conditional_mean_pools_every_run_and_step():
    axis = Axis(0, 3, 3)
    x = np.array([[0.5, 1.5], [0.4, 0.6]])  # [runs, T]
    obs = np.array([[1.0, 10.0], [2.0, 3.0]])
    mean, count, _ = conditional_mean(x, obs, axis, 1)
    assert np.allclose(mean[:2], [2.0, 10.0]) and np.allclose(count, [3, 1, 0])


def test_wlmd_rejects_bad_arguments():
    with pytest.raises(ValueError, match="friction"):
        WLMDConfig(friction=0.0)
    with pytest.raises(ValueError, match="groups"):
        wlmd(
            differentiable(harmonic_cv),
            torch.zeros(6, 3),
            (Axis(0, 1, 4),),
            WLMDConfig(),
            1,
            groups=4,
        )
    with pytest.raises(ValueError, match="cv_names"):
        wlmd(
            differentiable(harmonic_cv),
            torch.zeros(2, 3),
            (Axis(0, 1, 4),) * 2,
            WLMDConfig(),
            1,
            cv_names=("x",),
        )
