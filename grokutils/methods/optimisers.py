"""Optimiser steps batched over runs: the parameters of ``R`` runs are rows of one tensor.

``torch.optim`` steps a whole tensor with one learning rate; the book's sweeps give every run
(row) its own learning rate, weight decay and, for runs that stop at a threshold, its own step
count. :class:`BatchedAdam` is Adam(W) with those per-run settings (one implementation for the
whole book); :func:`momentum_sgd_` the heavy-ball SGD of PyTorch's convention on a list of
batched tensors.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


class BatchedAdam:
    """Adam with decoupled weight decay (AdamW, Loshchilov & Hutter) on ``theta [R, ...]``.

    ``step(theta, grad, lr, weight_decay, active)`` updates the runs where ``active [R]``
    (default all): moments ``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``, decay
    ``θ ← (1 − lr·wd) θ``, then ``θ ← θ − lr · m̂ / (√v̂ + eps)`` with the bias corrections of
    each run's own step count. ``lr`` and ``weight_decay`` are scalars or ``[R]``. Runs that
    are not active keep their parameters, moments and step count.
    """

    def __init__(self, theta: torch.Tensor, betas: tuple[float, float] = (0.9, 0.999), eps=1e-8):
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1) or eps <= 0:
            raise ValueError(f"need 0 <= betas < 1 and eps > 0; got betas={betas}, eps={eps}")
        self.betas, self.eps = (b1, b2), eps
        self.m = torch.zeros_like(theta)
        self.v = torch.zeros_like(theta)
        self.count = torch.zeros(theta.shape[0], dtype=torch.long, device=theta.device)

    def step(
        self,
        theta: torch.Tensor,
        grad: torch.Tensor,
        lr: torch.Tensor | float,
        weight_decay: torch.Tensor | float = 0.0,
        active: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The updated ``theta [R, ...]`` (a new tensor; ``theta`` is not modified)."""
        b1, b2 = self.betas
        shape = (-1,) + (1,) * (theta.dim() - 1)
        lr = torch.as_tensor(lr, dtype=theta.dtype, device=theta.device).expand(len(theta))
        wd = torch.as_tensor(weight_decay, dtype=theta.dtype, device=theta.device)
        wd = wd.expand(len(theta))
        if active is None:
            active = torch.ones(len(theta), dtype=torch.bool, device=theta.device)
        self.count = self.count + active.long()
        a = active.view(shape)
        self.m = torch.where(a, torch.add(b1 * self.m, grad, alpha=1 - b1), self.m)
        self.v = torch.where(a, torch.addcmul(b2 * self.v, grad, grad, value=1 - b2), self.v)
        # bias corrections in float64, then in theta's dtype (as with Python-float step counts)
        t = self.count.clamp(min=1).double().view(shape)
        m_hat = self.m / (1 - b1**t).to(theta.dtype)
        v_hat = self.v / (1 - b2**t).to(theta.dtype)
        rate = lr.view(shape)
        decayed = theta * (1 - rate * wd.view(shape))
        return torch.where(a, decayed - rate * m_hat / (v_hat.sqrt() + self.eps), theta)


def momentum_sgd_(
    params: Sequence[torch.Tensor],
    grads: Sequence[torch.Tensor],
    velocity: Sequence[torch.Tensor],
    *,
    lr: torch.Tensor,
    momentum: torch.Tensor,
    weight_decay: torch.Tensor,
) -> None:
    """One heavy-ball SGD step in place, PyTorch's convention: ``v ← μv + g + λw``,
    ``w ← w − ηv``; every tensor is ``[R, ...]`` and ``lr``, ``momentum``, ``weight_decay``
    broadcast against it (e.g. ``[R, 1, 1]``)."""
    n = len(params)
    torch._foreach_mul_(velocity, [momentum] * n)
    torch._foreach_add_(velocity, grads)
    torch._foreach_addcmul_(velocity, [weight_decay] * n, params)
    torch._foreach_addcmul_(params, [-lr] * n, velocity)
