"""Claims are decided on the whole interval, with one spelling for a bound and one for a trend,
and each says beside it whether CI asserts it at quick."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grokutils.core.claims import Bound, Claim, Verdict, combine, format_value
from grokutils.core.estimates import Estimate

R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE  # U: undecided
SOURCE = {"reference": "≈ 1", "source": "paper, Fig. 1", "quick": True}
QUICK = {"quick": True}


def interval(value, low, high):
    return Estimate.from_interval(value, low, high, 8, "test")


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [(0.1, 0.6, R), (0.6, 0.8, U), (0.71, 0.9, N), (0.7, 0.7, R)],
)
def test_at_most_is_decided_on_the_whole_interval(low, high, verdict):
    claim = Claim.check("a", "s", interval(low, low, high), at_most=0.7, **SOURCE)
    assert claim.verdict == verdict


def test_between_and_close():
    assert Bound(0, 1).decide(interval(0.5, 0.2, 0.9)) == R
    assert Bound(0, 1).decide(interval(1.5, 1.2, 1.9)) == N
    assert Bound(0, 1).decide(interval(-0.5, -1, 0.5)) == U
    claim = Claim.close(
        "a", "s", interval(1.05, 1.0, 1.09), 1.0, rel=0.1, source="theory, eq. 1", **QUICK
    )
    assert claim.verdict == R and claim.reference == "1" and claim.tolerance == "1 ±10% (ours)"
    far = Claim.close(
        "a", "s", interval(1.2, 1.15, 1.25), 1.0, rel=0.1, source="theory, eq. 1", **QUICK
    )
    assert far.verdict == N
    with pytest.raises(ValueError, match="positive rel or abs"):
        Claim.close("a", "s", interval(1, 1, 1), 1.0, source="theory", **QUICK)


def test_a_claim_needs_an_estimate_a_reference_and_a_known_source():
    with pytest.raises(TypeError, match="must be an Estimate"):
        Claim.check("a", "s", 0.5, at_most=1, **SOURCE)
    with pytest.raises(ValueError, match="source must start with"):
        Claim.check(
            "a", "s", Estimate.exact(0.5), at_most=1, reference="x", source="Fig. 1", **QUICK
        )
    with pytest.raises(ValueError, match="reference"):
        Claim.check(
            "a", "s", Estimate.exact(0.5), at_most=1, reference="", source="prototype", **QUICK
        )
    with pytest.raises(ValueError, match="give at_least, at_most or both"):
        Claim.check("a", "s", Estimate.exact(0.5), **SOURCE)


def test_one_seed_is_never_evidence():
    claim = Claim.check("a", "s", Estimate.mean([0.1]), at_most=0.7, **SOURCE)
    assert claim.verdict == U


def test_nan_measurement_is_inconclusive_not_a_pass():
    claim = Claim.check("a", "s", Estimate.mean([0.1, math.nan]), at_most=0.7, **SOURCE)
    assert claim.verdict == U and "NaN" in claim.note


def test_a_nan_part_does_not_hide_a_refuted_part():
    parts = {"slope": interval(0.9, 0.7, 1.1), "profile": Estimate.mean([0.1, math.nan])}
    claim = Claim.check("a", "s", parts, at_least={"slope": 3.8, "profile": 0}, **SOURCE)
    assert claim.verdict == N and "profile: NaN" in claim.note
    parts["slope"] = interval(4.0, 3.9, 4.1)
    claim = Claim.check("a", "s", parts, at_least={"slope": 3.8, "profile": 0}, **SOURCE)
    assert claim.verdict == U


def test_diagnostic_makes_a_claim_inconclusive():
    claim = Claim.check(
        "a", "s", Estimate.exact(0.1), at_most=1, inconclusive_because="flatness 0.4", **SOURCE
    )
    assert claim.verdict == U and "flatness" in claim.note


def fraction(holds):
    return Claim.check("a", "s", Estimate.fraction(holds), at_least=0.5, **SOURCE)


def test_fraction_needs_the_interval_above_the_required_share():
    assert fraction([True] * 8).verdict == R
    assert fraction([True] * 4).verdict == U  # [0.40, 1]
    assert fraction([False] * 8).verdict == N
    claim = fraction([True] * 7 + [False])
    assert claim.verdict == U and claim.measured == "0.875"
    assert "8 seeds" in claim.interval


def test_parts_combine_all_reproduced_or_any_not():
    assert combine([R, R]) == R and combine([R, U]) == U and combine([U, N]) == N
    claim = Claim.check(
        "a",
        "s",
        {"linear": interval(0.98, 0.97, 0.99), "leaky": interval(0.85, 0.8, 0.88)},
        at_least={"linear": 0.95, "leaky": 0.9},
        **SOURCE,
    )
    assert claim.verdict == N
    assert claim.tolerance == "linear ≥ 0.95; leaky ≥ 0.9 (ours)"
    assert claim.measured == "linear 0.98; leaky 0.85"
    with pytest.raises(ValueError, match="no bound for part"):
        Claim.check("a", "s", {"x": interval(1, 1, 1)}, at_least={"y": 0}, **SOURCE)


def test_exact_claims_say_so():
    claim = Claim.close(
        "0", "s", Estimate.exact(8e-16), 0.0, abs=1e-12, source="theory, eq. 4", **QUICK
    )
    assert claim.verdict == R and claim.interval == "exact"


def test_roundoff_is_decided_like_an_exact_value_but_printed_as_roundoff():
    claim = Claim.check(
        "0", "s", Estimate.roundoff(3.1e-14), at_most=1e-10, source="theory", **QUICK
    )
    assert claim.verdict == R and claim.interval == "round-off"
    assert not claim.machine_independent


def test_not_checked_names_the_preset():
    claim = Claim.not_checked("a", "s", checked_at="paper", **SOURCE)
    assert claim.verdict == Verdict.NOT_CHECKED and "paper preset" in claim.note


def test_a_budget_bound_diagnostic_is_not_checked_below_the_preset_that_checks_it():
    def claim(because):
        return Claim.check(
            "a", "s", Estimate.exact(0.1), at_most=1, inconclusive_because=because, **SOURCE
        )

    short = claim("not converged").unless_budget_bound("book")
    assert short.verdict == Verdict.NOT_CHECKED and not short.estimates
    assert "paper preset" in short.note and "not converged" in short.note
    assert claim("not converged").unless_budget_bound("paper").verdict == U
    assert claim(None).unless_budget_bound("book").verdict == R


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.123456, "0.1235"),
        (123456.0, "1.235e+05"),
        (2e-5, "2.000e-05"),
        (12345, "12 345"),
        (True, "True"),
        ((1.0, 2), "(1, 2)"),
        (math.nan, "nan"),
    ],
)
def test_values_are_formatted_short_and_stable(value, text):
    assert format_value(value) == text


# ----------------------------------------------------------------- declarative constructors


def test_check_decides_at_least_at_most_and_both_on_the_whole_interval():
    est = Estimate.mean([0.6, 0.7, 0.65, 0.62, 0.68])
    lab = {"source": "prototype", "quick": True}
    assert Claim.check("a", "s", est, at_least=0.5, **lab).verdict == Verdict.REPRODUCED
    assert Claim.check("b", "s", est, at_most=0.5, **lab).verdict == Verdict.NOT_REPRODUCED
    both = Claim.check("c", "s", est, at_least=0.6, at_most=0.7, **lab)
    assert both.verdict == Verdict.INCONCLUSIVE and both.reference == "in [0.6, 0.7]"
    claim = Claim.check("d", "s", est, at_least=0.5, source="paper, Fig. 1", quick=True)
    assert claim.reference == "≥ 0.5" and claim.tolerance == "≥ 0.5 (ours)"
    parts = Claim.check("e", "s", {"x": est, "y": est}, at_most={"x": 1.0, "y": 0.1}, **lab)
    assert parts.verdict == Verdict.NOT_REPRODUCED and "x ≤ 1" in parts.reference


def test_every_claim_says_whether_it_is_asserted_at_quick_and_why_not():
    est = Estimate.exact(0.5)
    with pytest.raises(TypeError, match="quick"):
        Claim.check("a", "s", est, at_most=1, source="prototype")
    for missing in (False, "", "  "):
        with pytest.raises(ValueError, match="quick"):
            Claim.check("a", "s", est, at_most=1, source="prototype", quick=missing)
    out = Claim.check("a", "s", est, at_most=1, source="prototype", quick="one seed at quick")
    assert not out.quick and out.not_at_quick == "one seed at quick"
    assert Claim.check("a", "s", est, at_most=1, source="prototype", quick=True).quick


def trend(rows, sign, **kwargs):
    estimate = Estimate.trend(rows, sign, **kwargs)
    return Claim.check("t", "s", estimate, at_least=0, source="prototype", quick=True).verdict


def test_a_trend_is_decided_on_the_mean_per_unit_slope():
    rng = np.random.default_rng(4)
    rows = np.arange(3.0) + 0.1 * rng.normal(size=(4, 3))  # four units, each rising
    assert trend(rows, +1) == Verdict.REPRODUCED
    assert trend(rows, -1) == Verdict.NOT_REPRODUCED
    assert trend(rows[:1], +1) == Verdict.INCONCLUSIVE  # one unit: no interval
    never = np.array([[1.0, np.inf]] * 8)  # never crossed at the far end within a budget of 2
    assert trend(never, +1, censored_at=2.0) == Verdict.REPRODUCED  # it rose by at least 1
    assert trend(never, -1, censored_at=2.0) == Verdict.NOT_REPRODUCED
    assert trend(np.ones((4, 3)), +1) == Verdict.INCONCLUSIVE  # flat in every unit: no trend
    with pytest.raises(ValueError, match="k >= 2"):
        Estimate.trend(np.ones((4, 1)), +1)


def test_a_threshold_says_where_it_comes_from():
    def claim(tolerance_from):
        return Claim.check(
            "t",
            "s",
            Estimate.mean([1.0, 1.1, 1.2]),
            at_least=0.5,
            source="paper, Fig. 1",
            quick=True,
            tolerance_from=tolerance_from,
        )

    paper = claim("paper, Fig. 1 (the 50 % line)")
    assert paper.tolerance == "≥ 0.5 (paper, Fig. 1 (the 50 % line))"
    assert paper.to_dict()["tolerance_from"] == "paper, Fig. 1 (the 50 % line)"
    with pytest.raises(ValueError, match="tolerance_from must start with one of"):
        claim("the spec")
