"""One seed fixes every draw; bad seeds and thread counts are refused."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from grokutils.core.seeding import seed_everything, torch_generator


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
