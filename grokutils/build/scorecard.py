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
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from grokutils.build import evidence_picture
from grokutils.build.archive import (
    RESULTS_DIR,
    agreement,
    load_archived,
    load_projections,
    paper_scale,
)
from grokutils.build.evidence import (
    NOT_RUN,
    SCALES,
    Cell,
    ScaleData,
    chapter_cells,
)
from grokutils.build.headlines import HEADLINES, is_paper_claim
from grokutils.build.pooling import load_pooled
from grokutils.build.power import Need, load_needs
from grokutils.build.rerun import rerun_command
from grokutils.core.claims import Verdict
from grokutils.core.report import HTML_MARKER, provenance_line, verdict_css

logger = logging.getLogger(__name__)
CHAPTER_PREFIX = "chapters/"
_REPORT = re.compile(
    r'<script type="application/json" class="' + HTML_MARKER + r'">(.*?)</script>', re.DOTALL
)


PARTS = ("headlines", "claims")
"""The parts of the scorecard, in page order."""


class scorecard_placeholder(nodes.General, nodes.Element):
    """Where the scorecard table goes; replaced once every chapter has been read."""


class ScorecardDirective(SphinxDirective):
    """``{claims-scorecard}``: the headlines and the claims tables; ``:part: headlines`` or
    ``:part: claims`` for one of them (a page may put its prose between the two)."""

    has_content = False
    option_spec: ClassVar[dict] = {"part": lambda arg: directives.choice(arg, PARTS)}

    def run(self) -> list[nodes.Node]:
        self.env.grokbook_scorecards = getattr(self.env, "grokbook_scorecards", set())
        self.env.grokbook_scorecards.add(self.env.docname)
        return [scorecard_placeholder(part=self.options.get("part", ""))]


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
        placeholder.replace_self(_scorecard(app, docname, reports, placeholder.get("part")))


def write_json(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        reports = getattr(app.env, "grokbook_claims", {})
        path = Path(app.outdir) / "claims.json"
        path.write_text(json.dumps([reports[d] for d in sorted(reports)], indent=1) + "\n")


def _scorecard(
    app: Sphinx, docname: str, reports: dict[str, dict], part: str = ""
) -> list[nodes.Node]:
    """The nodes of the scorecard's ``part`` (both parts when empty)."""
    if not reports:
        empty = part == "headlines"
        return [] if empty else [nodes.paragraph(text="No chapter has reported claims yet.")]
    out = [] if part == "claims" else _headline_section(app, docname, reports)
    return out + ([] if part == "headlines" else _claims_section(app, docname, reports))


HEADLINE_INTRO = (
    "What each paper claims in its abstract and main figures, in its own terms, and whether "
    "this book reproduces it at each scale. A headline is decided by the book's claims that "
    "cite the paper (their ids; their rows are in the paper's claims table below): reproduced "
    "if all of them are, not reproduced if any is, not checked if none was checked, "
    "inconclusive otherwise. A claim's verdict at quick is this build's when the book was built "
    "at quick; at book and paper it is the verdict pooled over the units of every current "
    "archived run of that preset (results/<preset>/pooled.json; n = the units it rests on), "
    "else this build's when the book was built at that preset; failing both, the archived runs' "
    "own verdict (inconclusive when they disagree; stale: they ran other code than this build). "
    "Not run: no claim of the headline has any evidence at that scale (the claims table gives "
    "the wall time a paper-scale run is projected to take)."
)


def _headline_section(app: Sphinx, docname: str, reports: dict[str, dict]) -> list[nodes.Node]:
    """The scorecard's top: the picture of every headline at every scale, then per chapter the
    table of its headlines (empty for a book whose chapters have none)."""
    chapters = [d for d in sorted(reports) if reports[d]["chapter"] in HEADLINES]
    if not chapters:
        return []
    data = _scale_data(Path(app.srcdir))
    rows = [_chapter_rows(reports[d], data) for d in chapters]
    out: list[nodes.Node] = [nodes.rubric(text="The papers' headline claims")]
    out.append(nodes.paragraph(text=HEADLINE_INTRO))
    if app.builder.format == "html":
        out.append(_picture(rows))
    for chapter, (name, headlines, cells) in zip(chapters, rows, strict=True):
        out.append(nodes.rubric("", "", _reference(app, docname, chapter, name)))
        out.append(_headline_table(headlines, cells))
    return out


def _scale_data(root: Path) -> dict[str, dict[str, ScaleData]]:
    """``{scale: {chapter: ScaleData}}``: the pooled entries and archived runs of every scale."""
    data = {}
    for scale in SCALES:
        pooled, runs = load_pooled(root, scale), load_archived(root, scale)
        data[scale] = {c: ScaleData(pooled.get(c, {}), runs.get(c, [])) for c in {*pooled, *runs}}
    return data


def _chapter_rows(report: dict, data: dict[str, dict[str, ScaleData]]):
    """``(chapter, headlines, cells per headline)`` of one chapter's report."""
    chapter = report["chapter"]
    scales = {s: data[s].get(chapter, ScaleData()) for s in SCALES}
    return chapter, HEADLINES[chapter], chapter_cells(HEADLINES[chapter], report, scales)


def _picture(rows) -> nodes.raw:
    """The evidence picture, inline as an SVG image (HTML only)."""
    alt = "Every paper's headline claims against the quick, book and paper scales: " + "; ".join(
        f"{name} {h.short}: " + ", ".join(f"{s} {c[s].verdict}" for s in SCALES)
        for name, hs, cells in rows
        for h, c in zip(hs, cells, strict=True)
    )
    return nodes.raw(
        "", evidence_picture.img_tag(evidence_picture.evidence_svg(rows), alt), format="html"
    )


def _headline_table(headlines, cells) -> nodes.table:
    """One chapter's headlines with their claims and their verdict at every scale."""
    rows = [
        [h.text, h.where, ", ".join(h.claims), *(_headline_verdict(c[s]) for s in SCALES)]
        for h, c in zip(headlines, cells, strict=True)
    ]
    header = ["headline (the paper's terms)", "where in the paper", "book claims"]
    return _table([*header, *(f"at {s}" for s in SCALES)], rows)


def _headline_verdict(cell: Cell) -> nodes.paragraph:
    """A headline's verdict, coloured like a claim's. Its classes start with
    ``grokbook-headline`` so that ``class="verdict-`` still counts the claims' rows only."""
    css = verdict_css(Verdict.NOT_CHECKED.value if cell.verdict == NOT_RUN else cell.verdict)
    verdict = nodes.inline("", cell.verdict, classes=["grokbook-headline", css])
    detail = [nodes.Text(f" ({cell.detail})")] if cell.detail else []
    return nodes.paragraph("", "", verdict, *detail)


def _claims_section(app: Sphinx, docname: str, reports: dict[str, dict]) -> list[nodes.Node]:
    """The build's intro and stamp, the summary and scope tables, and the claims tables: the
    paper's claims, then the checks of our own machinery."""
    presets = sorted({r["preset"] for r in reports.values()})
    total = sum(len(r["claims"]) for r in reports.values())
    intro = nodes.paragraph(
        text=f"Built at preset {', '.join(presets)}: {total} claims in {len(reports)} chapters. "
        f"Intervals are two-sided 95 % over each run's independent units (seeds, data sets). "
        f"Archived: how the runs of the same preset at other seed offsets, kept in "
        f"{RESULTS_DIR}/<preset>/, decided the claim (stale runs ran other code and are not "
        f"counted), then the verdict pooled over the units of every current run (n units; "
        f"where undecided, the bound its interval holds and the runs the power rule asks for, "
        f"results/<preset>/power.json). Paper scale: the verdict of the archived runs at the "
        f"paper preset, with their hardware and date, or, for a chapter not yet run at paper "
        f"scale, the wall time its dry run projects and the machine it was measured on. "
        f"Rerun: the command that makes the claim's run again (from the book's root)."
    )
    stamps = [nodes.paragraph(text="Provenance of this build: " + _build_stamp(reports))]
    summary, scope, paper_rows, own_rows = _claims_rows(app, docname, reports)
    verdicts = [v.value for v in Verdict]
    summary = _table(["chapter", "preset", *verdicts], summary)
    scope = _table(["chapter", "replication", "covers", "scale", "left out"], scope)
    legend = nodes.paragraph(text="(q): in the chapter's quick set, asserted by CI at every run.")
    tables = []
    for title, rows in ((PAPER_TITLE, paper_rows), (OWN_TITLE, own_rows)):
        tables += [nodes.rubric(text=title), *_claims_table(app, rows)] if rows else []
    return [intro, *stamps, summary, scope, legend, *tables]


PAPER_TITLE = "The paper's claims (source: the paper)"
OWN_TITLE = "Checks of our own machinery (source: our theory or a prototype run of ours)"
CLAIM_HEADER = ["chapter", "claim", "verdict", "archived", "paper scale", "statement"]
CLAIM_HEADER += ["reference", "source", "measured", "95 % interval", "tolerance", "note"]
CLAIM_HEADER += ["rerun"]


def _claims_table(app: Sphinx, rows: list[list]) -> list[nodes.Node]:
    """The claims table, on landscape pages in the PDF."""
    table = _table(CLAIM_HEADER, rows)
    if app.builder.format == "latex":
        return _landscape(table, CLAIM_WIDTHS)
    return [table]


def _claims_rows(app: Sphinx, docname: str, reports: dict[str, dict]):
    """The rows of the summary, scope, paper's claims and own checks tables."""
    summary_rows, scope_rows, paper_rows, own_rows = [], [], [], []
    root = Path(app.srcdir)
    paper_runs, projections = load_archived(root, "paper"), load_projections(root, "paper")
    for chapter in sorted(reports):
        report = reports[chapter]
        preset, name = report["preset"], report["chapter"]
        archived = load_archived(root, preset).get(name, [])
        paper = paper_runs.get(name, []), projections.get(name, [])
        agree = agreement(archived, report)
        pooled = load_pooled(root, preset).get(name, {}), load_needs(root, preset).get(name, {})
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
            rows = paper_rows if is_paper_claim(claim) else own_rows
            link = _link(app, docname, chapter, report["chapter"])
            archived_text = _archived(agree[claim["id"]], *(p.get(claim["id"]) for p in pooled))
            rows.append(_claim_row(link, claim, archived_text, paper, report))
    return summary_rows, scope_rows, paper_rows, own_rows


def _archived(agree, entry: dict | None, need: Need | None) -> str:
    """The archived column: how the other runs decided the claim, then its verdict pooled over
    every current run (with why it is undecided and the units the power rule asks for)."""
    if not entry:
        return str(agree)
    pooled = f"pooled over {entry['runs']} runs: {entry['verdict']}"
    if entry.get("pooled"):
        pooled += f" (n = {entry['n_units']})"
    if entry["verdict"] == Verdict.INCONCLUSIVE.value:
        pooled += f"; {entry['reason']}" if entry.get("reason") else ""
        pooled += f"; power rule: {need.summary}" if need else ""
    return f"{agree}; {pooled}"


def _claim_row(link, claim: dict, archived: str, paper, report: dict) -> list:
    """One claim's row of a claims table."""
    return [
        link,
        claim["id"] + (" (q)" if claim.get("expected_at_quick") else ""),
        _verdict(claim["verdict"]),
        archived,
        paper_scale(*paper, claim["id"], report.get("provenance")),
        claim["statement"],
        claim["reference"],
        claim["source"],
        claim["measured"],
        claim["interval"],
        claim["tolerance"],
        claim["note"],
        nodes.paragraph("", "", nodes.literal(text=rerun_command(report))),
    ]


CLAIM_WIDTHS = (4, 3, 3, 3, 4, 8, 4, 4, 3, 4, 3, 7, 5)
"""Relative column widths of the claims tables in the PDF: statement and note get the room."""


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
    return nodes.paragraph("", "", _reference(app, fromdoc, todoc, text))


def _reference(app: Sphinx, fromdoc: str, todoc: str, text: str) -> nodes.reference:
    uri = app.builder.get_relative_uri(fromdoc, todoc)
    return nodes.reference("", text, internal=True, refuri=uri)


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
