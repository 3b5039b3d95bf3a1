"""The batched tanh MLP, Adam to a threshold, the thermal run, the fluctuation estimators, the
Hessian tools and the closed forms of the thermal-landscape chapter, against direct
computations and exactly known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special

from grokutils.chapters.thermal_landscape import experiments as ex
from grokutils.chapters.thermal_landscape import tanh_mlp, theory
from grokutils.chapters.thermal_landscape.adam_to_threshold import adam_to_threshold
from grokutils.chapters.thermal_landscape.random_labels import random_label_data
from grokutils.chapters.thermal_landscape.thermal_langevin import pca_fractions, thermal_run
from grokutils.core.seeding import torch_generator
from grokutils.core.trajectory import Trajectory
from grokutils.methods import hessian


def reference_net(theta: torch.Tensor, dim: int, width: int) -> torch.nn.Sequential:
    """The same network as ``torch.nn`` layers, filled from one flat parameter vector."""
    net = torch.nn.Sequential(
        torch.nn.Linear(dim, width), torch.nn.Tanh(),
        torch.nn.Linear(width, width), torch.nn.Tanh(),
        torch.nn.Linear(width, 1),
    ).double()  # fmt: skip
    parts = theta.double().split([int(np.prod(s)) for s in tanh_mlp.mlp_shapes(dim, width)])
    layers = [net[0], net[2], net[4]]
    with torch.no_grad():
        for layer, w, b in zip(layers, parts[0::2], parts[1::2], strict=True):
            layer.weight.copy_(w.reshape(layer.in_features, layer.out_features).T)
            layer.bias.copy_(b)
    return net


def test_parameter_count_of_the_spec_network():
    assert tanh_mlp.mlp_n_params(10, 64) == 4929
    assert tanh_mlp.mlp_init(10, 64, [0, 1]).shape == (2, 4929)


def test_margins_match_a_torch_nn_network():
    x, s = random_label_data(30, 4, [0, 1])
    theta = tanh_mlp.mlp_init(4, 5, [7, 8]) + 0.1 * torch.randn(2, 61, generator=torch_generator(0))
    margins = tanh_mlp.mlp_margins(theta, x, s, 5)
    for r in range(2):
        expected = s[r].double() * reference_net(theta[r], 4, 5)(x[r].double())[:, 0]
        assert margins[r].double().numpy() == pytest.approx(expected.detach().numpy(), abs=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
def test_hand_written_gradient_is_autograds(weighted):
    x, s = random_label_data(25, 4, [0, 1])
    x, s = x.double(), s.double()
    theta = tanh_mlp.mlp_init(4, 6, [3, 4]).double()
    theta = theta + 0.3 * torch.randn(theta.shape, generator=torch_generator(1), dtype=theta.dtype)
    weight = None
    if weighted:  # the first 10 and the first 25 points: two training-set sizes in one batch
        weight = (torch.arange(25)[None, :] < torch.tensor([[10], [25]])).double()
        weight = weight / weight.sum(1, keepdim=True)
    loss, grad = tanh_mlp.mlp_loss_and_grad(x, s, 6, weight)(theta)
    leaf = theta.clone().requires_grad_(True)
    expected = tanh_mlp.mlp_loss(leaf, x, s, 6, weight)
    (expected_grad,) = torch.autograd.grad(expected.sum(), leaf)
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-12, atol=0)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-10, atol=1e-14)


def test_replicas_have_their_own_gradients():
    x, s = random_label_data(20, 3, [0])
    theta = tanh_mlp.mlp_init(3, 4, [1, 2, 3])
    xr, sr = x.expand(3, -1, -1), s.expand(3, -1)
    loss, grad = tanh_mlp.mlp_loss_and_grad(xr, sr, 4)(theta)
    for r in range(3):
        one_loss, one_grad = tanh_mlp.mlp_loss_and_grad(x, s, 4)(theta[r : r + 1])
        assert loss[r] == pytest.approx(one_loss[0].item(), rel=1e-6)
        assert torch.allclose(grad[r], one_grad[0], atol=1e-6)


def test_weights_train_a_replica_on_the_first_points():
    x, s = random_label_data(20, 3, [0])
    theta = tanh_mlp.mlp_init(3, 4, [1])
    weight = torch.cat([torch.full((1, 8), 1 / 8), torch.zeros(1, 12)], 1)
    subset = tanh_mlp.mlp_loss(theta, x[:, :8], s[:, :8], 4)
    assert tanh_mlp.mlp_loss(theta, x, s, 4, weight).item() == pytest.approx(subset.item())


def test_adam_reaches_the_threshold_and_freezes_finished_replicas():
    x, s = random_label_data(12, 3, [0, 1])
    theta0 = tanh_mlp.mlp_init(3, 16, [5, 6])
    start = adam_to_threshold(tanh_mlp.mlp_loss_and_grad(x, s, 16), theta0, lr=1e-2, threshold=0.05)
    theta, steps = start.final["theta"], start.final["steps_taken"]
    assert isinstance(start, Trajectory) and start.steps[0] == 0
    assert np.all(start.last("train_loss") < 0.05) and np.all(steps > 0)
    assert start.steps[-1] == steps.max()  # the last record: the step the last run got there
    crossed = start.first_crossing("train_loss", 0.05)
    assert np.all(crossed >= steps) and np.isfinite(crossed).all()  # records see it later
    again = adam_to_threshold(tanh_mlp.mlp_loss_and_grad(x, s, 16), theta, lr=1e-2, threshold=0.05)
    assert torch.equal(again.final["theta"], theta) and again.final["steps_taken"].tolist() == [
        0,
        0,
    ]
    assert again.steps.tolist() == [0]


def test_adam_to_threshold_is_batched_adam_with_frozen_runs():
    """A run that reached the threshold keeps its parameters while the others move on, and
    one run's path does not depend on the other runs of the batch."""
    x, s = random_label_data(12, 3, [0, 1])
    theta0 = tanh_mlp.mlp_init(3, 16, [5, 6])
    both = adam_to_threshold(tanh_mlp.mlp_loss_and_grad(x, s, 16), theta0, threshold=0.3)
    for r in range(2):
        one = adam_to_threshold(
            tanh_mlp.mlp_loss_and_grad(x[r : r + 1], s[r : r + 1], 16), theta0[r : r + 1],
            threshold=0.3,
        )  # fmt: skip
        assert one.final["steps_taken"][0] == both.final["steps_taken"][r]
        assert torch.allclose(one.final["theta"][0], both.final["theta"][r], atol=1e-6)
    with pytest.raises(RuntimeError, match="did not reach"):
        adam_to_threshold(tanh_mlp.mlp_loss_and_grad(x, s, 16), theta0, threshold=1e-6, max_steps=5)


def test_dimension_estimators_on_gamma_samples():
    """iid L ~ Gamma(D/2, T): both estimators return D within 3 standard errors."""
    d, temp, n = 30.0, 1e-3, 20_000
    loss = np.random.default_rng(0).gamma(d / 2, temp, size=(4, n))
    d_mean, d_var = ex.dimension_estimates(loss, temp)
    assert np.all(np.abs(d_mean - d) < 3 * np.sqrt(2 * d / n))  # SE of 2 L̄/T
    assert np.all(np.abs(d_var - d) < 3 * d * np.sqrt((2 + 12 / d) / n))  # SE of 2 s²/T²


def test_point_contributions_add_up_to_d_mean():
    point_loss = np.random.default_rng(1).exponential(1e-4, size=(3, 50))
    c = ex.point_contributions(point_loss, 2e-5, 50)
    assert c.sum(-1) == pytest.approx(2 * point_loss.mean(-1) / 2e-5)


def test_relative_drift_and_windowed_dimension():
    ramp = np.linspace(1.0, 2.0, 400)
    assert ex.relative_drift(np.ones(400)) == 0.0
    assert ex.relative_drift(ramp) > 0
    windows = ex.windowed_dimension(ramp, 0.5, 4)
    assert windows.shape == (4,) and np.all(np.diff(windows) > 0)


def test_pca_of_random_walks_has_the_brownian_spectrum():
    """Variance fractions of a random walk's principal components: 6/(π² k²)."""
    steps = torch.randn(64, 100, 50, generator=torch_generator(2), dtype=torch.float64)
    fractions = pca_fractions(steps.cumsum(1), k=3)
    mean, se = fractions.mean(0), fractions.std(0, ddof=1) / np.sqrt(len(fractions))
    expected = theory.random_walk_pca_fractions([1, 2, 3])
    assert np.all(np.abs(mean - expected) < 3 * se + 0.01)  # + the O(1/M) discreteness


def test_pooled_variance_of_independent_units():
    rng = np.random.default_rng(3)
    u = rng.normal(1.0, 2.0, size=(500, 100))  # 500 units, 100 samples each
    var, se = ex.pooled_variance(u.mean(1), (u**2).mean(1))
    assert abs(var - 4.0) < 3 * se


def test_hessian_matrix_of_a_quadratic_form():
    a = torch.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]], dtype=torch.float64)

    def loss_fn(params):
        z = torch.cat([params[0], params[1]])
        return 0.5 * z @ a @ z

    params = [torch.ones(2, dtype=torch.float64), torch.ones(1, dtype=torch.float64)]
    assert torch.allclose(hessian.hessian_matrix(loss_fn, params, chunk=2), a)


def test_hessian_spectrum_and_lanczos_match_autograd():
    x, s = random_label_data(15, 2, [0])
    theta = tanh_mlp.mlp_init(2, 3, [4])[0].double()
    direct = torch.autograd.functional.hessian(lambda t: _flat_loss(t, x, s), theta)
    expected = np.linalg.eigvalsh(direct.numpy())
    spectrum = tanh_mlp.hessian_spectrum(theta, x[0], s[0], 3)
    assert spectrum == pytest.approx(expected, abs=1e-10)
    top = tanh_mlp.top_hessian_eigenvalues(theta[None], x, s, 3, k=1, n_iter=len(theta))
    assert top[0, 0] == pytest.approx(expected[-1], rel=1e-6)


def _flat_loss(theta: torch.Tensor, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return tanh_mlp.mlp_loss(theta[None], x.double(), s.double(), 3)[0]


def test_thermal_run_shapes_padding_and_determinism():
    kwargs = dict(
        n_points=[6, 10], dim=3, width=8, data_seeds=[0], temperatures=[1e-3, 1e-2],
        n_noise=2, eta_t=1e-5, eta_max=0.05, n_steps=200, n_snapshots=5, noise_seed=1,
        adam_threshold=0.6,
    )  # fmt: skip
    traj = thermal_run(**kwargs)
    assert isinstance(traj, Trajectory) and traj.train_loss.shape == (8, 21)
    assert traj.runs.temperature.tolist() == [1e-3, 1e-3, 1e-2, 1e-2] * 2
    run = ex.ThermalGrid.of(traj)
    assert run.loss.shape == (2, 2, 2, 21)
    assert run.point_loss.shape == (2, 2, 2, 10)
    assert np.isnan(run.point_loss[0, ..., 6:]).all() and np.isfinite(run.point_loss[1]).all()
    assert run.n_points.tolist() == [6, 10] and run.step_size.tolist() == [0.01, 0.001]
    assert run.theta0.shape == (2, run.n_params) and np.all(run.loss0 < 0.6)
    assert np.array_equal(thermal_run(**kwargs).train_loss, traj.train_loss)
    one = ex.select_temperature(run, 1e-2)
    assert one.loss.shape == (2, 1, 2, 21) and np.array_equal(one.loss[:, 0], run.loss[:, 1])
    hot = ex.ThermalGrid.of(traj.select(traj.runs.temperature == 1e-2))
    assert np.array_equal(hot.loss, one.loss) and np.array_equal(hot.theta0, one.theta0)
    with pytest.raises(ValueError, match="no temperature"):
        ex.select_temperature(run, 5.0)
    summary = ex.Fluctuations.of(run)
    assert summary.d_mean.shape == (2, 2, 2) and summary.n_above_02.shape == (2, 2)


def test_closed_forms():
    exact = theory.toy_model_moments(40, 0.5, [1e-4, 1e-2])
    assert exact["var_margin"] == pytest.approx([np.pi**2 / 2] * 2)
    assert exact["mean_margin"][0] - exact["mean_margin"][1] == pytest.approx(2 * np.log(10))
    assert exact["mean_margin"][0] == pytest.approx(np.log(1e4) - special.digamma(0.5))
    mean, var = theory.quadratic_well_loss_moments(np.ones(10), 0.1)
    assert (mean, var) == pytest.approx((0.5, 0.05))
    assert theory.random_walk_pca_fractions(np.arange(1, 100_000)).sum() == pytest.approx(1, 1e-4)
    assert theory.free_diffusion_sq_norm(1.0, 10, 0.5, 2) == 21.0


def test_inertia_counts_the_eigenvalues_above_a_threshold():
    """Sylvester's law of inertia through LDLᵀ gives the same count as the full spectrum,
    on indefinite matrices (whose Bunch–Kaufman factor has 2 × 2 blocks) and on a Hessian."""
    rng = np.random.default_rng(5)
    for n in (1, 7, 60, 301):
        a = rng.normal(size=(n, n))
        a = a + a.T
        eig = np.linalg.eigvalsh(a)
        for threshold in (-2.0, 0.0, 0.3, 5.0):
            assert ex.count_eigenvalues_above(a, threshold) == (eig > threshold).sum()
    x, s = random_label_data(15, 2, [0])
    theta = tanh_mlp.mlp_init(2, 3, [4])[0]
    spectrum = tanh_mlp.hessian_spectrum(theta, x[0], s[0], 3)
    matrix = tanh_mlp.dense_hessian(theta, x[0], s[0], 3)
    for rel in (1e-6, 1e-3, 0.1):
        expected = (spectrum > rel * spectrum.max()).sum()
        assert ex.count_eigenvalues_above(matrix, rel * spectrum.max()) == expected
    with pytest.raises(ValueError):
        ex.count_eigenvalues_above(np.ones((2, 3)), 0.0)
