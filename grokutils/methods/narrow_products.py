"""Batched matrix products with a narrow output, computed transposed.

On one CPU thread ``torch.bmm(a, b)`` with ``a [R, M, K]`` and ``b [R, K, n]`` runs several times
slower when the output has few columns ``n`` (a network's single output, ``d_out = 5`` targets, a
few dozen logits) than the same product transposed, ``(bᵀ aᵀ)ᵀ``, whose output has ``n`` rows
(``benchmarks/narrow_products.py`` measures it: 1.8 to 7.8 times on the book's CPUs). The
functions here return that transposed product as a contiguous ``[R, M, n]`` tensor; they sum the
same terms, in the same order for short ``K`` and to rounding otherwise.
"""

from __future__ import annotations

import torch


def narrow_bmm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for ``a [R, M, K]``, ``b [R, K, n]`` with ``n`` small; ``[R, M, n]``."""
    return torch.bmm(b.transpose(1, 2), a.transpose(1, 2)).transpose(1, 2).contiguous()


def narrow_baddbmm(bias: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``bias + a @ b`` (``torch.baddbmm``) for ``bias [R, 1, n]``, ``a [R, M, K]``,
    ``b [R, K, n]`` with ``n`` small; ``[R, M, n]``."""
    product = torch.baddbmm(bias.transpose(1, 2), b.transpose(1, 2), a.transpose(1, 2))
    return product.transpose(1, 2).contiguous()
