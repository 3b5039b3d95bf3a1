"""Full-batch AdamW on a batch of embedding MLPs (grokutils.chapters.glass_relaxation.adamw)."""

import math

import numpy as np
import pytest
import torch

from grokutils.chapters.glass_relaxation.adamw import train_adamw
from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP, cross_entropy
from grokutils.core.seeding import seed_everything
from grokutils.methods.modular_data import ModularData


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread (small ops are faster and reproducible), as in the chapters."""
    seed_everything(0)


def hand_written_adamw(model, theta, data, n_steps, lr, wd, betas=(0.9, 0.98), warmup=10):
    """The chapter's AdamW loop before BatchedAdam (in-place moments, Python-float bias
    corrections), kept as the reference the new loop must match bit for bit, on the same
    gradients (the hand-written ones; they are autograd's in test_wand.py)."""
    lr, wd = lr[:, None], wd[:, None]
    theta = theta.detach().clone()
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    b1, b2 = betas
    for t in range(n_steps):
        _, grad = model.loss_and_grad(theta, data.pairs_train, data.y_train)
        m.mul_(b1).add_(grad, alpha=1 - b1)
        v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        rate = lr * min(1.0, (t + 1) / warmup)
        theta.mul_(1 - rate * wd)
        m_hat, v_hat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))
        theta.sub_(rate * m_hat / (v_hat.sqrt() + 1e-8))
    return theta


def test_batched_adam_reproduces_the_hand_written_adamw_bit_for_bit():
    model = EmbedMLP(p=11, d=6, h=8)
    data = ModularData.build(["x+y", "x^2+y", "x+y"], 11)
    theta = model.init(3, seed=2)
    lr, wd = torch.tensor([1e-2, 3e-3, 1e-2]), torch.tensor([1.0, 1.0, 0.0])
    ours = train_adamw(model, theta, data, 40, lr=lr, weight_decay=wd, record_every=40)
    assert torch.equal(ours.final["theta"], hand_written_adamw(model, theta, data, 40, lr, wd))


def test_batched_adamw_matches_torch_adamw_per_network():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y", "x^2+y"], 7)
    theta = model.init(2, seed=1)
    lr, wd = torch.tensor([1e-2, 3e-3]), torch.tensor([1.0, 0.1])
    ours = train_adamw(model, theta, data, 5, lr=lr, weight_decay=wd, warmup=1, record_every=5)
    for k in range(2):
        param = theta[k : k + 1].clone().requires_grad_(True)
        opt = torch.optim.AdamW(
            [param], lr=float(lr[k]), betas=(0.9, 0.98), weight_decay=float(wd[k])
        )
        for _ in range(5):
            opt.zero_grad()
            z = model.logits(param, data.pairs_train)
            cross_entropy(z, data.y_train[k : k + 1]).sum().backward()
            opt.step()
        assert torch.allclose(ours.final["theta"][k], param[0].detach(), atol=1e-5)


def test_records_measure_the_networks_after_t_updates():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 2, 7)
    theta = model.init(2, 0)
    traj = train_adamw(model, theta, data, 30, lr=1e-2, weight_decay=1.0, record_every=10)
    assert traj.steps.tolist() == [0, 10, 20, 30] and traj.n_runs == 2
    assert np.allclose(traj.weight_norm[:, 0], theta.double().norm(dim=1))  # step 0: the init
    final = traj.final["theta"].double().norm(dim=1).numpy()
    assert np.allclose(traj.last("weight_norm"), final)  # step 30: after the 30th update


def test_fixed_norm_control_keeps_every_network_on_its_sphere():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 2, 7)
    traj = train_adamw(
        model,
        model.init(2, 0),
        data,
        20,
        lr=1e-2,
        weight_decay=0.0,
        fixed_norm=torch.tensor([3.0, 5.0]),
        record_every=10,
    )
    assert np.allclose(traj.weight_norm[:, 1:], [[3.0], [5.0]], atol=1e-4)


def test_stop_below_ends_at_the_first_record_where_every_network_is_there():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 2, 7)
    traj = train_adamw(
        model, model.init(2, 0), data, 2000, lr=1e-2, weight_decay=0.0, stop_below=-1.0
    )
    assert traj.steps[-1] < 2000
    assert (traj.last("ln_train_loss") <= -1.0).all()
    assert not (traj.ln_train_loss[:, -2] <= -1.0).all()


def test_adamw_memorises_the_training_set():
    model = EmbedMLP()
    data = ModularData.build(["x+y"], 31)
    traj = train_adamw(
        model, model.init(1, 0), data, 200, lr=1e-2, weight_decay=1.0, record_every=200
    )
    assert traj.last("train_acc")[0] == 1.0


def test_adamw_rejects_a_non_positive_learning_rate():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"], 7)
    with pytest.raises(ValueError, match="lr"):
        train_adamw(model, model.init(1, 0), data, 1, lr=0.0, weight_decay=math.inf)
