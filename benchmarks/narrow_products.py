"""Batched products with a narrow output, as the chapters write them and transposed.

A ``torch.bmm`` whose output has few columns (``[R, M, K] @ [R, K, n]`` with ``n`` from 1 to a few
dozen: a network's outputs, ``d_out = 5`` targets, ``p = 31`` logits) can take several times as
long on one CPU thread as the same product computed transposed, ``(Bᵀ Aᵀ)ᵀ``, whose output has
``n`` rows instead. Each row below times one such product of a chapter's step at the sizes of a
preset, both ways, in the same run, and prints the ratio (the written form's time over the
transposed form's, :func:`grokutils.methods.narrow_products.narrow_bmm`, copy back to contiguous
memory included: above 1, the transpose is faster). The two forms agree to rounding: they sum the
same products in another order.

Chapters 01, 04 and 06 compute their narrow products transposed
(:mod:`grokutils.methods.narrow_products`, or fᵀ kept as it is in chapter 01); chapter 02 still as
written (rewriting it moves its digits, hence its fingerprint and archived evidence: branch
``core-bundle``). The rows keep both forms side by side for another machine or torch.

Usage: python benchmarks/narrow_products.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from grokutils.methods.narrow_products import narrow_bmm

REPEATS_SECONDS = 0.3
"""Least time over which each form is timed, after one warm-up call."""


def per_call(fn: Callable[[], torch.Tensor]) -> float:
    """Seconds a call of ``fn``, over at least :data:`REPEATS_SECONDS`."""
    fn()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < REPEATS_SECONDS or calls < 3:
        fn()
        calls += 1
    return elapsed / calls


def t(x: torch.Tensor) -> torch.Tensor:
    return x.transpose(1, 2)


def cases() -> list[tuple[str, str, torch.Tensor, torch.Tensor]]:
    """``(loop, product, A, B)``: ``A @ B`` as the loop writes it, float32, at its sizes (the
    loop's shapes from ``benchmarks/roofline.py``'s table; values random)."""
    g = torch.Generator().manual_seed(0)

    def r(*shape):
        return torch.randn(*shape, generator=g)

    sigma = r(3, 1000, 1000)
    sigma = sigma @ t(sigma) / 1000
    return [
        ("ch02-linear paper", "Σ_tr D [3,1000,1000]@[3,1000,5]", sigma, r(3, 1000, 5)),
        ("ch02-linear paper", "W_in W_out [3,1000,200]@[3,200,5]", r(3, 1000, 200), r(3, 200, 5)),
        ("ch02-tanh paper", "h W_out [3,2000,200]@[3,200,5]", r(3, 2000, 200), r(3, 200, 5)),
        ("ch02-tanh paper", "hᵀ δ [3,200,2000]@[3,2000,5]", t(r(3, 2000, 200)), r(3, 2000, 5)),
        ("ch04 book", "logits [8,480,64]@[8,64,31]", r(8, 480, 64), r(8, 64, 31)),
        ("ch04 book", "hᵀ g_z [8,64,480]@[8,480,31]", t(r(8, 480, 64)), r(8, 480, 31)),
        ("ch06 book", "output [18,100,64]@[18,64,1]", r(18, 100, 64), r(18, 64, 1)),
        ("ch06 book", "h2ᵀ g_f [18,64,100]@[18,100,1]", t(r(18, 100, 64)), r(18, 100, 1)),
    ]


def main() -> None:
    torch.set_num_threads(1)
    print(f"narrow products, one thread, torch {torch.__version__}, float32")
    print(f"{'loop':<18} {'product':<36} {'written':>10} {'transposed':>11}  ratio  max |diff|")
    for loop, name, a, b in cases():
        written = per_call(lambda a=a, b=b: torch.bmm(a, b))
        transposed = per_call(lambda a=a, b=b: narrow_bmm(a, b))
        diff = (torch.bmm(a, b) - narrow_bmm(a, b)).abs().max().item()
        print(
            f"{loop:<18} {name:<36} {written * 1e6:8.0f}µs {transposed * 1e6:9.0f}µs "
            f"{written / transposed:6.2f}  {diff:.1e}"
        )


if __name__ == "__main__":
    main()
