"""The tanh MLP ``d → h → h → 1`` of the thermal-landscape chapter, batched over replicas.

Its parameters are one flat vector per replica, ``theta [R, P]``, and the forward pass uses
``bmm``, so that temperatures × noise seeds × data sets are one tensor dimension. Loss
convention: the *mean* binary cross-entropy over the N points,
``L = (1/N) Σ_i softplus(−m_i)`` with margins ``m_i = s_i f(x_i)``. The Hessians of that
loss (:func:`top_hessian_eigenvalues`, :func:`hessian_spectrum`, :func:`dense_hessian`) go
through :mod:`grokutils.methods.hessian`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from grokutils.core.seeding import torch_generator
from grokutils.methods import hessian
from grokutils.methods.narrow_products import narrow_baddbmm, narrow_bmm


def mlp_shapes(dim: int, width: int) -> list[tuple[int, ...]]:
    """Shapes of the parameters of the tanh MLP ``d → h → h → 1`` in the order they sit in
    the flat vector: ``W1 [d, h], b1 [h], W2 [h, h], b2 [h], W3 [h, 1], b3 [1]``."""
    if dim < 1 or width < 1:
        raise ValueError(f"dim and width must be >= 1; got {dim}, {width}")
    return [(dim, width), (width,), (width, width), (width,), (width, 1), (1,)]


def mlp_n_params(dim: int, width: int) -> int:
    """``P = d h + h + h² + h + h + 1`` (4929 for d = 10, h = 64)."""
    return sum(math.prod(shape) for shape in mlp_shapes(dim, width))


def mlp_init(dim: int, width: int, seeds) -> torch.Tensor:
    """LeCun-normal weights (std ``1/√fan_in``) and zero biases, one network per seed drawn
    from ``torch.Generator(seed)``. Returns float32 ``theta [S, P]``."""
    thetas = []
    for seed in np.atleast_1d(seeds).tolist():  # a few initialisations, each from its own seed
        gen = torch_generator(int(seed))
        parts = []
        for shape in mlp_shapes(dim, width):
            if len(shape) == 2:
                parts.append(torch.randn(shape, generator=gen).flatten() / math.sqrt(shape[0]))
            else:
                parts.append(torch.zeros(shape))
        thetas.append(torch.cat(parts))
    return torch.stack(thetas)


def mlp_margins(theta: torch.Tensor, x: torch.Tensor, s: torch.Tensor, width: int) -> torch.Tensor:
    """Margins ``m_i = s_i f(x_i)`` of the tanh MLP for every replica: ``theta [R, P]``,
    ``x [R, N, d]``, ``s [R, N]`` → ``[R, N]``."""
    return s * _forward(_unpack(theta, x, width), x)[-1]


def _unpack(theta: torch.Tensor, x: torch.Tensor, width: int) -> tuple[torch.Tensor, ...]:
    """Views ``W1 [R, d, h], b1 [R, h], W2, b2, W3 [R, h, 1], b3 [R, 1]`` of ``theta [R, P]``."""
    n_rep, _, dim = x.shape
    shapes = mlp_shapes(dim, width)
    sizes = [math.prod(shape) for shape in shapes]
    if theta.shape != (n_rep, sum(sizes)):
        raise ValueError(f"theta must be [{n_rep}, {sum(sizes)}]; got {tuple(theta.shape)}")
    return tuple(
        part.reshape(n_rep, *shape)
        for part, shape in zip(theta.split(sizes, dim=1), shapes, strict=True)
    )


def _forward(params, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hidden activations ``h1, h2 [R, N, h]`` and outputs ``f [R, N]`` of the unpacked
    ``params`` on ``x [R, N, d]``."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = _tanh(torch.baddbmm(b1[:, None, :], x, w1))
    h2 = _tanh(torch.baddbmm(b2[:, None, :], h1, w2))
    return h1, h2, narrow_baddbmm(b3[:, None, :], h2, w3)[..., 0]


def _tanh(a: torch.Tensor) -> torch.Tensor:
    """``tanh a = 2σ(2a) − 1``: torch's float32 ``tanh`` takes 3.6 times as long as this
    expression on the book's CPUs (measured on AMD EPYC, AVX-512 kernels: 299 against 83 µs
    for ``[18, 100, 64]``); the absolute error is a few roundings of σ."""
    return 2 * torch.sigmoid(2 * a) - 1


def mlp_loss(
    theta: torch.Tensor,
    x: torch.Tensor,
    s: torch.Tensor,
    width: int,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean binary cross-entropy ``L = (1/N) Σ_i softplus(−m_i)`` per replica, ``[R]``.

    ``weight [R, N]`` (rows summing to one) replaces the ``1/N``: weights ``1/n`` on the first
    ``n`` points and zero after them make a replica train on a subset, so that training sets
    of several sizes share one padded batch."""
    losses = F.softplus(-mlp_margins(theta, x, s, width))
    return losses.mean(1) if weight is None else (losses * weight).sum(1)


def mlp_loss_and_grad(
    x: torch.Tensor, s: torch.Tensor, width: int, weight: torch.Tensor | None = None
):
    """``theta [R, P] -> (loss [R], grad [R, P])`` for the Langevin sampler: :func:`mlp_loss`
    and its gradient, back-propagated by hand: no autograd graph, whose bookkeeping costs more
    than the arithmetic at these sizes (loss and gradient 2.9 -> 2.4 ms for 18 replicas of
    N = 100, h = 64, with :func:`_tanh`); replicas are independent."""
    n_rep, n_points, _ = x.shape
    if weight is None:
        weight = torch.full((n_rep, n_points), 1 / n_points, dtype=x.dtype)
    xt = x.transpose(1, 2)

    def loss_and_grad(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        params = _unpack(theta.detach(), x, width)
        h1, h2, f = _forward(params, x)
        m = s * f
        g_f = -(torch.sigmoid(-m) * s * weight)  # dL/df, [R, N]
        g_a2 = g_f[:, :, None] * params[4].transpose(1, 2) * (1 - h2 * h2)  # dL/d(pre-tanh 2)
        g_a1 = (g_a2 @ params[2].transpose(1, 2)) * (1 - h1 * h1)
        grads = (
            xt @ g_a1,
            g_a1.sum(1),
            h1.transpose(1, 2) @ g_a2,
            g_a2.sum(1),
            narrow_bmm(h2.transpose(1, 2), g_f[:, :, None]),
            g_f.sum(1, keepdim=True),
        )
        loss = (F.softplus(-m) * weight).sum(1)
        return loss, torch.cat([g.reshape(n_rep, -1) for g in grads], 1)

    return loss_and_grad


def _batched_loss_fn(x: torch.Tensor, s: torch.Tensor, width: int):
    def loss_fn(params: list[torch.Tensor]) -> torch.Tensor:
        return mlp_loss(params[0], x, s, width).sum()

    return loss_fn


def top_hessian_eigenvalues(
    theta: torch.Tensor,
    x: torch.Tensor,
    s: torch.Tensor,
    width: int,
    *,
    k: int = 1,
    n_iter: int = 40,
    seed: int = 0,
) -> np.ndarray:
    """The ``k`` largest Hessian eigenvalues of the mean cross-entropy at ``theta [R, P]``
    (data ``x [R, N, d]``, ``s [R, N]``), by batched Lanczos: ``[R, k]``, descending."""
    eig = hessian.lanczos(
        _batched_loss_fn(x.double(), s.double(), width),
        [theta.double()],
        k=k,
        n_iter=n_iter,
        batched=True,
        generator=torch_generator(seed),
    )
    return eig.cpu().numpy()


def hessian_spectrum(
    theta: torch.Tensor, x: torch.Tensor, s: torch.Tensor, width: int
) -> np.ndarray:
    """All ``P`` eigenvalues (ascending, float64) of the Hessian of the mean cross-entropy at
    one parameter vector ``theta [P]`` on data ``x [N, d]``, ``s [N]``: the dense Hessian
    (:func:`grokutils.methods.hessian.hessian_matrix`), then ``eigvalsh``."""
    return np.linalg.eigvalsh(dense_hessian(theta, x, s, width))


def dense_hessian(theta: torch.Tensor, x: torch.Tensor, s: torch.Tensor, width: int) -> np.ndarray:
    """The symmetrised ``P × P`` Hessian (float64) of the mean cross-entropy at one parameter
    vector ``theta [P]`` on data ``x [N, d]``, ``s [N]``
    (:func:`grokutils.methods.hessian.hessian_matrix`: ``P`` Hessian-vector products)."""
    if theta.dim() != 1:
        raise ValueError(f"theta must be one parameter vector [P]; got {tuple(theta.shape)}")
    matrix = hessian.hessian_matrix(
        _batched_loss_fn(x.double()[None], s.double()[None], width), [theta.double()[None]]
    )
    return ((matrix + matrix.T) / 2).cpu().numpy()
