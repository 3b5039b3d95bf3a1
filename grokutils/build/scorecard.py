"""Sphinx extension: the book's scorecard, built from the claims the chapters just reported.

Every chapter ends with a :class:`grokutils.core.report.ClaimReport`, whose HTML output carries
the report as JSON. While Sphinx reads the executed chapters this extension collects those
reports; the ``{claims-scorecard}`` directive then becomes a table of every claim of every
chapter with its verdict, so the scorecard can never disagree with the pages it summarises.
A chapter page without a report is a build warning (an error under ``-W``). The reports are
also written to ``claims.json`` beside the HTML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from grokutils.build.archive import (
    RESULTS_DIR,
    agreement,
    load_archived,
    load_projections,
    paper_scale,
)
from grokutils.core.claims import Verdict
from grokutils.core.report import HTML_MARKER, provenance_line, verdict_css

logger = logging.getLogger(__name__)
CHAPTER_PREFIX = "chapters/"
_REPORT = re.compile(
    r'<script type="application/json" class="' + HTML_MARKER + r'">(.*?)</script>', re.DOTALL
)


class scorecard_placeholder(nodes.General, nodes.Element):
    """Where the scorecard table goes; replaced once every chapter has been read."""


class ScorecardDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.grokbook_scorecards = getattr(self.env, "grokbook_scorecards", set())
        self.env.grokbook_scorecards.add(self.env.docname)
        return [scorecard_placeholder()]


def collect_report(app: Sphinx, doctree: nodes.document) -> None:
    """Keep the claims report found in a page's raw HTML outputs (one per chapter)."""
    env = app.env
    docname = env.docname
    reports = getattr(env, "grokbook_claims", {})
    env.grokbook_claims = reports
    for node in doctree.findall(nodes.raw):
        match = _REPORT.search(node.astext())
        if match:
            reports[docname] = json.loads(match.group(1).replace("<\\/", "</"))
            return
    if docname.startswith(CHAPTER_PREFIX):
        logger.warning(f"{docname}: the executed chapter has no claims report", location=docname)


def purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, "grokbook_claims", {}).pop(docname, None)
    getattr(env, "grokbook_scorecards", set()).discard(docname)


def merge(app: Sphinx, env, docnames: set[str], other) -> None:
    env.grokbook_claims = {**getattr(env, "grokbook_claims", {})}
    env.grokbook_claims.update(getattr(other, "grokbook_claims", {}))
    env.grokbook_scorecards = getattr(env, "grokbook_scorecards", set())
    env.grokbook_scorecards |= getattr(other, "grokbook_scorecards", set())


def reread_scorecards(app: Sphinx, env, added, changed, removed) -> list[str]:
    """The scorecard's pages are read again at every build: a changed chapter changes them,
    and so do the archived runs under ``results/``, which Sphinx does not track (an
    incremental build after the seed runner would show the archives as they were)."""
    return sorted(getattr(env, "grokbook_scorecards", set()))


def render(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    reports = getattr(app.env, "grokbook_claims", {})
    for placeholder in list(doctree.findall(scorecard_placeholder)):
        placeholder.replace_self(_scorecard(app, docname, reports))


def write_json(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        reports = getattr(app.env, "grokbook_claims", {})
        path = Path(app.outdir) / "claims.json"
        path.write_text(json.dumps([reports[d] for d in sorted(reports)], indent=1) + "\n")


def _scorecard(app: Sphinx, docname: str, reports: dict[str, dict]) -> list[nodes.Node]:
    if not reports:
        return [nodes.paragraph(text="No chapter has reported claims yet.")]
    presets = sorted({r["preset"] for r in reports.values()})
    total = sum(len(r["claims"]) for r in reports.values())
    intro = nodes.paragraph(
        text=f"Built at preset {', '.join(presets)}: {total} claims in {len(reports)} chapters. "
        f"Intervals are two-sided 95 % over each run's independent units (seeds, data sets). "
        f"Archived: how the runs of the same preset at other seed offsets, kept in "
        f"{RESULTS_DIR}/<preset>/, decided the claim (stale runs ran other code and are not "
        f"counted). Paper scale: the verdict of the archived runs at the paper preset, with "
        f"their hardware and date, or, for a chapter not yet run at paper scale, the wall time "
        f"its dry run projects and the machine it was measured on."
    )
    stamps = [nodes.paragraph(text="Provenance of this build: " + _build_stamp(reports))]
    summary_rows, scope_rows, claim_rows = [], [], []
    root = Path(app.srcdir)
    paper_runs, projections = load_archived(root, "paper"), load_projections(root, "paper")
    for chapter in sorted(reports):
        report = reports[chapter]
        archived = load_archived(root, report["preset"]).get(report["chapter"], [])
        paper = paper_runs.get(report["chapter"], []), projections.get(report["chapter"], [])
        agree = agreement(archived, report)
        counts = [sum(c["verdict"] == v.value for c in report["claims"]) for v in Verdict]
        scope = report.get("scope") or {}
        link = _link(app, docname, chapter, report["chapter"])
        summary_rows.append([link, report["preset"], *map(str, counts)])
        scope_rows.append(
            [
                _link(app, docname, chapter, report["chapter"]),
                scope.get("replication", "?"),
                scope.get("covers", ""),
                scope.get("scale", ""),
                scope.get("left_out", ""),
            ]
        )
        for claim in report["claims"]:
            claim_rows.append(
                [
                    _link(app, docname, chapter, report["chapter"]),
                    claim["id"] + (" (q)" if claim.get("expected_at_quick") else ""),
                    _verdict(claim["verdict"]),
                    str(agree[claim["id"]]),
                    paper_scale(*paper, claim["id"], report.get("provenance")),
                    claim["statement"],
                    claim["reference"],
                    claim["source"],
                    claim["measured"],
                    claim["interval"],
                    claim["tolerance"],
                    claim["note"],
                ]
            )
    verdicts = [v.value for v in Verdict]
    summary = _table(["chapter", "preset", *verdicts], summary_rows)
    scope = _table(["chapter", "replication", "covers", "scale", "left out"], scope_rows)
    header = ["chapter", "claim", "verdict", "archived", "paper scale", "statement"]
    header += ["reference", "source"]
    claims = _table([*header, "measured", "95 % interval", "tolerance", "note"], claim_rows)
    legend = nodes.paragraph(text="(q): in the chapter's quick set, asserted by CI at every run.")
    if app.builder.format == "latex":
        return [intro, *stamps, summary, scope, legend, *_landscape(claims, CLAIM_WIDTHS)]
    return [intro, *stamps, summary, scope, legend, claims]


CLAIM_WIDTHS = (4, 3, 3, 3, 4, 8, 4, 4, 3, 4, 3, 7)
"""Relative column widths of the claims table in the PDF: statement and note get the room."""


def _landscape(table: nodes.table, widths: tuple[int, ...]) -> list[nodes.Node]:
    """The table on landscape pages in small type, with columns that wrap: Sphinx's LaTeX
    writer gives a table this long (a longtable) unwrapped columns, which run off the page."""
    spec = addnodes.tabular_col_spec()
    ragged = r"\raggedright\arraybackslash"  # narrow justified columns gape
    spec["spec"] = "".join(rf">{{{ragged}}}\X{{{w}}}{{{sum(widths)}}}" for w in widths)
    begin = nodes.raw("", r"\begin{landscape}\footnotesize", format="latex")
    return [begin, spec, table, nodes.raw("", r"\end{landscape}", format="latex")]


def _build_stamp(reports: dict[str, dict]) -> str:
    """One line for the whole build: what every chapter's stamp agrees on, and the total time."""
    stamps = [r.get("provenance") or {} for r in reports.values()]
    line = provenance_line(stamps[0]) if stamps[0] else "no stamp"
    head = line.rsplit(",", 2)[0]  # the first chapter's stamp without its wall time and date
    for key in ("chapter", "seed"):
        head = head.replace(f"{key} {stamps[0].get(key)}, ", "")
    seconds = sum(s.get("wall_time_s", 0) for s in stamps)
    finished = sorted(s.get("finished", "") for s in stamps)
    seeds = sorted({str(s.get("seed")) for s in stamps})
    return (
        f"{head}; seed {', '.join(seeds)}; chapters' wall time {seconds:.0f} s in all; "
        f"finished {finished[0]} to {finished[-1]}"
    )


def _link(app: Sphinx, fromdoc: str, todoc: str, text: str) -> nodes.paragraph:
    uri = app.builder.get_relative_uri(fromdoc, todoc)
    return nodes.paragraph("", "", nodes.reference("", text, internal=True, refuri=uri))


def _verdict(verdict: str) -> nodes.paragraph:
    return nodes.paragraph("", "", nodes.inline("", verdict, classes=[verdict_css(verdict)]))


def _table(header: list[str], rows: list[list]) -> nodes.table:
    table = nodes.table(classes=["grokbook-scorecard"])
    group = nodes.tgroup(cols=len(header))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in header]
    head = nodes.thead()
    head += _row(header)
    body = nodes.tbody()
    body += [_row(cells) for cells in rows]
    group += [head, body]
    return table


def _row(cells: list) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=str(cell))
        row += entry
    return row


def setup(app: Sphinx) -> dict:
    app.add_node(scorecard_placeholder)
    app.add_latex_package("pdflscape")  # the claims table's landscape pages in the PDF
    app.add_directive("claims-scorecard", ScorecardDirective)
    app.connect("doctree-read", collect_report)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", reread_scorecards)
    app.connect("doctree-resolved", render)
    app.connect("build-finished", write_json)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
