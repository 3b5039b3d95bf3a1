"""WanD, the entropy-driven optimiser (chapter 04), on a small embedding MLP."""

import numpy as np
import pytest
import torch

from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP, cross_entropy
from grokutils.chapters.glass_relaxation.wand import train_ln_loss_cv, wand
from grokutils.core.seeding import seed_everything
from grokutils.methods.modular_data import TASKS, ModularData


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    seed_everything(0)


def test_the_collective_variable_is_the_log_training_loss():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 2, 7)
    theta = model.init(2, 0)
    loss = cross_entropy(model.logits(theta, data.pairs_train), data.y_train)
    cv, pullback = train_ln_loss_cv(model, data)(theta)
    assert torch.allclose(cv[:, 0], torch.log(loss))
    leaf = theta.clone().requires_grad_(True)
    ln_loss = torch.log(cross_entropy(model.logits(leaf, data.pairs_train), data.y_train))
    w = torch.tensor([[0.5], [-2.0]])
    (expected,) = torch.autograd.grad((ln_loss * w[:, 0]).sum(), leaf)
    torch.testing.assert_close(pullback(w), expected, rtol=1e-4, atol=1e-6)


def test_hand_written_gradient_is_autograds():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(list(TASKS), 7)  # labels differ by network
    theta = model.init(3, 2).double() + 0.2 * torch.randn(3, model.n_params, dtype=torch.float64)
    loss, grad = model.loss_and_grad(theta, data.pairs_train, data.y_train)
    leaf = theta.clone().requires_grad_(True)
    expected = cross_entropy(model.logits(leaf, data.pairs_train), data.y_train)
    (expected_grad,) = torch.autograd.grad(expected.sum(), leaf)
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-12, atol=0)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-10, atol=1e-14)


def test_wand_returns_one_run_per_network_with_its_displacement():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 3, 7)
    theta = model.init(3, 0)
    traj = wand(model, theta, data, 40, record_every=10, seed=1)
    assert traj.steps.tolist() == [10, 20, 30, 40] and traj.n_runs == 3
    for name in ("ln_train_loss", "train_acc", "test_acc", "weight_norm", "displacement"):
        assert traj[name].shape == (3, 4)
    assert (traj.displacement > 0).all()
    # ‖θ_t‖ ≤ ‖θ_0‖ + ‖θ_t − θ_0‖ (triangle inequality)
    norm0 = theta.double().norm(dim=1).numpy()[:, None]
    assert np.all(traj.weight_norm <= norm0 + traj.displacement + 1e-9)
