"""The modular-arithmetic toy of the glass-relaxation chapter: data, batched model, AdamW."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grokutils.book.seeding import seed_everything
from grokutils.models.embed_mlp import (
    EmbedMLP,
    ModularData,
    cross_entropy,
    first_step_at,
    fixed_split,
    l_shape_runs,
    modular_labels,
    smoothed_accuracy,
    train_adamw,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread (small ops are faster and reproducible), as in the chapters."""
    seed_everything(0)


def test_labels_are_the_three_operations_mod_p():
    x, y = 5, 7  # pair index x·p + y
    assert modular_labels("x+y", 11)[x * 11 + y] == (5 + 7) % 11
    assert modular_labels("x^2+y", 11)[x * 11 + y] == (25 + 7) % 11
    assert modular_labels("x^3+xy^2+y", 11)[x * 11 + y] == (125 + 5 * 49 + 7) % 11
    with pytest.raises(ValueError, match="task"):
        modular_labels("x*y", 11)


def test_split_is_fixed_disjoint_and_half():
    train, test = fixed_split(31, 0.5, seed=0)
    assert len(train) == 480 and len(test) == 481
    assert not set(train) & set(test)
    assert np.array_equal(train, fixed_split(31, 0.5, seed=0)[0])


def test_batched_forward_matches_one_network_at_a_time():
    model = EmbedMLP(p=7, d=4, h=5)
    theta = model.init(3, seed=0)
    pairs = torch.tensor([[1, 2], [6, 0], [3, 3]])
    logits = model.logits(theta, pairs)
    for k in range(3):
        w = model.unpack(theta[k : k + 1])
        emb = torch.cat([w["E"][0, pairs[:, 0]], w["E"][0, pairs[:, 1]]], dim=1)
        direct = torch.relu(emb @ w["W1"][0] + w["b1"][0]) @ w["W2"][0] + w["b2"][0]
        assert torch.allclose(logits[k], direct, atol=1e-6)


def test_cross_entropy_and_smoothed_accuracy_per_network():
    logits = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([[0, 1, 2, 0, 1], [2, 2, 1, 0, 0]])
    for k in range(2):
        assert torch.allclose(
            cross_entropy(logits, labels)[k], F.cross_entropy(logits[k], labels[k])
        )
    confident = 100 * F.one_hot(labels, 3).float()
    assert torch.allclose(smoothed_accuracy(confident, labels), torch.ones(2))


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
        assert torch.allclose(ours["theta"][k], param[0].detach(), atol=1e-5)


def test_fixed_norm_control_keeps_every_network_on_its_sphere():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 2, 7)
    out = train_adamw(
        model,
        model.init(2, 0),
        data,
        20,
        lr=1e-2,
        weight_decay=0.0,
        fixed_norm=torch.tensor([3.0, 5.0]),
        record_every=10,
    )
    assert np.allclose(out["norm"][1:], [3.0, 5.0], atol=1e-4)


def test_adamw_memorises_the_training_set():
    model = EmbedMLP()
    data = ModularData.build(["x+y"], 31)
    out = train_adamw(
        model, model.init(1, 0), data, 200, lr=1e-2, weight_decay=1.0, record_every=200
    )
    assert out["train_acc"][-1, 0] == 1.0


def test_first_step_at_is_nan_for_never_unless_told_otherwise():
    hist = {"step": np.array([0, 10]), "test_acc": np.array([[0.0, 0.0], [1.0, 0.0]])}
    assert np.isnan(first_step_at(hist, "test_acc", 0.95)[1])
    assert first_step_at(hist, "test_acc", 0.95, never=np.inf).tolist() == [10.0, math.inf]


def test_l_shape_runs_give_one_value_per_grokked_run():
    ln_loss = np.array([[0.0, 0.0], [-5.0, -1.0], [-5.5, -2.0], [-5.6, -3.0]])
    acc_smooth = np.array([[0.0, 0.0], [0.1, 0.1], [0.6, 0.2], [0.97, 0.3]])
    acc = np.array([[0.0, 0.0], [0.1, 0.1], [0.6, 0.2], [0.99, 0.3]])
    runs = l_shape_runs(ln_loss, acc_smooth, acc)
    assert runs["grokked"].tolist() == [True, False]
    assert runs["low_acc_on_arrival"][0] == pytest.approx(0.1)  # ln L within 1 of -5.6 at step 1
    assert runs["loss_range_during_rise"][0] == pytest.approx(0.1)
    assert np.isnan(runs["low_acc_on_arrival"][1])
