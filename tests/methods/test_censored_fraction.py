"""The censored fraction: an undecided unit never decides a verdict, and runs pool."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grokutils.core.claims import Claim
from grokutils.methods.censored_fraction import (
    METHOD,
    UNDECIDED,
    censored_fraction,
    from_values,
    pooled,
)


def flags(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``"hh.f"`` → holds, undecided: h holds, f fails, . undecided."""
    return np.array([c == "h" for c in text]), np.array([c == "." for c in text])


def test_the_interval_runs_from_every_undecided_failing_to_every_undecided_holding():
    e = censored_fraction(*flags("hhh..fff"))
    fails = censored_fraction(*flags("hhhfffff"))
    holds = censored_fraction(*flags("hhhhhfff"))
    assert (e.low, e.high) == (pytest.approx(fails.low), pytest.approx(holds.high))
    assert e.value == pytest.approx(3 / 6)
    assert e.per_unit == (1, 1, 1, UNDECIDED, UNDECIDED, 0, 0, 0)
    assert e.method == METHOD


def test_undecided_units_cannot_make_a_claim_not_reproduced():
    # 2 of 16 hold, 10 undecided: were they failing, the fraction would be far below 0.5
    e = censored_fraction(*flags("hh" + "." * 10 + "ffff"))
    claim = Claim.check(
        "X", "most units", {"a": e}, at_least=0.5, reference="r", source="paper, Fig. 1", quick=True
    )
    assert claim.verdict.value == "inconclusive"


def test_a_fraction_decided_on_the_decided_units_alone_when_none_are_undecided():
    e = censored_fraction(*flags("f" * 16))
    claim = Claim.check(
        "X", "most units", {"a": e}, at_least=0.5, reference="r", source="paper, Fig. 1", quick=True
    )
    assert claim.verdict.value == "not reproduced"


def test_no_decided_unit_gives_no_value():
    e = censored_fraction(*flags("..."))
    assert math.isnan(e.value) and (e.low, e.high) == (0.0, 1.0)


def test_runs_pool_as_the_same_statistic_on_the_union_of_their_units():
    a, b = censored_fraction(*flags("hh.f")), censored_fraction(*flags("h..h"))
    assert pooled([a, b]) == censored_fraction(*flags("hh.fh..h"))
    assert from_values(a.per_unit) == a


@pytest.mark.parametrize(
    "holds, undecided, error",
    [
        (np.array([1, 0]), np.array([False, False]), TypeError),
        (np.array([True]), np.array([False, False]), TypeError),
        (np.array([True]), np.array([True]), ValueError),
    ],
)
def test_bad_flags_are_refused(holds, undecided, error):
    with pytest.raises(error):
        censored_fraction(holds, undecided)


def test_per_unit_values_other_than_hold_fail_or_undecided_are_refused():
    with pytest.raises(ValueError, match=r"0, 1 or 0\.5"):
        from_values([1.0, 0.25])
