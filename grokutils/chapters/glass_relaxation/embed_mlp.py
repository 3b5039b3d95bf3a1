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
from grokutils.methods.narrow_products import narrow_baddbmm, narrow_bmm

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
        return torch.baddbmm(w["b2"][:, None], torch.relu(self._hidden(w, pairs)), w["W2"])

    def _hidden(self, w: dict[str, torch.Tensor], pairs: torch.Tensor) -> torch.Tensor:
        """Pre-activations ``[W, N, h]``: ``[E_x; E_y] W1 + b1 = (E W1[:d])[x] + (E W1[d:])[y]
        + b1``, two ``[p, h]`` tables, then gathers."""
        left = torch.bmm(w["E"], w["W1"][:, : self.d])
        right = torch.bmm(w["E"], w["W1"][:, self.d :])
        gathered = left.index_select(1, pairs[:, 0]) + right.index_select(1, pairs[:, 1])
        return gathered + w["b1"][:, None]

    def loss_and_grad(
        self, theta: torch.Tensor, pairs: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy per network ``[W]`` (:func:`cross_entropy`) and its gradient
        ``[W, n]``, back-propagated by hand: no autograd graph, and ReLU's backward on
        contiguous memory (autograd's ran on strided memory at 20 times the cost).
        ``pairs [N, 2]``, ``labels [W, N]``."""
        w = self.unpack(theta.detach())
        pre = self._hidden(w, pairs)
        hidden = torch.relu(pre)
        log_p = torch.log_softmax(narrow_baddbmm(w["b2"][:, None], hidden, w["W2"]), 2)
        loss = -log_p.gather(2, labels[..., None])[..., 0].mean(1)
        g_z = log_p.exp().scatter_add_(2, labels[..., None], -torch.ones_like(log_p[..., :1]))
        g_z /= labels.shape[1]  # dL/dlogits = (softmax - onehot)/N
        g_hidden = torch.bmm(g_z, w["W2"].transpose(1, 2))
        # ReLU's backward: aten's fused kernel is 10x a bool-mask product or a where here
        g_pre = torch.ops.aten.threshold_backward(g_hidden, pre, 0.0)
        g_left = torch.zeros_like(pre[:, : self.p]).index_add_(1, pairs[:, 0], g_pre)
        g_right = torch.zeros_like(g_left).index_add_(1, pairs[:, 1], g_pre)
        w1_left, w1_right = w["W1"][:, : self.d], w["W1"][:, self.d :]
        grads = {
            "E": g_left @ w1_left.transpose(1, 2) + g_right @ w1_right.transpose(1, 2),
            "W1": torch.cat([w["E"].transpose(1, 2) @ g for g in (g_left, g_right)], 1),
            "b1": g_pre.sum(1),
            "W2": narrow_bmm(hidden.transpose(1, 2), g_z),
            "b2": g_z.sum(1),
        }
        return loss, torch.cat([grads[k].reshape(len(theta), -1) for k in self.shapes], 1)


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
