"""Dry runs: a chapter's notebook dry-runs (``-p dry_run true``: the projection printed and
saved, the later cells skipped), and every experiment of every chapter runs at the paper
preset's sizes, so a shape, memory or parameter error at paper size fails here (chapter 02's
one-layer experiments at their dry-run cut, a fifth of each input dimension: their cost is cubic
in it); and ``-p device auto`` gives a chapter the parameters of ``cpu`` on a machine without
CUDA."""

from __future__ import annotations

import importlib
import json
import re

import nbformat
import pipeline
import pytest
import torch
from threadpoolctl import threadpool_limits

from grokutils.core import dry_run, params

CHAPTERS = pipeline.toc_chapters(pipeline.ROOT)
BARE_DEVICE = re.compile(r"(?<![.\w])device\b(?!\s*=[^=])")
"""``device`` as a name of its own (not ``p.device``, not a keyword argument)."""


def experiments_of(chapter: str):
    return importlib.import_module(f"grokutils.chapters.{chapter[3:]}.experiments").EXPERIMENTS


@pytest.mark.notebook
def test_a_notebook_dry_runs_and_skips_its_later_cells(tmp_path, monkeypatch):
    """The mechanism, through one chapter's notebook at quick (the same start-up call in every
    chapter; each chapter's experiments at paper sizes: the test below)."""
    notebook = CHAPTERS[0]
    monkeypatch.setenv("GROKBOOK_CLAIMS_DIR", str(tmp_path))
    executed = pipeline.execute(
        notebook, pipeline.ROOT / "_build/dry_runs" / notebook.name, preset="quick", dry_run=True
    )
    report = json.loads((tmp_path / f"{notebook.stem}.dry_run.json").read_text())
    p = params.load(notebook.stem, "quick")
    expected = [probe.name for probe in dry_run.probes(p, experiments_of(notebook.stem))]
    assert [e["name"] for e in report["experiments"]] == expected and expected
    assert all(e["projected_s"] > 0 and e["peak_rss_mib"] > 0 for e in report["experiments"])
    assert report["provenance"]["preset"] == "quick"
    assert not (tmp_path / f"{notebook.stem}.json").exists(), "a dry run saves no claims"
    code = [c for c in executed.cells if c.cell_type == "code"]
    at = next(i for i, c in enumerate(code) if pipeline.START_CALL in c.source)
    printed = "".join(o.get("text", "") for o in code[at].outputs)
    assert "Projected wall time" in printed and "claims not checked: dry run" in printed
    assert all(not c.outputs for c in code[at + 1 :]), "cells after the dry run must be skipped"


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda nb: nb.stem)
def test_every_experiment_runs_at_the_paper_sizes(notebook):
    """The dry run's first call of each experiment (``k`` of its steps, set-up included, one
    thread), without the timed repeats that ``make projections`` adds."""
    p = params.load(notebook.stem, "paper")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):  # numpy's BLAS too, as a chapter's start-up sets it
            for probe in dry_run.probes(p, experiments_of(notebook.stem)):
                probe.run(probe.few if probe.scales else probe.steps)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.skipif(torch.cuda.is_available(), reason="auto is CUDA on this machine")
@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda nb: nb.stem)
def test_device_auto_gives_the_cpu_parameters(notebook):
    """``-p device auto`` without CUDA resolves, at start-up, to the very parameters of ``cpu``,
    and no code cell reads the parameters cell's ``device`` (everything after the start-up call
    receives ``p``): so the chapter computes the same numbers. (The end-to-end run of ``auto``:
    the other-kernels runs of ``tests/test_other_kernels.py``.)"""
    code = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    is_parameters = [pipeline.is_parameters_cell(c) for c in code]
    assert sum(is_parameters) == 1, "one parameters cell"
    reads = [
        c.source
        for c, p in zip(code, is_parameters, strict=True)
        if not p and BARE_DEVICE.search(c.source)
    ]
    assert not reads, "a code cell reads `device`"
    for preset in params.PRESETS:
        cpu = params.from_notebook(notebook.stem, {"preset": preset, "device": "cpu"})
        auto = params.from_notebook(notebook.stem, {"preset": preset, "device": "auto"})
        assert auto == cpu
