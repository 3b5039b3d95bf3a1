"""Figure helpers: explicit sizes, bands of the right shape, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from grokutils.core.plotting import band, panels, set_theme
from grokutils.core.progress import progress


def test_panels_have_the_requested_size_and_flat_axes():
    set_theme()
    fig, axes = panels(3, 2, width=9, height=5)
    assert axes.shape == (6,) and tuple(fig.get_size_inches()) == (9, 5)


def test_band_draws_mean_and_checks_shape():
    _, (ax,) = panels(1)
    x = np.arange(4)
    band(ax, x, np.ones((3, 4)) + np.arange(3)[:, None], label="runs")
    assert np.allclose(ax.lines[0].get_ydata(), 2.0)
    band(ax, x, np.exp(np.ones((2, 4))), log_mean=True)
    assert np.allclose(ax.lines[1].get_ydata(), np.e)
    with pytest.raises(ValueError, match=r"shape \[runs, 4\]"):
        band(ax, x, np.ones(4))


def test_panels_rejects_no_panels():
    with pytest.raises(ValueError, match="ncols and nrows"):
        panels(0)


def test_progress_writes_to_stderr_only(capsys):
    assert sum(progress(range(5), desc="loop")) == 10
    out, err = capsys.readouterr()
    assert out == "" and "loop" in err
