"""Where a chapter's tensors live, and the dtype policy that goes with it.

Every chapter takes ``device``: ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when
``torch.cuda.is_available()``, else the CPU). The ``quick`` and ``book`` presets say ``cpu``
(their numbers are the book's and nbval's references); ``paper`` says ``auto``.

:func:`activate` makes the resolved device torch's default device, so every factory call
(``torch.zeros``, ``randn``, ``as_tensor`` of a NumPy array …) allocates there, and
:func:`grokutils.core.seeding.torch_generator` makes its generators there. On the CPU it
changes nothing: CPU runs are bit for bit those of a package without device handling.

Dtype policy (the same on every device): each experiment names its dtype where it creates
its tensors — float64 where a claim rests on exactness (closed-form recursions, samplers'
acceptance ratios, estimates and their uncertainties), float32 where the paper trained in
float32 (networks trained by GD, SGD or Adam). TF32 matrix products are off on CUDA, so a
float32 product is a float32 product. CPU and GPU runs of the same seed differ in the last
digits (other kernels, other summation orders, other random streams: a CUDA generator draws
different numbers from a CPU generator of the same seed); a verdict that depends on those
digits is not robust.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import torch

DEVICES = ("auto", "cpu", "cuda")
TF32 = False
"""TF32 tensor-core products on CUDA (off: exact float32 products)."""
DTYPE_POLICY = (
    "float64 for exact checks, samplers and estimates; float32 for trained networks; TF32 off"
)


def resolve(device: str) -> str:
    """``"cpu"`` or ``"cuda"`` for a requested ``device`` (``auto``: CUDA when available).

    Raises ValueError naming the parameter for an unknown name, and for ``cuda`` on a machine
    (or a torch build) without CUDA, before anything is computed.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}; got {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only torch build" if torch.version.cuda is None else "no CUDA device found"
        raise ValueError(
            f"device 'cuda' needs a CUDA GPU, and this machine has none ({build}); "
            "use device cpu, or auto to take CUDA when present"
        )
    return device


def activate(device: str) -> str:
    """Make the resolved ``device`` torch's default for the rest of the process; return it.

    On CUDA: deterministic cuBLAS workspaces (``CUBLAS_WORKSPACE_CONFIG``, needed by
    ``torch.use_deterministic_algorithms``) and TF32 off. On the CPU: nothing changes.
    """
    resolved = resolve(device)
    if resolved == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cuda.matmul.allow_tf32 = TF32
        torch.backends.cudnn.allow_tf32 = TF32
        torch.set_default_device(resolved)
    return resolved


@contextmanager
def using(device: str):
    """``with using("cuda"): ...`` runs the block on ``device`` and restores the default
    device after (a sweep worker's call). Nothing changes on the CPU."""
    previous = torch.get_default_device()
    resolved = activate(device)
    try:
        yield resolved
    finally:
        if resolved != "cpu":
            torch.set_default_device(previous)


def describe(device: str) -> str:
    """The hardware behind a resolved ``device``: ``"cpu"`` or ``"cuda: NVIDIA H200"``."""
    if resolve(device) == "cuda":
        return f"cuda: {torch.cuda.get_device_name()}"
    return "cpu"
