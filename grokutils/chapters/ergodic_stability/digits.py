"""scikit-learn's 8×8 digits, split and standardised, and replace-one perturbed training sets
with label noise (the datasets of the statistical-stability chapter).

- :func:`digits_split`: train / spare pool / test, standardised with the training statistics;
- :func:`flip_labels`: symmetric label noise (each flipped label goes to another class);
- :func:`perturbed_digits`: S₀ and S_k = S₀ with example k−1 replaced by a spare example, the
  noisy labels drawn *once per noise level* from a fixed seed (:class:`PerturbedDigits`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

N_CLASSES = 10


def digits_split(n_train: int = 1000, n_pool: int = 100, seed: int = 0):
    """scikit-learn's 8×8 digits (1797 images, 10 classes, bundled with the package) split at
    random into train ``[n_train]``, a pool of spare examples ``[n_pool]`` (for replace-one
    perturbations) and test (the rest), standardised with the training set's statistics.

    Returns a dict of float32 numpy arrays ``x_train [n_train, 64]``, ``x_pool``, ``x_test`` and
    int64 labels ``y_train``, ``y_pool``, ``y_test``.
    """
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    if n_train < 1 or n_pool < 0 or n_train + n_pool >= len(x):
        raise ValueError(
            f"n_train >= 1 and n_pool >= 0 must leave test examples among {len(x)}; "
            f"got n_train={n_train}, n_pool={n_pool}"
        )
    order = np.random.default_rng(seed).permutation(len(x))
    parts = np.split(order, [n_train, n_train + n_pool])
    mean, std = x[parts[0]].mean(0), x[parts[0]].std(0)
    scaled = ((x - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)
    names = ("train", "pool", "test")
    return {
        **{f"x_{n}": scaled[idx] for n, idx in zip(names, parts, strict=True)},
        **{f"y_{n}": y[idx].astype(np.int64) for n, idx in zip(names, parts, strict=True)},
    }


def flip_labels(y: np.ndarray, p: float, n_classes: int, seed: int | list[int]) -> np.ndarray:
    """Each label replaced with probability ``p`` by a uniformly drawn *other* class (``seed``:
    anything ``np.random.default_rng`` takes)."""
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1); got {p}")
    rng = np.random.default_rng(seed)
    flip = rng.random(len(y)) < p
    shift = rng.integers(1, n_classes, size=len(y))  # never 0: always another class
    return np.where(flip, (y + shift) % n_classes, y)


@dataclass(frozen=True)
class PerturbedDigits:
    """Digits datasets that differ in one example, with noisy labels per noise level.

    ``x [n_train + n_pool, 64]`` holds the training examples then the spare pool;
    ``labels [levels, n_train + n_pool]`` the labels at each of ``noise_levels`` (the same
    corrupted labels for every dataset and run at that level); ``members [datasets, n_train]``
    the rows of ``x`` in each dataset. Test labels are clean.
    """

    x: torch.Tensor
    labels: torch.Tensor
    noise_levels: tuple[float, ...]
    members: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_train(self) -> int:
        return self.members.shape[1]


def perturbed_digits(
    noise_levels, n_datasets: int, n_train: int = 1000, n_pool: int = 100, seed: int = 0
) -> PerturbedDigits:
    """S₀ = the first ``n_train`` examples of a seeded digits split, and for k = 1..n_datasets−1
    S_k = S₀ with example k−1 replaced by pool example k−1 (replace-one: S_k ≃ S₀, and S_j, S_k
    differ in two examples). The label noise of level p flips each label (pool included) with
    probability p, drawn once from a seed derived from (``seed``, p)."""
    levels = tuple(float(p) for p in noise_levels)
    if not levels:
        raise ValueError("noise_levels must not be empty")
    if not 1 <= n_datasets <= n_pool + 1:
        raise ValueError(f"n_datasets must be in [1, n_pool + 1 = {n_pool + 1}]; got {n_datasets}")
    d = digits_split(n_train=n_train, n_pool=n_pool, seed=seed)
    y = np.concatenate([d["y_train"], d["y_pool"]])
    labels = np.stack([flip_labels(y, p, N_CLASSES, seed=[seed, round(p * 1e6)]) for p in levels])
    members = np.tile(np.arange(n_train), (n_datasets, 1))
    k = np.arange(1, n_datasets)
    members[k, k - 1] = n_train + k - 1
    return PerturbedDigits(
        x=torch.as_tensor(np.concatenate([d["x_train"], d["x_pool"]])),
        labels=torch.as_tensor(labels),
        noise_levels=levels,
        members=torch.as_tensor(members),
        x_test=torch.as_tensor(d["x_test"]),
        y_test=torch.as_tensor(d["y_test"]),
    )
