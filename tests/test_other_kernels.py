"""Another CPU, simulated: a chapter rerun at quick under other CPU kernels must print the same
invariants (``ClaimReport.invariants``: quick-set verdicts, ids, statements, references,
tolerances, closed forms) as the suite's ordinary run of it, which is what nbval compares
between machines.

Covered: the chapters whose claims rest on sampling or on chaotic training, where rounding
matters most: 03 (guess-and-check sampling), 04 (Wang-Landau and Langevin samplers, a
tolerance computed from two sampler runs) and 05 (SGD ensembles, chaotic by the chapter's own
subject). Chapter 06's Langevin chains are sampling too, but its quick run printed the same
digits under these kernels and on Intel and AMD machines (issue 22), so it would add the longest
of these runs for nothing; chapters 01 and 02 are deterministic gradient descent and closed
forms.

These runs also pass ``-p device auto`` on a machine without CUDA (``runs_on_other_kernels``):
they must run on the CPU, and say so in their stamp; that ``auto`` resolves to the very
parameters of ``cpu`` is ``tests/test_dry_runs.py``'s.
"""

from __future__ import annotations

import json

import nbformat
import pipeline
import pytest
import torch
from conftest import OTHER_KERNELS

PERTURBED = ("03_guess_and_check", "04_glass_relaxation", "05_ergodic_stability")


def invariants(executed: nbformat.NotebookNode) -> str:
    """The text of the chapter's compared cell (``report.invariants()``)."""
    (cell,) = [c for c in executed.cells if pipeline.COMPARED_TAG in c.metadata.get("tags", [])]
    return "".join(o["data"]["text/plain"] for o in cell.outputs if "data" in o)


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", PERTURBED)
def test_other_cpu_kernels_print_the_same_invariants(chapter, chapter_runs, runs_on_other_kernels):
    notebook = pipeline.ROOT / "chapters" / f"{chapter}.ipynb"
    perturbed = runs_on_other_kernels.get("book", notebook)  # a failing quick claim raises here
    stamp = json.loads(runs_on_other_kernels.claims("book", notebook).read_text())["provenance"]
    assert "ATen DEFAULT" in stamp["kernels"], f"the other kernels were not used: {stamp}"
    assert f"MKL_CBWR {OTHER_KERNELS['MKL_CBWR']}" in stamp["kernels"], stamp
    assert stamp["device"] == ("cuda" if torch.cuda.is_available() else "cpu"), stamp
    ordinary = chapter_runs.get("book", notebook)
    assert invariants(perturbed) == invariants(ordinary)
