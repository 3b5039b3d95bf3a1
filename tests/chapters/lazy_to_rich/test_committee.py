"""The committee machine of Kumar et al.: exact test loss, recursion, centring, linearisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grokutils.chapters.lazy_to_rich import committee as cm
from grokutils.chapters.lazy_to_rich import committee_gd as gd
from grokutils.chapters.lazy_to_rich import theory as th
from grokutils.chapters.lazy_to_rich.committee_sweep import (
    eigenvector_label_runs,
    single_index_sweep,
)
from grokutils.chapters.lazy_to_rich.task import single_index_quadratic
from grokutils.core.crossings import first_crossing, grokking_delay
from grokutils.core.trajectory import Trajectory

torch.set_num_threads(1)


def _random_statistics(d, runs, seed):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(runs, 7, d, generator=g, dtype=torch.float64) * 0.8 + 0.1
    return W.mean(1), W.transpose(1, 2) @ W / 7


@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_eq6_matches_monte_carlo(scale):
    d, n = 12, 400_000
    w_bar, M = _random_statistics(d, 1, 3)
    beta, _, _ = single_index_quadratic(d, 1, [5], scale=scale)
    alpha, eps = 1.3, 0.4
    x = torch.randn(n, d, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    x = x / np.sqrt(d)
    f = alpha * x @ w_bar[0] + alpha * eps / 2 * ((x @ M[0]) * x).sum(-1)
    sq = (scale * (x @ beta[0]) ** 2 - f) ** 2
    mc, se = sq.mean().item(), sq.std().item() / np.sqrt(n)
    exact = th.test_loss_population(w_bar, M, beta, alpha, eps, scale=scale).item()
    assert abs(exact - mc) < 4 * se


def test_decomposition_sums_to_the_loss_and_matches_the_papers_terms():
    d = 9
    w_bar, M = _random_statistics(d, 3, 1)
    beta, _, _ = single_index_quadratic(d, 1, [0, 1, 2], normalise=False)
    alpha, eps = torch.tensor([0.5, 1.0, 2.0]), torch.tensor([0.1, 0.25, 1.0])
    parts = th.test_loss_parts(w_bar, M, beta, alpha, eps)
    total = th.test_loss_population(w_bar, M, beta, alpha, eps)
    torch.testing.assert_close(parts.sum(-1), total)
    # the forms of the authors' Fig. 4 code
    a, e = alpha[:, None, None], eps[:, None, None]
    tr = torch.diagonal(M, dim1=1, dim2=2).sum(-1)
    t1 = (alpha * eps / 2 * tr / d - (beta**2).mean(-1) / 2) ** 2
    t2 = 0.5 * ((a * e * M - beta[:, :, None] * beta[:, None, :]) ** 2).mean((1, 2))
    t3 = alpha**2 / d * (w_bar**2).sum(-1)
    torch.testing.assert_close(parts, torch.stack([t1, t2, t3], -1))


def test_loss_vanishes_at_the_solution():
    d, alpha, eps = 6, 1.5, 0.3
    beta, _, _ = single_index_quadratic(d, 1, [4])
    M = beta[:, :, None] * beta[:, None, :] / (alpha * eps)
    loss = th.test_loss_population(torch.zeros(1, d, dtype=torch.float64), M, beta, alpha, eps)
    assert loss.item() == pytest.approx(0, abs=1e-12)


def _problem(centred=True, n=13, d=8, p=30):
    beta, x, y = single_index_quadratic(d, p, [0, 1, 2])
    weights = torch.full_like(y, 1 / p)
    weights[1, p // 2 :] = 0  # run 1 trains on a smaller sample
    weights[1] /= weights[1].sum()
    model = cm.Committee(
        cm.init_weights([10, 11, 12], n, d, sigma=torch.tensor([1.0, 0.5, 2.0])),
        alpha=torch.tensor([0.5, 1.0, 4.0]),
        eps=torch.tensor([0.25, 0.05, 1.0]),
        c=torch.tensor([1.0, 0.5, 2.0]),
        sigma=torch.tensor([1.0, 0.5, 2.0]),
        centred=centred,
    )
    return model, beta, x, y, weights


@pytest.mark.parametrize("centred", [True, False])
def test_recursion_matches_direct_gd(centred):
    model, beta, x, y, weights = _problem(centred)
    runs = {
        e: gd.train(model, x, y, steps=300, engine=e, weights=weights, beta=beta, n_records=30)
        for e in ("direct", "statistics")
    }
    direct, statistics = runs["direct"], runs["statistics"]
    assert set(direct.series) == set(statistics.series)
    for field in direct.series:
        a, b = direct[field], statistics[field]
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=field)
    assert direct.test_loss[:, -1].max() < direct.test_loss[:, 0].max()  # it did learn


def test_centring_gives_zero_output_at_init():
    model, _, x, _, _ = _problem(centred=True)
    assert model.predict(model.W0, x).abs().max().item() == 0
    stats = gd.Statistics(model)
    assert stats.predict(x).abs().max().item() < 1e-15
    uncentred = cm.Committee(model.W0, model.alpha, model.eps, centred=False)
    assert uncentred.predict(uncentred.W0, x).abs().max().item() > 1e-3


def test_statistics_reproduce_the_network_output():
    model, _, x, _, _ = _problem()
    W = model.W0 + 0.3
    w_bar, M = W.mean(1), W.transpose(1, 2) @ W / W.shape[1]
    torch.testing.assert_close(model.statistics_output(w_bar, M, x), model.output(W, x))


def test_linearised_equals_network_when_the_model_is_linear():
    model, beta, x, y, weights = _problem()
    model = cm.Committee(model.W0, model.alpha, eps=0.0, c=model.c, sigma=model.sigma)
    lin, net = (
        gd.train(model, x, y, steps=200, engine=e, weights=weights, beta=beta, n_records=20)
        for e in ("linearised", "direct")
    )
    np.testing.assert_allclose(lin.test_loss, net.test_loss, rtol=1e-12)
    np.testing.assert_allclose(lin.train_loss, net.train_loss, rtol=1e-12)


def test_linearised_model_is_the_first_order_taylor_expansion():
    model, _, x, _, _ = _problem()
    dW = 1e-3 * torch.randn(model.W0.shape, generator=torch.Generator().manual_seed(0))
    dW = dW.to(model.W0.dtype)
    lin = gd.Linearised(model)
    lin.dw_bar = dW.mean(1)
    lin.C = model.W0.transpose(1, 2) @ dW / model.width
    _, jvp = torch.func.jvp(lambda W: model.predict(W, x), (model.W0,), (dW,))
    torch.testing.assert_close(lin.predict(x), jvp)


def test_ntk_gram_matches_autograd_jacobian():
    model, _, x, _, _ = _problem()
    full = torch.func.jacrev(lambda W: model.predict(W, x))(model.W0)  # [runs, P, runs, N, D]
    J = torch.stack([full[r, :, r] for r in range(len(x))]).flatten(2)  # [runs, P, N*D]
    gram = J @ J.transpose(1, 2) * model.width / model.alpha[:, None, None] ** 2
    K = th.ntk_gram(x, x, model.w_bar0, model.M0, model.eps)
    torch.testing.assert_close(K, gram)


def test_kernel_alignment_is_column_centred_cka():
    rng = np.random.default_rng(0)
    K, y = rng.normal(size=(6, 6)), rng.normal(size=6)
    K = K @ K.T
    yc, Kc = y - y.mean(), K - K.mean(0)
    expected = yc @ Kc @ yc / (np.linalg.norm(Kc) * (yc @ yc))
    got = th.kernel_alignment(torch.tensor(K)[None], torch.tensor(y)[None])
    assert got.item() == pytest.approx(expected, rel=1e-12)


def test_feature_alignment_limits():
    d = 16
    beta, _, _ = single_index_quadratic(d, 1, [0])
    eye = torch.eye(d, dtype=torch.float64)[None]
    assert th.feature_alignment(eye, beta).item() == pytest.approx(d**-0.5)
    rank_one = beta[:, :, None] * beta[:, None, :]
    assert th.feature_alignment(rank_one, beta).item() == pytest.approx(1.0)


def test_kernel_regression_interpolates_and_learns_a_linear_target():
    d, p = 10, 40
    _, x, _ = single_index_quadratic(d, p, [0])
    _, xt, _ = single_index_quadratic(d, 500, [1])
    teacher = torch.linspace(-1, 1, d, dtype=torch.float64)
    y, yt = x @ teacher, xt @ teacher
    w0, M0 = torch.zeros(1, d, dtype=torch.float64), torch.eye(d, dtype=torch.float64)[None]
    loss = th.kernel_regression_test_loss(x, y, xt, yt, w0, M0, 0.0)
    assert loss.item() < 1e-10 * (yt**2).mean().item()


def test_single_index_data():
    beta, x, y = single_index_quadratic(30, 50, [0, 1])
    torch.testing.assert_close(beta.norm(dim=1) ** 2, torch.full((2,), 30.0, dtype=torch.float64))
    torch.testing.assert_close(y, 0.5 * torch.einsum("rpd,rd->rp", x, beta) ** 2)
    beta_small, x_small, _ = single_index_quadratic(30, 20, [0, 1])
    torch.testing.assert_close(beta_small, beta)
    torch.testing.assert_close(x_small, x[:, :20])


def test_first_crossing_and_delay():
    steps = np.array([0, 1, 10, 100])
    train = np.array([[1.0, 0.05, 0.01, 0.0], [1.0, 1.0, 0.5, 0.05]])
    test = np.array([[1.0, 1.2, 0.08, 0.0], [1.0, 1.0, 1.0, 1.0]])
    t_tr, t_te, gap, ratio = grokking_delay(steps, train, test, 0.1)
    np.testing.assert_array_equal(t_tr, [1, 100])
    np.testing.assert_array_equal(t_te, [10, np.inf])
    np.testing.assert_array_equal(gap, [9, np.inf])
    np.testing.assert_array_equal(first_crossing(steps, test, [1.1, 2.0]), [0, 0])
    assert ratio[0] == 10


def test_invalid_arguments_are_named():
    model, beta, x, y, _ = _problem()
    with pytest.raises(ValueError, match="engine"):
        gd.train(model, x, y, steps=1, engine="adam", beta=beta)
    with pytest.raises(ValueError, match="alpha"):
        cm.Committee(model.W0, alpha=-1.0, eps=0.1)
    with pytest.raises(ValueError, match="beta"):
        gd.train(model, x, y, steps=1)


@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_solution_weights_have_zero_test_loss(scale):
    beta, _, _ = single_index_quadratic(10, 1, [0, 1], scale=scale)
    alpha, eps = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([0.25, 0.5])
    W = cm.solution_weights(beta, alpha, eps.double() / (2 * scale))
    w_bar, M = W.mean(1), W.transpose(1, 2) @ W / 2
    loss = th.test_loss_population(w_bar, M, beta, alpha, eps.double(), scale=scale)
    torch.testing.assert_close(loss, torch.zeros(2, dtype=torch.float64))


def test_sweep_grid_padding_and_joint_scaling():
    sweep = single_index_sweep(
        d=6,
        width=5,
        steps=20,
        sigma=[0.5, 2.0],
        p=[10, 20],
        seed=[0],
        alpha_sigma2=1.0,
        n_records=5,
    )
    np.testing.assert_allclose(sweep.config["alpha"], [4, 4, 0.25, 0.25])
    assert sweep.shape == (1, 1, 1, 2, 1, 2, 1)
    np.testing.assert_allclose(sweep.weights.sum(1).numpy(), 1)
    assert (sweep.weights[0, 10:] == 0).all() and (sweep.weights[1] > 0).all()
    np.testing.assert_allclose(
        sweep.trajectory.test_loss[:, 0], 0.75, rtol=1e-12
    )  # centred, |β|² = D


def test_eigenvector_labels_are_ordered_unit_eigenvectors():
    _, x, _ = single_index_quadratic(5, 12, [0])
    W = cm.init_weights([1], 2, 5)
    w_bar0, M0 = W.mean(1)[0], (W.transpose(1, 2) @ W / 2)[0]
    labels = th.ntk_eigenvector_labels(x[0], w_bar0, M0, 0.25, [1, 2, 12])
    K = th.ntk_gram(x, x, w_bar0[None], M0[None], 0.25)[0]
    K = K - K.mean()
    rayleigh = torch.einsum("jp,pq,jq->j", labels, K, labels)
    torch.testing.assert_close(labels.norm(dim=1), torch.ones(3, dtype=torch.float64))
    assert rayleigh[0] >= rayleigh[1] >= rayleigh[2]
    torch.testing.assert_close(K @ labels[0], rayleigh[0] * labels[0])


def test_runs_of_different_sample_sizes_train_as_if_alone():
    kw = dict(d=6, width=5, steps=40, alpha=[0.5, 2.0], seed=[0, 1], n_records=8, n_align=10)
    mixed = single_index_sweep(p=[10, 25], **kw)
    alone = single_index_sweep(p=[25], **kw)
    rows = mixed.config["p"] == 25
    np.testing.assert_array_equal(mixed.config["alpha"][rows], alone.config["alpha"])
    assert set(mixed.trajectory.series) == set(alone.trajectory.series)
    for field in alone.trajectory.series:
        np.testing.assert_allclose(
            mixed.trajectory[field][rows], alone.trajectory[field], rtol=1e-12, err_msg=field
        )
    assert mixed.trajectory.train_loss.shape == (8, 8)
    assert mixed.trajectory.runs["p"].tolist() == mixed.config["p"].tolist()


def test_eigenvector_runs_of_several_seeds_are_the_single_seed_runs():
    kw = dict(d=5, p=12, ranks=[1, 6, 12], steps=30, n_records=6)
    both = eigenvector_label_runs(seeds=[0, 3], **kw)
    one = eigenvector_label_runs(seeds=[3], **kw)
    np.testing.assert_allclose(both.test_loss[3:], one.test_loss, rtol=1e-12)
    np.testing.assert_allclose(both.train_loss[3:], one.train_loss, rtol=1e-12)
    assert both.runs["seed"].tolist() == [0, 0, 0, 3, 3, 3]
    assert both.runs["rank"].tolist() == [1, 6, 12] * 2


def test_training_returns_the_books_trajectory_with_the_eq6_terms():
    model, beta, x, y, weights = _problem()
    traj = gd.train(model, x, y, steps=50, weights=weights, beta=beta, n_records=10)
    assert isinstance(traj, Trajectory)
    assert traj.steps[0] == 0 and traj.steps[-1] == 50
    expected = {"train_loss", "test_loss", *gd.PART_SERIES, "weight_norm", "weight_change"}
    assert expected | {"feature_alignment"} == set(traj.series)
    parts = sum(traj[name] for name in gd.PART_SERIES)
    np.testing.assert_allclose(parts, traj.test_loss, rtol=1e-12)
    assert traj.train_loss.shape == (3, len(traj.steps))
    lin = gd.train(model, x, y, steps=50, engine="linearised", beta=beta, n_records=10)
    assert "weight_norm" not in lin.series and "test_loss_linear" in lin.series


FLOAT32_TOLERANCE = 1e-4
"""Largest difference of a float32 loop's loss from its float64 twin's, relative to the run's
initial loss: float32 rounds at 6e-8 a step, which a random walk over the test's 3 000 steps
grows to about 3e-6; the tolerance leaves a factor 30 for the recursion's conditioning."""


@pytest.mark.parametrize("engine", ["statistics", "linearised", "direct"])
def test_a_float32_loop_agrees_with_its_float64_twin(engine):
    kw = dict(d=20, width=50, steps=3000, alpha=[0.125, 1.0, 8.0], p=[80], seed=[5, 6])
    kw |= dict(engine=engine, n_records=40)
    single, double = (
        single_index_sweep(dtype=dt, **kw).trajectory for dt in (torch.float32, torch.float64)
    )
    assert single.test_loss.dtype == double.test_loss.dtype == np.float64
    for series in ("train_loss", "test_loss"):
        a, b = getattr(single, series), getattr(double, series)
        assert np.abs(a - b).max(1).max() > 0  # the loops differ: the twin is not the same loop
        np.testing.assert_array_less(np.abs(a - b) / b[:, :1], FLOAT32_TOLERANCE)
