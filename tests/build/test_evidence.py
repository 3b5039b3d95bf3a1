"""The scorecard's top: headlines decided at every scale, their picture, the rerun command."""

from __future__ import annotations

import json

from grokutils.build import evidence, evidence_picture, pooling, rerun
from grokutils.build.evidence import Cell, Evidence, ScaleData
from grokutils.build.headlines import Headline

R, N, U, X = "reproduced", "not reproduced", "inconclusive", "not checked at this preset"
STAMP = {"code": "c1", "chapter": "h1"}
HEADLINE = Headline("the paper says", "abstract", ("a", "b"), "says")


def report(preset, verdicts, seed=0, stamp=STAMP, finished="2026-12-06", overrides=""):
    claims = [{"id": k, "verdict": v, "source": "paper"} for k, v in verdicts.items()]
    provenance = {**stamp, "finished": finished, "overrides": overrides, "seed": seed}
    return {"chapter": "01_demo", "preset": preset, "seed": seed, "claims": claims,
            "provenance": provenance}  # fmt: skip


def pooled(verdict, n):
    return {"verdict": verdict, "n_units": n, "runs": 2, "source": "paper", "reason": ""}


def test_quick_takes_the_build_first_book_and_paper_the_pooled_verdict_first():
    build = report("quick", {"a": U})
    data = ScaleData({"a": pooled(R, 24)}, [report("quick", {"a": N}, seed=1)])
    assert evidence.claim_evidence("a", "quick", build, data) == Evidence(U, how="this build")
    book = report("book", {"a": U})
    assert evidence.claim_evidence("a", "book", book, data) == Evidence(R, 24, "pooled")
    assert evidence.claim_evidence("a", "paper", book, ScaleData()) == Evidence(None)


def test_without_a_pooled_verdict_the_build_then_the_agreeing_runs_decide():
    not_pooled = ScaleData({"a": {**pooled("not pooled", 0), "reason": "bootstrap"}})
    book = report("book", {"a": U})
    assert evidence.claim_evidence("a", "book", book, not_pooled).verdict == U
    runs = [report("paper", {"a": R}, seed=k) for k in (1, 2)]
    assert evidence.claim_evidence("a", "paper", book, ScaleData(runs=runs)) == Evidence(
        R, how="2 runs"
    )
    runs.append(report("paper", {"a": N}, seed=3))
    assert evidence.claim_evidence("a", "paper", book, ScaleData(runs=runs)).verdict == U


def test_only_the_newest_code_decides_and_a_run_of_other_code_is_stale():
    old = report("paper", {"a": N}, seed=1, stamp={"code": "c0", "chapter": "h1"})
    new = report("paper", {"a": R}, seed=2, stamp={"code": "c2", "chapter": "h1"}, finished="z")
    found = evidence.claim_evidence("a", "paper", report("quick", {}), ScaleData(runs=[old, new]))
    assert found == Evidence(R, how="1 run, stale")  # the build ran code c1


def test_a_headline_cell_combines_its_claims_and_says_what_they_rest_on():
    book = ScaleData({"a": pooled(R, 12), "b": pooled(R, 40)})
    build = report("quick", {"a": R, "b": X})
    cells = evidence.chapter_cells([HEADLINE], build, {"book": book})[0]
    assert cells["book"] == Cell(R, "n = 12–40")
    assert cells["quick"] == Cell(U, "this build; 1 of 2 claims checked")
    assert cells["paper"] == Cell(evidence.NOT_RUN)
    assert cells["quick"].text == "inconclusive (this build; 1 of 2 claims checked)"
    mixed = ScaleData({"a": pooled(N, 6)}, [report("book", {"a": R, "b": R}, seed=1)])
    assert evidence.headline_cell(HEADLINE, "book", build, mixed) == Cell(N, "n = 6; 1 run")


def test_pooled_json_is_read_when_there_and_empty_when_not(tmp_path):
    assert pooling.load_pooled(tmp_path, "book") == {}
    (tmp_path / "results" / "book").mkdir(parents=True)
    (tmp_path / "results" / "book" / "pooled.json").write_text(json.dumps({"c": {"a": 1}}))
    assert pooling.load_pooled(tmp_path, "book") == {"c": {"a": 1}}


def picture_rows():
    verdicts = [R, N, U, X, evidence.NOT_RUN]
    cells = [
        {s: Cell(verdicts[(i + j) % 5]) for j, s in enumerate(evidence.SCALES)} for i in (0, 1)
    ]
    second = Headline("another", "Fig. 2", ("c",), "another")
    return [("01_demo", [HEADLINE, second], cells), ("02_demo", [HEADLINE], cells[:1])]


def test_the_picture_is_an_svg_with_every_label_and_verdict_as_text():
    svg = evidence_picture.evidence_svg(picture_rows())
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for text in ("01  says", "02  says", "01  another", "not reproduced", "not checked", "paper"):
        assert text in svg, text
    assert evidence_picture.FILL[R] in svg.lower() or evidence_picture.FILL[R].upper() in svg
    assert evidence_picture.evidence_svg(picture_rows()) == svg  # no date, fixed ids


def test_the_picture_as_png_and_as_an_img_tag():
    assert evidence_picture.evidence_png(picture_rows()).startswith(b"\x89PNG\r\n\x1a\n")
    tag = evidence_picture.img_tag("<svg/>", 'a "quoted" alt')
    assert tag.startswith('<img class="grokbook-evidence" src="data:image/svg+xml;base64,')
    assert 'alt="a &quot;quoted&quot; alt"' in tag


def test_the_rerun_command_is_the_readmes_papermill_line():
    run = report("book", {}, seed=3)
    assert rerun.rerun_command(run) == (
        "cd chapters && papermill 01_demo.ipynb out.ipynb -p preset book -p seed 3"
    )
    run["provenance"]["overrides"] = "device='cuda'; seeds=(1, 2); steps=500"
    assert rerun.rerun_command(run) == (
        "cd chapters && papermill 01_demo.ipynb out.ipynb -p preset book -p seed 3 "
        "-p device cuda -p steps 500 -y '{\"seeds\": [1, 2]}'"
    )


def test_a_verdict_of_a_stale_run_is_drawn_uncoloured_and_says_so():
    stale = [{s: Cell(R, "1 run, stale") for s in evidence.SCALES}]
    svg = evidence_picture.evidence_svg([("01_demo", [HEADLINE], stale)])
    fill = evidence_picture.FILL[R]
    assert "(stale run)" in svg and fill not in svg.lower() and fill.upper() not in svg
