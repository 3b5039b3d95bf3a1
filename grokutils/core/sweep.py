"""Parameter grids through joblib, on one process, local processes or a Dask cluster, resumable.

:func:`run` evaluates ``fn(**point)`` for every point of a grid and returns the results in
grid order. Each finished point is written at once to an on-disk cache keyed by the function,
the point, the device and dtype policy, and a fingerprint of the code the function imports
(:func:`~grokutils.core.fingerprint.code_fingerprint`), so an interrupted sweep resumes where
it stopped and a change to the code never serves stale results. The cache lives on the calling
machine (results travel back from the workers), so Dask workers need no shared disk.

Batch inside ``fn`` (seeds, chains, candidates as tensor dimensions); use the grid only for
points that cannot share a tensor computation.
"""

from __future__ import annotations

import inspect
import itertools
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import joblib

from grokutils.core import device as devices
from grokutils.core.fingerprint import code_fingerprint
from grokutils.core.progress import progress

BACKENDS = ("serial", "processes", "dask")
CACHE_ENV = "GROKBOOK_CACHE_DIR"
"""Default cache folder of sweeps (else ``~/.cache/grokbook/sweeps``)."""
DASHBOARD_ENV = "GROKBOOK_DASK_DASHBOARD"
"""Address of the local Dask cluster's dashboard, e.g. ``:8787`` (needs ``bokeh``); unset: none.
A cluster given by ``scheduler`` has its own dashboard."""


def grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """The Cartesian product of named axes: ``grid(a=[1, 2], b=[3])`` ->
    ``[{'a': 1, 'b': 3}, {'a': 2, 'b': 3}]`` (last axis fastest)."""
    names = list(axes)
    values = [list(v) for v in axes.values()]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def run(
    fn: Callable[..., Any],
    points: Iterable[Mapping[str, Any]],
    *,
    backend: str = "serial",
    n_jobs: int = 2,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    cache: bool = True,
    desc: str = "sweep",
    device: str = "cpu",
) -> list[Any]:
    """``[fn(**point) for point in points]``, evaluated on ``backend``, cached on disk.

    backend: ``"serial"`` (this process), ``"processes"`` (``n_jobs`` local worker processes,
    loky) or ``"dask"`` (a ``dask.distributed`` client on ``scheduler``, an address such as
    ``"tcp://10.0.0.5:8786"``, or a ``LocalCluster`` of ``n_jobs`` single-threaded workers
    when ``scheduler`` is None). ``fn`` must be a module-level function of an importable
    module (workers import it; the cache keys on its name). Results are the same on every
    backend when ``fn`` is deterministic given its arguments (pass seeds in the points).
    ``device`` (``cpu`` or ``cuda``, the chapter's resolved ``p.device``) is where every call
    runs, in this process or a worker.
    """
    points = [dict(p) for p in points]
    _check_arguments(fn, backend, n_jobs, scheduler)
    device = devices.resolve(device)
    store = ResultCache(cache_dir, fn, device) if cache else None
    results: dict[int, Any] = {}
    todo = []
    for index, point in enumerate(points):
        if store is not None and store.has(point):
            results[index] = store.load(point)
        else:
            todo.append(index)
    if todo:
        with ExitStack() as stack:
            parallel = _parallel(backend, n_jobs, scheduler, stack)
            calls = (joblib.delayed(_indexed_call)(fn, i, points[i], device) for i in todo)
            bar = stack.enter_context(progress(total=len(points), initial=len(results), desc=desc))
            for index, value in parallel(calls):
                if store is not None:
                    store.save(points[index], value)
                results[index] = value
                bar.update()
    return [results[i] for i in range(len(points))]


def where(p) -> dict[str, Any]:
    """The keyword arguments of :func:`run` that say where a chapter's points run: its
    ``backend``, ``scheduler`` and resolved ``device`` (``p``: the chapter's parameters)."""
    return {"backend": p.backend, "scheduler": p.scheduler, "device": p.device}


class ResultCache:
    """One file per (function, point, device and dtype policy, package source) in
    ``cache_dir/<module.function>/``."""

    def __init__(self, cache_dir: str | Path | None, fn: Callable[..., Any], device: str = "cpu"):
        root = cache_dir or os.environ.get(CACHE_ENV) or Path.home() / ".cache/grokbook/sweeps"
        self.name = f"{fn.__module__}.{fn.__qualname__}"
        self.folder = Path(root) / self.name
        self.fingerprint = code_fingerprint(fn.__module__, inspect.getsourcefile(fn))
        self.device = (device, devices.DTYPE_POLICY, devices.TF32)

    def path(self, point: Mapping[str, Any]) -> Path:
        key = joblib.hash((self.name, sorted(point.items()), self.device, self.fingerprint))
        return self.folder / f"{key}.pkl"

    def has(self, point: Mapping[str, Any]) -> bool:
        return self.path(point).is_file()

    def load(self, point: Mapping[str, Any]) -> Any:
        return joblib.load(self.path(point))

    def save(self, point: Mapping[str, Any], value: Any) -> None:
        path = self.path(point)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        joblib.dump(value, partial)
        partial.replace(path)  # atomic: an interrupted write leaves no truncated entry


def _indexed_call(
    fn: Callable[..., Any], index: int, point: Mapping[str, Any], device: str
) -> tuple[int, Any]:
    with devices.using(device):
        return index, fn(**point)


def _check_arguments(fn: Callable[..., Any], backend: str, n_jobs: int, scheduler: str | None):
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive int; got {n_jobs!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler is only used by backend 'dask'; got backend {backend!r}")
    if fn.__module__ == "__main__" or "<" in fn.__qualname__:
        raise ValueError(
            f"fn must be a module-level function of an importable module, got {fn.__qualname__} "
            f"from {fn.__module__}: move it into grokutils so workers and the cache can find it"
        )


def _parallel(backend: str, n_jobs: int, scheduler: str | None, stack: ExitStack):
    if backend == "serial":
        return joblib.Parallel(n_jobs=1, return_as="generator_unordered")
    if backend == "processes":
        return joblib.Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    from distributed import Client, LocalCluster

    if scheduler is None:
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=n_jobs,
                threads_per_worker=1,
                dashboard_address=os.environ.get(DASHBOARD_ENV),
            )
        )
    # joblib's dask backend uses the client entered last
    stack.enter_context(Client(cluster if scheduler is None else scheduler))
    stack.enter_context(joblib.parallel_config(backend="dask", wait_for_workers_timeout=60))
    return joblib.Parallel(return_as="generator_unordered")
