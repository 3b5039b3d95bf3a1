"""The GPU check: every chapter at quick on the GPU against the CPU, then paper runs in a budget.

Run it through ``benchmarks/gpu_check.sh OUT BUDGET_MIN [DEVICE]`` on a machine with a CUDA GPU
(``DEVICE`` cpu tests the script itself on any machine). It

1. records the machine (``machine.json``: torch, CUDA, GPU, CPU);
2. runs every chapter at ``quick`` and seed ``--seed`` on ``DEVICE`` and on the CPU (the CPU
   runs several at a time, the device runs one at a time), and writes ``quick.md``: per claim
   the CPU and the device verdict and whether they agree (numbers differ in the last digits
   between devices; a verdict should not);
3. runs the ``paper`` preset of as many chapters as fit in what is left of ``BUDGET_MIN``
   minutes, the ones with the shortest projected time (``results/paper/*/dry-run.json``) first,
   each stopped when the budget runs out; a finished run's claims are archived under
   ``OUT/device/results/paper/<chapter>/`` (``seed-<k>.cuda.json`` on a GPU; copy them into
   the repository's ``results/paper/<chapter>/`` to put them in the scorecard) and listed in
   ``paper.md``; the executed notebooks are under ``OUT/reference/_build`` and
   ``OUT/device/_build``;
4. writes ``summary.json`` with every figure above.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from grokutils.build.archive import load_projections
from grokutils.build.seed_runner import ROOT, Run, chapters_of_book, run_chapter
from grokutils.core import device as devices

MIN_PAPER_BUDGET_S = 60


def machine(device: str) -> dict:
    """What the check ran on."""
    return {
        "device": devices.describe(device),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "host": platform.node(),
    }


def compare(cpu: dict, other: dict) -> list[dict]:
    """Per claim of two reports of one chapter: both verdicts and displayed values."""
    theirs = {c["id"]: c for c in other["claims"]}
    rows = []
    for claim in cpu["claims"]:
        match = theirs.get(claim["id"], {})
        rows.append(
            {
                "claim": claim["id"],
                "cpu": claim["verdict"],
                "device": match.get("verdict", "missing"),
                "agree": match.get("verdict") == claim["verdict"],
                "cpu measured": claim["measured"],
                "device measured": match.get("measured", ""),
            }
        )
    return rows


def quick_check(chapters, device: str, seed: int, out: Path, cpu_jobs: int) -> dict:
    """Every chapter at quick on the CPU (``cpu_jobs`` at a time, beside: ``out/reference``)
    and on ``device``, one at a time (``out/device``)."""
    with ThreadPoolExecutor(max_workers=cpu_jobs) as pool:
        cpu_runs = [
            pool.submit(run_chapter, c, "quick", seed, device="cpu", archive_root=out / "reference")
            for c in chapters
        ]
        device_runs = [
            run_chapter(c, "quick", seed, device=device, archive_root=out / "device")
            for c in chapters
        ]
        cpu_runs = [f.result() for f in cpu_runs]
    result = {}
    for cpu_run, device_run in zip(cpu_runs, device_runs, strict=True):
        entry = {"cpu_s": round(cpu_run.seconds, 1), "device_s": round(device_run.seconds, 1)}
        if cpu_run.report and device_run.report:
            rows = compare(_read(cpu_run), _read(device_run))
            entry |= {"claims": rows, "disagree": [r["claim"] for r in rows if not r["agree"]]}
        else:
            entry["error"] = cpu_run.error or device_run.error
        result[cpu_run.chapter] = entry
    return result


def paper_runs(chapters, device: str, seed: int, out: Path, deadline: float) -> dict:
    """The paper preset of the chapters, shortest projection first, while the budget lasts."""
    projected = {
        c: min((p["projected_s"] for p in ps), default=float("inf"))
        for c, ps in load_projections(ROOT, "paper").items()
    }
    result = {}
    for chapter in sorted(chapters, key=lambda c: projected.get(c, float("inf"))):
        left = deadline - time.monotonic()
        if left < MIN_PAPER_BUDGET_S:
            result[chapter] = {"status": "not started: budget spent"}
            continue
        into = out / "device"
        run = run_chapter(chapter, "paper", seed, device=device, archive_root=into, timeout_s=left)
        status = f"archived {run.report.relative_to(into)}" if run.report else run.error
        result[chapter] = {
            "status": status,
            "seconds": round(run.seconds, 1),
            "projected_cpu_s": projected.get(chapter),
        }
    return result


def markdown_quick(quick: dict) -> str:
    lines = [
        "| chapter | claim | CPU | device | agree | CPU measured | device measured |",
        "|---|---|---|---|---|---|---|",
    ]
    for chapter, entry in quick.items():
        if "error" in entry:
            lines.append(f"| {chapter} | (run failed: {entry['error']}) | | | | | |")
        for r in entry.get("claims", []):
            agree = "yes" if r["agree"] else "**no**"
            cells = [chapter, r["claim"], r["cpu"], r["device"], agree]
            cells += [r["cpu measured"], r["device measured"]]
            lines.append("| " + " | ".join(str(c).replace("|", r"\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_paper(paper: dict) -> str:
    lines = ["| chapter | status | wall (s) | CPU projection (s) |", "|---|---|---|---|"]
    for chapter, e in paper.items():
        lines.append(
            f"| {chapter} | {e['status']} | {e.get('seconds', '')} | "
            f"{e.get('projected_cpu_s', '')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for everything the check measures")
    parser.add_argument("budget_min", type=float, help="minutes in all, paper runs included")
    parser.add_argument("--device", default="cuda", choices=devices.DEVICES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chapters", nargs="*", help="chapter stems (default: every chapter)")
    parser.add_argument("--cpu-jobs", type=int, default=max(1, min(6, (os.cpu_count() or 2) // 2)))
    args = parser.parse_args(argv)
    if args.budget_min < 0:
        parser.error(f"budget_min must be >= 0; got {args.budget_min}")
    device = devices.resolve(args.device)  # fails here, before any run, without a GPU
    deadline = time.monotonic() + 60 * args.budget_min
    chapters = args.chapters or chapters_of_book()
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"machine": machine(device), "seed": args.seed, "budget_min": args.budget_min}
    summary["quick"] = quick_check(chapters, device, args.seed, args.out, args.cpu_jobs)
    (args.out / "quick.md").write_text(markdown_quick(summary["quick"]))
    summary["paper"] = paper_runs(chapters, device, args.seed, args.out, deadline)
    (args.out / "paper.md").write_text(markdown_paper(summary["paper"]))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (args.out / "machine.json").write_text(json.dumps(summary["machine"], indent=1) + "\n")
    failed = [c for c, e in summary["quick"].items() if "error" in e or e["disagree"]]
    print(f"quick: {len(chapters) - len(failed)}/{len(chapters)} chapters agree; see {args.out}")
    return 1 if failed else 0


def _read(run: Run) -> dict:
    return json.loads(Path(run.report).read_text())


if __name__ == "__main__":
    sys.exit(main())
