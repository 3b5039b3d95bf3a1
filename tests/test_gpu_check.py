"""The GPU check script: verdict comparison, and bad arguments refused before any run."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from grokutils.build.seed_runner import ROOT

spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks/gpu_check.py")
gpu_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_check)


def report(*verdicts):
    return {
        "claims": [
            {"id": f"C{i}", "verdict": v, "measured": "|z| 1"} for i, v in enumerate(verdicts)
        ]
    }


def test_compare_flags_every_claim_whose_verdict_differs():
    rows = gpu_check.compare(
        report("reproduced", "inconclusive"), report("reproduced", "not reproduced")
    )
    assert [r["agree"] for r in rows] == [True, False]
    table = gpu_check.markdown_quick({"ch": {"claims": rows}})
    assert r"\|z\| 1" in table and "**no**" in table


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_stops_before_any_run(tmp_path):
    with pytest.raises(ValueError, match="device 'cuda' needs a CUDA GPU"):
        gpu_check.main([str(tmp_path), "1"])
    assert not list(tmp_path.iterdir())


def test_negative_budget_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        gpu_check.main([str(tmp_path), "-1", "--device", "cpu"])
