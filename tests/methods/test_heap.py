"""The heap setting of loops with megabyte temporaries (grokutils.methods.heap)."""

from __future__ import annotations

import platform

import pytest

from grokutils.methods.heap import reuse_freed_blocks


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt thresholds are glibc's")
def test_glibc_takes_the_thresholds():
    assert reuse_freed_blocks() is True
