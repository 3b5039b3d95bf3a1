"""Systems with an exactly known density of states, to validate Wang-Landau samplers.

* The 2-D Ising model on a small periodic ``L × L`` lattice: ``g(E)`` by enumerating all
  ``2^(L²)`` states, and single-spin-flip moves for :func:`wang_landau_discrete`.
* The harmonic system of spec §5.3(a): ``q ∈ R^n``, ``U = |q|²/2``, collective variables
  ``x = ln U`` and ``y = q₁/|q|``; exactly ``S(x, y) = (n/2)·x + ((n-3)/2)·ln(1 - y²) + const``.
  It runs through the same WLMD code path as the network sampler.
"""

from __future__ import annotations

import numpy as np
import torch

# ---------------------------------------------------------------------------- 2-D Ising model


def ising_neighbours(L: int) -> np.ndarray:
    """Indices ``[L², 4]`` of the right, left, down, up neighbours on a periodic lattice."""
    if L < 2:
        raise ValueError(f"L must be >= 2; got {L}")
    i, j = np.divmod(np.arange(L * L), L)
    return np.stack(
        [i * L + (j + 1) % L, i * L + (j - 1) % L, ((i + 1) % L) * L + j, ((i - 1) % L) * L + j],
        axis=1,
    )


def ising_exact_dos(L: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact density of states of the periodic ``L × L`` Ising model, ``E = -Σ_<ij> s_i s_j``,
    by enumeration (``L <= 4``). Returns ``(energies [levels], g [levels])`` over the
    accessible energies only (``Σ g = 2^(L²)``)."""
    if not 2 <= L <= 4:
        raise ValueError(f"enumeration needs 2 <= L <= 4; got {L}")
    n = L * L
    states = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.int8) * 2 - 1
    nb = ising_neighbours(L)
    energy = -(states * (states[:, nb[:, 0]] + states[:, nb[:, 2]])).sum(1)
    energies, counts = np.unique(energy, return_counts=True)
    return energies, counts.astype(float)


class IsingMoves:
    """Single-spin-flip proposals for ``R`` replicas of the ``L × L`` Ising model, in the form
    :func:`grokutils.methods.wang_landau.wang_landau_discrete` expects.

    ``state`` is ``[R, L²]`` of ±1; levels are the accessible energies of
    :func:`ising_exact_dos`.
    """

    def __init__(self, L: int):
        self.L, self.n = L, L * L
        self.nb = ising_neighbours(L)
        self.energies, _ = ising_exact_dos(L)
        self.lookup = np.full(4 * self.n + 1, -1)
        self.lookup[self.energies + 2 * self.n] = np.arange(len(self.energies))

    def initial(self, n_replicas: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Random states ``[R, L²]`` and their level indices ``[R]``."""
        rng = np.random.default_rng(seed)
        state = rng.choice(np.array([-1, 1], dtype=np.int64), size=(n_replicas, self.n))
        energy = -(state * (state[:, self.nb[:, 0]] + state[:, self.nb[:, 2]])).sum(1)
        self.energy = energy
        return state, self.lookup[energy + 2 * self.n]

    def __call__(self, state: np.ndarray, idx: np.ndarray, rng: np.random.Generator):
        rows = np.arange(len(state))
        site = rng.integers(self.n, size=len(state))
        spin = state[rows, site]
        delta = 2 * spin * state[rows[:, None], self.nb[site]].sum(1)
        new_energy = self.energy + delta

        def apply(accept: np.ndarray) -> None:
            state[rows[accept], site[accept]] *= -1
            self.energy = np.where(accept, new_energy, self.energy)

        return self.lookup[new_energy + 2 * self.n], apply


# ---------------------------------------------------------------------- harmonic test system


def harmonic_cv(q: torch.Tensor) -> torch.Tensor:
    """Collective variables ``[W, 2]``: ``x = ln(|q|²/2)`` and ``y = q₁/|q|`` of ``q [W, n]``."""
    r2 = (q**2).sum(1)
    return torch.stack([torch.log(r2 / 2), q[:, 0] / torch.sqrt(r2)], dim=1)


def harmonic_exact_entropy(x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Exact ``S(x, y) = (n/2)·x + ((n-3)/2)·ln(1 - y²)`` (up to a constant), spec §5.3(a):
    the volume of the shell ``|q|² = 2e^x`` is ∝ ``e^{(n/2)x}`` and the law of ``q₁/|q|`` on
    the sphere ``S^{n-1}`` is ∝ ``(1 - y²)^{(n-3)/2}``."""
    return 0.5 * n * np.asarray(x) + 0.5 * (n - 3) * np.log1p(-(np.asarray(y) ** 2))


def fit_harmonic_entropy(
    entropy: np.ndarray, mask: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Least-squares fit of ``S = a·x + b·ln(1 - y²) + c`` over the masked bins of each group.

    entropy, mask: ``[G, nx, ny]``; x ``[nx]``, y ``[ny]`` bin centres. Returns ``[G, 2]``,
    the coefficients ``(a, b)`` (exact: ``n/2`` and ``(n-3)/2``)."""
    X, Y = np.meshgrid(x, np.log1p(-(np.asarray(y) ** 2)), indexing="ij")
    out = []
    for s, m in zip(entropy, mask, strict=True):
        design = np.stack([X[m], Y[m], np.ones(m.sum())], axis=1)
        coef, *_ = np.linalg.lstsq(design, s[m], rcond=None)
        out.append(coef[:2])
    return np.array(out)
