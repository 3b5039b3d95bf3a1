"""The scorecard extension in a two-page Sphinx project: the headlines and their picture on top,
the paper's claims apart from the checks of our own machinery, a rerun command per claim."""

from __future__ import annotations

import json
import re

import pytest
from sphinx.application import Sphinx

from grokutils.build.scorecard import PARTS
from grokutils.core.report import HTML_MARKER

CHAPTER = "01_lazy_to_rich"
CLAIMS = {"5": "paper, Fig. 1c", "17a": "paper, Fig. 2a, b", "0": "theory, the recursion"}


def chapter_report():
    claims = [
        {"id": k, "verdict": "reproduced", "source": s, "statement": f"claim {k}"}
        | {"reference": "-", "measured": "-", "interval": "-", "tolerance": "-", "note": ""}
        for k, s in CLAIMS.items()
    ]
    stamp = {"code": "c1", "chapter": "h1", "preset": "quick", "seed": 0, "overrides": ""}
    return {"chapter": CHAPTER, "preset": "quick", "seed": 0, "claims": claims} | {
        "scope": {"replication": "partial", "covers": "Fig. 1"},
        "provenance": stamp | {"finished": "2026-12-06", "wall_time_s": 1.0},
    }


def write_project(src):
    (src / "chapters").mkdir(parents=True)
    (src / "conf.py").write_text(
        "extensions = ['grokutils.build.scorecard']\nroot_doc = 'index'\n"
        "latex_documents = [('index', 'book.tex', 'Book', 'Us', 'manual')]\n"
    )
    (src / "index.rst").write_text(
        f"Book\n====\n\n.. toctree::\n\n   chapters/{CHAPTER}\n   scorecard\n   whole\n"
    )
    payload = json.dumps(chapter_report())
    script = f'<script type="application/json" class="{HTML_MARKER}">{payload}</script>'
    (src / "chapters" / f"{CHAPTER}.rst").write_text(
        f"Chapter\n=======\n\n.. raw:: html\n\n   {script}\n"
    )
    parts = "".join(f".. claims-scorecard::\n   :part: {p}\n\nProse {p}.\n\n" for p in PARTS)
    (src / "scorecard.rst").write_text(f"Scorecard\n=========\n\n{parts}")
    (src / "whole.rst").write_text("Whole\n=====\n\n.. claims-scorecard::\n")
    pooled = src / "results" / "book" / "pooled.json"
    pooled.parent.mkdir(parents=True)
    entry = {"verdict": "not reproduced", "n_units": 24, "runs": 3, "source": "paper"}
    pooled.write_text(json.dumps({CHAPTER: {"5": entry, "17a": entry | {"n_units": 30}}}))
    quick = src / "results" / "quick"
    quick.mkdir()
    undecided = {"verdict": "inconclusive", "pooled": True, "reason": "undecided: x holds 1"}
    (quick / "pooled.json").write_text(json.dumps({CHAPTER: {"5": entry | undecided}}))
    need = {"chapter": CHAPTER, "claim": "5", "method": "mean, t", "pilot": "3 run(s)"}
    need |= {"pilot_units": 24, "units_per_run": 8, "units": 80, "runs": 10, "cost_h": 0.75}
    (quick / "power.json").write_text(json.dumps([need | {"reach": True}]))


def build(tmp_path, builder):
    src, out = tmp_path / "src", tmp_path / builder
    if not src.exists():
        write_project(src)
    app = Sphinx(src, src, out, tmp_path / f"doctrees-{builder}", builder, status=None)
    app.build()
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("book"), "html")


@pytest.fixture(scope="module")
def html(built):
    return (built / "scorecard.html").read_text()


def test_the_headlines_and_their_picture_come_before_the_claims_tables(html):
    picture = html.index('<img class="grokbook-evidence" src="data:image/svg+xml;base64,')
    headlines = html.index("The papers' headline claims")
    claims = html.index("Built at preset quick")
    assert (
        headlines < picture < html.index("Prose headlines.") < claims < html.index("Prose claims")
    )
    assert "Grokking without regularisation" in html and "5, 17a" in html
    assert '<span class="grokbook-headline verdict-not-reproduced">' in html
    assert "(n = 24–30)" in html and "(this build)" in html  # book: pooled; quick: the build
    assert html.count("not run") >= 4  # paper: nothing archived


def test_the_papers_claims_are_apart_from_our_own_checks_and_each_has_a_rerun_command(html):
    assert html.count('class="verdict-') == len(CLAIMS)  # what tests/test_book.py counts
    paper = html.index("The paper's claims (source: the paper)")
    own = html.index("Checks of our own machinery")
    assert paper < html.index("claim 5") < html.index("claim 17a") < own < html.index("claim 0")
    command = (
        f"cd chapters &amp;&amp; papermill {CHAPTER}.ipynb out.ipynb -p preset quick -p seed 0"
    )
    assert re.sub(r"<[^>]+>", "", html).count(command) == len(CLAIMS)  # its words in <span>s


def test_the_latex_builder_gets_the_tables_without_the_picture(tmp_path):
    tex = (build(tmp_path, "latex") / "book.tex").read_text()
    assert "grokbook-evidence" not in tex and "data:image" not in tex
    assert "Grokking without regularisation" in tex
    assert tex.count(r"\begin{landscape}") == 2 * 2  # two pages: paper claims, own checks


def test_the_directive_without_a_part_gives_both(built, html):
    whole = (built / "whole.html").read_text()
    assert whole.index("The papers' headline claims") < whole.index("Built at preset quick")
    assert whole.count('class="verdict-') == html.count('class="verdict-')


def test_a_claims_row_gives_its_pooled_verdict_and_why_it_is_undecided(html):
    text = re.sub(r"<[^>]+>", "", html)
    assert (
        "none archived; pooled over 3 runs: inconclusive (n = 24); undecided: x holds 1; "
        "power rule: 10 runs (80 units, 0.8 h)" in text
    )
    assert text.count("pooled over 3 runs") == 1  # 17a and 0 have no pooled entry at quick
