"""The provenance stamp of a run: which code, parameters, machine and time made its numbers.

Every claims report carries one (field ``provenance``), so a rerun can be compared with the
book's and an archived run can be marked stale when the code it ran is not the code of the
build (its ``code`` or ``chapter`` fingerprint differs). The ``code`` fingerprint covers the
grokutils code a chapter's kernel runs: core, the chapter's package and the methods it imports
(:func:`~grokutils.core.fingerprint.code_fingerprint`); the ``chapter`` fingerprint its
notebook's code cells and presets file.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from grokutils.core import device as devices
from grokutils.core.fingerprint import chapter_package, code_fingerprint
from grokutils.core.params import Params, presets_path

REPO_ROOT = Path(__file__).resolve().parents[2]


def stamp(params: Params, *, wall_time_s: float) -> dict:
    """The provenance of a run of ``params.chapter``: a flat dict of strings and numbers
    (``overrides``: the parameters that differ from the preset, ``"name=value; ..."``)."""
    commit, dirty = git_state()
    device = params.values.get("device", "cpu")  # resolved by params.load
    return {
        "commit": commit,
        "dirty": dirty,
        "code": code_fingerprint(chapter_package(params.chapter)),
        "chapter": chapter_fingerprint(params.chapter, params.presets_file),
        "preset": params.preset,
        "seed": params.seed,
        "overrides": "; ".join(f"{k}={v!r}" for k, v in sorted(params.overrides.items())),
        "device": device,
        "dtype": devices.DTYPE_POLICY,
        "cpu": cpu_model(),
        "kernels": kernel_dispatch(),
        "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "wall_time_s": round(float(wall_time_s), 1),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def chapter_fingerprint(chapter: str, presets: Path | None = None) -> str | None:
    """SHA-256 (16 hex digits) of a chapter's code cells and its presets file (default: the
    one :func:`~grokutils.core.params.presets_path` finds); None if the notebook is not beside its
    presets folder."""
    presets = Path(presets) if presets is not None else presets_path(chapter)
    notebook = presets.parent.parent / f"{chapter}.ipynb"
    if not notebook.is_file():
        return None
    cells = json.loads(notebook.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    digest = hashlib.sha256(json.dumps(code).encode())
    digest.update(presets.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def git_state() -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the repository grokutils is imported from; ``(None, None)``
    outside a git checkout. Dirty: tracked files other than the archived runs in ``results/``
    (which the seed runner rewrites while it runs) differ from the commit."""
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!results"))
    except (OSError, subprocess.CalledProcessError):
        return None, None
    return commit, dirty


@lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def kernel_dispatch() -> str:
    """Which CPU kernels compute the numbers: ATen's vectorised kernels
    (``ATEN_CPU_CAPABILITY``), MKL's code path under torch's BLAS (``MKL_CBWR``, ``auto``
    unless set) and the OpenBLAS core type under numpy's (``OPENBLAS_CORETYPE``). The same seed
    gives the same digits only on the same CPU family under the same dispatch."""
    from threadpoolctl import threadpool_info

    cores = {i.get("architecture") for i in threadpool_info() if i["internal_api"] == "openblas"}
    return (
        f"ATen {torch.backends.cpu.get_cpu_capability()}, "
        f"MKL_CBWR {os.environ.get('MKL_CBWR', 'auto')}, "
        f"OpenBLAS {', '.join(sorted(c for c in cores if c)) or 'not loaded'}"
    )


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO_ROOT), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()
