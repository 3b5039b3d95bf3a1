"""glibc's heap set for loops whose temporaries are megabytes, allocated and freed every step.

By default glibc serves a block above its *mmap threshold* (128 KiB, raised as mmapped blocks
are freed, at most 32 MiB) with a fresh ``mmap`` and gives the top of its heap back to the
kernel once more than its *trim threshold* is free there. A batched step whose temporaries are
a few MiB each then faults in new zeroed pages every step: chapter 06's thermal run at the
paper preset (216 replicas, ``[216, 200, 64]`` float32 activations, 11 MiB each) spent 30 of
68 s in the kernel, and ran in 36 s with the thresholds below (AMD EPYC, one thread; results
bit-identical). The freed blocks stay in the process (its resident size is its peak) and are
reused the next step.

Setting either threshold turns off glibc's dynamic adjustment of both (``mallopt(3)``). Other C
libraries are left as they are.
"""

from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""``mallopt`` parameters (``<malloc.h>``)."""
MMAP_THRESHOLD = 32 * 2**20
"""Blocks up to this size come from the heap: glibc's largest mmap threshold on 64-bit."""
TRIM_THRESHOLD = 2**30
"""Free memory at the top of the heap kept up to this size (1 GiB) instead of returned."""


def reuse_freed_blocks() -> bool:
    """Set this process's glibc thresholds (:data:`MMAP_THRESHOLD`, :data:`TRIM_THRESHOLD`);
    True if glibc took them, False on another C library (nothing changed)."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
