"""The quadratic-activation MLP of Kumar et al.'s Fig. 2: forward pass, gradients, batching."""

import numpy as np
import pytest
import torch

from grokutils.chapters.lazy_to_rich.quadratic_mlp import QuadraticMLP, modular_addition_units
from grokutils.chapters.lazy_to_rich.quadratic_mlp_gd import train_modular_addition


def float64_net(p=5, width=7, alphas=(0.5, 2.0), seed=0):
    g = torch.Generator().manual_seed(seed)
    runs = len(alphas)
    return QuadraticMLP(
        torch.randn(runs, 2 * p, width, generator=g, dtype=torch.float64),
        torch.randn(runs, p, width, generator=g, dtype=torch.float64),
        torch.tensor(alphas, dtype=torch.float64),
    )


def test_forward_is_the_authors_dense_model_on_one_hot_pairs():
    p, width = 5, 7
    net = float64_net(p, width)
    units, labels = modular_addition_units(p)
    x = torch.zeros(p * p, 2 * p, dtype=torch.float64)
    x[torch.arange(p * p), units[0]] = 1
    x[torch.arange(p * p), units[1]] = 1
    assert torch.equal(x.sum(1), torch.full((p * p,), 2.0, dtype=torch.float64))
    a, b = units[0], units[1] - p
    assert torch.equal(labels, (a + b) % p)
    for r, alpha in enumerate(net.alpha):
        W1 = net.W1t[r].T  # [N, D]
        dense = (x @ W1.T) ** 2 @ net.W2[r].T * alpha**2 / (2 * p * width)
        torch.testing.assert_close(net.forward(units)[1][r], dense, rtol=1e-12, atol=1e-14)


def test_gradients_equal_autograd_of_mse_over_alpha_squared():
    p = 5
    net = float64_net(p)
    units, labels = modular_addition_units(p)
    W1t, W2 = net.W1t.clone().requires_grad_(), net.W2.clone().requires_grad_()
    f = QuadraticMLP(W1t, W2, net.alpha).forward(units)[1]
    target = torch.nn.functional.one_hot(labels, p).to(f.dtype)
    loss = (((f - target) ** 2).mean((1, 2)) / net.alpha**2).sum()
    loss.backward()
    g_W1t, g_W2 = net.gradients(units, labels)
    torch.testing.assert_close(g_W1t, W1t.grad, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(g_W2, W2.grad, rtol=1e-10, atol=1e-14)


def test_a_run_in_a_batch_equals_the_run_alone_and_reruns_are_identical():
    kw = dict(p=7, width=64, steps=60, n_records=10, train_fraction=0.8)
    batch = train_modular_addition([0.5, 1.0], [3, 4], **kw)
    alone = train_modular_addition([1.0], [4], **kw)
    again = train_modular_addition([0.5, 1.0], [3, 4], **kw)
    runs = list(zip(batch.runs["alpha"], batch.runs["seed"], strict=True))
    assert runs == [(0.5, 3), (0.5, 4), (1, 3), (1, 4)]
    assert np.isfinite(batch.train_loss).all()
    for key in ("train_loss", "test_acc", "weight_norm"):
        np.testing.assert_allclose(batch[key][3], alone[key][0], rtol=1e-5)
        assert np.array_equal(batch[key], again[key])
    assert batch.steps[0] == 0 and batch.steps[-1] == 60


def test_training_on_a_small_problem_fits_the_training_set():
    h = train_modular_addition([0.5], [1], p=7, width=64, steps=3000, n_records=20)
    assert h.train_loss[0, -1] < h.train_loss[0, 0]
    assert h.train_acc[0, -1] == 1.0
    assert h.weight_norm[0, -1] > h.weight_norm[0, 0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(alphas=[0.0], seeds=[1]), "alphas"),
        (dict(alphas=[1.0], seeds=[]), "seeds"),
        (dict(alphas=[1.0], seeds=[1], width=0), "width"),
        (dict(alphas=[1.0], seeds=[1], lr=-1.0), "lr"),
    ],
)
def test_bad_arguments_are_rejected_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_modular_addition(**kwargs)
