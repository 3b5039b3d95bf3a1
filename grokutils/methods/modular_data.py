"""Modular arithmetic tasks: labels of all ``p²`` pairs ``(x, y)``, a fixed random split and
the batched train/test tensors of networks that each learn one task."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TASKS = ("x+y", "x^2+y", "x^3+xy^2+y")


def modular_labels(task: str, p: int) -> np.ndarray:
    """Labels ``[p²]`` of the pairs ``(x, y) = divmod(i, p)`` for ``task`` in :data:`TASKS`."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}; got {task!r}")
    x, y = np.divmod(np.arange(p * p), p)
    value = {"x+y": x + y, "x^2+y": x**2 + y, "x^3+xy^2+y": x**3 + x * y**2 + y}[task]
    return value % p


def fixed_split(p: int, train_fraction: float = 0.5, seed: int = 0) -> tuple[np.ndarray, ...]:
    """A fixed random split of the ``p²`` pairs: ``(train_idx, test_idx)`` (sorted)."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1); got {train_fraction}")
    order = np.random.default_rng(seed).permutation(p * p)
    n_train = round(train_fraction * p * p)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


@dataclass
class ModularData:
    """Pairs ``[N, 2]`` (int) and labels of one train/test split; the labels are per network
    (``[W, N]``), so networks trained together may learn different tasks."""

    pairs_train: torch.Tensor
    pairs_test: torch.Tensor
    y_train: torch.Tensor
    y_test: torch.Tensor

    @classmethod
    def build(cls, tasks: list[str], p: int, split_seed: int = 0) -> ModularData:
        """Data for networks whose tasks are ``tasks`` (one entry per network), 50 % split."""
        train, test = fixed_split(p, 0.5, split_seed)
        pairs = torch.as_tensor(np.stack(np.divmod(np.arange(p * p), p), axis=1))
        labels = torch.as_tensor(np.stack([modular_labels(t, p) for t in tasks]))
        return cls(pairs[train], pairs[test], labels[:, train], labels[:, test])
