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
    n_rep, _, dim = x.shape
    shapes = mlp_shapes(dim, width)
    sizes = [math.prod(shape) for shape in shapes]
    if theta.shape != (n_rep, sum(sizes)):
        raise ValueError(f"theta must be [{n_rep}, {sum(sizes)}]; got {tuple(theta.shape)}")
    w1, b1, w2, b2, w3, b3 = (
        part.reshape(n_rep, *shape)
        for part, shape in zip(theta.split(sizes, dim=1), shapes, strict=True)
    )
    h = torch.tanh(torch.baddbmm(b1[:, None, :], x, w1))
    h = torch.tanh(torch.baddbmm(b2[:, None, :], h, w2))
    f = torch.baddbmm(b3[:, None, :], h, w3)[..., 0]
    return s * f


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
    """``theta [R, P] -> (loss [R], grad [R, P])`` for the Langevin sampler; replicas are
    independent, so the gradient of the summed loss is each replica's own gradient."""

    def loss_and_grad(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = theta.detach().requires_grad_(True)
        loss = mlp_loss(theta, x, s, width, weight)
        (grad,) = torch.autograd.grad(loss.sum(), theta)
        return loss.detach(), grad

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
