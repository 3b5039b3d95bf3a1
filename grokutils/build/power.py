"""Power by design: how many pooled units each of the paper's claims needs (issue 24).

The rule, fixed before any evidence run and applied the same way to every claim:

1. The **pilot** is the current archived runs of the preset (same code and chapter
   fingerprints as the newest run, :func:`grokutils.build.pooling.current_runs`); a part with
   fewer than :data:`MIN_PILOT_UNITS` pooled units there takes its per-unit values from the
   current ``quick`` runs as well (smaller sizes: the spread is a guide, and the table says so).
2. The **effect** is the pilot's own: a true value distributed as the pilot's per-unit values
   (the paper mostly gives a direction, not a value to hold as the truth).
3. For ``n`` units, :data:`SIMULATIONS` samples of ``n`` values are drawn with replacement from
   the pilot's per-unit values (a worst point's: whole curves, one per unit, of the runs whose
   reference curve is the claim's) and decided with the claim's own statistic
   (:func:`~grokutils.build.pooling.pool_units`) and bounds. The **power** at ``n`` is
   the fraction of samples decided either way (reproduced or not reproduced).
4. The claim **needs** the smallest ``n`` (up to :data:`MAX_UNITS`) with power >= 0.8; a claim
   of several parts needs the largest over its parts. ``runs`` = that ``n`` over the units one
   run gives; ``cost`` = runs × the mean wall time of the pilot's runs, on two processes.
   A claim whose ``n`` exceeds :data:`MAX_UNITS` or whose cost exceeds :data:`REACH_HOURS` is
   out of reach on this machine (a candidate for the paper-scale issue).

A pilot whose per-unit values are all equal makes every sample decide at the smallest ``n``: the
table flags it (``spread 0``), since the rule then gives a lower bound.

Command line (``make power``)::

    python -m grokutils.build.power --preset book
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from grokutils.build.archive import RESULTS_DIR, ROOT, claim_versions, load_archived
from grokutils.build.pooling import POOLED_METHODS, current_runs, pool_units
from grokutils.core.claims import Bound, Verdict
from grokutils.core.estimates import (
    RUN_POOLED_METHODS,
    WORST_POINT_METHODS,
    Estimate,
    same_reference,
)

TARGET_POWER = 0.8
SIMULATIONS = 400
MAX_UNITS = 256
MIN_PILOT_UNITS = 3
REACH_HOURS = 6.0
"""Wall hours of a chapter's runs on this two-core machine above which a claim is out of reach."""
POWER_FILE = "power.json"
POWER_SEED = 20_261_206


@dataclass(frozen=True)
class Need:
    """What one claim of the paper needs: ``units`` pooled units for power >= 0.8 (None: more
    than :data:`MAX_UNITS`, or not a pooled statistic: ``reason``), ``runs`` runs of the preset,
    ``cost_h`` their wall hours on two processes, and the pilot it came from."""

    chapter: str
    claim: str
    method: str
    pilot: str
    pilot_units: int
    units_per_run: int
    units: int | None
    runs: int | None
    cost_h: float | None
    reach: bool
    reason: str = ""

    @property
    def summary(self) -> str:
        """What the rule asks, in a few words: ``"27 runs (80 units, 0.8 h)"``, or why not."""
        if self.units is None:
            return f"out of reach ({self.reason})" if self.reason else "out of reach"
        text = f"{self.runs} runs ({self.units} units, {self.cost_h:.1f} h)"
        return text if self.reach else f"{text}: out of reach on this machine"


def load_needs(root: Path, preset: str) -> dict[str, dict[str, Need]]:
    """``results/<preset>/power.json`` as ``{chapter: {claim_id: Need}}``, ``{}`` if absent."""
    path = Path(root) / RESULTS_DIR / preset / POWER_FILE
    out: dict[str, dict[str, Need]] = {}
    for row in json.loads(path.read_text()) if path.is_file() else []:
        out.setdefault(row["chapter"], {})[row["claim"]] = Need(**row)
    return out


def part_power(estimate: Mapping, values: np.ndarray, bound: Bound, n: int) -> float:
    """Fraction of :data:`SIMULATIONS` samples of ``n`` pilot values (``values [units]``, a
    worst point's ``[units, points]``: whole curves are drawn) decided either way."""
    rng = np.random.default_rng(POWER_SEED + n)
    decided = 0
    for _ in range(SIMULATIONS):
        sample = rng.choice(values, size=n, replace=True)
        pooled = pool_units(_like(estimate, sample))
        decided += bound.decide(pooled) in (Verdict.REPRODUCED, Verdict.NOT_REPRODUCED)
    return decided / SIMULATIONS


def units_needed(estimate: Mapping, values: np.ndarray, bound: Bound) -> int | None:
    """Smallest ``n`` in ``[2, MAX_UNITS]`` with :func:`part_power` >= 0.8 (None: none), by
    doubling then bisection (power grows with ``n`` up to simulation noise)."""
    low, high = 1, 2
    while part_power(estimate, values, bound, high) < TARGET_POWER:
        if high >= MAX_UNITS:
            return None
        low, high = high, min(2 * high, MAX_UNITS)
    while high - low > 1:
        mid = (low + high) // 2
        if part_power(estimate, values, bound, mid) >= TARGET_POWER:
            high = mid
        else:
            low = mid
    return high


def claim_need(chapter: str, runs: Sequence[Mapping], quick: Sequence[Mapping]) -> list[Need]:
    """A :class:`Need` per claim of the paper in the chapter's current runs ``runs``;
    ``quick``: the chapter's current quick runs, the pilot of last resort."""
    hours = np.mean([r["provenance"].get("wall_time_s", math.nan) for r in runs]) / 3600
    out = []
    for claim in runs[-1]["claims"]:
        if not claim["source"].startswith("paper"):
            continue
        versions = claim_versions(runs, claim["id"])
        out.append(_need(chapter, claim, versions, quick, hours))
    return out


def needs(root: Path, preset: str) -> list[Need]:
    """Every chapter's :func:`claim_need` from the archived runs of ``preset``."""
    archived, quick = load_archived(root, preset), load_archived(root, "quick")
    out = []
    for chapter, reports in archived.items():
        runs = current_runs(reports)
        if runs:
            out += claim_need(chapter, runs, current_runs(quick.get(chapter, [])))
    return out


def _need(chapter, claim, versions, quick, hours) -> Need:
    methods = {e["method"] for e in claim["estimates"].values()}
    method = ", ".join(sorted(methods)) or "-"
    if why := _not_pooled(claim, methods):
        return Need(chapter, claim["id"], method, "-", 0, 0, None, None, None, False, why)
    parts, pilots, notes = {}, set(), []
    for label, estimate in claim["estimates"].items():
        values, pilot, note = _pilot(label, claim["id"], versions, quick, estimate)
        pilots.add(pilot)
        notes += [note] if note else []
        nan = np.isnan(values).any(axis=tuple(range(1, values.ndim)))  # a unit, or its curve
        if nan.any():
            notes.append(f"{int(nan.sum())} NaN unit(s) left out of the pilot")
            values = values[~nan]
        needed = None
        if len(values) < 2:
            notes.append("fewer than 2 pilot units")
        else:
            notes += ["spread 0"] if np.ptp(values, axis=0).max() == 0 else []
            bound = Bound(*(float(x) for x in claim["bounds"][label]))
            needed = units_needed(estimate, values, bound)
            notes += [] if needed else [f"{label or 'the estimate'}: more than {MAX_UNITS} units"]
        parts[label] = (needed, len(values), Estimate.from_dict(estimate).units_per_run)
    per_run = min(p[2] for p in parts.values())
    units = None if any(p[0] is None for p in parts.values()) else max(p[0] for p in parts.values())
    runs = None if units is None else max(1, math.ceil(units / max(per_run, 1)))
    cost = None if runs is None else float(runs * hours / 2)
    reach = bool(units is not None and cost <= REACH_HOURS)
    pilot_units = min(p[1] for p in parts.values())
    return Need(
        chapter,
        claim["id"],
        method,
        " + ".join(sorted(pilots)),
        pilot_units,
        per_run,
        units,
        runs,
        cost,
        reach,
        "; ".join(dict.fromkeys(notes)),
    )


def _not_pooled(claim: Mapping, methods: set[str]) -> str:
    """Why a claim has no pooled statistic to size ('' when it has one)."""
    if not claim["estimates"]:
        return claim["verdict"]
    if not methods <= set(POOLED_METHODS):
        return f"{', '.join(sorted(methods - set(POOLED_METHODS)))}: not a pooled statistic"
    if not claim.get("bounds"):
        return "no tolerance recorded: a diagnostic decided the claim (" + claim["note"][:80] + ")"
    if claim.get("tolerance_from_run"):
        return "each run computes its own tolerance: not pooled"
    return ""


def _pilot(label: str, claim_id: str, versions, quick, like: Mapping):
    """The per-unit values of one part (``[units]``, a worst point's ``[units, points]``): the
    preset's runs, with the quick runs' too when the preset's give fewer than
    :data:`MIN_PILOT_UNITS`; the pilot's name; a note on curves left out ('' if none)."""
    values, left_out = _values(label, versions, like)
    pilot = f"{len(versions)} run(s)"
    if len(values) < MIN_PILOT_UNITS:
        extra, more = _values(label, claim_versions(quick, claim_id), like)
        values, pilot, left_out = (
            np.concatenate([values, extra]),
            pilot + " + quick",
            left_out + more,
        )
    note = f"{left_out} unit(s) against another reference curve left out" if left_out else ""
    return values, pilot, note


def _values(label: str, versions, like: Mapping) -> tuple[np.ndarray, int]:
    """The per-unit values of part ``label`` in ``versions``: ``[units]``; for a worst point
    (method of ``like``, the claim's estimate) the curves ``[units, points]`` of the versions
    whose reference curve is ``like``'s, and how many units had another."""
    parts = [c["estimates"][label] for c in versions if label in c["estimates"]]
    if like["method"] not in WORST_POINT_METHODS:
        return np.array([float(v) for e in parts for v in e.get("per_unit", [])]), 0
    reference = Estimate.from_dict(like).reference
    curves = [Estimate.from_dict(e) for e in parts]
    rows = [u for e in curves if same_reference(e.reference, reference) for u in e.per_unit]
    left_out = sum(len(e.per_unit) for e in curves) - len(rows)
    return np.array(rows, dtype=float).reshape(len(rows), len(reference)), left_out


def _like(estimate: Mapping, sample: np.ndarray) -> list[Estimate]:
    """Estimates of the same method (and reference curve) whose per-unit values are ``sample``
    (``[n]``, a worst point's curves ``[n, points]``): one, or one per run for a bootstrap
    whose runs pool (each run adds one value)."""
    censored_at = estimate.get("censored_at")
    like = Estimate(
        math.nan,
        -math.inf,
        math.inf,
        len(sample),
        estimate["method"],
        estimate["unit"],
        (),
        None if censored_at is None else float(censored_at),
        estimate.get("censored", ""),
        tuple(float(v) for v in estimate.get("reference", [])),
    )
    if like.method in RUN_POOLED_METHODS.values():
        return [replace(like, n=1, per_unit=(v,)) for v in sample]
    return [replace(like, per_unit=sample)]


def table(rows: Sequence[Need]) -> str:
    """The needs as a Markdown table, one row per claim."""
    lines = [
        "| chapter | claim | method | pilot (units) | units/run | units needed | runs | "
        "cost (h) | within reach | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cost = "-" if r.cost_h is None else f"{r.cost_h:.1f}"
        lines.append(
            f"| {r.chapter} | {r.claim} | {r.method} | {r.pilot} ({r.pilot_units}) | "
            f"{r.units_per_run} | {r.units or '-'} | {r.runs or '-'} | {cost} | "
            f"{'yes' if r.reach else 'no'} | {r.reason} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="book", choices=("quick", "book", "paper"))
    parser.add_argument("--root", type=Path, default=ROOT, help="the book whose results/ to read")
    args = parser.parse_args(argv)
    rows = needs(args.root, args.preset)
    print(table(rows))
    path = args.root / RESULTS_DIR / args.preset / POWER_FILE
    path.write_text(json.dumps([asdict(r) for r in rows], indent=1, ensure_ascii=False) + "\n")
    print(f"power: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
