"""Hessian-vector products and top eigenvalues against quadratics of known Hessian."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grokutils.methods import hessian


def spd_matrix(eigenvalues, seed: int) -> torch.Tensor:
    """Q diag(eigenvalues) Qᵀ with a random orthogonal Q (float64)."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(len(eigenvalues), len(eigenvalues), generator=g).double())
    return q @ torch.diag(torch.as_tensor(eigenvalues, dtype=torch.float64)) @ q.T


def quadratic(a: torch.Tensor):
    """½ xᵀAx (+ a linear term, which the Hessian ignores) over one parameter ``x [d]``."""
    return lambda params: 0.5 * params[0] @ a @ params[0] + params[0].sum()


def test_hvp_of_a_quadratic_is_the_matrix_product():
    a = spd_matrix([5.0, 2.0, 1.0, 0.5], seed=0)
    x, v = torch.randn(4).double(), torch.randn(4).double()
    (hv,) = hessian.hvp(quadratic(a), [x], [v])
    torch.testing.assert_close(hv, a @ v)


def test_hvp_over_two_parameter_blocks_couples_them():
    # f(x, y) = x·y + x²: H = [[2, 1], [1, 0]] per coordinate
    def f(params):
        x, y = params
        return (x * y).sum() + (x**2).sum()

    x, y = torch.ones(3).double(), torch.ones(3).double()
    hx, hy = hessian.hvp(f, [x, y], [torch.ones(3).double(), torch.zeros(3).double()])
    torch.testing.assert_close(hx, torch.full((3,), 2.0).double())
    torch.testing.assert_close(hy, torch.ones(3).double())


def test_power_iteration_and_lanczos_find_the_top_eigenvalues():
    spectrum = [10.0, 4.0, 3.0, 1.0, 0.5, 0.1]
    a = spd_matrix(spectrum, seed=1)
    g = torch.Generator().manual_seed(2)
    x = torch.zeros(6).double()
    top = hessian.top_eigenvalue(quadratic(a), [x], n_iter=60, generator=g)
    assert float(top) == pytest.approx(10.0, rel=1e-6)  # error ~ (4/10)^(2·60)
    top3 = hessian.lanczos(quadratic(a), [x], k=3, n_iter=6, generator=g)
    torch.testing.assert_close(top3, torch.tensor([10.0, 4.0, 3.0]).double())


def test_batched_runs_get_their_own_eigenvalues():
    tops = [3.0, 7.0, 12.0]
    a = torch.stack([spd_matrix([t, 1.0, 0.2], seed=s) for s, t in enumerate(tops)])  # [runs, 3, 3]

    def loss(params):  # sum of independent runs' quadratics
        x = params[0]
        return 0.5 * torch.einsum("ri,rij,rj->", x, a, x)

    x = torch.randn(3, 3).double()
    g = torch.Generator().manual_seed(3)
    power = hessian.top_eigenvalue(loss, [x], n_iter=100, batched=True, generator=g)
    torch.testing.assert_close(power, torch.tensor(tops).double(), rtol=1e-6, atol=0)
    lanc = hessian.lanczos(loss, [x], k=2, n_iter=3, batched=True, generator=g)
    expected = torch.tensor([[t, 1.0] for t in tops]).double()
    torch.testing.assert_close(lanc, expected)


def test_sharpness_of_a_network_matches_the_dense_hessian():
    g = torch.Generator().manual_seed(4)
    x, y = torch.randn(20, 3, generator=g).double(), torch.randn(20, generator=g).double()
    w1, w2 = torch.randn(3, 4, generator=g).double(), torch.randn(4, generator=g).double()

    def loss(params):
        return ((torch.tanh(x @ params[0]) @ params[1] - y) ** 2).mean()

    flat = torch.cat([w1.flatten(), w2])
    dense = torch.autograd.functional.hessian(lambda v: loss([v[:12].view(3, 4), v[12:]]), flat)
    exact = np.linalg.eigvalsh(dense.numpy())[::-1][:2].copy()
    top2 = hessian.lanczos(loss, [w1, w2], k=2, n_iter=16, generator=g)
    torch.testing.assert_close(top2, torch.from_numpy(exact), rtol=1e-6, atol=1e-8)


def test_arguments_are_checked():
    x = torch.zeros(3)
    with pytest.raises(ValueError, match="leading"):
        hessian.top_eigenvalue(lambda p: p[0].sum(), [x, torch.zeros(4)], batched=True)
    with pytest.raises(ValueError, match="n_iter"):
        hessian.lanczos(lambda p: (p[0] ** 2).sum(), [x], k=2, n_iter=5)
