"""One look for every figure: a seaborn theme, explicit sizes and the helpers chapters share."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

WIDTH = 10.0
"""Width of a full-width figure, inches (the book's text column at 100 dpi)."""
PANEL_HEIGHT = 3.2
"""Height of one row of panels, inches."""


def set_theme() -> None:
    """The book's seaborn theme; call once per chapter, before the first figure."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=0.9)
    plt.rcParams.update(
        {"figure.dpi": 100, "savefig.dpi": 100, "legend.frameon": False, "axes.titlesize": 11}
    )


def panels(
    ncols: int = 1, nrows: int = 1, *, width: float = WIDTH, height: float | None = None, **kwargs
) -> tuple[plt.Figure, np.ndarray]:
    """A figure of ``nrows x ncols`` panels with an explicit size; axes always a 2-D array
    flattened to 1-D (``axes[i]``), constrained layout on."""
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be >= 1; got ncols={ncols}, nrows={nrows}")
    height = PANEL_HEIGHT * nrows if height is None else height
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained", **kwargs
    )
    return fig, axes.ravel()


def band(
    ax: plt.Axes,
    x: np.ndarray,
    runs: np.ndarray,
    *,
    label: str | None = None,
    color=None,
    log_mean: bool = False,
    **kwargs,
) -> None:
    """Mean over runs as a line with a ±1 standard-deviation band.

    ``runs`` has shape ``[runs, len(x)]``. With ``log_mean`` the centre and band are the
    geometric mean and ×/÷ one standard deviation of the log (for losses on log axes).
    """
    runs = np.asarray(runs, dtype=float)
    if runs.ndim != 2 or runs.shape[1] != len(x):
        raise ValueError(f"runs must have shape [runs, {len(x)}]; got {runs.shape}")
    if log_mean:
        logs = np.log(runs)
        centre, spread = logs.mean(0), logs.std(0)
        mid, lo, hi = np.exp(centre), np.exp(centre - spread), np.exp(centre + spread)
    else:
        mid, spread = runs.mean(0), runs.std(0)
        lo, hi = mid - spread, mid + spread
    (line,) = ax.plot(x, mid, label=label, color=color, **kwargs)
    if len(runs) > 1:
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
