"""The overdamped Langevin sampler against exactly known answers: the Gibbs statistics of a
quadratic well, free diffusion, and the Gamma statistics of the exponential-wall toy model.

Every statistical tolerance is 3 standard errors of the run's own estimate, with the
autocorrelation of the series taken into account (``stability.time_average``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special

from grokutils.chapters.thermal_landscape import experiments as ex
from grokutils.chapters.thermal_landscape import theory
from grokutils.chapters.thermal_landscape.exponential_wall import toy_model_run
from grokutils.core.seeding import torch_generator
from grokutils.methods import stability
from grokutils.methods.langevin import overdamped_langevin, replica_grid, rescaled_step_sizes

CURVATURES = np.linspace(0.5, 2.0, 20)  # D = 20 stiff modes
TEMPERATURES = [0.01, 1.0]
N_SEEDS = 4


def quadratic_well(curvatures):
    lam = torch.as_tensor(curvatures)

    def loss_and_grad(theta):
        return 0.5 * (lam * theta**2).sum(1), lam * theta

    return loss_and_grad


def combined(series: np.ndarray) -> tuple[float, float]:
    """Mean over independent replicas ``[replicas, time]`` of their time averages, and its
    standard error from each replica's autocorrelation-corrected error."""
    avg = stability.time_average(series)
    return float(avg.mean.mean()), float(np.sqrt((avg.se**2).sum()) / len(avg.se))


@pytest.fixture(scope="module")
def well_run():
    t_rep = replica_grid(TEMPERATURES, N_SEEDS)
    gen = torch_generator(11)
    # start from the Gibbs measure itself: θ_k ~ N(0, T/λ_k)
    theta0 = torch.randn(len(t_rep), len(CURVATURES), generator=gen, dtype=torch.float64)
    theta0 *= torch.sqrt(torch.as_tensor(t_rep)[:, None] / torch.as_tensor(CURVATURES))
    trace = overdamped_langevin(
        quadratic_well(CURVATURES),
        theta0,
        torch.as_tensor(t_rep),
        0.005,
        40_000,
        generator=gen,
        record_every=5,
    )
    return t_rep, trace


def test_replica_grid_is_temperature_major():
    assert replica_grid([1.0, 2.0], 3).tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="n_seeds"):
        replica_grid([1.0], 0)
    with pytest.raises(ValueError, match="temperatures"):
        replica_grid([1.0, -1.0], 2)


def test_rescaled_step_sizes_give_equal_rescaled_time_below_the_cap():
    temps = np.array([1e-5, 1e-4, 1e-3])
    eta = rescaled_step_sizes(temps, eta_t=5e-6, eta_max=0.1)
    assert eta.tolist() == pytest.approx([0.1, 0.05, 0.005])
    assert (eta * temps)[1:] == pytest.approx([5e-6, 5e-6])


def test_sampler_rejects_bad_arguments():
    lg = quadratic_well([1.0])
    gen = torch_generator(0)
    with pytest.raises(ValueError, match="theta"):
        overdamped_langevin(lg, torch.zeros(3), 1.0, 0.1, 10, generator=gen)
    with pytest.raises(ValueError, match="temperature"):
        overdamped_langevin(lg, torch.zeros(2, 1), [1.0, 1.0, 1.0], 0.1, 10, generator=gen)
    with pytest.raises(ValueError, match="step_size"):
        overdamped_langevin(lg, torch.zeros(2, 1), 1.0, -0.1, 10, generator=gen)


def test_sampler_is_deterministic_given_its_generator():
    lg = quadratic_well([1.0, 2.0])
    runs = [
        overdamped_langevin(lg, torch.ones(3, 2), 0.1, 0.01, 50, generator=torch_generator(5))
        for _ in range(2)
    ]
    assert np.array_equal(runs[0].train_loss, runs[1].train_loss)
    assert runs[0].steps.tolist() == [0, 10, 20, 30, 40, 50]
    assert runs[0].train_loss.shape == (3, 6) and runs[0].final["theta"].shape == (3, 2)
    # the record at step t measures the parameters after t updates: t = 0 is the start
    assert runs[0].sq_weight_norm[:, 0].tolist() == [2.0, 2.0, 2.0]


def test_mean_loss_of_a_quadratic_well_is_equipartition(well_run):
    """⟨L⟩ = D T/2 at every temperature (η λ_max = 0.01: the O(η) bias is 0.3%, far below
    the standard error)."""
    t_rep, trace = well_run
    for temp in TEMPERATURES:
        mean, se = combined(trace.train_loss[t_rep == temp] / temp)
        assert abs(mean - len(CURVATURES) / 2) < 3 * se, (temp, mean, se)


def test_loss_variance_of_a_quadratic_well_is_gamma(well_run):
    """Var L = D T²/2: the Gamma(D/2, T) law of the loss (its second cumulant)."""
    t_rep, trace = well_run
    d = len(CURVATURES)
    for temp in TEMPERATURES:
        sq_dev = (trace.train_loss[t_rep == temp] / temp - d / 2) ** 2
        mean, se = combined(sq_dev)
        assert abs(mean - d / 2) < 3 * se, (temp, mean, se)


def test_discrete_chain_bias_matches_the_closed_form():
    """With a large step (η λ up to 0.8) the chain's ⟨L⟩ departs from D T/2 as the
    Euler–Maruyama closed form says, which the Gibbs value would miss."""
    lam = np.array([0.5, 1.0, 2.0, 4.0])
    eta, temp = 0.2, 1.0
    mean_theory, _ = theory.quadratic_well_loss_moments(lam, temp, eta)
    gen = torch_generator(3)
    theta0 = torch.randn(16, 4, generator=gen, dtype=torch.float64) / torch.as_tensor(lam).sqrt()
    trace = overdamped_langevin(
        quadratic_well(lam), theta0, temp, eta, 20_000, generator=gen, record_every=2
    )
    mean, se = combined(trace.train_loss[:, 1000:])
    assert mean_theory > 1.2 * len(lam) / 2
    assert abs(mean - mean_theory) < 3 * se


def test_free_diffusion_grows_the_squared_norm_linearly():
    """No force: E|θ_t|² = |θ0|² + 2 P η T t (the spec's claim C9)."""
    n_rep, n_params, eta, temp, steps = 64, 50, 0.1, 0.5, 200
    flat = lambda th: (torch.zeros(len(th), dtype=th.dtype), torch.zeros_like(th))  # noqa: E731
    theta0 = torch.ones(n_rep, n_params, dtype=torch.float64)
    trace = overdamped_langevin(
        flat, theta0, temp, eta, steps, generator=torch_generator(1), record_every=steps
    )
    final = trace.sq_weight_norm[:, -1]
    expected = theory.free_diffusion_sq_norm(n_params, n_params, eta * temp, steps)
    assert abs(final.mean() - expected) < 3 * final.std(ddof=1) / np.sqrt(n_rep)


@pytest.fixture(scope="module")
def toy_run():
    return toy_model_run(
        n_coords=40,
        alpha=0.5,
        temperatures=[1e-4, 1e-2],
        n_noise=2,
        eta_t=0.01,
        n_steps=40_000,
        noise_seed=2,
    )


def test_toy_model_loss_is_gamma_n_alpha(toy_run):
    """⟨L⟩ = nαT and Var L = nαT² (L ~ Gamma(nα, T)) at every temperature."""
    n, alpha = 40, 0.5
    half = ex.toy_half(toy_run)
    for i, temp in enumerate([1e-4, 1e-2]):
        scaled = half[i] / temp
        mean, se = combined(scaled)
        assert abs(mean - n * alpha) < 3 * se, (temp, mean, se)
        var, se_var = combined((scaled - n * alpha) ** 2)
        assert abs(var - n * alpha) < 3 * se_var, (temp, var, se_var)


def test_toy_model_margins_follow_digamma_and_trigamma(toy_run):
    """⟨u⟩ = −ln T − ψ(α) and Var u = ψ₁(α), independent of T: the margins retreat by
    ln 10 per decade while their spread stays fixed."""
    alpha = 0.5
    for i, temp in enumerate([1e-4, 1e-2]):
        mean_u = ex.toy_grid(toy_run, "mean_margin")[i].ravel()
        mean_sq = ex.toy_grid(toy_run, "mean_sq_margin")[i].ravel()
        shifted = mean_u + np.log(temp)
        se = shifted.std(ddof=1) / np.sqrt(shifted.size)
        assert abs(shifted.mean() + special.digamma(alpha)) < 3 * se
        var, se_var = ex.pooled_variance(mean_u, mean_sq)
        assert abs(var - special.polygamma(1, alpha)) < 3 * se_var
