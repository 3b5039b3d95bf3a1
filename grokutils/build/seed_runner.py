"""The seed-robustness runner: every chapter at one preset for several seed offsets.

Each (chapter, seed) run is a papermill execution of the chapter in its own kernel, several
at a time (one per core); its claims JSON, provenance stamp included, is archived as
``results/<preset>/<chapter>/seed-<k>.json`` (:mod:`grokutils.build.archive`) and its executed
notebook kept under ``_build/seeds/<preset>/``. The runner then writes
``results/<preset>/agreement.md``: per claim, the verdict at each seed and how many agree,
whether a claim of the quick set failed anywhere, and every flip between *reproduced* and
*not reproduced*; and ``results/<preset>/pooled.json``, every claim decided again on the units of
all current runs together (:mod:`grokutils.build.pooling`). Command line (``make seeds``)::

    python -m grokutils.build.seed_runner --preset quick --seeds 8 --first 101 --jobs 2
    python -m grokutils.build.seed_runner --preset book --seeds 3 --first 1 \
        --chapters 03_guess_and_check
    python -m grokutils.build.seed_runner --preset book --seeds 1 --first 0 --no-archive --reuse
    python -m grokutils.build.seed_runner --preset paper --seeds 1 --first 0 --dry-run

``--dry-run`` runs each chapter with ``-p dry_run true`` and archives its projection as
``results/<preset>/<chapter>/dry-run.json``; ``--device cuda`` passes ``-p device cuda`` (runs
on a GPU are archived as ``seed-<k>.cuda.json``, ``dry-run.cuda.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from grokutils.build import pooling
from grokutils.build.archive import (
    RESULTS_DIR,
    ROOT,
    archive_path,
    dry_run_path,
    independence_line,
    is_stale,
    load_archived,
    verdict_table,
)
from grokutils.core.claims import Verdict
from grokutils.core.device import DEVICES
from grokutils.core.dry_run import DRY_RUN_SUFFIX
from grokutils.core.fingerprint import chapter_package, code_fingerprint
from grokutils.core.params import PRESETS
from grokutils.core.provenance import chapter_fingerprint

CHAPTERS_DIR = ROOT / "chapters"


@dataclass(frozen=True)
class Run:
    """One finished execution: its archived report (None if the chapter crashed before its
    claims), its wall time and, for a crash, the error's last lines."""

    chapter: str
    seed: int
    report: Path | None
    seconds: float
    error: str = ""


def chapters_of_book(root: Path = ROOT) -> list[str]:
    """The chapter notebooks of the book, in file-name order (their stems)."""
    return sorted(p.stem for p in (root / "chapters").glob("*.ipynb"))


_FINGERPRINTING = threading.Lock()
"""The runner's threads fingerprint one at a time: CPython 3.11's ``ast.parse`` is not safe in
two threads at once ("AST constructor recursion depth mismatch", CPython gh-106905, seen once
in `make test` on 3.11.7)."""


def inputs_of(chapter: str, root: Path = ROOT) -> str:
    """What a run of ``chapter`` depends on: the grokutils code its kernel runs and the
    chapter's code cells and presets (the fingerprints of the provenance stamp)."""
    presets = root / "chapters" / "presets" / f"{chapter}.yaml"
    with _FINGERPRINTING:
        code = code_fingerprint(chapter_package(chapter))
    return f"{code} {chapter_fingerprint(chapter, presets)}"


def run_chapter(
    chapter: str,
    preset: str,
    seed: int,
    root: Path = ROOT,
    *,
    archive: bool = True,
    reuse: bool = False,
    dry_run: bool = False,
    device: str | None = None,
    archive_root: Path | None = None,
    timeout_s: float | None = None,
) -> Run:
    """Execute one chapter at ``preset`` and ``seed`` through papermill into
    ``_build/seeds/<preset>/<chapter>/seed-<seed>.ipynb`` and archive its claims (with
    ``dry_run``: its projection) in ``results/``, both under ``archive_root`` (default
    ``root``); ``archive=False`` keeps only the executed notebook. ``device`` given:
    ``-p device <device>``. A run past ``timeout_s`` seconds is stopped (no report). With
    ``reuse`` (and without ``archive``) an execution of the same inputs is kept."""
    name = ("dry-run" if dry_run else f"seed-{seed}") + (f".{device}" if device else "")
    executed = (archive_root or root) / "_build" / "seeds" / preset / chapter / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    inputs, stamp = inputs_of(chapter, root), executed.with_suffix(".inputs")
    if reuse and not archive and executed.is_file() and stamp.is_file():
        if stamp.read_text() == inputs:
            return Run(chapter, seed, executed, 0.0)
    papermill = Path(sys.executable).parent / "papermill"
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as claims_dir:
        env = {**os.environ, "GROKBOOK_CLAIMS_DIR": claims_dir, "TQDM_DISABLE": "1"}
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        command = [
            str(papermill),
            f"{chapter}.ipynb",
            str(executed),
            "-p",
            "preset",
            preset,
            "-p",
            "seed",
            str(seed),
            *(["-p", "dry_run", "true"] if dry_run else []),
            *(["-p", "device", device] if device else []),
            "--no-progress-bar",
        ]
        # its own process group: a timeout stops papermill and the kernel it started
        process = subprocess.Popen(
            command,
            cwd=root / "chapters",
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return Run(chapter, seed, None, time.monotonic() - start, f"timed out ({timeout_s} s)")
        seconds = time.monotonic() - start
        saved = Path(claims_dir) / f"{chapter}{DRY_RUN_SUFFIX if dry_run else '.json'}"
        if not saved.is_file():
            return Run(chapter, seed, None, seconds, _tail(stderr))
        stamp.write_text(inputs)
        if not archive:
            return Run(chapter, seed, executed, seconds)
        ran_on = json.loads(saved.read_text())["provenance"]["device"]
        into = archive_root or root
        target = (
            dry_run_path(into, preset, chapter, ran_on)
            if dry_run
            else archive_path(into, preset, chapter, seed, ran_on)
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target)
    # a failing quick claim raises after the report was saved: that run still counts
    return Run(chapter, seed, target, seconds)


def run_all(
    chapters: Sequence[str],
    preset: str,
    seeds: Sequence[int],
    jobs: int,
    root: Path = ROOT,
    *,
    archive: bool = True,
    reuse: bool = False,
    dry_run: bool = False,
    device: str | None = None,
) -> list[Run]:
    """Every chapter at every seed, ``jobs`` at a time, in chapter order."""
    order = [(c, s) for c in chapters for s in seeds]
    options = dict(archive=archive, reuse=reuse, dry_run=dry_run, device=device)
    runs = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(run_chapter, c, preset, s, root, **options): (c, s) for c, s in order
        }
        for future in as_completed(futures):
            run = future.result()
            status = "claims saved" if run.report else f"FAILED: {run.error.splitlines()[-1:]}"
            print(f"{run.chapter} seed {run.seed}: {run.seconds:.0f} s, {status}", flush=True)
            runs.append(run)
    return sorted(runs, key=lambda r: (r.chapter, r.seed))


def agreement_markdown(preset: str, root: Path = ROOT) -> str:
    """Per chapter and claim: the verdict at each archived seed and how many agree.

    Only the archived runs that ran the same code as the newest run of their chapter count;
    older ones are stale and listed as such.
    """
    short = {
        Verdict.REPRODUCED: "R",
        Verdict.NOT_REPRODUCED: "N",
        Verdict.INCONCLUSIVE: "I",
        Verdict.NOT_CHECKED: "-",
    }
    lines = [
        f"# Seed agreement at preset `{preset}`",
        "",
        "Written by `python -m grokutils.build.seed_runner` from the archived runs in this folder. "
        "R reproduced, N not reproduced, I inconclusive, - not checked at this preset; "
        "(q) a claim of the quick set (asserted in CI).",
        "",
    ]
    for chapter, reports in load_archived(root, preset).items():
        newest = max(reports, key=lambda r: (r.get("provenance") or {}).get("finished", ""))
        current = [r for r in reports if not is_stale(r, newest.get("provenance"))]
        seeds = [r["seed"] for r in current]
        stale = len(reports) - len(current)
        quick = {c["id"] for c in newest["claims"] if c.get("expected_at_quick")}
        table = verdict_table(current)
        lines += [f"## {chapter}", ""]
        lines.append(
            f"{len(current)} runs at seeds {', '.join(map(str, seeds))}"
            + (f"; {stale} stale run(s) not counted" if stale else "")
            + ". "
            + independence_line(current)
        )
        lines += [
            "",
            "| claim | "
            + " | ".join(f"seed {s}" for s in seeds)
            + " | agreement | quick set | R↔N flip |",
            "|---|" + "---|" * (len(seeds) + 3),
        ]
        quick_failed, flips = [], []
        for claim_id, by_seed in table.items():
            verdicts = [by_seed.get(s, "") for s in seeds]
            counts = Counter(v for v in verdicts if v)
            top, n = counts.most_common(1)[0] if counts else ("", 0)
            flip = Verdict.REPRODUCED in counts and Verdict.NOT_REPRODUCED in counts
            in_quick = claim_id in quick
            held = counts.get(Verdict.REPRODUCED, 0)
            if in_quick and held < len(seeds):
                quick_failed.append(claim_id)
            if flip:
                flips.append(claim_id)
            cells = [short.get(Verdict(v), "?") if v else "" for v in verdicts]
            lines.append(
                f"| {claim_id}{' (q)' if in_quick else ''} | "
                + " | ".join(cells)
                + f" | {n}/{len(seeds)} {top} | "
                + (f"{held}/{len(seeds)} reproduced" if in_quick else "")
                + f" | {'flip' if flip else ''} |"
            )
        lines += [
            "",
            f"Quick set: {len(quick)} claims; failed at some seed: "
            f"{', '.join(quick_failed) or 'none'}. "
            f"Flips between reproduced and not reproduced: {', '.join(flips) or 'none'}.",
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", required=True, choices=PRESETS)
    parser.add_argument("--seeds", type=int, default=8, help="how many seed offsets")
    parser.add_argument("--first", type=int, default=1, help="the first seed offset")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at a time")
    parser.add_argument("--chapters", nargs="*", help="chapter stems (default: every chapter)")
    parser.add_argument(
        "--no-archive",
        action="store_true",
        help="only execute (the book build renders these runs); archive nothing in results/",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --no-archive: keep an execution whose code and presets did not change",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="time a few steps of every experiment (-p dry_run true) and archive the projection",
    )
    parser.add_argument("--device", choices=DEVICES, help="-p device for every run")
    args = parser.parse_args(argv)
    known = chapters_of_book()
    chapters = args.chapters or known
    if unknown := sorted(set(chapters) - set(known)):
        parser.error(f"unknown chapter(s) {unknown}; the chapters are {known}")
    if args.seeds < 1 or args.first < 0 or args.jobs < 1:
        parser.error("--seeds and --jobs must be >= 1 and --first >= 0")
    seeds = list(range(args.first, args.first + args.seeds))
    print(
        f"{len(chapters)} chapter(s) × seeds {seeds} at preset {args.preset}, "
        f"{args.jobs} at a time",
        flush=True,
    )
    runs = run_all(
        chapters,
        args.preset,
        seeds,
        args.jobs,
        archive=not args.no_archive,
        reuse=args.reuse,
        dry_run=args.dry_run,
        device=args.device,
    )
    if not args.no_archive and not args.dry_run:
        summary = ROOT / RESULTS_DIR / args.preset / "agreement.md"
        summary.write_text(agreement_markdown(args.preset))
        print(f"agreement: {summary.relative_to(ROOT)}")
        print(f"pooled verdicts: {pooling.write(ROOT, args.preset).relative_to(ROOT)}")
    crashed = [f"{r.chapter} seed {r.seed}" for r in runs if r.report is None]
    if crashed:
        print("crashed before their claims: " + "; ".join(crashed), file=sys.stderr)
    print(
        json.dumps(
            {
                "runs": len(runs),
                "crashed": len(crashed),
                "seconds": round(sum(r.seconds for r in runs)),
            }
        )
    )
    return 1 if crashed else 0


def _tail(text: str, lines: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


if __name__ == "__main__":
    sys.exit(main())
