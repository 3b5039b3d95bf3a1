"""Claims compute their verdicts; the report renders, saves, and fails CI at quick."""

from __future__ import annotations

import json
import math

import pytest

from grokutils.claims import Claim, ClaimReport, ClaimsNotReproduced, Verdict, format_value


def test_close_uses_relative_and_absolute_tolerance():
    assert Claim.close("a", "s", 1.09, 1.0, rel=0.1).verdict == Verdict.REPRODUCED
    assert Claim.close("a", "s", 1.11, 1.0, rel=0.1).verdict == Verdict.NOT_REPRODUCED
    assert Claim.close("a", "s", 0.05, 0.0, abs=0.1).verdict == Verdict.REPRODUCED
    assert Claim.close("a", "s", 1.15, 1.0, rel=0.1, abs=0.05).tolerance == "±10% + ±0.05"


def test_close_needs_a_tolerance():
    with pytest.raises(ValueError, match="positive rel or abs"):
        Claim.close("a", "s", 1.0, 1.0)


def test_in_range_and_open_ends():
    assert Claim.in_range("a", "s", 25, 10, 100, paper="50").verdict == Verdict.REPRODUCED
    assert Claim.in_range("a", "s", 5, 10, None, paper="50").verdict == Verdict.NOT_REPRODUCED
    assert Claim.in_range("a", "s", 5, None, 10, paper="?").tolerance == "<= 10"


def test_condition_and_inconclusive_diagnostic():
    assert Claim.condition("a", "s", True, measured=1, paper="up").verdict == Verdict.REPRODUCED
    claim = Claim.condition(
        "a", "s", True, measured=1, paper="up", inconclusive_because="flatness 0.4 < 0.8"
    )
    assert claim.verdict == Verdict.INCONCLUSIVE and "flatness" in claim.note


def test_nan_measurement_is_inconclusive_not_a_pass():
    claim = Claim.close("a", "s", math.nan, 1.0, rel=1.0)
    assert claim.verdict == Verdict.INCONCLUSIVE and "NaN" in claim.note


def test_not_checked_names_the_preset_and_is_not_expected_at_quick():
    claim = Claim.not_checked("a", "s", paper="x", checked_at="paper")
    assert claim.verdict == Verdict.NOT_CHECKED and "paper preset" in claim.note
    assert not claim.expected_at_quick


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


def report_with(*claims, preset="quick"):
    report = ClaimReport("demo", preset)
    report.add(*claims)
    return report


def test_report_saves_json_and_embeds_it_in_html(tmp_path):
    report = report_with(Claim.close("1", "s", 1.0, 1.0, rel=0.1))
    data = json.loads(report.save(tmp_path).read_text())
    assert data["chapter"] == "demo" and data["claims"][0]["verdict"] == "reproduced"
    html = report._repr_html_()
    assert 'class="grokbook-claims"' in html and "<table" in html
    assert "reproduced" in repr(report)


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="already in the report"):
        report_with(Claim.close("1", "s", 1, 1, rel=1), Claim.close("1", "t", 1, 1, rel=1))


def test_finish_raises_at_quick_only_for_expected_claims(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CLAIMS_DIR", str(tmp_path))
    bad = Claim.close("1", "s", 2.0, 1.0, rel=0.1)
    tolerated = Claim.close("2", "s", 2.0, 1.0, rel=0.1, expected_at_quick=False)
    report_with(tolerated).finish()
    report_with(bad, preset="book").finish()
    with pytest.raises(ClaimsNotReproduced, match="1 \\(not reproduced: 2\\)"):
        report_with(bad, tolerated).finish()
    assert (tmp_path / "demo.json").is_file()
