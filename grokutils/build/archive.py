"""Archived runs: claims reports of runs the build cannot afford, kept in ``results/``.

The seed runner (:mod:`grokutils.build.seed_runner`) writes each run's claims JSON, provenance
stamp included, to ``results/<preset>/<chapter>/seed-<k>.json`` (``seed-<k>.cuda.json`` for a
run on a GPU) and each dry run's projection to ``results/<preset>/<chapter>/dry-run.json``
(``dry-run.cuda.json``); nothing else writes there.
The scorecard shows, beside each claim's verdict in the build, how the archived runs of the
same preset decided it, and marks an archived run *stale* when its stamp's code or chapter
fingerprint differs from the build's (the code that made it is not the code of the book).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

RESULTS_DIR = "results"
ROOT = Path(__file__).resolve().parents[2]
"""The book's root: the checkout grokutils is imported from."""
"""Folder of the archived runs, relative to the book's root."""


def archive_path(root: Path, preset: str, chapter: str, seed: int, device: str = "cpu") -> Path:
    suffix = "" if device == "cpu" else f".{device}"
    return Path(root) / RESULTS_DIR / preset / chapter / f"seed-{seed}{suffix}.json"


def dry_run_path(root: Path, preset: str, chapter: str, device: str = "cpu") -> Path:
    suffix = "" if device == "cpu" else f".{device}"
    return Path(root) / RESULTS_DIR / preset / chapter / f"dry-run{suffix}.json"


def load_projections(root: Path, preset: str) -> dict[str, list[dict]]:
    """Archived dry runs of ``preset`` by chapter: ``{chapter: [projection, ...]}``."""
    folder = Path(root) / RESULTS_DIR / preset
    projections: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*/dry-run*.json")):
        projections.setdefault(path.parent.name, []).append(json.loads(path.read_text()))
    return projections


def paper_scale(
    runs: Iterable[Mapping], projections: Iterable[Mapping], claim_id: str, current: Mapping | None
) -> str:
    """What the scorecard's "paper scale" column says of one claim: the verdict of each
    archived run at the ``paper`` preset with its hardware and date (``stale`` when it ran
    other code than the build), else the projected wall time of each archived dry run and the
    hardware it was measured on, else ``not run``."""
    parts = []
    for run in runs:
        verdict = _verdict_of(run, claim_id) or "not reported"
        stamp = run.get("provenance") or {}
        where = stamp.get("gpu") or stamp.get("cpu") or "?"
        stale = ", stale" if is_stale(run, current) else ""
        parts.append(
            f"{verdict} (seed {run.get('seed')}, {where}, {stamp.get('finished', '?')[:10]}{stale})"
        )
    if parts:
        return "; ".join(parts)
    for projection in projections:
        stamp = projection.get("provenance") or {}
        where = stamp.get("gpu") or stamp.get("cpu") or "?"
        hours = projection["projected_s"] / 3600
        stale = ", stale" if is_stale(projection, current) else ""
        parts.append(
            f"not run: projected {hours:.1f} h on {where}{stale} "
            f"(peak {projection['peak_rss_mib'] / 1024:.1f} GiB)"
        )
    return "; ".join(parts) or "not run"


def load_archived(root: Path, preset: str) -> dict[str, list[dict]]:
    """Archived reports of ``preset`` by chapter, in seed order: ``{chapter: [report, ...]}``."""
    folder = Path(root) / RESULTS_DIR / preset
    reports: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*/seed-*.json"), key=_seed_order):
        reports.setdefault(path.parent.name, []).append(json.loads(path.read_text()))
    return reports


def is_stale(archived: Mapping, current_stamp: Mapping | None) -> bool:
    """An archived run is stale when it ran other code than the build: another fingerprint of
    the grokutils code its chapter runs, another chapter fingerprint (cells or presets), or no
    stamp at all."""
    stamp = archived.get("provenance") or {}
    if not stamp or not current_stamp:
        return True
    return any(stamp.get(key) != current_stamp.get(key) for key in ("code", "chapter"))


@dataclass(frozen=True)
class Agreement:
    """How the archived runs decided one claim: verdict counts among the current (not stale)
    runs, the seeds they ran at, and how many stale runs were set aside."""

    counts: Mapping[str, int]
    seeds: tuple[int, ...]
    stale: int

    @property
    def runs(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        if not self.runs:
            return f"{self.stale} stale" if self.stale else "none archived"
        parts = [f"{n}/{self.runs} {verdict}" for verdict, n in _by_count(self.counts)]
        text = ", ".join(parts)
        return text + (f" (+{self.stale} stale)" if self.stale else "")


def agreement(archived: Iterable[Mapping], current: Mapping) -> dict[str, Agreement]:
    """Per claim of the ``current`` report, the agreement of the ``archived`` reports at other
    seeds (an archived run at the current report's own seed is that run again: not counted)."""
    fresh, stale = [], 0
    for report in archived:
        if report.get("seed") == current.get("seed"):
            continue
        if is_stale(report, current.get("provenance")):
            stale += 1
        else:
            fresh.append(report)
    result = {}
    for claim in current["claims"]:
        verdicts = [_verdict_of(r, claim["id"]) for r in fresh]
        counts = Counter(v for v in verdicts if v is not None)
        seeds = tuple(r.get("seed", -1) for r, v in zip(fresh, verdicts, strict=True) if v)
        result[claim["id"]] = Agreement(dict(counts), seeds, stale)
    return result


def shared_unit_seeds(reports: Iterable[Mapping]) -> dict[tuple[int, int], int]:
    """For every pair of archived runs (by seed offset) whose units share seeds, how many they
    share: ``{(offset_a, offset_b): n}``, empty when the runs are independent. Runs without a
    ``unit_seeds`` record (made before the seed convention) are left out."""
    units = {
        r["seed"]: {s for seeds in r["unit_seeds"].values() for s in seeds}
        for r in reports
        if r.get("unit_seeds")
    }
    offsets = sorted(units)
    return {
        (a, b): len(units[a] & units[b])
        for i, a in enumerate(offsets)
        for b in offsets[i + 1 :]
        if units[a] & units[b]
    }


def independence_line(reports: list[Mapping]) -> str:
    """One sentence on whether the runs' units are independent, from their ``unit_seeds``."""
    recorded = [r for r in reports if r.get("unit_seeds")]
    if not recorded:
        return "Independence of the runs' units: not recorded (runs before the seed convention)."
    if len(reports) == 1:
        return "Independence: one run, nothing to compare."
    shared = shared_unit_seeds(recorded)
    unknown = len(reports) - len(recorded)
    tail = f"; {unknown} run(s) without a record" if unknown else ""
    if not shared:
        return f"Independence: the {len(recorded)} recorded runs share no unit seed{tail}."
    pairs = ", ".join(f"{a} and {b} share {n}" for (a, b), n in shared.items())
    return f"Independence: NOT independent, runs at offsets {pairs} unit seed(s){tail}."


def verdict_table(reports: Iterable[Mapping]) -> dict[str, dict[int, str]]:
    """``{claim id: {seed: verdict}}`` over the reports of one chapter (for the runner)."""
    table: dict[str, dict[int, str]] = {}
    for report in reports:
        for claim in report["claims"]:
            table.setdefault(claim["id"], {})[report["seed"]] = claim["verdict"]
    return table


def claim_of(report: Mapping, claim_id: str) -> Mapping | None:
    """The claim ``claim_id`` of an archived report (its claims JSON entry), None if absent."""
    return next((c for c in report["claims"] if c["id"] == claim_id), None)


def claim_versions(reports: Iterable[Mapping], claim_id: str) -> list[Mapping]:
    """The claim ``claim_id`` as each of ``reports`` decided it (reports without it left out)."""
    return [c for r in reports if (c := claim_of(r, claim_id)) is not None]


def _verdict_of(report: Mapping, claim_id: str) -> str | None:
    claim = claim_of(report, claim_id)
    return None if claim is None else claim["verdict"]


def _by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _seed_order(path: Path) -> tuple[str, int, str]:
    seed, _, device = path.stem.removeprefix("seed-").partition(".")
    return path.parent.name, int(seed), device
