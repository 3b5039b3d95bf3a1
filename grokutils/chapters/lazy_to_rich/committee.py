"""The committee machine of Kumar et al. (ICLR 2024), batched over runs.

``f(x) = (α/N) Σ_i φ(w_i·x)``, ``φ(h) = h + (ε/2) h²`` (eq. 3), first-layer weights only, no
biases, trained on ``L = Σ_μ ω_μ (f̃(x_μ) - y_μ)²`` (``ω = 1/P``: the mean-squared error) by
full-batch GD with the N-scaled step ``η = c N/(α² σ²)`` (App. 8.1; σ is the initial weight
scale). ``f̃ = f - f₀`` when centred (App. 8.1, the "Chizat trick"), so ``f̃ = 0`` at init.

Every run of a sweep (α, ε, c, σ, data seed, sample size via ``ω``) is one entry of a leading
``[runs]`` dimension. The GD loop is :func:`.committee_gd.train`; grids of runs on
the single-index target are :func:`.committee_sweep.single_index_sweep`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from grokutils.core.seeding import torch_generator


def trace(A: torch.Tensor) -> torch.Tensor:
    """``Tr A`` of ``A [runs, D, D]``: ``[runs]``."""
    return torch.diagonal(A, dim1=-2, dim2=-1).sum(-1)


def init_weights(seeds, n: int, d: int, sigma=1.0, *, dtype=torch.float64) -> torch.Tensor:
    """First-layer weights ``W₀ = σ Z``, ``Z_ij ~ N(0, 1)``: ``[runs, n, d]``, one seed a run."""
    seeds = [int(s) for s in np.atleast_1d(seeds)]
    sigma = torch.as_tensor(sigma, dtype=dtype).expand(len(seeds))
    if n < 1 or d < 1:
        raise ValueError(f"n and d must be >= 1; got n={n}, d={d}")
    if (sigma <= 0).any():
        raise ValueError(f"sigma must be > 0; got {sigma.tolist()}")
    z = [torch.randn(n, d, generator=torch_generator(s), dtype=dtype) for s in seeds]
    return sigma[:, None, None] * torch.stack(z)


@dataclass
class Committee:
    """Batched committee machines at initialisation and their GD hyper-parameters.

    ``W0 [runs, N, D]``; ``alpha``, ``eps``, ``c``, ``sigma`` scalars or ``[runs]``: output scale,
    quadratic strength of φ, learning-rate constant and initial weight scale (``η = c N/(α² σ²)``).
    """

    W0: torch.Tensor
    alpha: torch.Tensor | float
    eps: torch.Tensor | float
    c: torch.Tensor | float = 1.0
    sigma: torch.Tensor | float = 1.0
    centred: bool = True

    def __post_init__(self):
        if self.W0.ndim != 3:
            raise ValueError(f"W0 must have shape [runs, N, D]; got {tuple(self.W0.shape)}")
        runs, dtype = self.W0.shape[0], self.W0.dtype
        for name in ("alpha", "eps", "c", "sigma"):
            value = torch.as_tensor(getattr(self, name), dtype=dtype)
            value = value.expand(runs).clone() if value.ndim == 0 else value
            if value.shape != (runs,):
                raise ValueError(f"{name} must be a scalar or have shape [{runs}]")
            if name != "eps" and (value <= 0).any():
                raise ValueError(f"{name} must be > 0; got {value.tolist()}")
            setattr(self, name, value)
        self.w_bar0 = self.W0.mean(1)
        self.M0 = self.W0.transpose(1, 2) @ self.W0 / self.W0.shape[1]

    def to(self, dtype: torch.dtype) -> Committee:
        """The same machines in ``dtype``; their initial statistics ``w̄₀, M₀`` are cast from
        this dtype's, not recomputed from the cast weights."""
        hyper = {k: getattr(self, k).to(dtype) for k in ("alpha", "eps", "c", "sigma")}
        cast = Committee(self.W0.to(dtype), centred=self.centred, **hyper)
        cast.w_bar0, cast.M0 = self.w_bar0.to(dtype), self.M0.to(dtype)
        return cast

    @property
    def width(self) -> int:
        return self.W0.shape[1]

    @property
    def step(self) -> torch.Tensor:
        """``s = 2c/(α σ²)`` ``[runs]``: each neuron moves by ``-s (u + ε G w_i)`` a step."""
        return 2 * self.c / (self.alpha * self.sigma**2)

    def output(self, W, x) -> torch.Tensor:
        """Uncentred ``f(x) = (α/N) Σ_i φ(w_i·x)`` (eq. 3): ``W [runs, N, D]``, ``x [runs, P, D]``
        -> ``[runs, P]``."""
        h = x @ W.transpose(1, 2)
        return self.alpha[:, None] * (h + self.eps[:, None, None] / 2 * h**2).mean(-1)

    def predict(self, W, x) -> torch.Tensor:
        """The trained predictor ``f̃ = f(W) - f(W₀)`` (centred) or ``f(W)``: ``[runs, P]``."""
        f = self.output(W, x)
        return f - self.output(self.W0, x) if self.centred else f

    def statistics_output(self, w_bar, M, x) -> torch.Tensor:
        """``α w̄·x + (αε/2) xᵀMx`` (eq. 4): the same output written on the statistics."""
        half = (self.alpha * self.eps / 2)[:, None, None]
        # x·(α w̄ + (αε/2) M x) for every sample in two batched products
        xM = torch.baddbmm((self.alpha[:, None] * w_bar)[:, None, :], x, half * M)
        return (xM * x).sum(-1)


def solution_weights(beta, alpha, eps) -> torch.Tensor:
    """A zero-loss width-2 network ``w₁ = -w₂ = β/√(αε)`` (then ``w̄ = 0``, ``M = ββᵀ/(αε)``):
    ``beta [runs, D]``, ``alpha, eps [runs]`` -> ``[runs, 2, D]``."""
    w = beta / torch.sqrt(alpha * eps)[:, None]
    return torch.stack([w, -w], dim=1)
