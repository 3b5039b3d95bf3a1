"""Modular arithmetic tasks: labels of all ``p²`` pairs ``(x, y)`` and a fixed random split."""

import numpy as np

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
