"""Claim checks: a claim, its reference and source, our estimate with its interval, a verdict.

A chapter builds one :class:`Claim` per claim with a constructor that *computes* the verdict
from an :class:`~grokutils.core.estimates.Estimate` (a value with its 95 % interval over the run's
independent seeds or data sets) and a tolerance fixed before the number is seen:

* **reproduced** when the whole interval satisfies the tolerance,
* **not reproduced** when the whole interval violates it,
* **inconclusive** when it straddles (or the value is NaN, or a diagnostic says the run
  cannot decide),
* **not checked at this preset** when the preset cannot afford it (it names the one that can).

:meth:`Claim.at_least`, :meth:`Claim.at_most` and :meth:`Claim.between` take bounds (the
general :meth:`Claim.check` both); :meth:`Claim.close` a target with a relative or absolute
tolerance; :meth:`Claim.fraction` decides a yes/no statement on the fraction of units where it
holds, :meth:`Claim.increasing` and :meth:`Claim.decreasing` a trend along a swept axis the
same way (one row per unit; ``nan="largest"`` ranks a never-crossed value last).
A claim with several parts (one per activation, say) takes a dict of estimates: reproduced
when every part is, not reproduced when any part is.

Every claim names its ``reference`` (the value or direction it is held against) and its
``source``: ``"paper, Fig. 3a"`` (or ``§4.2``, ``eq. 13``), ``"theory, eq. 7"`` (our closed
form) or ``"prototype"`` (an expectation we measured ourselves, never the paper's).

A :class:`ClaimReport` holds a chapter's claims, names its quick set in one place (the claims
CI asserts, and why each other claim is not among them), shows them as a table with the run's
provenance stamp, glues them into the page (myst-nb), saves them as JSON, and at the
``quick`` preset raises :class:`ClaimsNotReproduced` when a claim of the quick set fails.
"""

from __future__ import annotations

import html
import json
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from grokutils.core.estimates import LEVEL, Estimate

if TYPE_CHECKING:
    from grokutils.core.params import Params

CLAIMS_DIR_ENV = "GROKBOOK_CLAIMS_DIR"
"""Folder the reports' JSON files go to (default ``./_claims``, beside the notebook)."""
HTML_MARKER = "grokbook-claims"
"""Class of the ``<script type="application/json">`` that carries a report in the HTML page."""
SOURCES = ("paper", "theory", "prototype")
"""What a claim's reference can come from: the paper (with its location), our closed form
(with its equation), or a prototype run of ours."""
REPLICATIONS = ("full", "partial")
MIN_QUICK_CLAIMS = 3


class Verdict(StrEnum):
    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"
    NOT_CHECKED = "not checked at this preset"


class ClaimsNotReproduced(AssertionError):
    """Raised at the quick preset when a claim of the quick set does not hold."""


def format_value(value: object) -> str:
    """A measured or reference value as short, stable text (4 significant digits)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | np.integer):
        value = int(value)
        return f"{value:,}".replace(",", " ") if abs(value) >= 10_000 else str(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def format_estimate(estimate: Estimate) -> tuple[str, str]:
    """``(value, interval)`` as text: ``("0.53", "[0.41, 0.66], 8 seeds")``; for one
    deterministic computation the interval is its method (``"exact"``, ``"round-off"``, …)."""
    value = format_value(estimate.value)
    if estimate.is_exact:
        return value, estimate.method
    interval = f"[{format_value(estimate.low)}, {format_value(estimate.high)}]"
    return value, f"{interval}, {estimate.n} {estimate.unit}"


class RunBound(float):
    """A tolerance computed from the run itself (the rms difference of two sampler runs, 3×
    a measured step): pass it as a bound and the claim records ``tolerance_from_run``, so that
    its digits, which move with the machine like a measured value's, are not compared across
    machines (:meth:`ClaimReport.invariants`)."""


@dataclass(frozen=True)
class Bound:
    """A tolerance: ``low <= value <= high`` (either side may be open)."""

    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self):
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"a tolerance needs low <= high; got [{self.low}, {self.high}]")
        if self.low == -math.inf and self.high == math.inf:
            raise ValueError("a tolerance needs at least one finite bound")

    def decide(self, estimate: Estimate) -> Verdict:
        """The interval rule: inside -> reproduced, outside -> not reproduced, else inconclusive."""
        if estimate.is_nan:
            return Verdict.INCONCLUSIVE
        if self.low <= estimate.low and estimate.high <= self.high:
            return Verdict.REPRODUCED
        if estimate.high < self.low or estimate.low > self.high:
            return Verdict.NOT_REPRODUCED
        return Verdict.INCONCLUSIVE

    def __str__(self) -> str:
        if self.low == -math.inf:
            return f"≤ {format_value(self.high)}"
        if self.high == math.inf:
            return f"≥ {format_value(self.low)}"
        return f"in [{format_value(self.low)}, {format_value(self.high)}]"


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """A claim of several parts: reproduced if all are, not reproduced if any is."""
    verdicts = list(verdicts)
    if any(v == Verdict.NOT_REPRODUCED for v in verdicts):
        return Verdict.NOT_REPRODUCED
    if verdicts and all(v == Verdict.REPRODUCED for v in verdicts):
        return Verdict.REPRODUCED
    return Verdict.INCONCLUSIVE


@dataclass(frozen=True)
class Claim:
    """One claim with its reference, our estimate(s) and the verdict computed from them.

    ``estimates`` maps a part's label to its estimate (one part: label ``""``); ``measured``,
    ``interval`` and ``tolerance`` are the same as text for the tables; ``tolerance_from_run``:
    a bound was a :class:`RunBound`. Build claims with the constructors, not directly.
    """

    id: str
    statement: str
    reference: str
    source: str
    verdict: Verdict
    tolerance: str
    measured: str = "-"
    interval: str = "-"
    note: str = ""
    estimates: Mapping[str, Estimate] = field(default_factory=dict)
    tolerance_from_run: bool = False

    def __post_init__(self):
        kind = self.source.split(",")[0].strip()
        if kind not in SOURCES:
            raise ValueError(
                f"claim {self.id}: source must start with one of {', '.join(SOURCES)} "
                f"(e.g. 'paper, Fig. 3a'); got {self.source!r}"
            )
        if not self.reference:
            raise ValueError(f"claim {self.id}: give the reference value or direction")

    @classmethod
    def check(
        cls,
        id: str,
        statement: str,
        measured: Estimate | Mapping[str, Estimate],
        *,
        reference: str,
        source: str,
        at_least: float | Mapping[str, float] | None = None,
        at_most: float | Mapping[str, float] | None = None,
        note: str = "",
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when the whole interval of every part lies within the bounds.

        ``measured``: one estimate, or ``{label: estimate}`` for a claim of several parts;
        ``at_least`` / ``at_most``: one bound for every part, or one per label.
        """
        parts = measured if isinstance(measured, Mapping) else {"": measured}
        bounds = {
            label: Bound(
                -math.inf if (lo := _per_part(at_least, label)) is None else lo,
                math.inf if (hi := _per_part(at_most, label)) is None else hi,
            )
            for label in parts
        }
        return cls._decided(
            id, statement, parts, bounds, reference, source, note, inconclusive_because
        )

    @classmethod
    def close(
        cls,
        id: str,
        statement: str,
        measured: Estimate,
        target: float,
        *,
        source: str,
        rel: float = 0.0,
        abs: float = 0.0,
        reference: str | None = None,
        note: str = "",
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when the whole interval lies within ``target ± (abs + rel·|target|)``."""
        if rel < 0 or abs < 0 or rel == abs == 0:
            raise ValueError(f"claim {id}: give a positive rel or abs tolerance")
        half = abs + rel * math.fabs(target)
        text = " + ".join(
            ([f"±{rel:.0%}"] if rel else []) + ([f"±{format_value(abs)}"] if abs else [])
        )
        claim = cls._decided(
            id,
            statement,
            {"": measured},
            {"": Bound(target - half, target + half)},
            reference if reference is not None else format_value(target),
            source,
            note,
            inconclusive_because,
        )
        return replace(claim, tolerance=f"{format_value(target)} {text}")

    @classmethod
    def at_least(
        cls,
        id: str,
        statement: str,
        measured: Estimate | Mapping[str, Estimate],
        bound: float | Mapping[str, float],
        *,
        source: str,
        reference: str | None = None,
        note: str = "",
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when the whole interval (of every part) is ``>= bound``; the reference
        defaults to the bound (``"≥ 0.5"``)."""
        reference = reference if reference is not None else _bound_text("≥", bound)
        return cls.between(
            id,
            statement,
            measured,
            bound,
            math.inf,
            source=source,
            reference=reference,
            note=note,
            inconclusive_because=inconclusive_because,
        )

    @classmethod
    def at_most(
        cls,
        id: str,
        statement: str,
        measured: Estimate | Mapping[str, Estimate],
        bound: float | Mapping[str, float],
        *,
        source: str,
        reference: str | None = None,
        note: str = "",
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when the whole interval (of every part) is ``<= bound``."""
        reference = reference if reference is not None else _bound_text("≤", bound)
        return cls.between(
            id,
            statement,
            measured,
            -math.inf,
            bound,
            source=source,
            reference=reference,
            note=note,
            inconclusive_because=inconclusive_because,
        )

    @classmethod
    def between(
        cls,
        id: str,
        statement: str,
        measured: Estimate | Mapping[str, Estimate],
        low: float | Mapping[str, float],
        high: float | Mapping[str, float],
        *,
        source: str,
        reference: str | None = None,
        note: str = "",
        inconclusive_because: str | None = None,
    ) -> Claim:
        """Reproduced when the whole interval (of every part) lies in ``[low, high]``."""
        default = f"in [{_bound_text('', low)}, {_bound_text('', high)}]"
        return cls.check(
            id,
            statement,
            measured,
            reference=reference if reference is not None else default,
            source=source,
            at_least=low,
            at_most=high,
            note=note,
            inconclusive_because=inconclusive_because,
        )

    @classmethod
    def increasing(
        cls,
        id: str,
        statement: str,
        values,
        *,
        source: str,
        reference: str = "increasing",
        nan: str = "error",
        strict: bool = True,
        at_least: float = 0.5,
        unit: str = "seeds",
        note: str = "",
    ) -> Claim:
        """A trend along a swept axis, decided on the fraction of units where it holds.

        ``values [units, k]``: one row per independent unit (seed, data set), ordered along the
        swept axis; or ``{label: [units, k]}`` for a claim of several parts. ``nan``: what a
        NaN entry means: ``"largest"`` (e.g. a crossing that never happened, ranked last),
        ``"smallest"``, or ``"error"`` (refuse). Reproduced when the Clopper-Pearson interval
        of the fraction of rows that increase (strictly, unless ``strict=False``) lies above
        ``at_least``, not reproduced when below (see :meth:`fraction`).
        """
        return cls._trend(
            id, statement, values, +1, source, reference, nan, strict, at_least, unit, note
        )

    @classmethod
    def decreasing(
        cls,
        id: str,
        statement: str,
        values,
        *,
        source: str,
        reference: str = "decreasing",
        nan: str = "error",
        strict: bool = True,
        at_least: float = 0.5,
        unit: str = "seeds",
        note: str = "",
    ) -> Claim:
        """As :meth:`increasing`, for a decreasing trend."""
        return cls._trend(
            id, statement, values, -1, source, reference, nan, strict, at_least, unit, note
        )

    @classmethod
    def _trend(
        cls, id, statement, values, sign, source, reference, nan, strict, at_least, unit, note
    ) -> Claim:
        parts = values if isinstance(values, Mapping) else {"": values}
        holds = {k: monotone_rows(v, sign, nan=nan, strict=strict) for k, v in parts.items()}
        return cls.fraction(
            id,
            statement,
            holds if isinstance(values, Mapping) else holds[""],
            reference=reference,
            source=source,
            at_least=at_least,
            unit=unit,
            note=note,
        )

    @classmethod
    def fraction(
        cls,
        id: str,
        statement: str,
        holds: Iterable[bool] | Mapping[str, Iterable[bool]],
        *,
        reference: str,
        source: str,
        at_least: float = 0.5,
        unit: str = "seeds",
        note: str = "",
        inconclusive_because: str | None = None,
    ) -> Claim:
        """A trend or yes/no statement decided on the fraction of units where it holds.

        ``holds``: one boolean per unit (``[n]``), or ``{label: [n]}``. Reproduced when the
        Clopper-Pearson interval of the fraction lies above ``at_least`` (default: it holds in
        most units), not reproduced when it lies below.
        """
        if not 0 < at_least < 1:
            raise ValueError(f"claim {id}: at_least must be in (0, 1); got {at_least}")
        parts = holds if isinstance(holds, Mapping) else {"": holds}
        estimates = {
            k: Estimate.fraction(np.asarray(list(v), dtype=bool), unit=unit)
            for k, v in parts.items()
        }
        return cls.check(
            id,
            statement,
            estimates if isinstance(holds, Mapping) else estimates[""],
            reference=reference,
            source=source,
            at_least=at_least,
            note=note,
            inconclusive_because=inconclusive_because,
        )

    @classmethod
    def inconclusive(
        cls,
        id: str,
        statement: str,
        *,
        reference: str,
        source: str,
        diagnostic: str,
        measured: Estimate | None = None,
        tolerance: str = "as stated",
    ) -> Claim:
        """Not decided by this run; ``diagnostic`` says why (e.g. a sampler not converged)."""
        parts = {} if measured is None else {"": measured}
        value, interval = format_estimate(measured) if measured is not None else ("-", "-")
        return cls(
            id,
            statement,
            reference,
            source,
            Verdict.INCONCLUSIVE,
            tolerance,
            value,
            interval,
            diagnostic,
            parts,
        )

    @classmethod
    def not_checked(
        cls,
        id: str,
        statement: str,
        *,
        reference: str,
        source: str,
        checked_at: str,
        reason: str = "",
    ) -> Claim:
        """Not run at this preset; ``checked_at`` names the preset that checks it."""
        note = f"checked at the {checked_at} preset" + (f": {reason}" if reason else "")
        return cls(id, statement, reference, source, Verdict.NOT_CHECKED, "-", note=note)

    @classmethod
    def _decided(
        cls,
        id: str,
        statement: str,
        parts: Mapping[str, Estimate],
        bounds: Mapping[str, Bound],
        reference: str,
        source: str,
        note: str,
        inconclusive_because: str | None,
    ) -> Claim:
        if not parts:
            raise ValueError(f"claim {id}: no estimate to decide on")
        for label, estimate in parts.items():
            if not isinstance(estimate, Estimate):
                raise TypeError(
                    f"claim {id}{' ' + label if label else ''}: measured must be an Estimate "
                    f"(grokutils.core.estimates), not {type(estimate).__name__}"
                )
        verdict = combine(bounds[k].decide(e) for k, e in parts.items())
        if nan := [k for k, e in parts.items() if e.is_nan]:
            # a NaN part cannot be reproduced, but another part may still refute the claim
            what = "the measured value is NaN" if nan == [""] else f"{', '.join(nan)}: NaN"
            note = "; ".join(filter(None, [what, note]))
        if inconclusive_because is not None:
            verdict = Verdict.INCONCLUSIVE
            note = "; ".join(filter(None, [inconclusive_because, note]))
        texts = {k: format_estimate(e) for k, e in parts.items()}
        tol = {k: str(b) for k, b in bounds.items()}
        if list(parts) == [""]:
            measured, interval, tolerance = *texts[""], tol[""]
        else:
            measured = "; ".join(f"{k} {v}" for k, (v, _) in texts.items())
            interval = "; ".join(f"{k} {i}" for k, (_, i) in texts.items())
            same = len(set(tol.values())) == 1
            tolerance = (
                next(iter(tol.values())) if same else "; ".join(f"{k} {t}" for k, t in tol.items())
            )
        from_run = any(isinstance(v, RunBound) for b in bounds.values() for v in (b.low, b.high))
        return cls(
            id,
            statement,
            reference,
            source,
            verdict,
            tolerance,
            measured,
            interval,
            note,
            dict(parts),
            from_run,
        )

    @property
    def machine_independent(self) -> bool:
        """Whether the measured value, and so the verdict, is the same on every machine: every
        part is a closed form or an exact count (not a run's value, not round-off)."""
        return bool(self.estimates) and all(
            e.is_machine_independent for e in self.estimates.values()
        )

    @property
    def result(self) -> str:
        """Measured value and interval as one text: ``0.53 [0.41, 0.66], 8 seeds``, part by
        part for a claim of several parts (``linear 0.98 [...]; tanh ...``)."""
        if not self.estimates:
            return self.measured
        texts = []
        for label, estimate in self.estimates.items():
            value, interval = format_estimate(estimate)
            texts.append(" ".join(filter(None, [label, value, interval])))
        return "; ".join(texts)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "statement": self.statement,
            "reference": self.reference,
            "source": self.source,
            "verdict": self.verdict.value,
            "measured": self.measured,
            "interval": self.interval,
            "tolerance": self.tolerance,
            "note": self.note,
            "tolerance_from_run": self.tolerance_from_run,
            "estimates": {k: _json_safe(e.to_dict()) for k, e in self.estimates.items()},
        }


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

    ``quick`` names the claims CI asserts at the quick preset; ``not_at_quick`` gives, for every
    other claim, the reason it is not asserted there. Every claim must be in exactly one of
    them, and the quick set needs at least three claims. ``moved_under_dispatch`` names the
    claims whose verdict moved when the same run was repeated with other CPU kernels (another
    CPU family, or the suite's perturbation test), with what moved; their notes say so at every
    preset, and none of them may be in the quick set. ``unit_seeds`` (``{family: [seed, ...]}``,
    from :func:`grokutils.core.seeding.unit_seeds`) are the seeds of the run's independent
    units, kept in the claims JSON so that the independence of two runs can be checked; no seed
    may appear twice.
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
        quick: Iterable[str],
        not_at_quick: Mapping[str, str],
        moved_under_dispatch: Mapping[str, str] | None = None,
        unit_seeds: Mapping[str, Sequence[int]] | None = None,
    ):
        self.params, self.scope = params, scope
        self.unit_seeds = {k: [int(s) for s in v] for k, v in (unit_seeds or {}).items()}
        every_seed = [s for seeds in self.unit_seeds.values() for s in seeds]
        if len(set(every_seed)) != len(every_seed):
            raise ValueError(f"two units share a seed: {self.unit_seeds}")
        self.chapter, self.preset = params.chapter, params.preset
        self.quick, self.not_at_quick = tuple(quick), dict(not_at_quick)
        self.moved_under_dispatch = dict(moved_under_dispatch or {})
        if both := set(self.quick) & set(self.not_at_quick):
            raise ValueError(f"claims {sorted(both)} are both in and out of the quick set")
        if fragile := set(self.quick) & set(self.moved_under_dispatch):
            raise ValueError(
                f"claims {sorted(fragile)} are in the quick set, but their verdicts moved with "
                "the CPU's kernels: give them the units that make them robust, or take them "
                "out of the quick set with that reason"
            )
        if empty := [k for k, why in self.not_at_quick.items() if not why.strip()]:
            raise ValueError(f"claims {empty} leave the quick set without a reason")
        if len(self.quick) < MIN_QUICK_CLAIMS:
            raise ValueError(
                f"the quick set needs at least {MIN_QUICK_CLAIMS} claims; got {list(self.quick)}"
            )
        self.claims: list[Claim] = []
        self.provenance: dict | None = None

    def add(self, *claims: Claim) -> None:
        known = {c.id for c in self.claims}
        for claim in claims:
            if claim.id in known:
                raise ValueError(f"claim id {claim.id!r} is already in the report")
            if claim.id not in self.quick and claim.id not in self.not_at_quick:
                raise ValueError(
                    f"claim {claim.id!r} is neither in the quick set nor in not_at_quick "
                    "(with the reason it is not asserted at quick)"
                )
            known.add(claim.id)
            self.claims.append(claim)

    def expected_at_quick(self, claim: Claim) -> bool:
        return claim.id in self.quick

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
            if self.preset == "quick" and c.id in self.not_at_quick:
                notes.append("not asserted at quick: " + self.not_at_quick[c.id])
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
                    "not_at_quick_because": self.not_at_quick.get(c.id, ""),
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
            tolerance = "computed from the run" if c.tolerance_from_run else c.tolerance
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

        missing = set(self.quick) - {c.id for c in self.claims}
        if missing:
            raise ValueError(f"the quick set names claims that were not added: {sorted(missing)}")
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


def monotone_rows(values, sign: int = 1, *, nan: str = "error", strict: bool = True) -> np.ndarray:
    """``[units]`` bools: whether each row of ``values [units, k]`` increases (``sign=+1``) or
    decreases (``-1``) along its last axis. ``nan``: ``"largest"``, ``"smallest"`` or
    ``"error"`` (a NaN raises ValueError)."""
    rows = np.atleast_2d(np.asarray(values, dtype=float))
    if rows.ndim != 2 or rows.shape[1] < 2:
        raise ValueError(f"a trend needs values [units, k >= 2]; got shape {rows.shape}")
    if nan not in ("largest", "smallest", "error"):
        raise ValueError(f"nan must be 'largest', 'smallest' or 'error'; got {nan!r}")
    if np.isnan(rows).any():
        if nan == "error":
            raise ValueError("values contain NaN: say what NaN means with nan='largest' or ...")
        rows = np.where(np.isnan(rows), np.inf if nan == "largest" else -np.inf, rows)
    with np.errstate(invalid="ignore"):  # inf - inf: two never-crossed entries are tied
        steps = sign * np.diff(rows, axis=1)
    steps = np.where(np.isnan(steps), 0.0, steps)
    return (steps > 0).all(1) if strict else (steps >= 0).all(1)


def _bound_text(symbol: str, bound: float | Mapping[str, float]) -> str:
    if isinstance(bound, Mapping):
        return "; ".join(f"{k} {_bound_text(symbol, v)}" for k, v in bound.items())
    return " ".join(filter(None, [symbol, format_value(bound)]))


def _per_part(bound: float | Mapping[str, float] | None, label: str) -> float | None:
    if isinstance(bound, Mapping):
        if label not in bound:
            raise ValueError(f"no bound for part {label!r}; bounds are given for {list(bound)}")
        return bound[label]
    return bound


def _json_safe(d: dict) -> dict:
    """inf and NaN as strings: JSON has no such numbers."""
    return {
        k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()
    }


class _Text:
    """A value glued as plain text, without the quotes a ``str`` repr would add."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text
