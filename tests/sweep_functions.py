"""Module-level functions for the sweep tests (workers import them by name)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def noisy_square(x: int, seed: int) -> float:
    """Deterministic given (x, seed): x² plus a seeded draw."""
    return x**2 + float(np.random.default_rng(seed).normal())


def fail_after(x: int, marker: str) -> int:
    """Fails for x >= 2 while the file ``marker`` exists (a sweep interrupted half way)."""
    if x >= 2 and Path(marker).exists():
        raise RuntimeError("interrupted")
    Path(f"{marker}.calls").open("a").write(f"{x},{os.getpid()}\n")
    return x


def record_point(width: int, steps: int) -> dict:
    """Returns its point: what a sweep point of an experiment was called with."""
    return {"width": width, "steps": steps}
