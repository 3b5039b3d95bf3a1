"""Exact eigenbasis GD of the linear teacher-student model against step-by-step torch SGD,
brute force and finite-size expectations; the two-layer GD loop against autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grokutils.chapters.linear_grokking import linear_estimator as le
from grokutils.chapters.linear_grokking import task as ts
from grokutils.chapters.linear_grokking import two_layer_student as tl
from grokutils.chapters.linear_grokking.two_layer_gd import train_two_layer
from grokutils.core.crossings import interpolated_crossing
from grokutils.core.trajectory import Trajectory

ETA = 0.01


def test_eigenbasis_solution_equals_torch_sgd_with_weight_decay():
    """Statement 2: 500 steps of torch SGD (float64, γ = 1e-3, d_out = 3) = closed form, 1e-10."""
    problem = ts.teacher_student(40, 60, [0, 1], d_out=3, noise_var=1e-3)
    reference = le.sgd_reference(problem, 500, eta=ETA, gamma=1e-3)
    exact = le.distance_at(problem, [500], eta=ETA, gamma=1e-3)[:, 0]
    assert np.abs(reference - exact).max() <= 1e-10 * np.abs(exact).max()


def test_losses_at_step_zero_are_those_of_the_initial_distance():
    problem = ts.teacher_student(60, 120, [3], d_out=2, n_gen=50)
    out = le.trajectory(problem, [0], eta=ETA, eps=1e-3)
    distance = problem.basis[0] @ problem.d0[0]  # back to the input basis
    assert out["test_loss"][0, 0] == pytest.approx((distance**2).sum() / 2, rel=1e-12)
    x_train = problem.z_train[0] @ problem.basis[0].T
    assert out["train_loss"][0, 0] == pytest.approx(((x_train @ distance) ** 2).mean(), rel=1e-10)


def test_initial_gen_loss_is_near_one_over_d_out():
    problem = ts.teacher_student(400, 400, np.arange(4), d_out=5, n_gen=10)
    gen = le.trajectory(problem, [0], eta=ETA, eps=1e-3)["test_loss"][:, 0]
    # ‖D₀‖² is a sum of 2 d_in d_out squared Gaussians of variance 1/(2 d_in d_out)
    assert np.abs(gen * 5 - 1).max() <= 5 * np.sqrt(2 / (2 * 400 * 5))


def test_empirical_test_loss_follows_the_population_loss():
    """Statement 4: |L_emp/L_an - 1| <= 5/sqrt(N_gen) at every step (d_out = 1)."""
    problem = ts.teacher_student(200, 250, [0, 1], n_gen=4000)
    out = le.trajectory(problem, np.geomspace(1, 1e5, 20), eta=ETA, eps=1e-3)
    ratio = out["test_loss_empirical"] / out["test_loss"]
    assert np.abs(ratio - 1).max() <= 5 / np.sqrt(4000)


def test_overparameterised_problem_has_exact_null_directions():
    problem = ts.teacher_student(100, 60, [0], n_gen=10)
    assert (problem.nu == 0).sum() == 40
    final = le.trajectory(problem, [1e7], eta=ETA, eps=1e-3)
    assert final["train_loss"][0, 0] < 1e-20  # interpolation
    null_part = (problem.d0[0][problem.nu[0] == 0] ** 2).sum()
    assert final["test_loss"][0, 0] == pytest.approx(null_part, rel=1e-10)


def test_grokking_steps_are_the_brute_force_first_steps():
    problem = ts.teacher_student(30, 60, [0, 1, 2], n_gen=300)
    steps = np.arange(0, 4001)
    found = le.grokking_steps(problem, eta=ETA, eps=1e-2, t_max=4000)
    curves = le.trajectory(problem, steps, eta=ETA, eps=1e-2)
    for which, times in zip(("train", "test"), found, strict=True):
        reached = curves[f"{which}_acc"] >= 0.95
        brute = np.where(reached.any(1), reached.argmax(1), np.inf)
        np.testing.assert_array_equal(times, brute)


def test_a_run_does_not_depend_on_its_batch():
    alone = ts.teacher_student(50, 70, [5], n_gen=100)
    batch = ts.teacher_student(50, 70, [4, 5], n_gen=100)
    steps = np.geomspace(1, 1e4, 10)
    a = le.trajectory(alone, steps, eta=ETA, eps=1e-3)
    b = le.trajectory(batch, steps, eta=ETA, eps=1e-3)
    for key in a.series:
        np.testing.assert_allclose(a[key][0], b[key][1], rtol=1e-9, atol=1e-15)


def test_label_noise_floor_is_the_inverse_wishart_mean():
    """GD converges to least squares: E[L_gen(∞)] = σ² d_in/(N - d_in - 1) → σ²λ/(1-λ)."""
    d_in, n, noise_var = 40, 80, 1e-2
    problem = ts.teacher_student(d_in, n, np.arange(200), noise_var=noise_var, n_gen=1)
    floor = le.trajectory(problem, [1e8], eta=ETA, eps=1e-3)["test_loss"][:, 0]
    expected = noise_var * d_in / (n - d_in - 1)
    assert abs(floor.mean() - expected) <= 3 * floor.std() / np.sqrt(len(floor))


def test_same_seed_same_numbers():
    a = ts.teacher_student(20, 30, [7], noise_var=1e-3, n_gen=5)
    b = ts.teacher_student(20, 30, [7], noise_var=1e-3, n_gen=5)
    np.testing.assert_array_equal(a.d0, b.d0)
    np.testing.assert_array_equal(a.z_gen, b.z_gen)


def test_too_large_a_learning_rate_is_refused_with_its_bound():
    problem = ts.teacher_student(20, 30, [0], n_gen=5)
    with pytest.raises(ValueError, match=r"eta=1\.0 is too large"):
        le.distance_at(problem, [1], eta=1.0)
    with pytest.raises(ValueError, match="n_train"):
        ts.teacher_student(20, 0, [0])
    with pytest.raises(ValueError, match="eps"):
        le.grokking_steps(problem, eta=ETA, eps=0.0)


@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_two_layer_gd_step_is_the_autograd_gradient_step(activation):
    """The hand-written gradients (eq. 38 for linear, backprop through tanh(g·)/g) are exact."""
    problem = ts.two_layer_problem(12, 20, 7, 3, [0, 1], n_gen=5)
    gain = torch.tensor([1.0, 4.0])
    eta = 0.3
    out = train_two_layer(
        problem, activation=activation, eta=eta, steps=1, eps=1e-3, eval_every=1, gain=gain
    )
    w_in = problem.student_in.clone().requires_grad_(True)
    w_out = problem.student_out.clone().requires_grad_(True)
    target = tl.forward(problem.x_train, problem.teacher_in, problem.teacher_out, activation, gain)
    loss = ((tl.forward(problem.x_train, w_in, w_out, activation, gain) - target) ** 2).mean((1, 2))
    g_in, g_out = torch.autograd.grad(loss.sum(), (w_in, w_out))
    with torch.no_grad():
        stepped = tl.forward(
            problem.x_train, w_in - eta * g_in, w_out - eta * g_out, activation, gain
        )
        expected = ((stepped - target) ** 2).mean((1, 2)).double().numpy()
    np.testing.assert_allclose(out["train_loss"][:, 0], loss.detach().double().numpy(), rtol=1e-5)
    np.testing.assert_allclose(out["train_loss"][:, 1], expected, rtol=1e-4)


def test_interpolated_crossing_reads_between_evaluations():
    steps = np.array([0.0, 10.0, 20.0])
    values = np.array([[0.0, 0.9, 1.0], [0.96, 1.0, 1.0], [0.0, 0.1, 0.2]])
    np.testing.assert_allclose(interpolated_crossing(steps, values, 0.95), [15.0, 0.0, np.inf])


def test_select_keeps_the_chosen_runs_of_a_batch():
    problem = ts.teacher_student(20, 30, [0, 1, 2], n_gen=50)
    part = ts.select(problem, slice(1, 3))
    alone = ts.teacher_student(20, 30, [1, 2], n_gen=50)
    assert part.runs == 2
    steps = np.array([0.0, 10.0, 1000.0])
    for key, value in le.trajectory(part, steps, eta=ETA, eps=1e-3).series.items():
        np.testing.assert_allclose(
            value, le.trajectory(alone, steps, eta=ETA, eps=1e-3)[key], rtol=1e-12, err_msg=key
        )


def test_linear_trajectory_is_runs_by_steps_measured_after_t_updates():
    problem = ts.teacher_student(30, 40, [0, 1, 2], n_gen=20)
    steps = np.array([0, 1, 10, 100])
    traj = le.trajectory(problem, steps, eta=ETA, eps=1e-3)
    assert isinstance(traj, Trajectory) and traj.n_runs == 3
    assert set(traj.series) == {
        "train_loss",
        "test_loss",
        "test_loss_empirical",
        "train_acc",
        "test_acc",
    }
    assert traj.test_loss.shape == (3, 4) and traj.test_loss.dtype == np.float64
    direct = le.measure(problem, steps, eta=ETA, eps=1e-3)
    for key, value in direct.items():
        np.testing.assert_array_equal(traj[key], value)
    after_one = le.distance_at(problem, [1], eta=ETA)[:, 0]
    np.testing.assert_allclose(traj.test_loss[:, 1], (after_one**2).sum((1, 2)), rtol=1e-12)
    with pytest.raises(ValueError, match="shared"):
        le.trajectory(problem, np.zeros((3, 2)), eta=ETA, eps=1e-3)


def test_two_layer_trajectory_records_every_eval_step_and_the_gains():
    problem = ts.two_layer_problem(10, 20, 6, 2, [0, 1], n_gen=8)
    traj = train_two_layer(
        problem, activation="tanh", eta=0.1, steps=10, eps=1e-3, eval_every=5, gain=[1.0, 2.0]
    )
    np.testing.assert_array_equal(traj.steps, [0, 5, 10])
    assert set(traj.series) == {"train_loss", "test_loss", "train_acc", "test_acc"}
    assert traj.train_loss.shape == (2, 3)
    np.testing.assert_array_equal(traj.runs["gain"], [1.0, 2.0])
    with pytest.raises(ValueError, match="activation"):
        train_two_layer(problem, activation="relu", eta=0.1, steps=1, eps=1e-3)
