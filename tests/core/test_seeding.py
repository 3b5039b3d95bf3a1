"""One seed fixes every draw; bad seeds and thread counts are refused."""

from __future__ import annotations

import random
from enum import IntEnum

import numpy as np
import pytest
import torch

from grokutils.core import seeding
from grokutils.core.seeding import seed_everything, stream_seed, torch_generator, unit_seeds


def draws(seed):
    rng = seed_everything(seed)
    legacy = np.random.rand()  # noqa: NPY002 (the global state is what is tested)
    return random.random(), legacy, rng.normal(), torch.randn(3).tolist()


def test_same_seed_same_draws_and_other_seed_other_draws():
    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()


def test_torch_generator_is_independent_of_global_state():
    a = torch.randn(2, generator=torch_generator(1))
    torch.manual_seed(99)
    assert torch.equal(a, torch.randn(2, generator=torch_generator(1)))


@pytest.mark.parametrize(("seed", "threads"), [(-1, 1), (1.5, 1), (True, 1), (0, 0)])
def test_bad_seed_or_threads(seed, threads):
    with pytest.raises(ValueError, match=r"seed|threads"):
        seed_everything(seed, threads)


def test_unit_seeds_of_offsets_and_families_are_disjoint_blocks():
    blocks = [unit_seeds(k, f, 50) for k in range(8) for f in range(4)]
    every = [s for block in blocks for s in block]
    assert len(set(every)) == len(every)
    assert unit_seeds(2, 3, [4]) == [2_030_004]  # offset 2, family 3, unit 4


@pytest.mark.parametrize(
    ("offset", "family", "units", "match"),
    [
        (-1, 0, 3, "seed offset must be in"),
        (0, 100, 3, "family must be in"),
        (0, 0, [1, 1], "units must be distinct"),
        (0, 0, [10_000], "units must be distinct indices in"),
    ],
)
def test_unit_seeds_reject_what_would_break_independence(offset, family, units, match):
    with pytest.raises(ValueError, match=match):
        unit_seeds(offset, family, units)


def test_streams_of_a_unit_are_distinct_and_never_another_units_seed():
    streams = {stream_seed(s, k) for s in unit_seeds(0, 0, 100) for k in (1, 2, 3)}
    units = {s for k in range(9) for f in range(4) for s in unit_seeds(k, f, 100)}
    assert len(streams) == 300 and not streams & units
    assert stream_seed(5, 1) == stream_seed(5, 1) < 2**63
    with pytest.raises(ValueError, match="stream must be >= 1"):
        stream_seed(5, 0)


def test_a_chapters_seed_record_names_each_family_and_its_block():
    class Units(IntEnum):
        HEADLINE = 0
        DATA_SETS = 3

    record = seeding.seed_record(2, {Units.HEADLINE: 2, Units.DATA_SETS: [0, 5]})
    assert record == {"headline": [2_000_000, 2_000_001], "data_sets": [2_030_000, 2_030_005]}
