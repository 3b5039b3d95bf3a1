"""The modular-arithmetic toy of the glass-relaxation chapter: data and the batched model."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grokutils.chapters.glass_relaxation.embed_mlp import (
    EmbedMLP,
    cross_entropy,
    measure,
    smoothed_accuracy,
)
from grokutils.core.seeding import seed_everything
from grokutils.methods.modular_data import ModularData, fixed_split, modular_labels


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


def test_modular_data_gives_each_network_its_task_on_one_split():
    data = ModularData.build(["x+y", "x^2+y"], 7)
    train, test = fixed_split(7, 0.5, 0)
    assert data.pairs_train.shape == (len(train), 2) and data.y_test.shape == (2, len(test))
    x, y = data.pairs_train[:, 0], data.pairs_train[:, 1]
    assert torch.equal(data.y_train[0], (x + y) % 7)
    assert torch.equal(data.y_train[1], (x**2 + y) % 7)


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


def test_measure_gives_the_uniform_series_per_network():
    model = EmbedMLP(p=7, d=4, h=5)
    data = ModularData.build(["x+y"] * 3, 7)
    theta = model.init(3, seed=0)
    values = measure(model, theta, data)
    assert set(values) == {
        "ln_train_loss",
        "train_acc",
        "test_acc",
        "smooth_test_acc",
        "weight_norm",
    }
    assert all(v.shape == (3,) for v in values.values())
    assert torch.allclose(values["weight_norm"], theta.double().norm(dim=1))
