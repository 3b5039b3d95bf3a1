"""Archived runs: agreement per claim, stale runs set aside, the runner's agreement table."""

from __future__ import annotations

import json

from grokutils.build import archive, seed_runner


def report(seed, verdicts, package="p1", chapter="c1", quick=("a",), finished=None):
    return {
        "chapter": "01_demo",
        "preset": "book",
        "seed": seed,
        "claims": [
            {"id": k, "verdict": v, "expected_at_quick": k in quick} for k, v in verdicts.items()
        ],
        "provenance": {
            "code": package,
            "chapter": chapter,
            "finished": finished or f"2026-12-0{seed}",
        },
    }


def archive_reports(root, *reports):
    for r in reports:
        path = archive.archive_path(root, r["preset"], r["chapter"], r["seed"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))


def test_agreement_counts_current_runs_and_sets_stale_ones_aside():
    current = report(0, {"a": "reproduced", "b": "inconclusive"})
    archived = [
        report(1, {"a": "reproduced", "b": "reproduced"}),
        report(2, {"a": "reproduced", "b": "inconclusive"}),
        report(3, {"a": "not reproduced", "b": "reproduced"}, package="old"),
    ]
    agree = archive.agreement(archived, current)
    assert str(agree["a"]) == "2/2 reproduced (+1 stale)"
    assert str(agree["b"]) == "1/2 inconclusive, 1/2 reproduced (+1 stale)"
    assert agree["a"].seeds == (1, 2)
    assert str(archive.agreement([], current)["a"]) == "none archived"


def test_a_run_without_a_stamp_or_with_another_chapter_is_stale():
    current = report(0, {"a": "reproduced"})
    assert archive.is_stale({"claims": []}, current["provenance"])
    assert archive.is_stale(report(1, {}, chapter="edited"), current["provenance"])
    assert not archive.is_stale(report(1, {}), current["provenance"])


def test_archived_runs_load_in_seed_order(tmp_path):
    archive_reports(tmp_path, *(report(s, {"a": "reproduced"}) for s in (10, 2, 1)))
    loaded = archive.load_archived(tmp_path, "book")
    assert [r["seed"] for r in loaded["01_demo"]] == [1, 2, 10]


def test_agreement_table_flags_quick_failures_and_flips(tmp_path):
    archive_reports(
        tmp_path,
        report(1, {"a": "reproduced", "b": "reproduced"}),
        report(2, {"a": "inconclusive", "b": "not reproduced"}),
        report(3, {"a": "reproduced", "b": "reproduced"}),
        report(4, {"a": "not reproduced", "b": "not reproduced"}, "old", finished="2026-11"),
    )
    text = seed_runner.agreement_markdown("book", root=tmp_path)
    assert "3 runs at seeds 1, 2, 3; 1 stale run(s) not counted." in text
    assert "| a (q) | R | I | R | 2/3 reproduced | 2/3 reproduced |  |" in text
    assert "| b | R | N | R | 2/3 reproduced |  | flip |" in text
    assert "failed at some seed: a." in text and "not reproduced: b." in text


def test_the_agreement_table_says_whether_the_runs_share_unit_seeds(tmp_path):
    runs = [report(k, {"a": "reproduced"}) for k in (1, 2, 3)]
    runs[0]["unit_seeds"] = {"headline": [1_000_000, 1_000_001]}
    runs[1]["unit_seeds"] = {"headline": [2_000_000, 2_000_001]}
    runs[2]["unit_seeds"] = {"headline": [2_000_001, 3_000_000]}  # shares one with offset 2
    assert archive.shared_unit_seeds(runs) == {(2, 3): 1}
    assert archive.shared_unit_seeds(runs[:2]) == {}
    assert "share no unit seed" in archive.independence_line(runs[:2])
    archive_reports(tmp_path, *runs)
    table = seed_runner.agreement_markdown("book", root=tmp_path)
    assert "NOT independent, runs at offsets 2 and 3 share 1 unit seed(s)" in table


def test_the_scorecard_is_read_again_when_only_the_archives_changed():
    from types import SimpleNamespace

    from grokutils.build.scorecard import reread_scorecards

    env = SimpleNamespace(grokbook_scorecards={"scorecard"})
    assert reread_scorecards(None, env, set(), set(), set()) == ["scorecard"]
