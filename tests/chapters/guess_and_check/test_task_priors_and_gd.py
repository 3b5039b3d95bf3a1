"""Matrix sensing, the G&C priors and the GD baseline of chapter 03 (exact, non-statistical)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grokutils.chapters.guess_and_check.experiments import official_init_scale, preferred
from grokutils.chapters.guess_and_check.gradient_descent import gradient_descent
from grokutils.chapters.guess_and_check.priors import (
    InfiniteDepthPrior,
    NetworkPrior,
    bartlett_features,
)
from grokutils.chapters.guess_and_check.sampler import (
    Conditioned,
    NaiveRejection,
    RaoBlackwellIS,
    SubsetSimulation,
)
from grokutils.chapters.guess_and_check.task import make_task
from grokutils.core.seeding import seed_everything
from grokutils.core.trajectory import Trajectory, record_steps


@pytest.fixture(scope="module")
def task():
    seed_everything(0)  # one thread: small batched matmuls are faster and reproducible
    return make_task([0, 1, 2])


def test_task_is_rank_one_unit_norm_with_orthonormal_complement_test_basis(task):
    S, (m, mp), n, nb = task.n_tasks, task.shape, task.n_train, task.n_test
    assert (S, m, mp, n, nb) == (3, 5, 5, 15, 10)
    assert torch.allclose(torch.linalg.matrix_norm(task.w_star), torch.ones(S, dtype=torch.float64))
    assert (torch.linalg.matrix_rank(task.w_star) == 1).all()
    assert torch.allclose(torch.linalg.matrix_norm(task.A), torch.ones(S, n, dtype=torch.float64))
    B, A = task.B.flatten(2), task.A.flatten(2)
    eye = torch.eye(nb, dtype=torch.float64).expand(S, nb, nb)
    assert torch.allclose(B @ B.transpose(1, 2), eye, atol=1e-12)
    assert torch.allclose(
        B @ A.transpose(1, 2), torch.zeros(S, nb, n, dtype=torch.float64), atol=1e-12
    )


def test_same_seed_same_data_whatever_the_other_seeds():
    a, b = make_task([3, 7]), make_task([7])
    assert torch.equal(a.select([1]).A, b.A) and a.select([1]).seeds == (7,)


def test_losses_vanish_at_the_ground_truth_and_gen_loss_is_the_complement_projection(task):
    train, gen = task.losses(task.w_star[0].unsqueeze(0).float())
    assert train[0, 0] < 1e-12 and gen[0, 0] < 1e-12
    W = torch.randn(4, 5, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    train, gen = task.losses(W)
    diff = (W.unsqueeze(1) - task.w_star).flatten(2)  # [4, S, 25]
    A, B = task.A.flatten(2), task.B.flatten(2)
    proj = torch.einsum("sjk,nsk->nsj", B, diff)  # coordinates in the complement basis
    assert torch.allclose(gen, proj.square().sum(-1) / task.n_test)  # eq. 6
    assert torch.allclose(train, torch.einsum("sjk,nsk->nsj", A, diff).square().mean(-1))
    paired_train, paired_gen = task.losses_paired(W[:3].unsqueeze(1))
    assert torch.allclose(paired_train[:, 0], train[torch.arange(3), torch.arange(3)])
    assert torch.allclose(paired_gen[:, 0], gen[torch.arange(3), torch.arange(3)])


@pytest.mark.parametrize("activation", ["linear", "tanh", "leaky_relu"])
def test_prior_is_the_papers_factorisation_with_output_dimension_scaling(activation):
    prior = NetworkPrior(7, 3, activation)
    z = torch.randn(2, prior.n_normals, dtype=torch.float64)
    W1 = z[:, :35].view(2, 7, 5) / 7**0.5
    W2 = z[:, 35:84].view(2, 7, 7) / 7**0.5
    W3 = z[:, 84:].view(2, 5, 7) / 5**0.5
    sigma = prior.sigma
    assert torch.allclose(prior.from_normals(z), W3 @ sigma(W2 @ sigma(W1)))


def test_normalised_priors_lie_on_the_unit_sphere():
    gen = torch.Generator().manual_seed(0)
    for prior in (NetworkPrior(5, 4, "tanh", normalise=True), InfiniteDepthPrior()):
        norms = torch.linalg.matrix_norm(prior.draw(100, gen, torch.float64))
        assert torch.allclose(norms, torch.ones(100, dtype=torch.float64), atol=1e-5)
    rank = torch.linalg.matrix_rank(InfiniteDepthPrior().draw(10, gen, torch.float64))
    assert (rank == 1).all()


def test_bartlett_features_have_the_hidden_gram_matrix_mean():
    R = bartlett_features(20_000, width=9, depth=3, m_prime=5, seed=0)
    gram = (R.transpose(1, 2) @ R).mean(0)  # E[HᵀH] = I for the official scaling
    assert torch.allclose(gram, torch.eye(5, dtype=torch.float64), atol=0.05)


def test_arguments_are_checked_at_the_door(task):
    with pytest.raises(ValueError, match="width"):
        NetworkPrior(0, 2)
    with pytest.raises(ValueError, match="depth"):
        NetworkPrior(5, 1)
    with pytest.raises(ValueError, match="activation"):
        NetworkPrior(5, 2, "relu6")
    with pytest.raises(ValueError, match="exact_linear"):
        NetworkPrior(5, 2, "tanh", exact_linear=True)
    with pytest.raises(ValueError, match="n_train"):
        make_task([0], n_train=25)
    with pytest.raises(ValueError, match="unnormalised"):
        RaoBlackwellIS(NetworkPrior(5, 2, normalise=True), task, n_inner=10)
    with pytest.raises(ValueError, match="n_draws"):
        NaiveRejection(NetworkPrior(5, 2), task, n_draws=0)
    with pytest.raises(ValueError, match="eps"):
        NaiveRejection(NetworkPrior(5, 2), task, n_draws=10).condition(-1.0)
    with pytest.raises(ValueError, match="level_fraction"):
        SubsetSimulation(NetworkPrior(5, 2), task, level_fraction=1.5)


def test_naive_rejection_reports_nan_not_a_sentinel_when_nothing_is_accepted(task):
    result = NaiveRejection(NetworkPrior(5, 2), task, n_draws=1000, seed=0).condition(1e-9)
    assert np.all(result.ess == 0) and np.all(np.isnan(result.mean))
    assert np.all(result.p_accept == 0)


def test_samplers_are_deterministic_given_their_seed(task):
    prior = NetworkPrior(5, 2, "tanh")
    one = RaoBlackwellIS(prior, task, n_inner=300, seed=4).condition(0.05)
    two = RaoBlackwellIS(prior, task, n_inner=300, seed=4).condition(0.05)
    np.testing.assert_array_equal(one.mean, two.mean)
    draws = NaiveRejection(prior, task, n_draws=10, seed=3).draw(6)
    assert draws.shape == (6, 5, 5)


def test_subset_simulation_has_no_standard_error_from_a_single_replica(task):
    prior = NetworkPrior(5, 2, normalise=True)
    result = SubsetSimulation(
        prior, task.select([0]), n_particles=100, average_moves=5, seed=0
    ).condition(0.05)
    assert np.isnan(result.se).all() and np.isfinite(result.mean).all()


def test_subset_simulation_reports_nan_for_runs_that_never_reach_eps(task):
    prior = NetworkPrior(5, 2, normalise=True)
    sampler = SubsetSimulation(prior, task, n_particles=50, average_moves=2, max_levels=1)
    result = sampler.condition(1e-6)
    assert np.isnan(result.mean).all() and np.isnan(result.p_accept).all()


def test_gd_batched_over_seeds_equals_one_seed_at_a_time(task):
    kwargs = dict(init_scale=1e-2, lr=1e-2, steps=50, seed=5)
    batched = gradient_descent(task.select([0, 1]), 6, 3, "tanh", **kwargs)
    alone = gradient_descent(task.select([1]), 6, 3, "tanh", **kwargs)
    np.testing.assert_allclose(batched.test_loss[1], alone.test_loss[0], rtol=1e-10)
    np.testing.assert_allclose(batched.train_loss[1], alone.train_loss[0], rtol=1e-10)


def test_gd_from_small_initialisation_recovers_the_ground_truth(task):
    traj = gradient_descent(task, 5, 2, "linear", init_scale=1e-3, lr=1e-3, steps=3000, seed=0)
    assert np.all(traj.last("train_loss") < 1e-5) and np.all(traj.last("test_loss") < 1e-3)


def test_gd_returns_a_trajectory_whose_first_record_is_the_initialisation(task):
    traj = gradient_descent(task, 5, 2, "tanh", init_scale=1e-3, lr=1e-2, steps=40, seed=1)
    assert isinstance(traj, Trajectory) and traj.n_runs == task.n_tasks
    np.testing.assert_array_equal(traj.steps, record_steps(40, 20))
    assert traj.runs["data_seed"].tolist() == list(task.seeds)
    assert traj.train_loss.dtype == np.float64 and traj.test_loss.shape == (3, len(traj.steps))
    # before any update the end-to-end matrix is ~0, so both losses are those of W = 0
    zero = task.losses(torch.zeros(1, 5, 5, dtype=torch.float64))
    np.testing.assert_allclose(traj.train_loss[:, 0], zero[0][0], rtol=1e-3)
    np.testing.assert_allclose(traj.test_loss[:, 0], zero[1][0], rtol=1e-3)
    one_step = gradient_descent(task, 5, 2, "tanh", init_scale=1e-3, lr=1e-2, steps=1, seed=1)
    np.testing.assert_array_equal(one_step.train_loss[:, 1], traj.train_loss[:, 1])


def test_gd_arguments_are_checked_at_the_door(task):
    with pytest.raises(ValueError, match="steps"):
        gradient_descent(task, 5, 2, "linear", init_scale=1e-3, lr=1e-3, steps=0, seed=0)
    with pytest.raises(ValueError, match="lr"):
        gradient_descent(task, 5, 2, "linear", init_scale=1e-3, lr=0.0, steps=5, seed=0)


def test_official_depth_init_scales():
    scales = [official_init_scale(d, "linear") for d in range(2, 11)]
    assert scales == [1e-3, 1e-3, 1e-3, 0.1, 0.1, 0.1, 0.1, 0.2, 0.2]
    assert official_init_scale(10, "leaky_relu") == 0.1


def _summary(ess):
    one = np.ones(2)
    return Conditioned("x", 0.1, one, one, ess * one, one, one, one, one, 1)


def test_rbis_is_preferred_unless_subset_simulation_replaced_it():
    rbis, ss = _summary(50.0), _summary(500.0)
    assert preferred({"rbis": rbis, "ss": ss, "naive": None}) is ss
    assert preferred({"rbis": rbis, "ss": None, "naive": ss}) is rbis
