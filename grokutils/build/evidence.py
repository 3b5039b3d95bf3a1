"""What the scorecard's headline tables say: each headline of a paper, decided at the quick, book
and paper scales from the evidence each scale has.

A claim's verdict at a scale comes from, in this order (the first that has one):

* quick: the build's own report when the build ran at quick, else the pooled verdict of the
  archived quick runs (``results/quick/pooled.json``), else the archived runs themselves;
* book and paper: the pooled verdict of the archived runs of that preset
  (``results/<preset>/pooled.json``, :mod:`grokutils.build.pooling`), else the build's own
  report when the build ran at that preset, else the archived runs themselves.

The archived runs alone decide a claim when they ran the same code as the newest of them
(:func:`grokutils.build.pooling.current_runs`) and all say the same; runs that disagree make it
inconclusive. A claim whose units could not be pooled keeps, in ``pooled.json``, the verdict its
runs agree on (``"pooled": false``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grokutils.build.archive import claim_of, claim_versions, is_stale
from grokutils.build.headlines import Headline, headline_verdict
from grokutils.build.pooling import current_runs
from grokutils.core.claims import Verdict

SCALES = ("quick", "book", "paper")
"""The scales a headline is decided at: the presets, smallest first."""
NOT_RUN = "not run"
"""A headline cell where none of its claims has any evidence at that scale."""
DECIDED = {v.value for v in Verdict}


@dataclass(frozen=True)
class Evidence:
    """One claim's ``verdict`` at one scale (``None``: no evidence), the ``n_units`` a pooled
    verdict rests on, and ``how`` it was found (``"pooled"``, ``"this build"``, ``"2 runs"``)."""

    verdict: str | None
    n_units: int | None = None
    how: str = ""


@dataclass(frozen=True)
class ScaleData:
    """One chapter's evidence at one scale: its pooled entries ``{claim_id: entry}`` and its
    archived reports (seed order)."""

    pooled: Mapping[str, Mapping] = field(default_factory=dict)
    runs: Sequence[Mapping] = ()


@dataclass(frozen=True)
class Cell:
    """A headline at one scale: its ``verdict`` (a :class:`Verdict` value or :data:`NOT_RUN`)
    and a ``detail`` saying what it rests on (``n = 24``, ``this build``, ``2 runs``)."""

    verdict: str
    detail: str = ""

    @property
    def text(self) -> str:
        """The verdict with its detail in parentheses, as the table shows it."""
        return f"{self.verdict} ({self.detail})" if self.detail else self.verdict


def claim_evidence(claim_id: str, scale: str, build: Mapping, data: ScaleData) -> Evidence:
    """The verdict of one claim at ``scale``, from the sources in the module's order."""
    from_build = _from_build(claim_id, scale, build)
    sources = [_from_pooled(claim_id, data.pooled), _from_runs(claim_id, data.runs, build)]
    sources.insert(0 if scale == "quick" else 1, from_build)
    return next((e for e in sources if e.verdict), Evidence(None))


def headline_cell(headline: Headline, scale: str, build: Mapping, data: ScaleData) -> Cell:
    """The headline at ``scale``: its claims' verdicts combined, with what they rest on."""
    found = [claim_evidence(c, scale, build, data) for c in headline.claims]
    if not any(e.verdict for e in found):
        return Cell(NOT_RUN)
    verdict = headline_verdict(e.verdict for e in found)
    return Cell(verdict, _detail(found))


def chapter_cells(
    headlines: Sequence[Headline], build: Mapping, scales: Mapping[str, ScaleData]
) -> list[dict[str, Cell]]:
    """Per headline of one chapter, ``{scale: cell}`` over :data:`SCALES`."""
    return [
        {s: headline_cell(h, s, build, scales.get(s, ScaleData())) for s in SCALES}
        for h in headlines
    ]


def _from_build(claim_id: str, scale: str, build: Mapping) -> Evidence:
    if build.get("preset") != scale:
        return Evidence(None)
    claim = claim_of(build, claim_id)
    return Evidence(claim["verdict"], how="this build") if claim else Evidence(None)


def _from_pooled(claim_id: str, pooled: Mapping[str, Mapping]) -> Evidence:
    entry = pooled.get(claim_id)
    if not entry or entry["verdict"] not in DECIDED:
        return Evidence(None)
    if not entry.get("pooled", True):
        return Evidence(entry["verdict"], None, f"{entry['runs']} runs agree")
    return Evidence(entry["verdict"], entry.get("n_units"), "pooled")


def _from_runs(claim_id: str, runs: Sequence[Mapping], build: Mapping) -> Evidence:
    current = current_runs(runs)
    verdicts = [c["verdict"] for c in claim_versions(current, claim_id)]
    if not verdicts:
        return Evidence(None)
    verdict = verdicts[0] if len(set(verdicts)) == 1 else Verdict.INCONCLUSIVE.value
    stale = ", stale" if is_stale(current[-1], build.get("provenance")) else ""
    return Evidence(verdict, how=f"{len(verdicts)} run{'s' * (len(verdicts) > 1)}{stale}")


def _detail(found: Sequence[Evidence]) -> str:
    """What a cell rests on: the pooled units' range, the build, the archived runs, and how
    many of the claims have a verdict when not all do."""
    units = sorted(e.n_units for e in found if e.how == "pooled" and e.n_units is not None)
    parts = []
    if units:
        parts.append(f"n = {units[0]}" + (f"–{units[-1]}" if units[-1] != units[0] else ""))
    parts += sorted({e.how for e in found if e.how and e.how != "pooled"})
    checked = sum(e.verdict not in (None, Verdict.NOT_CHECKED.value) for e in found)
    if checked < len(found):
        parts.append(f"{checked} of {len(found)} claims checked")
    return "; ".join(parts)
