"""Sweeps: the same results on every backend (a real Dask LocalCluster included), resumable."""

from __future__ import annotations

from pathlib import Path

import pytest
import sweep_functions

from grokutils.core import params, sweep

POINTS = sweep.grid(x=[0, 1, 2, 3], seed=[0, 1])


def test_grid_is_the_cartesian_product():
    assert sweep.grid(a=[1, 2], b=[3]) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]


def test_backends_give_identical_results(tmp_path):
    expected = [sweep_functions.noisy_square(**p) for p in POINTS]
    for backend in ("serial", "processes", "dask"):
        got = sweep.run(
            sweep_functions.noisy_square,
            POINTS,
            backend=backend,
            n_jobs=2,
            cache_dir=tmp_path / backend,
        )
        assert got == expected, backend


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    marker = tmp_path / "interrupt"
    marker.touch()
    points = [{"x": x, "marker": str(marker)} for x in range(4)]
    with pytest.raises(RuntimeError, match="interrupted"):
        sweep.run(sweep_functions.fail_after, points, cache_dir=tmp_path)
    marker.unlink()
    assert sweep.run(sweep_functions.fail_after, points, cache_dir=tmp_path) == [0, 1, 2, 3]
    calls = Path(f"{marker}.calls").read_text().split()
    assert sorted(int(c.split(",")[0]) for c in calls) == [0, 1, 2, 3]  # 0 and 1 ran once


def test_cache_key_changes_with_the_point(tmp_path):
    cache = sweep.ResultCache(tmp_path, sweep_functions.noisy_square)
    assert cache.path({"x": 1, "seed": 0}) != cache.path({"x": 1, "seed": 1})
    assert cache.path({"x": 1, "seed": 0}) == cache.path({"seed": 0, "x": 1})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "spark"}, "backend must be one of serial, processes, dask"),
        ({"n_jobs": 0}, "n_jobs must be a positive int"),
        ({"scheduler": "tcp://x:1"}, "scheduler is only used by backend 'dask'"),
    ],
)
def test_bad_arguments_fail_before_compute(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sweep.run(sweep_functions.noisy_square, POINTS, cache_dir=tmp_path, **kwargs)


def test_notebook_functions_are_refused(tmp_path):
    with pytest.raises(ValueError, match="module-level function"):
        sweep.run(lambda x: x, [{"x": 1}], cache_dir=tmp_path)


def test_a_chapter_says_where_its_points_run_with_its_resolved_device():
    p = params.load("05_ergodic_stability", "paper", presets_dir="chapters/presets")
    assert sweep.where(p) == {"backend": "processes", "scheduler": None, "device": p.device}
    assert p.device in ("cpu", "cuda")  # auto, resolved once by params.load
