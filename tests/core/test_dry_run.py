"""Dry runs: a linear time model fitted on a few steps, projected to the preset's steps."""

from __future__ import annotations

import json
import time

import pytest

from grokutils.core import dry_run, params
from grokutils.core.experiment import Registry


def sleeper(per_step: float, overhead: float):
    def run(k: int) -> None:
        time.sleep(overhead + per_step * k)

    return run


def test_projection_recovers_a_known_cost_model():
    probe = dry_run.Probe("sleeper", "n/a", steps=1000, run=sleeper(0.004, 0.02), few=10)
    r = dry_run.measure(probe)
    assert r.seconds_per_step == pytest.approx(0.004, rel=0.25)
    assert r.projected_s == pytest.approx(0.02 + 4.0, rel=0.25)
    assert r.peak_rss_mib > 0 and r.peak_gpu_mib is None


def test_repeats_are_spread_over_workers():
    one = dry_run.measure(dry_run.Probe("a", "", steps=100, run=sleeper(0.002, 0.0), repeats=4))
    two = dry_run.measure(
        dry_run.Probe("a", "", steps=100, run=sleeper(0.002, 0.0), repeats=4, workers=2)
    )
    assert two.projected_s == pytest.approx(one.projected_s / 2, rel=0.3)


@pytest.mark.parametrize("field", ["steps", "repeats", "workers", "few"])
def test_probe_sizes_must_be_positive_ints(field):
    kwargs = {"steps": 10, field: 0}
    with pytest.raises(ValueError, match=f"{field} must be a positive int"):
        dry_run.Probe("bad", "", run=lambda k: None, **kwargs)


def test_table_and_saved_report(tmp_path):
    runs = [
        dry_run.measure(dry_run.Probe(name, "D=4", steps=50, run=sleeper(0.001, 0.0)))
        for name in ("first", "second")
    ]
    frame = dry_run.table(runs)
    assert list(frame.experiment) == ["first", "second", "total"]
    assert dry_run.format_seconds(30) == "30 s" and dry_run.format_seconds(600) == "10 min"
    assert dry_run.format_seconds(7200) == "2.0 h"
    path = dry_run.save({"chapter": "x", "projected_s": 1.0}, tmp_path)
    assert json.loads(path.read_text())["projected_s"] == 1.0


def test_nothing_happens_unless_dry_run_is_set():
    calls, experiments = [], Registry("x")
    experiments.add("log", sizes=str)(calls.append)
    p = params.Params("x", "quick", 0, {"dry_run": False, "device": "cpu"})
    dry_run.run(p, experiments)
    assert calls == []


def test_bool_parameters_take_papermills_text(tmp_path):
    p = params.load("05_ergodic_stability", "quick", 0, {"dry_run": "true", "device": "auto"})
    assert p.dry_run is True
    with pytest.raises(params.ParameterError, match="device must be one of auto, cpu, cuda"):
        params.load("05_ergodic_stability", "quick", 0, {"device": "gpu"})
