"""The transposed narrow products equal the products as written, to rounding."""

from __future__ import annotations

import torch

from grokutils.methods.narrow_products import narrow_baddbmm, narrow_bmm


def test_narrow_products_are_the_products_as_written():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(3, 50, 40, generator=g), torch.randn(3, 40, 5, generator=g)
    bias = torch.randn(3, 1, 5, generator=g)
    for got, expected in (
        (narrow_bmm(a, b), torch.bmm(a, b)),
        (narrow_baddbmm(bias, a, b), torch.baddbmm(bias, a, b)),
    ):
        assert got.shape == expected.shape == (3, 50, 5) and got.is_contiguous()
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
