"""Claim checks: a paper's claim, our measurement, the tolerance and a verdict computed from them.

A chapter builds one :class:`Claim` per paper claim with a constructor that *computes* the
verdict from the measurement (:meth:`Claim.close`, :meth:`Claim.in_range`,
:meth:`Claim.condition`), or states why it is not decided (:meth:`Claim.inconclusive`,
:meth:`Claim.not_checked`). A :class:`ClaimReport` shows them as a table, glues them into the
page (myst-nb), saves them as JSON, and at the ``quick`` preset raises
:class:`ClaimsNotReproduced` when a claim expected to hold there does not, so CI goes red.
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

CLAIMS_DIR_ENV = "GROKBOOK_CLAIMS_DIR"
"""Folder the reports' JSON files go to (default ``./_claims``, beside the notebook)."""
HTML_MARKER = "grokbook-claims"
"""Class of the ``<script type="application/json">`` that carries a report in the HTML page."""


class Verdict(StrEnum):
    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"
    NOT_CHECKED = "not checked at this preset"


VERDICT_COLOURS = {
    Verdict.REPRODUCED: "#1a7f37",
    Verdict.NOT_REPRODUCED: "#cf222e",
    Verdict.INCONCLUSIVE: "#9a6700",
    Verdict.NOT_CHECKED: "#6e7781",
}


class ClaimsNotReproduced(AssertionError):
    """Raised at the quick preset when a claim expected to hold there does not."""


def format_value(value: object) -> str:
    """A measured or paper value as short, stable text (4 significant digits)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ") if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


@dataclass(frozen=True)
class Claim:
    """One paper claim with our measurement and its verdict.

    ``paper`` is the paper's value or direction and ``tolerance`` what counts as agreement,
    both as text; ``measured`` is our value as text. ``expected_at_quick`` says whether the
    claim must hold at the quick preset (CI fails if it does not).
    """

    id: str
    statement: str
    paper: str
    measured: str
    tolerance: str
    verdict: Verdict
    note: str = ""
    expected_at_quick: bool = True

    @classmethod
    def close(
        cls,
        id: str,
        statement: str,
        measured: float,
        paper_value: float,
        *,
        rel: float = 0.0,
        abs: float = 0.0,
        note: str = "",
        expected_at_quick: bool = True,
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when ``|measured - paper_value| <= abs + rel * |paper_value|``."""
        if rel < 0 or abs < 0 or rel == abs == 0:
            raise ValueError(f"claim {id}: give a positive rel or abs tolerance")
        bound = abs + rel * math.fabs(paper_value)
        parts = ([f"±{rel:.0%}"] if rel else []) + ([f"±{format_value(abs)}"] if abs else [])
        return cls._decide(
            id,
            statement,
            format_value(paper_value),
            measured,
            " + ".join(parts),
            math.fabs(measured - paper_value) <= bound,
            note,
            expected_at_quick,
            inconclusive_because,
        )

    @classmethod
    def in_range(
        cls,
        id: str,
        statement: str,
        measured: float,
        low: float | None,
        high: float | None,
        *,
        paper: str,
        note: str = "",
        expected_at_quick: bool = True,
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when ``low <= measured <= high`` (``None``: unbounded on that side)."""
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high
        tolerance = {
            (True, True): f"in [{format_value(low)}, {format_value(high)}]",
            (True, False): f">= {format_value(low)}",
            (False, True): f"<= {format_value(high)}",
        }[(low is not None, high is not None)]
        return cls._decide(
            id,
            statement,
            paper,
            measured,
            tolerance,
            lo <= measured <= hi,
            note,
            expected_at_quick,
            inconclusive_because,
        )

    @classmethod
    def condition(
        cls,
        id: str,
        statement: str,
        holds: bool,
        *,
        measured: object,
        paper: str,
        tolerance: str = "as stated",
        note: str = "",
        expected_at_quick: bool = True,
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when ``holds``: for directions, orderings and trends."""
        return cls._decide(
            id,
            statement,
            paper,
            measured,
            tolerance,
            bool(holds),
            note,
            expected_at_quick,
            inconclusive_because,
        )

    @classmethod
    def inconclusive(
        cls,
        id: str,
        statement: str,
        *,
        paper: str,
        measured: object,
        diagnostic: str,
        tolerance: str = "as stated",
        expected_at_quick: bool = False,
    ) -> Claim:
        """Not decided by this run; ``diagnostic`` says why (e.g. a sampler not converged)."""
        return cls(
            id,
            statement,
            paper,
            format_value(measured),
            tolerance,
            Verdict.INCONCLUSIVE,
            diagnostic,
            expected_at_quick,
        )

    @classmethod
    def not_checked(
        cls, id: str, statement: str, *, paper: str, checked_at: str, reason: str = ""
    ) -> Claim:
        """Not run at this preset; ``checked_at`` names the preset that checks it."""
        note = f"checked at the {checked_at} preset" + (f": {reason}" if reason else "")
        return cls(id, statement, paper, "-", "-", Verdict.NOT_CHECKED, note, False)

    @classmethod
    def _decide(
        cls,
        id: str,
        statement: str,
        paper: str,
        measured: object,
        tolerance: str,
        holds: bool,
        note: str,
        expected_at_quick: bool,
        inconclusive_because: str | None,
    ) -> Claim:
        if isinstance(measured, float) and math.isnan(measured):
            inconclusive_because = inconclusive_because or "the measured value is NaN"
        if inconclusive_because is not None:
            verdict, note = (
                Verdict.INCONCLUSIVE,
                "; ".join(filter(None, [inconclusive_because, note])),
            )
        else:
            verdict = Verdict.REPRODUCED if holds else Verdict.NOT_REPRODUCED
        return cls(
            id,
            statement,
            paper,
            format_value(measured),
            tolerance,
            verdict,
            note,
            expected_at_quick,
        )

    def to_dict(self) -> dict:
        return {**asdict(self), "verdict": self.verdict.value}


class ClaimReport:
    """The claims of one chapter run: a table in the notebook, glued values, a JSON file."""

    columns = ("id", "verdict", "statement", "paper", "measured", "tolerance", "note")
    """Table columns; the verdict comes right after the id so that a narrow page shows it."""

    def __init__(self, chapter: str, preset: str):
        self.chapter, self.preset = chapter, preset
        self.claims: list[Claim] = []

    def add(self, *claims: Claim) -> None:
        known = {c.id for c in self.claims}
        for claim in claims:
            if claim.id in known:
                raise ValueError(f"claim id {claim.id!r} is already in the report")
            known.add(claim.id)
            self.claims.append(claim)

    def failures(self) -> list[Claim]:
        """Claims expected to hold at the quick preset that were not reproduced."""
        return [c for c in self.claims if c.expected_at_quick and c.verdict != Verdict.REPRODUCED]

    def to_frame(self) -> pd.DataFrame:
        rows = [{**c.to_dict()} for c in self.claims]
        return pd.DataFrame(rows, columns=list(self.columns)).set_index("id")

    def to_dict(self) -> dict:
        return {
            "chapter": self.chapter,
            "preset": self.preset,
            "claims": [c.to_dict() for c in self.claims],
        }

    def counts(self) -> dict[str, int]:
        return {v.value: sum(c.verdict == v for c in self.claims) for v in Verdict}

    def save(self, directory: str | Path | None = None) -> Path:
        """Write ``<directory>/<chapter>.json``; default ``$GROKBOOK_CLAIMS_DIR`` or ``_claims``."""
        directory = Path(directory or os.environ.get(CLAIMS_DIR_ENV) or "_claims")
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.chapter}.json"
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n)
        header = f"{self.chapter} at preset {self.preset}: {counts or 'no claims'}"
        lines = [header]
        for c in self.claims:
            lines.append(
                f"[{c.id}] {c.verdict.value}: measured {c.measured}, paper {c.paper}, "
                f"tolerance {c.tolerance}" + (f" ({c.note})" if c.note else "")
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(col)}</th>" for col in self.columns)
        rows = []
        for c in self.claims:
            colour = VERDICT_COLOURS[c.verdict]
            tds = f"<td>{html.escape(c.id)}</td>"
            tds += (
                f'<td style="color:{colour};font-weight:bold">{html.escape(c.verdict.value)}</td>'
            )
            cells = [c.statement, c.paper, c.measured, c.tolerance, c.note]
            tds += "".join(f"<td>{html.escape(str(x))}</td>" for x in cells)
            rows.append(f"<tr>{tds}</tr>")
        payload = json.dumps(self.to_dict()).replace("</", "<\\/")
        return (
            f'<table class="grokbook-claims-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
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
        """Show, glue and save the report; at the quick preset raise on an expected failure."""
        from IPython.display import display

        display(self)
        self.glue()
        self.save()
        failed = self.failures()
        if self.preset == "quick" and failed:
            listed = "; ".join(f"{c.id} ({c.verdict.value}: {c.measured})" for c in failed)
            raise ClaimsNotReproduced(
                f"{self.chapter}: claims expected to hold at the quick preset failed: {listed}"
            )


class _Text:
    """A value glued as plain text, without the quotes a ``str`` repr would add."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text
