"""The claim declarations of chapter 06: every claim is declared once, in the quick set or
with its reason, and each shows the value and interval of the estimate it is decided on."""

from __future__ import annotations

import pytest
from thermal_landscape_run import mini_chapter

from grokutils.chapters.thermal_landscape import claims as checks
from grokutils.core.claims import Verdict, format_estimate

CLAIMS = [
    *("C1", "C1b", "C2", "C2b", "C3", "C4", "C4b", "C4c", "C5", "C5b", "C6a", "C6b", "C7"),
    *("C7b", "C8a", "C8b", "C8c", "C8d", "C8e", "C9"),
]
NOT_AT_QUICK = ("C2b", "C3", "C4b", "C8b", "C8d")


@pytest.fixture(scope="module")
def mini():
    return mini_chapter()


@pytest.fixture(scope="module")
def report(mini):
    return checks.report(
        mini.p, run=mini.run, sizes=mini.sizes, curvature=mini.curvature, toy=mini.toy
    )


def test_every_claim_is_declared_once_in_or_out_of_the_quick_set(report):
    assert [c.id for c in report.claims] == CLAIMS
    assert report.quick == tuple(c for c in CLAIMS if c not in NOT_AT_QUICK)
    for claim in report.claims:
        assert claim.quick or claim.not_at_quick, claim.id


def test_the_shown_value_is_the_estimate_the_verdict_is_decided_on(report):
    for claim in report.claims:
        assert claim.verdict in set(Verdict)
        texts = [format_estimate(e)[0] for e in claim.estimates.values()]
        assert all(t in claim.measured for t in texts), claim.id
        assert all(e.unit in {"data sets", "chains", "margins"} for e in claim.estimates.values())


def test_tolerances_sit_next_to_their_statements(report):
    by_id = {c.id: c for c in report.claims}
    assert by_id["C1"].tolerance == "≤ 0.05 (ours)"
    assert by_id["C2"].tolerance == "in [0.9, 1.2] (ours)"
    assert by_id["C9"].tolerance == "in [0.9, 1.1] (ours)"
    assert by_id["C8b"].verdict == Verdict.INCONCLUSIVE  # 400 toy steps: too few samples


def test_scope_names_the_scale_of_the_run(mini, report):
    scale = report.scope.scale
    assert f"P = {mini.run.n_params}" in scale and "3 data sets" in scale
