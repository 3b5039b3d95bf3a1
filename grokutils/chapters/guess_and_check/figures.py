"""Figures of the guess-&-check chapter: medians over data sets with inter-quartile bands."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from grokutils.chapters.guess_and_check.claims import GD_BOUND, W4_SCALED_GAP, W4_WIDTHS
from grokutils.core.plotting import panels

LABELS = {"linear": "linear", "tanh": "tanh", "leaky_relu": "Leaky ReLU (c = 0.2)"}
COLOURS = {"gnc": "C0", "gd": "C2", "prior": "0.45", "limit": "C4"}


def median_iqr(ax: plt.Axes, x, runs, *, label=None, color=None, **kwargs) -> None:
    """Median over data sets with the 25-75% band (the paper's error bars); ``runs [len(x), S]``."""
    runs = np.asarray(runs, dtype=float)
    if runs.ndim != 2 or runs.shape[0] != len(x):
        raise ValueError(f"runs must have shape [{len(x)}, S]; got {runs.shape}")
    lo, mid, hi = np.nanpercentile(runs, [25, 50, 75], axis=1)
    (line,) = ax.plot(x, mid, marker="o", markersize=3.5, label=label, color=color, **kwargs)
    if runs.shape[1] > 1:
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)


def sweep_figure(
    x, table, gd_x, gd, *, xlabel, xlog=False, closed_prior=None, limit=None, legend="lower right"
):
    """Top row, one panel per activation: the G&C posterior mean of ``L_gen`` and the prior
    mean (chance); bottom row: GD on a log scale, with the bound of claims W5/D5.

    ``table`` from :func:`~.experiments.sweep_table`; ``gd`` maps an
    activation to ``{"test_loss": [len(gd_x), S]}``; ``closed_prior [S]`` (linear) is drawn as
    a dotted line, ``limit [S]`` (linear, infinite depth) as a horizontal band.
    """
    n = len(table)
    fig, axes = panels(n, 2, height=5.6, sharex=True)
    for top, bottom, (activation, row) in zip(axes[:n], axes[n:], table.items(), strict=True):
        median_iqr(top, x, row["mean"], label="G&C", color=COLOURS["gnc"])
        median_iqr(top, x, row["prior"], label="prior (chance)", color=COLOURS["prior"], ls="--")
        if activation == "linear" and closed_prior is not None:
            top.axhline(
                np.median(closed_prior), color="k", ls=":", lw=1, label="chance, closed form"
            )
        if activation == "linear" and limit is not None:
            lo, mid, hi = np.percentile(limit, [25, 50, 75])
            top.axhline(mid, color=COLOURS["limit"], lw=1, label="G&C, depth → ∞")
            top.axhspan(lo, hi, color=COLOURS["limit"], alpha=0.12, lw=0)
        top.set(title=LABELS[activation], ylim=(0, None))
        median_iqr(bottom, gd_x, gd[activation]["test_loss"], label="GD", color=COLOURS["gd"])
        bound = f"{GD_BOUND:.0e}".replace("e-0", "e-")
        bottom.axhline(GD_BOUND, color="0.3", ls=":", lw=1, label=f"claim bound {bound}")
        bottom.set(xlabel=xlabel, yscale="log")
        if xlog:
            bottom.set_xscale("log", base=2)
            bottom.set_xticks(x, [str(k) for k in x])
            bottom.minorticks_off()
    axes[0].set_ylabel("G&C $L_{gen}$ (eq. 6)")
    axes[n].set_ylabel("GD $L_{gen}$")
    axes[0].legend(fontsize=8, loc=legend)
    axes[n].legend(fontsize=8, loc="upper right")
    return fig


def width_figure(p, width, gd_width, closed_prior):
    """Fig. 1 analogue: :func:`sweep_figure` against width ``p.widths`` (depth 2), GD at
    ``p.gd_widths``, with the closed-form chance level of linear nets."""
    return sweep_figure(
        p.widths,
        width,
        p.gd_widths,
        gd_width,
        xlabel="width k (depth 2)",
        xlog=True,
        closed_prior=closed_prior,
    )


def depth_figure(p, depth, gd_depth, limit):
    """Fig. 2 analogue: :func:`sweep_figure` against depth ``p.depths`` (width 5), GD at
    ``p.gd_depths``, with the depth → ∞ limit ``limit [S]`` of linear nets."""
    return sweep_figure(
        p.depths,
        depth,
        p.gd_depths,
        gd_depth,
        xlabel="depth d (width 5)",
        limit=limit,
        legend="center right",
    )


def approach_figure(widths, table, *, activations=("linear", "tanh", "leaky_relu")):
    """Posterior → prior: the relative gap ``1 − G&C/prior`` and ``k × gap`` against width."""
    fig, (left, right) = panels(2, height=3.4)
    widths = np.asarray(widths, dtype=float)
    for i, activation in enumerate(a for a in activations if a in table):
        gap = 1 - table[activation]["ratio"]
        median_iqr(left, widths, gap, label=LABELS[activation], color=f"C{i}")
        median_iqr(right, widths, widths[:, None] * gap, label=LABELS[activation], color=f"C{i}")
    ref = np.median(1 - table["linear"]["ratio"], axis=1)[-1] * widths[-1]
    left.plot(widths, ref / widths, "k:", lw=1, label="∝ 1/k")
    left.plot(widths, ref / np.sqrt(widths * widths[-1]), "k--", lw=1, label="∝ 1/√k (bound)")
    left.set(xscale="log", yscale="log", xlabel="width k", ylabel="1 − G&C / prior")
    (k_low, k_high), (low, high) = W4_WIDTHS, W4_SCALED_GAP
    band = f"claim W4: [{low:g}, {high:g}] for k = {k_low}…{k_high}"
    right.fill_between([k_low, k_high], low, high, color="0.85", lw=0, label=band)
    right.set(xscale="log", xlabel="width k", ylabel="k × (1 − G&C / prior)")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig


def acceptance_figure(widths, width_table, depths, depth_table, limit=None):
    """Acceptance probability ``P(L_train < ε)`` against width and against depth."""
    fig, (left, right) = panels(2, height=3.4)
    for i, (activation, row) in enumerate(width_table.items()):
        median_iqr(left, widths, row["p_accept"], label=LABELS[activation], color=f"C{i}")
    for i, (activation, row) in enumerate(depth_table.items()):
        median_iqr(right, depths, row["p_accept"], label=LABELS[activation], color=f"C{i}")
    if limit is not None:
        right.axhline(np.median(limit), color=COLOURS["limit"], lw=1, label="linear, depth → ∞")
    left.set(xscale="log", yscale="log", xlabel="width k (depth 2)", ylabel="P(accept)")
    right.set(yscale="log", xlabel="depth d (width 5, normalised)", ylabel="P(accept)")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig
