"""WanD, the entropy-driven optimiser (chapter 04), on a small embedding MLP."""

import numpy as np
import pytest
import torch

from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP, cross_entropy
from grokutils.chapters.glass_relaxation.wand import train_ln_loss_cv, wand
from grokutils.core.seeding import seed_everything
from grokutils.methods.modular_data import ModularData


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    seed_everything(0)


def test_the_collective_variable_is_the_log_training_loss():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 2, 7)
    theta = model.init(2, 0)
    loss = cross_entropy(model.logits(theta, data.pairs_train), data.y_train)
    assert torch.allclose(train_ln_loss_cv(model, data)(theta)[:, 0], torch.log(loss))


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
