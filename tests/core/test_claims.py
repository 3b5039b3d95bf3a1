"""Claims are decided on the whole interval; the report declares its quick set, carries its
provenance, renders, saves, and fails CI at quick."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from grokutils.core import params
from grokutils.core.claims import (
    Bound,
    Claim,
    ClaimReport,
    ClaimsNotReproduced,
    RunBound,
    Scope,
    Verdict,
    combine,
    format_value,
    monotone_rows,
)
from grokutils.core.estimates import Estimate

R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE  # U: undecided
SOURCE = {"reference": "≈ 1", "source": "paper, Fig. 1"}


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
    claim = Claim.close("a", "s", interval(1.05, 1.0, 1.09), 1.0, rel=0.1, source="theory, eq. 1")
    assert claim.verdict == R and claim.reference == "1" and claim.tolerance == "1 ±10%"
    far = Claim.close("a", "s", interval(1.2, 1.15, 1.25), 1.0, rel=0.1, source="theory, eq. 1")
    assert far.verdict == N
    with pytest.raises(ValueError, match="positive rel or abs"):
        Claim.close("a", "s", interval(1, 1, 1), 1.0, source="theory")


def test_a_claim_needs_an_estimate_a_reference_and_a_known_source():
    with pytest.raises(TypeError, match="must be an Estimate"):
        Claim.check("a", "s", 0.5, at_most=1, **SOURCE)
    with pytest.raises(ValueError, match="source must start with"):
        Claim.check("a", "s", Estimate.exact(0.5), at_most=1, reference="x", source="Fig. 1")
    with pytest.raises(ValueError, match="reference"):
        Claim.check("a", "s", Estimate.exact(0.5), at_most=1, reference="", source="prototype")
    with pytest.raises(ValueError, match="finite bound"):
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


def test_fraction_needs_the_interval_above_the_required_share():
    assert Claim.fraction("a", "s", [True] * 8, **SOURCE).verdict == R
    assert Claim.fraction("a", "s", [True] * 4, **SOURCE).verdict == U  # [0.40, 1]
    assert Claim.fraction("a", "s", [False] * 8, **SOURCE).verdict == N
    claim = Claim.fraction("a", "s", [True] * 7 + [False], **SOURCE)
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
    assert claim.tolerance == "linear ≥ 0.95; leaky ≥ 0.9"
    assert claim.measured == "linear 0.98; leaky 0.85"
    with pytest.raises(ValueError, match="no bound for part"):
        Claim.check("a", "s", {"x": interval(1, 1, 1)}, at_least={"y": 0}, **SOURCE)


def test_exact_claims_say_so():
    claim = Claim.close("0", "s", Estimate.exact(8e-16), 0.0, abs=1e-12, source="theory, eq. 4")
    assert claim.verdict == R and claim.interval == "exact"


def test_roundoff_is_decided_like_an_exact_value_but_printed_as_roundoff():
    claim = Claim.at_most("0", "s", Estimate.roundoff(3.1e-14), 1e-10, source="theory, eq. 4")
    assert claim.verdict == R and claim.interval == "round-off"
    assert not claim.machine_independent


def test_not_checked_names_the_preset():
    claim = Claim.not_checked("a", "s", checked_at="paper", **SOURCE)
    assert claim.verdict == Verdict.NOT_CHECKED and "paper preset" in claim.note


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


SCOPE = Scope("partial", "Fig. 1", "d = 5", "Fig. 2")


def demo_params(preset="quick"):
    return params.load("fixture", preset, presets_dir="tests/fixture_book/chapters/presets")


def report_with(*claims, preset="quick", quick=("1", "2", "3")):
    ids = [c.id for c in claims]
    report = ClaimReport(
        demo_params(preset),
        scope=SCOPE,
        quick=[i for i in quick if i in ids] + [f"q{k}" for k in range(3)],
        not_at_quick={i: "too few seeds at quick" for i in ids if i not in quick},
    )
    report.add(*claims)
    report.add(
        *(Claim.check(f"q{k}", "s", Estimate.exact(0), at_most=1, **SOURCE) for k in range(3))
    )
    return report


def good(id):
    return Claim.check(id, "s", interval(0.5, 0.4, 0.6), at_most=1, **SOURCE)


def bad(id):
    return Claim.check(id, "s", interval(2.0, 1.9, 2.1), at_most=1, **SOURCE)


def test_report_saves_json_with_provenance_and_embeds_it_in_html(tmp_path):
    report = report_with(good("1"))
    report.stamp()
    data = json.loads(report.save(tmp_path).read_text())
    claim = data["claims"][0]
    assert data["chapter"] == "fixture" and claim["verdict"] == "reproduced"
    assert claim["reference"] == "≈ 1" and claim["source"] == "paper, Fig. 1"
    assert claim["interval"] == "[0.4, 0.6], 8 test" or "[0.4, 0.6]" in claim["interval"]
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


def test_the_quick_set_is_declared_once_with_reasons():
    with pytest.raises(ValueError, match="at least 3"):
        ClaimReport(demo_params(), scope=SCOPE, quick=["a"], not_at_quick={})
    with pytest.raises(ValueError, match="without a reason"):
        ClaimReport(demo_params(), scope=SCOPE, quick=["a", "b", "c"], not_at_quick={"d": " "})
    with pytest.raises(ValueError, match="both in and out"):
        ClaimReport(demo_params(), scope=SCOPE, quick=["a", "b", "c"], not_at_quick={"a": "x"})
    report = ClaimReport(demo_params(), scope=SCOPE, quick=["a", "b", "c"], not_at_quick={})
    with pytest.raises(ValueError, match="neither in the quick set"):
        report.add(good("z"))


def test_invariants_compare_what_no_machine_may_move_and_leave_out_the_runs():
    closed_form = Claim.at_least("4", "closed form", Estimate.exact(1.25), 1, source="theory")
    run_bound = Claim.at_most("5", "run bound", interval(0.2, 0.1, 0.3), RunBound(0.4345), **SOURCE)
    report = report_with(good("1"), bad("2"), closed_form, run_bound, quick=("1",))
    lines = repr(report.invariants()).splitlines()
    assert lines[0] == "fixture at preset quick, seed 0: 7 claims, quick set 1, q0, q1, q2"
    one, two, four, five = lines[1:5]
    assert one.startswith("[1] quick, reproduced | s | reference ≈ 1 (paper, Fig. 1) | tolerance")
    assert "0.5" not in one and "[0.4, 0.6]" not in one  # a run's estimate: left out
    assert two.startswith("[2] not asserted, verdict of this machine's run | s |")
    assert "not reproduced" not in two  # not in the quick set: its verdict may move
    assert four.startswith("[4] not asserted, reproduced, measured 1.25 exact | closed form |")
    assert run_bound.tolerance_from_run and five.endswith("| tolerance computed from the run")
    assert "0.4345" not in five and run_bound.tolerance == "≤ 0.4345"  # the table keeps it


def test_a_claim_that_moved_with_the_cpu_says_so_and_stays_out_of_the_quick_set():
    moved = {"2": "inconclusive on one CPU, not reproduced on another"}
    with pytest.raises(ValueError, match="take them out of the quick set"):
        ClaimReport(
            demo_params(),
            scope=SCOPE,
            quick=["1", "2", "3"],
            not_at_quick={},
            moved_under_dispatch=moved,
        )
    report = ClaimReport(
        demo_params("book"),
        scope=SCOPE,
        quick=["1", "3", "4"],
        not_at_quick={"2": "too few seeds"},
        moved_under_dispatch=moved,
    )
    report.add(good("1"), good("2"))
    (note,) = report.to_frame().loc[["2"], "note"]
    assert note == "verdict moved with the CPU's kernels: " + moved["2"]


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
    inconclusive = Claim.check("1", "s", interval(1.0, 0.5, 1.5), at_most=1, **SOURCE)
    with pytest.raises(ClaimsNotReproduced, match="inconclusive"):
        report_with(inconclusive).finish()


def test_a_quick_set_naming_a_missing_claim_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CLAIMS_DIR", str(tmp_path))
    report = ClaimReport(demo_params(), scope=SCOPE, quick=["a", "b", "c"], not_at_quick={})
    report.add(good("a"), good("b"))
    with pytest.raises(ValueError, match="not added"):
        report.finish()


# ----------------------------------------------------------------- declarative constructors


def test_at_least_at_most_between_decide_on_the_whole_interval():
    est = Estimate.mean([0.6, 0.7, 0.65, 0.62, 0.68])
    assert Claim.at_least("a", "s", est, 0.5, source="prototype").verdict == Verdict.REPRODUCED
    assert Claim.at_most("b", "s", est, 0.5, source="prototype").verdict == Verdict.NOT_REPRODUCED
    assert Claim.between("c", "s", est, 0.6, 0.7, source="prototype").verdict == (
        Verdict.INCONCLUSIVE
    )
    claim = Claim.at_least("d", "s", est, 0.5, source="paper, Fig. 1")
    assert claim.reference == "≥ 0.5" and claim.tolerance == "≥ 0.5"
    parts = Claim.at_most("e", "s", {"x": est, "y": est}, {"x": 1.0, "y": 0.1}, source="prototype")
    assert parts.verdict == Verdict.NOT_REPRODUCED and "x ≤ 1" in parts.reference


def test_increasing_counts_rows_and_ranks_nan_as_told():
    rows = np.array([[1.0, 2.0, 3.0]] * 9 + [[3.0, 2.0, 1.0]])
    claim = Claim.increasing("t", "grows", rows, source="prototype", at_least=0.5)
    assert claim.verdict == Verdict.REPRODUCED  # 9/10: Clopper-Pearson [0.55, 1.0]
    down = Claim.decreasing("t", "falls", rows, source="prototype")
    assert down.verdict == Verdict.NOT_REPRODUCED
    never = np.array([[1.0, np.nan]] * 8)
    assert Claim.increasing("n", "s", never, nan="largest", source="prototype").verdict == (
        Verdict.REPRODUCED
    )
    assert Claim.increasing("n", "s", never, nan="smallest", source="prototype").verdict == (
        Verdict.NOT_REPRODUCED
    )
    with pytest.raises(ValueError, match="NaN"):
        Claim.increasing("n", "s", never, source="prototype")
    with pytest.raises(ValueError, match="k >= 2"):
        Claim.increasing("n", "s", np.ones((4, 1)), source="prototype")


def test_monotone_rows_ties_of_never_crossed_are_not_increases():
    rows = np.array([[1.0, np.inf, np.inf], [1.0, 2.0, np.inf]])
    assert monotone_rows(rows).tolist() == [False, True]
    assert monotone_rows(rows, strict=False).tolist() == [True, True]


def test_a_report_records_its_unit_seeds_and_refuses_a_seed_shared_by_two_units():
    kwargs = dict(scope=SCOPE, quick=["a", "b", "c"], not_at_quick={})
    report = ClaimReport(demo_params(), unit_seeds={"a": [1, 2], "b": [3]}, **kwargs)
    assert report.to_dict()["unit_seeds"] == {"a": [1, 2], "b": [3]}
    with pytest.raises(ValueError, match="two units share a seed"):
        ClaimReport(demo_params(), unit_seeds={"a": [1, 2], "b": [2]}, **kwargs)
