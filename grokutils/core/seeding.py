"""Seeds: the book's one convention for the seeds of independent units, and the call that makes a
run reproducible (seeds, thread counts, deterministic kernels).

The convention. A run's seed offset ``k`` (the chapter's ``seed`` parameter) gives each family
of independent units of the chapter (headline seeds, sweep seeds, data sets, chains: an
:class:`enum.IntEnum` the chapter declares, its values fixed once) a block of
:data:`UNITS_PER_FAMILY` unit seeds::

    unit seed = (k · FAMILIES_PER_OFFSET + family) · UNITS_PER_FAMILY + unit

so the units of two offsets, of two families and of two units never share a seed, and a seed
says where it comes from (``2_030_004``: offset 2, family 3, unit 4). A unit that needs several
random streams (its data, its initial weights, its test inputs) draws each from
:func:`stream_seed`, never from the unit seed plus a constant, which would land in another
unit's block.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from enum import IntEnum

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from grokutils.core.device import activate

UNITS_PER_FAMILY = 10_000
"""Units of one family at one offset: unit indices run from 0 to 9 999."""
FAMILIES_PER_OFFSET = 100
MAX_OFFSET = (2**63 - 1) // (FAMILIES_PER_OFFSET * UNITS_PER_FAMILY) - 1
"""The largest seed offset whose unit seeds fit in a signed 64-bit integer."""

_blas_limits = None


def unit_seeds(offset: int, family: int, units: int | Sequence[int]) -> list[int]:
    """The seeds of ``units`` of ``family`` at seed offset ``offset``: ``units`` a count ``n``
    (units 0 … n−1) or a list of distinct unit indices in ``[0, UNITS_PER_FAMILY)``."""
    units = list(range(units)) if isinstance(units, int) else [int(u) for u in units]
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"seed offset must be in [0, {MAX_OFFSET}]; got {offset!r}")
    if not 0 <= family < FAMILIES_PER_OFFSET:
        raise ValueError(f"family must be in [0, {FAMILIES_PER_OFFSET}); got {family!r}")
    if len(set(units)) != len(units) or not all(0 <= u < UNITS_PER_FAMILY for u in units):
        raise ValueError(
            f"units must be distinct indices in [0, {UNITS_PER_FAMILY}); got {units!r}"
        )
    block = (offset * FAMILIES_PER_OFFSET + int(family)) * UNITS_PER_FAMILY
    return [block + u for u in units]


def seed_record(offset: int, units: Mapping[IntEnum, int | Sequence[int]]) -> dict[str, list[int]]:
    """``{family: unit seeds}`` at seed offset ``offset``: each family (a member of a chapter's
    ``Units`` enum, named by its lower-cased name) with its units (a count, or the unit
    indices), through :func:`unit_seeds`. A chapter's record of the seeds its run used, the
    ``unit_seeds`` of its claims JSON."""
    return {family.name.lower(): unit_seeds(offset, family, n) for family, n in units.items()}


def stream_seed(unit_seed: int, stream: int) -> int:
    """The seed of random stream ``stream`` (≥ 1) of the unit ``unit_seed`` (stream 0 is the
    unit seed itself): 63 bits of ``numpy.random.SeedSequence([unit_seed, stream])``, which no
    unit seed of the convention (< 2⁶³ and far smaller in practice) can be expected to equal."""
    if stream < 1:
        raise ValueError(f"stream must be >= 1 (stream 0 is the unit seed); got {stream!r}")
    state = np.random.SeedSequence([int(unit_seed), int(stream)]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) | (int(state[1]) >> 1)


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
