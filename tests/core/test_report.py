"""The report reads its quick set from the claims, carries its provenance, renders, saves, and
fails CI at quick."""

from __future__ import annotations

import json

import pytest

from grokutils.core import params
from grokutils.core.claims import Claim, RunBound
from grokutils.core.estimates import Estimate
from grokutils.core.report import ClaimReport, ClaimsNotReproduced, Scope

SCOPE = Scope("partial", "Fig. 1", "d = 5", "Fig. 2")
SOURCE = {"reference": "≈ 1", "source": "paper, Fig. 1"}
NOT_QUICK = "too few seeds at quick"


def interval(value, low, high):
    return Estimate.from_interval(value, low, high, 8, "test")


def demo_params(preset="quick"):
    return params.load("fixture", preset, presets_dir="tests/fixture_book/chapters/presets")


def quick_of(id, quick):
    return True if id in quick else NOT_QUICK


def good(id, quick=("1", "2", "3")):
    estimate = interval(0.5, 0.4, 0.6)
    return Claim.check(id, "s", estimate, at_most=1, quick=quick_of(id, quick), **SOURCE)


def bad(id, quick=("1", "2", "3")):
    estimate = interval(2.0, 1.9, 2.1)
    return Claim.check(id, "s", estimate, at_most=1, quick=quick_of(id, quick), **SOURCE)


def report_with(*claims, preset="quick", **kwargs):
    """A report of ``claims`` and three exact quick claims q0, q1, q2."""
    report = ClaimReport(demo_params(preset), scope=SCOPE, **kwargs)
    report.add(*claims)
    exact = Estimate.exact(0)
    report.add(
        *(Claim.check(f"q{k}", "s", exact, at_most=1, quick=True, **SOURCE) for k in range(3))
    )
    return report


def test_report_saves_json_with_provenance_and_embeds_it_in_html(tmp_path):
    report = report_with(good("1"))
    report.stamp()
    data = json.loads(report.save(tmp_path).read_text())
    claim = data["claims"][0]
    assert data["chapter"] == "fixture" and claim["verdict"] == "reproduced"
    assert claim["reference"] == "≈ 1" and claim["source"] == "paper, Fig. 1"
    assert "[0.4, 0.6]" in claim["interval"]
    assert claim["expected_at_quick"] and data["scope"]["replication"] == "partial"
    stamp = data["provenance"]
    for key in ("commit", "dirty", "code", "chapter", "preset", "seed", "device", "cpu"):
        assert key in stamp
    for key in ("threads", "python", "torch", "numpy", "wall_time_s", "finished"):
        assert key in stamp
    html = report._repr_html_()
    assert 'class="grokbook-claims"' in html and "grokbook-provenance" in html
    assert "provenance: commit" in repr(report)
    assert f"({stamp['cpu']}; ATen " in repr(report)  # the kernel dispatch beside the CPU


def test_the_quick_set_is_read_from_the_claims_and_reasons_reach_the_json(tmp_path):
    report = report_with(good("1"), good("4"))
    assert report.quick == ("1", "q0", "q1", "q2")
    data = json.loads(report.save(tmp_path).read_text())
    four = next(c for c in data["claims"] if c["id"] == "4")
    assert not four["expected_at_quick"] and four["not_at_quick_because"] == NOT_QUICK
    assert four["note"] == "not asserted at quick: " + NOT_QUICK


def test_the_quick_set_needs_two_claims(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CLAIMS_DIR", str(tmp_path))
    report = ClaimReport(demo_params(), scope=SCOPE)
    report.add(good("1"), good("4"), good("5"))
    with pytest.raises(ValueError, match="at least 2"):
        report.finish()


def test_invariants_compare_what_no_machine_may_move_and_leave_out_the_runs():
    closed_form = Claim.check(
        "4", "closed form", Estimate.exact(1.25), at_least=1, source="theory", quick=NOT_QUICK
    )
    estimate = interval(0.2, 0.1, 0.3)
    run_bound = Claim.check(
        "5", "run bound", estimate, at_most=RunBound(0.4345), quick=NOT_QUICK, **SOURCE
    )
    report = report_with(good("1", quick=("1",)), bad("2", quick=("1",)), closed_form, run_bound)
    lines = repr(report.invariants()).splitlines()
    assert lines[0] == "fixture at preset quick, seed 0: 7 claims, quick set 1, q0, q1, q2"
    one, two, four, five = lines[1:5]
    assert one.startswith("[1] quick, reproduced | s | reference ≈ 1 (paper, Fig. 1) | tolerance")
    assert "0.5" not in one and "[0.4, 0.6]" not in one  # a run's estimate: left out
    assert two.startswith("[2] not asserted, verdict of this machine's run | s |")
    assert "not reproduced" not in two  # not in the quick set: its verdict may move
    assert four.startswith("[4] not asserted, reproduced, measured 1.25 exact | closed form |")
    assert run_bound.tolerance_from_run and five.endswith(
        "| tolerance computed from the run (ours)"
    )
    assert "0.4345" not in five and run_bound.tolerance == "≤ 0.4345 (ours)"  # the table keeps it


def test_a_claim_that_moved_with_the_cpu_says_so_and_stays_out_of_the_quick_set():
    moved = {"2": "inconclusive on one CPU, not reproduced on another"}
    with pytest.raises(ValueError, match="take it out of the quick set"):
        report_with(good("2"), moved_under_dispatch=moved)
    report = report_with(good("1"), good("2", quick=("1",)), moved_under_dispatch=moved)
    (note,) = report.to_frame().loc[["2"], "note"]
    assert note.startswith("verdict moved with the CPU's kernels: " + moved["2"])


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="already in the report"):
        report_with(good("1"), good("1"))


def test_finish_raises_at_quick_only_for_the_quick_set(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CLAIMS_DIR", str(tmp_path))
    report_with(bad("4")).finish()  # not in the quick set
    report_with(bad("1"), preset="book").finish()
    with pytest.raises(ClaimsNotReproduced, match="1 \\(not reproduced: 2"):
        report_with(bad("1"), bad("4")).finish()
    assert (tmp_path / "fixture.json").is_file()
    estimate = interval(1.0, 0.5, 1.5)
    inconclusive = Claim.check("1", "s", estimate, at_most=1, quick=True, **SOURCE)
    with pytest.raises(ClaimsNotReproduced, match="inconclusive"):
        report_with(inconclusive).finish()


def test_a_report_records_its_unit_seeds_and_refuses_a_seed_shared_by_two_units():
    report = ClaimReport(demo_params(), scope=SCOPE, unit_seeds={"a": [1, 2], "b": [3]})
    assert report.to_dict()["unit_seeds"] == {"a": [1, 2], "b": [3]}
    with pytest.raises(ValueError, match="two units share a seed"):
        ClaimReport(demo_params(), scope=SCOPE, unit_seeds={"a": [1, 2], "b": [2]})
