"""A chapter run's report: its claims as a table, glued into the page, saved as JSON with the
run's provenance; at the quick preset it raises when a claim of the quick set fails.

The quick set is read from the claims themselves (each says ``quick=True`` or why it is not
asserted at quick, beside its declaration; see :mod:`grokutils.core.claims`).
"""

from __future__ import annotations

import html
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from grokutils.core.claims import Claim, Verdict
from grokutils.core.estimates import LEVEL

if TYPE_CHECKING:
    from grokutils.core.params import Params

CLAIMS_DIR_ENV = "GROKBOOK_CLAIMS_DIR"
"""Folder the reports' JSON files go to (default ``./_claims``, beside the notebook)."""
HTML_MARKER = "grokbook-claims"
"""Class of the ``<script type="application/json">`` that carries a report in the HTML page."""
REPLICATIONS = ("full", "partial")
MIN_QUICK_CLAIMS = 2


class ClaimsNotReproduced(AssertionError):
    """Raised at the quick preset when a claim of the quick set does not hold."""


@dataclass(frozen=True)
class Scope:
    """What a chapter replicates, in the sense replication journals use (ReScience C).

    ``replication``: ``"full"`` or ``"partial"``; ``covers``: the paper's figures and claims the
    chapter reproduces; ``scale``: at which sizes (the preset's); ``left_out``: what it does not.
    """

    replication: str
    covers: str
    scale: str
    left_out: str

    def __post_init__(self):
        if self.replication not in REPLICATIONS:
            raise ValueError(
                f"replication must be one of {', '.join(REPLICATIONS)}; got {self.replication!r}"
            )

    def to_dict(self) -> dict:
        return {
            "replication": self.replication,
            "covers": self.covers,
            "scale": self.scale,
            "left_out": self.left_out,
        }


class ClaimReport:
    """The claims of one chapter run: a table, glued values, a JSON file with provenance.

    The quick set (the claims CI asserts at the quick preset) is the claims added with
    ``quick=True``; it needs at least two (chapter 05 has two claims that an interval which
    covers decides at quick). ``moved_under_dispatch`` names the claims whose
    verdict moved when the same run was repeated with other CPU kernels (another CPU family,
    or the suite's perturbation test), with what moved; their notes say so at every preset, and
    none of them may be in the quick set. ``unit_seeds`` (``{family: [seed, ...]}``, from
    :func:`grokutils.core.seeding.unit_seeds`) are the seeds of the run's independent units,
    kept in the claims JSON so that the independence of two runs can be checked; no seed may
    appear twice.
    """

    columns = (
        "id",
        "verdict",
        "statement",
        "reference",
        "source",
        "measured",
        "interval",
        "tolerance",
        "note",
    )
    """Table columns; the verdict comes right after the id so that a narrow page shows it."""

    def __init__(
        self,
        params: Params,
        *,
        scope: Scope,
        moved_under_dispatch: Mapping[str, str] | None = None,
        unit_seeds: Mapping[str, Sequence[int]] | None = None,
    ):
        self.params, self.scope = params, scope
        self.unit_seeds = {k: [int(s) for s in v] for k, v in (unit_seeds or {}).items()}
        every_seed = [s for seeds in self.unit_seeds.values() for s in seeds]
        if len(set(every_seed)) != len(every_seed):
            raise ValueError(f"two units share a seed: {self.unit_seeds}")
        self.chapter, self.preset = params.chapter, params.preset
        self.moved_under_dispatch = dict(moved_under_dispatch or {})
        self.claims: list[Claim] = []
        self.provenance: dict | None = None

    def add(self, *claims: Claim) -> None:
        known = {c.id for c in self.claims}
        for claim in claims:
            if claim.id in known:
                raise ValueError(f"claim id {claim.id!r} is already in the report")
            if claim.quick and claim.id in self.moved_under_dispatch:
                raise ValueError(
                    f"claim {claim.id!r} is in the quick set, but its verdict moved with the "
                    "CPU's kernels: give it the units that make it robust, or take it out of "
                    "the quick set with that reason"
                )
            known.add(claim.id)
            self.claims.append(claim)

    @property
    def quick(self) -> tuple[str, ...]:
        """The ids of the quick set, in the report's order."""
        return tuple(c.id for c in self.claims if c.quick)

    def expected_at_quick(self, claim: Claim) -> bool:
        return claim.quick

    def failures(self) -> list[Claim]:
        """Claims of the quick set that were not reproduced."""
        return [
            c for c in self.claims if self.expected_at_quick(c) and c.verdict != Verdict.REPRODUCED
        ]

    def _rows(self) -> list[dict]:
        rows = []
        for c in self.claims:
            row = c.to_dict()
            notes = [row["note"]]
            if c.id in self.moved_under_dispatch:
                moved = self.moved_under_dispatch[c.id]
                notes.append(f"verdict moved with the CPU's kernels: {moved}")
            if self.preset == "quick" and not c.quick:
                notes.append("not asserted at quick: " + c.not_at_quick)
            row["note"] = "; ".join(filter(None, notes))
            rows.append(row)
        return rows

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self._rows(), columns=list(self.columns)).set_index("id")

    def to_dict(self) -> dict:
        claims = []
        for c, row in zip(self.claims, self._rows(), strict=True):
            claims.append(
                {
                    **row,
                    "expected_at_quick": self.expected_at_quick(c),
                    "not_at_quick_because": c.not_at_quick,
                }
            )
        return {
            "chapter": self.chapter,
            "preset": self.preset,
            "seed": self.params.seed,
            "scope": self.scope.to_dict(),
            "level": LEVEL,
            "claims": claims,
            "unit_seeds": self.unit_seeds,
            "provenance": self.provenance,
        }

    def counts(self) -> dict[str, int]:
        return {v.value: sum(c.verdict == v for c in self.claims) for v in Verdict}

    def save(self, directory: str | Path | None = None) -> Path:
        """Write ``<directory>/<chapter>.json``; default ``$GROKBOOK_CLAIMS_DIR`` or ``_claims``."""
        directory = Path(directory or os.environ.get(CLAIMS_DIR_ENV) or "_claims")
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.chapter}.json"
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n")
        return path

    def stamp(self) -> None:
        """Record the provenance of this run (commit, fingerprints, hardware, wall time)."""
        from grokutils.core.provenance import stamp

        self.provenance = stamp(self.params, wall_time_s=time.time() - self.params.started)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n)
        lines = [
            f"{self.chapter} at preset {self.preset}, seed {self.params.seed}: "
            f"{counts or 'no claims'}"
        ]
        for c, row in zip(self.claims, self._rows(), strict=True):
            quick = " [quick]" if self.expected_at_quick(c) else ""
            lines.append(
                f"[{c.id}]{quick} {c.verdict.value}: measured {c.result}, "
                f"reference {c.reference} ({c.source}), tolerance {c.tolerance}"
                + (f" ({row['note']})" if row["note"] else "")
            )
        if self.provenance:
            lines.append("provenance: " + provenance_line(self.provenance))
        return "\n".join(lines)

    def invariants(self) -> _Text:
        """The report as every machine must print it: what nbval compares across CPUs.

        One line per claim: its id and statement, reference and source, tolerance, and its
        verdict where no machine may move it: the quick set's (CI asserts them), a claim not
        checked at this preset, and a claim decided on closed forms or exact counts (with its
        measured value). Left out, because other CPU kernels move them (README, "The same
        numbers"): the runs' measured values, intervals and notes, round-off, tolerances
        computed from a run, and the verdicts of the other claims.
        """
        lines = [
            f"{self.chapter} at preset {self.preset}, seed {self.params.seed}: "
            f"{len(self.claims)} claims, quick set {', '.join(self.quick)}"
        ]
        for c in self.claims:
            asserted = "quick" if self.expected_at_quick(c) else "not asserted"
            if c.machine_independent:
                verdict = f"{c.verdict.value}, measured {c.result}"
            elif self.expected_at_quick(c) or c.verdict == Verdict.NOT_CHECKED:
                verdict = c.verdict.value
            else:
                verdict = "verdict of this machine's run"
            tolerance = (
                f"computed from the run ({c.tolerance_from})"
                if c.tolerance_from_run
                else c.tolerance
            )
            lines.append(
                f"[{c.id}] {asserted}, {verdict} | {c.statement} | reference {c.reference} "
                f"({c.source}) | tolerance {tolerance}"
            )
        return _Text("\n".join(lines))

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(col)}</th>" for col in self.columns)
        rows = []
        for c, row in zip(self.claims, self._rows(), strict=True):
            css = verdict_css(c.verdict.value)
            label = c.id + (" (q)" if self.expected_at_quick(c) else "")
            tds = f"<td>{html.escape(label)}</td>"
            tds += f'<td><span class="{css}">{html.escape(c.verdict.value)}</span></td>'
            tds += "".join(f"<td>{html.escape(str(row[col]))}</td>" for col in self.columns[2:])
            rows.append(f"<tr>{tds}</tr>")
        payload = json.dumps(self.to_dict(), ensure_ascii=False).replace("</", "<\\/")
        legend = (
            f"<p>Intervals are two-sided {LEVEL:.0%} over the run's independent units; "
            "(q) marks the quick set (asserted in CI).</p>"
        )
        stamp = (
            ""
            if not self.provenance
            else '<p class="grokbook-provenance">Provenance: '
            f"{html.escape(provenance_line(self.provenance))}</p>"
        )
        return (
            f'<table class="grokbook-claims-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>{legend}{stamp}"
            f'<script type="application/json" class="{HTML_MARKER}">{payload}</script>'
        )

    def glue(self) -> None:
        """Glue the table as ``claims`` and each verdict as ``verdict_<id>`` (myst-nb)."""
        from myst_nb import glue

        glue("claims", self, display=False)
        for c in self.claims:
            glue(f"verdict_{c.id}", _Text(c.verdict.value), display=False)
            glue(f"measured_{c.id}", _Text(c.measured), display=False)

    def finish(self) -> None:
        """Stamp, show, glue and save the report; at quick raise if a quick claim fails."""
        from IPython.display import display

        if len(self.quick) < MIN_QUICK_CLAIMS:
            raise ValueError(
                f"the quick set needs at least {MIN_QUICK_CLAIMS} claims; got {list(self.quick)}"
            )
        self.stamp()
        display(self)
        self.glue()
        self.save()
        failed = self.failures()
        if self.preset == "quick" and failed:
            listed = "; ".join(f"{c.id} ({c.verdict.value}: {c.result})" for c in failed)
            raise ClaimsNotReproduced(f"{self.chapter}: claims of the quick set failed: {listed}")


def verdict_css(verdict: str) -> str:
    """CSS class of a verdict: ``verdict-reproduced``, ``verdict-not-reproduced``, …"""
    return "verdict-" + "-".join(verdict.split()[:2])


def provenance_line(stamp: Mapping) -> str:
    """The provenance stamp as one line of text."""
    commit = (stamp.get("commit") or "no git")[:12] + (" (dirty)" if stamp.get("dirty") else "")
    hardware = stamp.get("gpu") or stamp.get("cpu") or "?"
    if stamp.get("kernels") and not stamp.get("gpu"):
        hardware += f"; {stamp['kernels']}"
    return (
        f"commit {commit}, code {stamp.get('code')}, chapter {stamp.get('chapter')}, "
        f"preset {stamp.get('preset')}, seed {stamp.get('seed')}, device {stamp.get('device')} "
        f"({hardware}, {stamp.get('threads')} thread(s)), Python {stamp.get('python')}, "
        f"torch {stamp.get('torch')}, numpy {stamp.get('numpy')}, "
        f"{stamp.get('wall_time_s', 0):.0f} s, {stamp.get('finished')}"
    )


class _Text:
    """A value glued as plain text, without the quotes a ``str`` repr would add."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text
