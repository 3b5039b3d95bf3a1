"""Dry runs: what a chapter costs at a preset's sizes, measured on a few steps of each experiment.

``-p dry_run true`` makes a chapter's start-up call (:meth:`.experiment.Registry.start`) run
:func:`run`: every experiment the chapter declares in its ``experiments.py`` (a
:class:`~grokutils.core.experiment.Registry`) is called, the same function the notebook calls,
at the preset's sizes for a few steps (:func:`probes` turns each into a :class:`Probe`); the
table printed says, per experiment, its sizes, its steps, the measured seconds per step, the
projected wall time of the full experiment and the peak memory of the process while it ran.
Then every later cell of the notebook is skipped: the claims are not checked (a dry run
measures cost, not results), and no claims JSON is written. The projection is saved as
``<chapter>.dry_run.json`` (provenance stamp included) in the claims folder, where the seed
runner archives it and the scorecard shows it for presets never run in full.

The time model of one experiment is ``repeats × (overhead + per_step × steps)`` split over
``workers`` processes, with ``per_step`` and ``overhead`` fitted to runs of ``few`` and
``2 few`` steps after a warm-up run of ``few`` steps. An experiment that stops at convergence is
projected at its step limit (an upper bound).
"""

from __future__ import annotations

import json
import math
import os
import resource
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from grokutils.core.experiment import Experiment, Registry, Sweep
from grokutils.core.params import Params
from grokutils.core.report import CLAIMS_DIR_ENV

DRY_RUN_SUFFIX = ".dry_run.json"


@dataclass(frozen=True)
class Probe:
    """One experiment of a chapter, as the dry run times it.

    name: what the chapter calls it (``"Fig. 2 headline"``). sizes: what sets its cost, as
    text (``"D=100, P=300, 8 seeds × 9 α"``). steps: steps of one full run at the preset.
    run: ``run(k)`` runs the experiment at the preset's sizes for ``k`` steps in place of
    ``steps``. repeats: full runs the experiment makes that cannot share a tensor (sweep points).
    workers: processes those repeats are spread over (the preset's backend). few: the ``k``
    of the timed runs. scales: False for an experiment whose cost has no step count to cut
    (or that cannot run on fewer): it is timed once in full, ``run(steps)``, and that time is
    its projection per repeat.
    """

    name: str
    sizes: str
    steps: int
    run: Callable[[int], Any]
    repeats: int = 1
    workers: int = 1
    few: int = 3
    scales: bool = True

    def __post_init__(self):
        for field in ("steps", "repeats", "workers", "few"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                name = self.name
                raise ValueError(f"Probe {name!r}: {field} must be a positive int, got {value!r}")


def sweep_workers(p: Params) -> int:
    """How many sweep points a chapter runs at once at ``p``: ``sweep.run``'s default two
    worker processes with the ``processes`` backend, else one (serial, or a Dask cluster of
    unknown size)."""
    return 2 if p.backend == "processes" else 1


@dataclass(frozen=True)
class Projection:
    """A probe's measurement: seconds per step and per run, projected wall seconds of the
    whole experiment, and the peak memory (MiB) of the process (and of the GPU) while it ran."""

    name: str
    sizes: str
    steps: int
    repeats: int
    workers: int
    seconds_per_step: float
    overhead_s: float
    projected_s: float
    peak_rss_mib: float
    peak_gpu_mib: float | None
    measured_s: float


def measure(probe: Probe, device: str = "cpu") -> Projection:
    """Time ``probe`` at ``few`` and ``2 few`` steps (after a warm-up of ``few``) and project."""
    start = time.perf_counter()
    with _PeakMemory(device) as memory:
        if probe.scales:
            probe.run(probe.few)  # warm-up: first-call costs (allocations, caches) stay out
            t_few = _timed(probe.run, probe.few, device)
            t_twice = _timed(probe.run, 2 * probe.few, device)
        else:
            t_full = _timed(probe.run, probe.steps, device)
    if probe.scales:
        per_step = (t_twice - t_few) / probe.few
        if per_step <= 0:  # timing noise above the steps' cost: charge all time to the steps
            per_step = t_twice / (2 * probe.few)
        overhead = max(t_few - per_step * probe.few, 0.0)
    else:
        per_step, overhead = t_full / probe.steps, 0.0
    rounds = math.ceil(probe.repeats / probe.workers)
    return Projection(
        name=probe.name,
        sizes=probe.sizes,
        steps=probe.steps,
        repeats=probe.repeats,
        workers=probe.workers,
        seconds_per_step=per_step,
        overhead_s=overhead,
        projected_s=rounds * (overhead + per_step * probe.steps),
        peak_rss_mib=memory.rss_mib,
        peak_gpu_mib=memory.gpu_mib,
        measured_s=time.perf_counter() - start,
    )


def table(projections: Sequence[Projection]) -> pd.DataFrame:
    """The printed table: one row per experiment and a total row."""
    rows = [
        {
            "experiment": r.name,
            "sizes": r.sizes,
            "steps": str(r.steps),
            "runs / workers": f"{r.repeats} / {r.workers}",
            "ms / step": f"{1e3 * r.seconds_per_step:.3g}",
            "projected": format_seconds(r.projected_s),
            "peak RSS (MiB)": f"{r.peak_rss_mib:.0f}",
            **({"peak GPU (MiB)": f"{r.peak_gpu_mib:.0f}"} if r.peak_gpu_mib is not None else {}),
        }
        for r in projections
    ]
    total = {"experiment": "total", "projected": format_seconds(total_seconds(projections))}
    total["peak RSS (MiB)"] = f"{max(r.peak_rss_mib for r in projections):.0f}"
    return pd.DataFrame([*rows, total]).fillna("")


def total_seconds(projections: Sequence[Projection]) -> float:
    """Projected wall seconds of the whole chapter (its experiments run one after another)."""
    return float(sum(r.projected_s for r in projections))


def format_seconds(seconds: float) -> str:
    """``"42 s"``, ``"12 min"``, ``"3.4 h"``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def probes(p: Params, experiments: Registry) -> list[Probe]:
    """One probe per experiment (per kind of point, for a sweep), in the chapter's order. A
    probe's calls store their result, so that an experiment that needs an earlier one gets that
    one's last dry-run result (measure the probes in order)."""
    results: dict[str, Any] = {}
    out: list[Probe] = []
    for experiment in experiments:
        if isinstance(experiment, Sweep):
            out += _sweep_probes(p, experiment)
        else:
            out.append(_probe(p, experiment, results))
    return out


def _probe(p: Params, experiment: Experiment, results: dict[str, Any]) -> Probe:
    def run(k: int) -> Any:
        upstream = [results[key] for key in experiment.needs]
        at_k = experiment.at_steps(p, k) if experiment.scales else p
        results[experiment.key] = experiment(at_k, *upstream)
        return results[experiment.key]

    return Probe(
        experiment.name,
        experiment.sizes(p),
        experiment.full_steps(p),
        run,
        few=experiment.few_steps(p),
        scales=experiment.scales,
    )


def _sweep_probes(p: Params, experiment: Sweep) -> list[Probe]:
    kinds = experiment.representatives(p)
    probes = []
    for kind, point, repeats in kinds:
        name = experiment.name + (f" ({kind})" if len(kinds) > 1 else "")

        def run(k: int, point=point) -> Any:
            return experiment.run_points(p, [experiment.cut(point, k, p)])

        probes.append(
            Probe(
                name,
                experiment.sizes(p),
                experiment.point_steps(point),
                run,
                repeats=repeats,
                workers=sweep_workers(p),
                few=experiment.few_steps(p),
                scales=experiment.steps is not None,
            )
        )
    return probes


def run(p: Params, experiments: Registry) -> None:
    """A chapter's dry run: nothing unless ``p.dry_run``; else measure every experiment of
    ``experiments`` on ``p.device``, print the table, save the projection and skip the
    notebook's later cells."""
    if not p.dry_run:
        return
    from grokutils.core.provenance import stamp

    device = p.device
    started = time.perf_counter()
    projections = [measure(probe, device) for probe in probes(p, experiments)]
    print(f"Dry run of {p.chapter} at preset {p.preset!r} on {device}:")
    print(table(projections).to_string(index=False))
    print(
        f"Projected wall time {format_seconds(total_seconds(projections))} "
        "(claims not checked: dry run; the remaining cells are skipped)"
    )
    report = {
        "chapter": p.chapter,
        "preset": p.preset,
        "projected_s": total_seconds(projections),
        "peak_rss_mib": max(r.peak_rss_mib for r in projections),
        "experiments": [asdict(r) for r in projections],
        "provenance": stamp(p, wall_time_s=time.perf_counter() - started),
    }
    save(report)
    skip_remaining_cells()


def save(report: dict, directory: str | Path | None = None) -> Path:
    """Write a dry-run report to ``directory`` (default: the claims folder,
    ``$GROKBOOK_CLAIMS_DIR`` or ``_claims``)."""
    folder = Path(directory or os.environ.get(CLAIMS_DIR_ENV) or "_claims")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report['chapter']}{DRY_RUN_SUFFIX}"
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path


def skip_remaining_cells() -> None:
    """Replace the code of every later cell of this IPython kernel with a comment."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.input_transformers_post.append(lambda lines: ["# skipped: dry run\n"])


def _timed(fn: Callable[[int], Any], steps: int, device: str) -> float:
    start = time.perf_counter()
    fn(steps)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


class _PeakMemory:
    """The largest resident set size (MiB) of this process while the block runs, sampled every
    10 ms from ``/proc/self/statm`` (else the process's lifetime peak); on CUDA also the
    peak allocated GPU memory."""

    def __init__(self, device: str):
        self.device = device
        self.rss_mib = 0.0
        self.gpu_mib: float | None = None
        self._stop = threading.Event()

    def __enter__(self):
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._read()
        if self.device == "cuda":
            self.gpu_mib = torch.cuda.max_memory_allocated() / 2**20
        return False

    def _sample(self):
        while not self._stop.wait(0.01):
            self._read()

    def _read(self):
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            rss = pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        except OSError:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
        self.rss_mib = max(self.rss_mib, rss)
