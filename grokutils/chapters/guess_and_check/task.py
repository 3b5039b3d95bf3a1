"""Low-rank matrix sensing data (Alexander et al., NeurIPS 2025, official ``generate_data``).

A rank-``r`` ground truth ``W*`` of shape ``m × m'`` with ``‖W*‖_F = 1``, ``n`` Gaussian sensing
matrices ``A_i`` with ``‖A_i‖_F = 1`` and noiseless measurements ``y_i = ⟨A_i, W*⟩``. The test
"set" is an orthonormal basis ``B`` of the orthogonal complement of ``span{A_i}``, so that

    L_train(W) = (1/n) Σ_i (⟨A_i, W⟩ − y_i)²
    L_gen(W) = (1/|B|) Σ_j (⟨B_j, W⟩ − ⟨B_j, W*⟩)²        (paper eq. 6)

``S`` data sets (one per data seed) are stacked in the leading dimension of a
:class:`SensingTask`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class SensingTask:
    """``S`` matrix-sensing data sets, one per seed, as stacked float64 tensors.

    Shapes: ``w_star [S, m, m']``, ``A [S, n, m, m']`` (unit Frobenius norm), ``y [S, n]``,
    ``B [S, nb, m, m']`` (orthonormal basis of ``span{A_i}^⊥``, ``nb = m m' − n``),
    ``b_star [S, nb]`` (``⟨B_j, W*⟩``). ``seeds`` are the data seeds.
    """

    w_star: torch.Tensor
    A: torch.Tensor
    y: torch.Tensor
    B: torch.Tensor
    b_star: torch.Tensor
    seeds: tuple[int, ...]

    @property
    def n_tasks(self) -> int:
        return self.w_star.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.w_star.shape[1:])

    @property
    def n_train(self) -> int:
        return self.A.shape[1]

    @property
    def n_test(self) -> int:
        return self.B.shape[1]

    def measurement_operator(self, dtype=torch.float32) -> torch.Tensor:
        """``[S, n + nb, m m']``: the rows ``vec(A_i)`` then ``vec(B_j)`` of each data set."""
        flat = torch.cat([self.A, self.B], dim=1).flatten(2)
        return flat.to(dtype)

    def select(self, index) -> SensingTask:
        """The data sets ``index`` (an int sequence; repeats allowed, e.g. for replicas)."""
        index = torch.as_tensor(index, dtype=torch.long)
        seeds = tuple(self.seeds[i] for i in index.tolist())
        return SensingTask(
            self.w_star[index],
            self.A[index],
            self.y[index],
            self.B[index],
            self.b_star[index],
            seeds,
        )

    def losses(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(L_train, L_gen)`` of candidates ``W [N, m, m']`` on every data set, each ``[N, S]``.

        One flattened matmul ``[N, m m'] @ [m m', S (n + nb)]`` for all candidates and data sets.
        """
        S = self.n_tasks
        G = self.measurement_operator(W.dtype)
        coords = (W.flatten(1) @ G.flatten(0, 1).T).view(-1, S, G.shape[1])
        return self.losses_from_coordinates(coords)

    def losses_paired(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(L_train, L_gen)``, each ``[S, N]``, of ``W [S, N, m, m']`` (row s on data set s)."""
        G = self.measurement_operator(W.dtype)
        coords = torch.bmm(W.flatten(2), G.transpose(1, 2))
        return tuple(
            loss.transpose(0, 1) for loss in self.losses_from_coordinates(coords.transpose(0, 1))
        )

    def losses_from_coordinates(self, coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(L_train, L_gen)`` from coordinates ``[..., S, n + nb]`` (``⟨A_i, W⟩`` then
        ``⟨B_j, W⟩``), each ``[..., S]``."""
        n = self.n_train
        y, b = self.y.to(coords.dtype), self.b_star.to(coords.dtype)
        train = (coords[..., :n] - y).square().mean(-1)
        gen = (coords[..., n:] - b).square().mean(-1)  # eq. 6
        return train, gen

    def prior_chance_linear(self, normalised: bool) -> torch.Tensor:
        """Closed-form prior mean of ``L_gen`` for linear networks, ``[S]``.

        Unnormalised: every end-to-end entry has variance ``1/m``, so ``1/m + ‖b*‖²/|B|``.
        Normalised: left-right orthogonal invariance makes ``E⟨B_j, W⟩² = 1/(m m')``.
        """
        m, mp = self.shape
        level = 1.0 / (m * mp) if normalised else 1.0 / m
        return level + self.b_star.square().sum(-1) / self.n_test


def make_task(
    seeds, *, shape: tuple[int, int] = (5, 5), rank: int = 1, n_train: int = 15
) -> SensingTask:
    """The official matrix-sensing data, one data set per seed (``np.random.default_rng(seed)``).

    Paired design: data set ``s`` depends on ``s`` only, so every width, depth and method sees
    the same data (the official code regenerates data from a drifting global RNG).
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must name at least one data seed")
    m, mp = shape
    if not isinstance(rank, int | np.integer) or isinstance(rank, bool) or rank < 1:
        raise ValueError(f"rank must be an int >= 1; got {rank!r}")
    if not 0 < n_train < m * mp:
        raise ValueError(f"n_train must be in [1, {m * mp - 1}] for shape {shape}; got {n_train}")
    parts = [_one_task(np.random.default_rng(s), m, mp, rank, n_train) for s in seeds]
    stacked = [torch.as_tensor(np.stack(x)) for x in zip(*parts, strict=True)]
    return SensingTask(*stacked, seeds=seeds)


def _one_task(rng: np.random.Generator, m: int, mp: int, rank: int, n: int):
    w_star = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, mp))
    w_star /= np.linalg.norm(w_star)
    A = rng.standard_normal((n, m, mp))
    A /= np.linalg.norm(A, axis=(1, 2), keepdims=True)
    q, _ = np.linalg.qr(A.reshape(n, -1).T, mode="complete")
    B = q[:, n:].T.reshape(-1, m, mp)
    y = np.einsum("nij,ij->n", A, w_star)
    b_star = np.einsum("nij,ij->n", B, w_star)
    return w_star, A, y, B, b_star
