"""The one record every training loop and sampler of the book returns.

A :class:`Trajectory` holds the steps at which a batch of runs was measured and one series per
measured quantity. The recording convention, for every loop:

* ``steps [T]`` are integers; the record at ``steps[k] = t`` measures the parameters *before
  the (t+1)-th update*, i.e. after ``t`` updates (``t = 0`` is the initialisation);
* every series is ``float64 [runs, T]`` (runs first, time last);
* a threshold that a run never crosses has crossing time ``inf`` (never NaN).

Loops build it with a :class:`Recorder`::

    rec = Recorder(record_steps(steps, 100))
    for t in range(steps + 1):
        if rec.due(t):
            rec.add(t, train_loss=loss, test_loss=test)   # [runs] tensors or arrays
        if t == steps:
            break
        ...  # update t + 1
    return rec.trajectory(runs=table)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from grokutils.core.crossings import first_crossing


def record_steps(steps: int, n: int) -> np.ndarray:
    """About ``n`` log-spaced integer steps in ``[0, steps]``, 0 and ``steps`` included."""
    if steps < 1 or n < 2:
        raise ValueError(f"steps >= 1 and n >= 2 required; got steps={steps}, n={n}")
    grid = np.unique(np.round(np.geomspace(1, steps, n - 1)).astype(int))
    return np.concatenate([[0], grid])


@dataclass(frozen=True)
class Trajectory:
    """Series ``[runs, T]`` measured at ``steps [T]`` (after ``steps[k]`` updates).

    ``runs``: optional table with one row per run (its settings: seed, learning rate, ...);
    ``final``: per-run quantities that are not along time (final weights, steps taken, ...).
    Series are attributes: ``traj.train_loss`` is ``traj.series["train_loss"]``.
    """

    steps: np.ndarray
    series: Mapping[str, np.ndarray]
    runs: pd.DataFrame | None = None
    final: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        steps = np.asarray(self.steps)
        if steps.ndim != 1 or (np.diff(steps) <= 0).any():
            raise ValueError(f"steps must be increasing [T]; got {steps}")
        object.__setattr__(self, "steps", steps)
        series = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in self.series.items()}
        for name, values in series.items():
            if values.ndim != 2 or values.shape[1] != len(steps):
                raise ValueError(
                    f"series {name!r} must be [runs, {len(steps)}]; got {values.shape}"
                )
        if len({v.shape[0] for v in series.values()}) > 1:
            shapes = {k: v.shape for k, v in series.items()}
            raise ValueError(f"every series needs the same number of runs; got {shapes}")
        if self.runs is not None and series and len(self.runs) != self.n_runs_of(series):
            raise ValueError(f"runs has {len(self.runs)} rows for {self.n_runs_of(series)} runs")
        object.__setattr__(self, "series", series)

    @staticmethod
    def n_runs_of(series: Mapping[str, np.ndarray]) -> int:
        return next(iter(series.values())).shape[0] if series else 0

    @property
    def n_runs(self) -> int:
        return self.n_runs_of(self.series)

    def __getattr__(self, name: str) -> np.ndarray:
        series = self.__dict__.get("series", {})
        if name in series:
            return series[name]
        raise AttributeError(f"Trajectory has no series {name!r}; it has {sorted(series)}")

    def __getitem__(self, name: str) -> np.ndarray:
        return self.series[name]

    def last(self, name: str) -> np.ndarray:
        """``[runs]``: the series' last record."""
        return self.series[name][:, -1]

    def first_crossing(self, name: str, threshold) -> np.ndarray:
        """``[runs]``: first recorded step at which ``name`` is strictly below ``threshold``
        (a loss crossing a threshold); ``inf`` for a run that never gets there. ``threshold``:
        a scalar or ``[runs]``."""
        return first_crossing(self.steps, self.series[name], threshold)

    def first_reaching(self, name: str, level) -> np.ndarray:
        """``[runs]``: first recorded step at which ``name`` is ``>= level`` (an accuracy
        reaching 100 %: the level itself counts); ``inf`` for a run that never gets there."""
        hit = self.series[name] >= np.reshape(level, (-1, 1))
        return np.where(hit.any(1), self.steps[hit.argmax(1)].astype(float), np.inf)

    def select(self, which) -> Trajectory:
        """The runs ``which`` (a boolean mask or indices ``[runs']``) of this trajectory."""
        index = np.arange(self.n_runs)[np.asarray(which)]
        runs = None if self.runs is None else self.runs.iloc[index].reset_index(drop=True)
        final = {k: _take(v, index) for k, v in self.final.items()}
        return Trajectory(self.steps, {k: v[index] for k, v in self.series.items()}, runs, final)

    @classmethod
    def concat(cls, parts: Sequence[Trajectory]) -> Trajectory:
        """The runs of ``parts`` (same steps and series) stacked in order."""
        if not parts:
            raise ValueError("concat needs at least one trajectory")
        steps = parts[0].steps
        if any(not np.array_equal(p.steps, steps) for p in parts):
            raise ValueError("concat needs the same steps in every part")
        series = {k: np.concatenate([p.series[k] for p in parts]) for k in parts[0].series}
        runs = None
        if all(p.runs is not None for p in parts):
            runs = pd.concat([p.runs for p in parts], ignore_index=True)
        final = {k: _concat([p.final[k] for p in parts]) for k in parts[0].final}
        return cls(steps, series, runs, final)


class Recorder:
    """Collects ``[runs]`` measurements at the planned steps ``at [T]`` of a loop."""

    def __init__(self, at: Sequence[int] | np.ndarray):
        self.at = np.asarray(at, dtype=int)
        self.steps: list[int] = []
        self.rows: dict[str, list[np.ndarray]] = {}

    def due(self, t: int) -> bool:
        """Whether step ``t`` is the next planned record."""
        return len(self.steps) < len(self.at) and t == self.at[len(self.steps)]

    def add(self, t: int, **values) -> None:
        """Record ``values`` (each ``[runs]``: tensors, arrays or scalars) at step ``t``."""
        if self.steps and t <= self.steps[-1]:
            raise ValueError(f"records must come at increasing steps; got {t} after {self.steps}")
        self.steps.append(int(t))
        for name, value in values.items():
            self.rows.setdefault(name, []).append(_to_numpy(value))

    def trajectory(self, runs: pd.DataFrame | None = None, **final) -> Trajectory:
        """The records so far (a loop that stops early returns the records it made)."""
        series = {k: np.stack(v, axis=-1).reshape(-1, len(v)) for k, v in self.rows.items()}
        return Trajectory(np.array(self.steps, dtype=int), series, runs, final)


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().double().cpu().numpy()
    return np.atleast_1d(np.asarray(value, dtype=float))


def _take(value, index):
    if isinstance(value, list):
        return [_take(v, index) for v in value]
    return value[index] if hasattr(value, "__getitem__") else value


def _concat(values):
    if isinstance(values[0], list):
        return [_concat(list(v)) for v in zip(*values, strict=True)]
    if hasattr(values[0], "detach"):
        import torch

        return torch.cat(values)
    return np.concatenate(values)
