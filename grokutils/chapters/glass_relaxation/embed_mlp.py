"""The embedding MLP of the glass-relaxation chapter (Zhang, Shang, Yang & Zhang, NeurIPS 2025;
spec §4.1), batched over networks, and its read-outs on logits.

``h = ReLU([E_x; E_y] W1 + b1)``, ``logits = h W2 + b2`` with a shared embedding ``E [p, d]``.
The parameters of ``W`` networks are rows of one flat tensor ``theta [W, n]`` (views unpack
it), so samplers and optimisers see ``[W, n]`` and every forward pass is a ``torch.bmm`` over
networks. Data: :class:`grokutils.methods.modular_data.ModularData`; training:
:mod:`.adamw` and :mod:`.wand`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from grokutils.core.seeding import torch_generator

SMOOTH_SLOPE = 7.0
"""Slope ``s`` of the smoothed accuracy Ã (paper Alg. 2)."""


@dataclass(frozen=True)
class EmbedMLP:
    """Shapes of the embedding MLP for modulus ``p``, embedding ``d`` and hidden width ``h``."""

    p: int = 31
    d: int = 24
    h: int = 64

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            "E": (self.p, self.d),
            "W1": (2 * self.d, self.h),
            "b1": (self.h,),
            "W2": (self.h, self.p),
            "b2": (self.p,),
        }

    @property
    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.shapes.values())

    def unpack(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """Views ``[W, *shape]`` of the flat parameters ``theta [W, n_params]``."""
        out, start = {}, 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            out[name] = theta[:, start : start + size].reshape(len(theta), *shape)
            start += size
        return out

    def init(self, n_nets: int, seed: int) -> torch.Tensor:
        """``theta [n_nets, n_params]``: weights N(0, 1/fan_in), embedding N(0, 1/d), biases 0."""
        gen = torch_generator(seed)
        theta = torch.zeros(n_nets, self.n_params)
        parts = self.unpack(theta)
        scales = {"E": self.d**-0.5, "W1": (2 * self.d) ** -0.5, "W2": self.h**-0.5}
        for name, scale in scales.items():
            parts[name].copy_(torch.randn(parts[name].shape, generator=gen) * scale)
        return theta

    def logits(self, theta: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        """Logits ``[W, N, p]`` of the ``W`` networks ``theta`` on ``pairs [N, 2]`` (int)."""
        w = self.unpack(theta)
        # [E_x; E_y] W1 = (E W1[:d])[x] + (E W1[d:])[y]: two [p, h] tables, then gathers
        left = torch.bmm(w["E"], w["W1"][:, : self.d])
        right = torch.bmm(w["E"], w["W1"][:, self.d :])
        pre = left[:, pairs[:, 0]] + right[:, pairs[:, 1]] + w["b1"][:, None]
        return torch.bmm(torch.relu(pre), w["W2"]) + w["b2"][:, None]


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per network: ``logits [W, N, p]``, ``labels [W, N]`` -> ``[W]``."""
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none").mean(1)


def smoothed_accuracy(logits: torch.Tensor, labels: torch.Tensor, slope: float = SMOOTH_SLOPE):
    """Ã = mean sigmoid(s·(z_target - max_{k≠target} z_k)) per network (paper Alg. 2), ``[W]``."""
    target = logits.gather(2, labels[..., None])[..., 0]
    others = logits.scatter(2, labels[..., None], -torch.inf).amax(2)
    return torch.sigmoid(slope * (target - others)).mean(1)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of correct argmax predictions per network, ``[W]``."""
    return (logits.argmax(2) == labels).double().mean(1)


def measure(model: EmbedMLP, theta: torch.Tensor, data) -> dict[str, torch.Tensor]:
    """The record of networks ``theta [W, n]`` on ``data`` (a
    :class:`~grokutils.methods.modular_data.ModularData`), each ``[W]``: ``ln_train_loss``
    (ln of the mean training cross-entropy, float64), ``train_acc``, ``test_acc``,
    ``smooth_test_acc`` (Ã of Alg. 2) and ``weight_norm`` (‖θ‖)."""
    with torch.no_grad():
        z_tr = model.logits(theta, data.pairs_train)
        z_te = model.logits(theta, data.pairs_test)
        return {
            "ln_train_loss": torch.log(cross_entropy(z_tr.double(), data.y_train)),
            "train_acc": accuracy(z_tr, data.y_train),
            "test_acc": accuracy(z_te, data.y_test),
            "smooth_test_acc": smoothed_accuracy(z_te.double(), data.y_test),
            "weight_norm": theta.double().norm(dim=1),
        }
