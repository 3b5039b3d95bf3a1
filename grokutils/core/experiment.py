"""A chapter's experiments, each declared once: the function the notebook calls, with what its
cost scales with, so that the dry run times that same function on a few steps.

A chapter's ``experiments.py`` holds one :class:`Registry` and declares each experiment in
notebook order::

    EXPERIMENTS = Registry("07_example")
    start = EXPERIMENTS.start  # the notebook's start-up call

    @EXPERIMENTS.add("training", sizes=lambda p: f"width {p.width}", steps="n_steps", unit=20)
    def training(p: Params) -> Trajectory: ...

    @EXPERIMENTS.add("probe", sizes=lambda p: "...", steps="n_steps", needs=("training",))
    def probe(p: Params, trained: Trajectory) -> Probed: ...

The notebook calls ``ex.training(p)``; the dry run (:mod:`grokutils.core.dry_run`)
calls the same object with ``p``'s step parameter set to ``unit · k`` for a few ``k``, and
passes to an experiment that ``needs`` another the result of that other's dry-run call. Sizes,
seeds and configurations therefore come from one place: change a size in the presets (or in
the function) and the notebook and the dry run both see it.

What a step is: ``steps`` names the parameter that holds the experiment's step count (``unit``
steps make one dry-run step); ``steps=None`` declares an experiment with no step count to cut,
which the dry run times once in full. An experiment whose cost follows more than one parameter
gives ``at(p, k)``, the parameters of a ``k``-step run, and ``count(p)``, its full step count.

A sweep whose points run through :func:`grokutils.core.sweep.run` is declared with
:meth:`Registry.sweep`: its ``points(p)`` and the module-level ``point`` function they run. The
notebook's call runs every point; the dry run times one point of each ``kind`` (the last of
the kind in grid order, by default the one with the largest ``slowest`` entry) with the point's
``steps`` entry cut to ``k``, and projects it over the kind's points and the backend's workers
(an upper bound where points of a kind differ).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grokutils.core import sweep
from grokutils.core.params import Params

Few = int | Callable[[Params], int]


@dataclass(frozen=True)
class Experiment:
    """One experiment: ``fn(p, *results of needs)`` and what its cost scales with.

    name: what the chapter calls it (a row of the dry run's table). sizes: ``sizes(p)``, what
    sets its cost, as text. steps: the parameter holding its step count, or None (timed once in
    full). unit: steps of the full run per dry-run step. at / count: a custom cut (see the
    module docstring). few: the dry run's ``k`` (an int, or ``few(p)``). needs: keys of earlier
    experiments whose results follow ``p`` in ``fn``'s arguments. key: the name the notebook
    calls it by (default: ``fn``'s name).
    """

    name: str
    fn: Callable[..., Any]
    sizes: Callable[[Params], str]
    steps: str | None = None
    unit: int = 1
    at: Callable[[Params, int], Params] | None = None
    count: Callable[[Params], int] | None = None
    few: Few = 3
    needs: tuple[str, ...] = ()
    key: str = ""

    def __post_init__(self):
        if not self.key:
            object.__setattr__(self, "key", self.fn.__name__)
        if (self.at is None) != (self.count is None):
            raise ValueError(f"experiment {self.name!r}: give both at and count, or neither")
        if self.steps is not None and self.at is not None:
            raise ValueError(f"experiment {self.name!r}: give steps or at/count, not both")
        if not isinstance(self.unit, int) or self.unit < 1:
            raise ValueError(f"experiment {self.name!r}: unit must be a positive int")

    def __call__(self, p: Params, *upstream: Any) -> Any:
        return self.fn(p, *upstream)

    @property
    def scales(self) -> bool:
        """Whether the dry run can cut it to a few steps."""
        return self.steps is not None or self.at is not None

    def full_steps(self, p: Params) -> int:
        """Dry-run steps of the full experiment at ``p`` (1 when it cannot be cut)."""
        if self.count is not None:
            return max(1, int(self.count(p)))
        if self.steps is not None:
            return max(1, int(getattr(p, self.steps)) // self.unit)
        return 1

    def at_steps(self, p: Params, k: int) -> Params:
        """The parameters of a run of ``k`` dry-run steps."""
        if self.at is not None:
            return self.at(p, k)
        if self.steps is None:
            return p
        return p.with_values(**{self.steps: self.unit * k})

    def few_steps(self, p: Params) -> int:
        return self.few(p) if callable(self.few) else self.few


@dataclass(frozen=True)
class Sweep(Experiment):
    """An experiment that runs ``point(**pt)`` for every ``pt`` of ``points(p)`` through
    :func:`grokutils.core.sweep.run` (on the chapter's backend, cached) and returns the list of
    results in grid order. The dry run times one point per ``kind(pt)``; ``steps`` names the
    entry of a point holding its step count (None: timed once in full), ``at_point(pt, k, p)``
    cuts a point to ``k`` steps where more than one entry scales."""

    points: Callable[[Params], list[dict]] = field(default=lambda p: [])
    point: Callable[..., Any] | None = None
    kind: Callable[[Mapping[str, Any]], Hashable] = field(default=lambda pt: "")
    slowest: str | None = None
    at_point: Callable[[dict, int, Params], dict] | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.needs:
            raise ValueError(f"sweep {self.name!r}: a sweep takes its points from p only")
        if self.point is None:
            raise ValueError(f"sweep {self.name!r}: give the point function")
        if self.at_point is not None and self.steps is None:
            raise ValueError(f"sweep {self.name!r}: at_point cuts the entry named by steps")

    def __call__(self, p: Params) -> list[Any]:
        return sweep.run(self.point, self.points(p), desc=self.name, **sweep.where(p))

    def representatives(self, p: Params) -> list[tuple[Hashable, dict, int]]:
        """``(kind, point, number of points of that kind)`` per kind, in order of first
        appearance: the last point of the kind in grid order with the largest ``slowest``."""
        kinds: dict[Hashable, list[dict]] = {}
        for pt in self.points(p):
            kinds.setdefault(self.kind(pt), []).append(pt)
        out = []
        for kind, pts in kinds.items():
            if self.slowest is None:
                top = pts[-1]
            else:
                top = max(reversed(pts), key=lambda pt: pt[self.slowest])
            out.append((kind, top, len(pts)))
        return out

    def point_steps(self, pt: Mapping[str, Any]) -> int:
        return max(1, int(pt[self.steps]) // self.unit) if self.steps is not None else 1

    def cut(self, pt: dict, k: int, p: Params) -> dict:
        """``pt`` cut to ``k`` dry-run steps."""
        if self.at_point is not None:
            return self.at_point(pt, k, p)
        return pt if self.steps is None else dict(pt, **{self.steps: self.unit * k})

    def run_points(self, p: Params, pts: Sequence[dict]) -> list[Any]:
        """The points ``pts`` uncached, in this process on ``p.device`` (a dry run's call: one
        worker's time and memory, which the dry run samples in this process)."""
        return sweep.run(
            self.point, pts, desc=f"dry run: {self.name}", cache=False, device=p.device
        )


class Registry:
    """The experiments of one chapter, in the order its notebook runs them."""

    def __init__(self, chapter: str):
        self.chapter = chapter
        self._experiments: dict[str, Experiment] = {}

    def __iter__(self) -> Iterator[Experiment]:
        return iter(self._experiments.values())

    def __len__(self) -> int:
        return len(self._experiments)

    def __getitem__(self, key: str) -> Experiment:
        return self._experiments[key]

    def _register(self, experiment: Experiment, key: str) -> Experiment:
        if key in self._experiments:
            raise ValueError(f"{self.chapter}: experiment {key!r} is declared twice")
        if any(e.name == experiment.name for e in self):
            raise ValueError(f"{self.chapter}: two experiments are named {experiment.name!r}")
        if missing := [n for n in experiment.needs if n not in self._experiments]:
            raise ValueError(f"experiment {key!r} needs {missing}, not declared before it")
        self._experiments[key] = experiment
        return experiment

    def add(self, name: str, *, sizes: Callable[[Params], str], **cost: Any):
        """Decorator: declare ``fn(p, *needs)`` as the experiment ``name`` (see
        :class:`Experiment` for ``cost``: steps, unit, at, count, few, needs)."""

        def declare(fn: Callable[..., Any]) -> Experiment:
            return self._register(Experiment(name, fn, sizes, **cost), fn.__name__)

        return declare

    def sweep(
        self,
        key: str,
        name: str,
        *,
        points: Callable[[Params], list[dict]],
        point: Callable[..., Any],
        sizes: Callable[[Params], str],
        **cost: Any,
    ) -> Sweep:
        """Declare the sweep ``key`` (the name the notebook calls it by): ``point`` over
        ``points(p)`` (see :class:`Sweep` for ``cost``: steps, unit, kind, slowest, at_point,
        few)."""
        declared = Sweep(name, point, sizes, key=key, points=points, point=point, **cost)
        return self._register(declared, key)

    def start(self, namespace: Mapping[str, Any], **kwargs: Any) -> Params:
        """The notebook's start-up call: :func:`grokutils.core.startup.start` for this chapter;
        with ``dry_run`` it then times every experiment and skips the notebook's later cells."""
        from grokutils.core import dry_run
        from grokutils.core.startup import start

        p = start(self.chapter, namespace, **kwargs)
        dry_run.run(p, self)
        return p
