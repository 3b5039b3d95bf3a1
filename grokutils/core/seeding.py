"""One call that makes a run reproducible: seeds, thread counts and deterministic kernels."""

from __future__ import annotations

import random

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from grokutils.core.device import activate

_blas_limits = None


def seed_everything(seed: int, threads: int = 1, device: str = "cpu") -> np.random.Generator:
    """Seed ``random``, numpy and torch, fix the thread counts, ask torch for deterministic
    algorithms and make ``device`` (``cpu``, ``cuda`` or ``auto``, see
    :mod:`grokutils.core.device`) the default; return a fresh ``np.random.Generator``.

    ``threads`` bounds torch's intra-op threads and the BLAS/OpenMP pools (one thread is
    faster than two for the small matrices of this book, and bit-reproducible).
    """
    global _blas_limits
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int; got {threads!r}")
    activate(device)  # first: it checks the device and sets CUDA's determinism switches
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (libraries that still draw from the global state)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    _blas_limits = threadpool_limits(limits=threads)  # kept alive: the limit lasts the session
    return np.random.default_rng(seed)


def torch_generator(seed: int) -> torch.Generator:
    """A ``torch.Generator`` on the default device (:func:`grokutils.core.device.activate`),
    seeded with ``seed``, for draws that must not share state."""
    return torch.Generator(device=torch.get_default_device()).manual_seed(seed)
