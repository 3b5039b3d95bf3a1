"""Modular addition with a quadratic-activation MLP and no weight decay, batched over α and seeds:
Kumar et al.'s Fig. 2 (ICLR 2024, App. 8.3; spec 01 §2 "Fig 2" and claim 17).

* Data: all ``p²`` pairs ``(a, b)``, input ``onehot(a) ⊕ onehot(b)`` (``D = 2p``), target
  ``onehot((a + b) mod p)``; one fixed random split (90 % train in the paper).
* Model: ``f(x) = α²/(D N) · W₂ (W₁ x)²`` with ``W₁ [N, D]``, ``W₂ [p, N]``, no biases, all
  weights ``N(0, 1)``. The authors' code multiplies the output by its ``scale`` twice, so α
  enters squared; we keep that so that α means what it means in their figure.
* Training: full-batch GD on ``L = mean((f - y)²)/α²`` (mean over examples and the ``p``
  outputs) with step ``η/α²``, ``η = 100`` in the paper; no weight decay.

Gradients are written out (no autograd) in float32, the authors' precision. Because the inputs
are one-hot, ``W₁ x = W₁[:, a] + W₁[:, p + b]`` is a gather and the gradient of ``W₁`` two
scatter-adds (2× faster than the dense product here). Every run is one slice of a leading
``[runs]`` dimension, so a sweep over α and seeds is one batched computation
(:func:`.quadratic_mlp_gd.train_modular_addition`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from grokutils.core.seeding import torch_generator
from grokutils.methods.modular_data import modular_labels


@dataclass
class QuadraticMLP:
    """A batch of ``runs`` networks ``f(x) = α²/(D N) · W₂ (W₁ x)²`` on one-hot pairs.

    ``W1t [runs, D, N]`` (``W₁`` transposed, so that an input unit's weights are a row),
    ``W2 [runs, p, N]``, ``alpha [runs]``; ``D = 2p``. An input is given by its two active
    units ``units [2, n]`` (``a`` and ``p + b``).
    """

    W1t: torch.Tensor
    W2: torch.Tensor
    alpha: torch.Tensor

    @classmethod
    def init(cls, alphas, seeds, p: int, width: int) -> QuadraticMLP:
        """All weights ``N(0, 1)``, float32, one generator per run seeded by its seed."""
        gens = [torch_generator(int(s)) for s in seeds]
        W1 = torch.stack([torch.randn(width, 2 * p, generator=g) for g in gens])  # [runs, N, D]
        W2 = torch.stack([torch.randn(p, width, generator=g) for g in gens])  # [runs, p, N]
        alpha = torch.tensor([float(a) for a in alphas], dtype=torch.float32)
        return cls(W1.transpose(1, 2).contiguous(), W2, alpha)

    @property
    def scale(self) -> torch.Tensor:
        """Output factor ``α²/(D N)`` as ``[runs, 1, 1]``."""
        d, width = self.W1t.shape[1:]
        return (self.alpha**2 / (d * width))[:, None, None]

    def forward(self, units: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden pre-activations ``h [runs, n, N]`` and outputs ``f [runs, n, p]``."""
        h = self.W1t.index_select(1, units[0]) + self.W1t.index_select(1, units[1])
        return h, self.scale * (h**2 @ self.W2.transpose(1, 2))

    def mse(self, units: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``mean((f - onehot(y))²)`` over examples and outputs, and accuracy; ``[runs]`` each."""
        _, f = self.forward(units)
        target = torch.nn.functional.one_hot(labels, f.shape[-1]).to(f.dtype)
        return ((f - target) ** 2).mean((1, 2)), (f.argmax(-1) == labels).to(f.dtype).mean(1)

    def gradients(self, units, labels) -> tuple[torch.Tensor, torch.Tensor]:
        """Gradients of ``L = mse/α²`` with respect to ``W1t`` and ``W2`` (same shapes)."""
        target = torch.nn.functional.one_hot(labels, self.W2.shape[1]).to(self.W2.dtype)
        return self._gradients(units, target.T.contiguous())

    def _gradients(self, units, target_t) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`gradients` for the one-hot target transposed, ``[p, n]``, computed once by the
        caller. The outputs are computed transposed, ``fᵀ = W₂ (h²)ᵀ [runs, p, n]``, as the
        product with ``p`` rows is the fast one (``methods/narrow_products``); ``dL/dW₂`` and
        ``dL/dh`` then take ``fᵀ`` as it is."""
        h = self.W1t.index_select(1, units[0]) + self.W1t.index_select(1, units[1])
        h2 = h * h
        scale = self.scale
        f_t = scale * torch.bmm(self.W2, h2.transpose(1, 2))
        p, n = f_t.shape[1:]
        g_f_t = (f_t - target_t) * (2 * scale / (n * p * self.alpha[:, None, None] ** 2))
        g_W2 = torch.bmm(g_f_t, h2)
        g_h = torch.bmm(g_f_t.transpose(1, 2), self.W2).mul_(h)  # half of dL/dh, [runs, n, N]
        g_W1t = torch.zeros_like(self.W1t)
        g_W1t.index_add_(1, units[0], g_h, alpha=2).index_add_(1, units[1], g_h, alpha=2)
        return g_W1t, g_W2

    def weight_norm(self) -> torch.Tensor:
        """``‖W₁‖_F + ‖W₂‖_F``, ``[runs]`` (the authors' progress measure)."""
        return self.W1t.flatten(1).norm(dim=1) + self.W2.flatten(1).norm(dim=1)


def modular_addition_units(p: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Active input units ``[2, p²]`` (``a``, ``p + b``) and labels ``(a + b) mod p``, ``[p²]``."""
    a, b = np.divmod(np.arange(p * p), p)
    return torch.as_tensor(np.stack([a, p + b])), torch.as_tensor(modular_labels("x+y", p))
