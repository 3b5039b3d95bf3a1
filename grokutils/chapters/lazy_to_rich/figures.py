"""Figures of the lazy-to-rich chapter (Kumar et al., ICLR 2024), one function per figure.

Each function takes the chapter's sweeps (:class:`~.committee_sweep.
SingleIndexSweep`), trajectories or measurements and returns a matplotlib figure. Bands are
±1 SD over seeds (geometric, ×/÷ one SD of the log, on log axes); time is in GD steps, and the
first record (step 0) is left out of log axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from grokutils.chapters.lazy_to_rich import experiments as ex
from grokutils.chapters.lazy_to_rich.committee_gd import PART_SERIES
from grokutils.core.plotting import band, panels

PART_LABELS = ("variance", "misalignment", "linear power")
"""Legend labels of the three terms of eq. 6, in the order of :data:`PART_SERIES`."""


def headline(head, lin, kernel_level: np.ndarray) -> plt.Figure:
    """Fig. 1 at α = 1: losses of the network and its linearisation with the NTK-regression
    level (``kernel_level [runs]``), the weight norm and the NTK-label alignment."""
    h, hl = head.trajectory, lin.trajectory
    one = head.config["alpha"] == 1.0
    fig, ax = panels(3)
    s = h.steps[1:]
    for name, runs, style in [("network", h, "-"), ("linearised", hl, "--")]:
        sel = one if runs is h else slice(None)
        band(ax[0], s, runs.train_loss[sel, 1:], label=f"{name}, train", log_mean=True, ls=style)
        band(ax[0], s, runs.test_loss[sel, 1:], label=f"{name}, test", log_mean=True, ls=style)
    ax[0].axhline(kernel_level.mean(), color="k", lw=1, ls=":", label="NTK regression, test")
    ax[0].set(
        xscale="log",
        yscale="log",
        xlabel="GD steps",
        ylabel="MSE",
        title="(a) losses at α = 1 [paper 1b]",
    )
    band(ax[1], s, h.weight_norm[one, 1:], label="‖W‖_F")
    ax[1].set(
        xscale="log",
        xlabel="GD steps",
        ylabel="parameter norm ‖W‖_F",
        title="(b) weight norm [paper 1c]",
    )
    band(ax[2], s, h.kernel_alignment[one, 1:], label="NTK–label alignment", color="C2")
    ax[2].set(
        xscale="log",
        xlabel="GD steps",
        ylabel="alignment (column-centred CKA)",
        title="(c) NTK–label alignment [paper 1c]",
    )
    ax[0].legend(fontsize=7)
    return fig


def loss_decomposition(head, width_two) -> plt.Figure:
    """Fig. 4: the terms of eq. 6 and the feature alignment of the headline runs at α = 1, and
    the terms for the paper's own width-2, uncentred runs without mixing (``width_two``)."""
    h = head.trajectory
    one = head.config["alpha"] == 1.0
    fig, ax = panels(3)
    s = h.steps[1:]
    for name, label in zip(PART_SERIES, PART_LABELS, strict=True):
        band(ax[0], s, h[name][one, 1:], label=label)
    band(ax[0], s, h.test_loss[one, 1:], label="test loss", color="k")
    title = f"(a) eq. 6, centred, N = {head.model.width}"
    ax[0].set(xscale="log", xlabel="GD steps", ylabel="MSE", title=title)
    band(ax[1], s, h.feature_alignment[one, 1:], color="C4")
    ax[1].set(xscale="log", xlabel="GD steps", ylabel="β̂ᵀMβ̂ / ‖M‖_F", title="(b) feature alignment")
    w2 = width_two.trajectory
    no_mix = width_two.config["mix"] == 0
    for name, label in zip(PART_SERIES, PART_LABELS, strict=True):
        band(ax[2], w2.steps[1:], w2[name][no_mix, 1:], label=label)
    ax[2].set(
        xscale="log",
        yscale="log",
        xlabel="GD steps",
        ylabel="MSE",
        title="(c) paper's Fig. 4: N = 2, uncentred",
    )
    ax[0].legend(fontsize=7)
    return fig


def alpha_and_eps(alpha_sweep, eps_sweep) -> plt.Figure:
    """Fig. 3(a, b): train (dashed) and test (solid) losses over their initial value along the
    α sweep and the ε sweep."""
    fig, ax = panels(2)
    for a, sweep, key, sym in [(ax[0], alpha_sweep, "alpha", "α"), (ax[1], eps_sweep, "eps", "ε")]:
        traj = sweep.trajectory
        values, test = ex.table(sweep, traj.test_loss / traj.test_loss[:, :1], key)
        _, train = ex.table(sweep, traj.train_loss / traj.train_loss[:, :1], key)
        for k, col in enumerate(plt.cm.viridis(np.linspace(0, 0.9, len(values)))):
            label = f"{sym} = {values[k]:g}"
            band(a, traj.steps[1:], test[:, k, 1:], color=col, log_mean=True, label=label)
            band(a, traj.steps[1:], train[:, k, 1:], color=col, log_mean=True, ls="--", lw=1)
        a.set(
            xscale="log",
            yscale="log",
            xlabel="GD steps",
            ylabel="L(t) / L(0)  (train dashed, test solid)",
        )
        a.set_ylim(bottom=1e-6)
        a.legend(fontsize=7)
    ax[0].set_title("(a) α sweep, ε = 0.25")
    ax[1].set_title("(b) ε sweep, α = 1")
    return fig


def phase_diagram(phase: ex.PhaseDiagram) -> plt.Figure:
    """Fig. 3(e): medians over seeds of the paper's amount of grokking and of the delay ratio
    at ``0.1 L(0)`` on the α × ε grid (white: the threshold was never reached)."""
    fig, ax = panels(2)
    for a, values, title in [
        (ax[0], np.median(phase.amount, 0), "paper's amount: max(0, t_te − t_tr), θ = 0.1"),
        (ax[1], np.log10(np.median(phase.ratio, 0)), "log₁₀ t_te / t_tr at θ = 0.1 L(0)"),
    ]:
        im = a.imshow(values, origin="lower", cmap="OrRd", aspect="auto")
        a.set(
            xticks=range(len(phase.eps)),
            xticklabels=phase.eps.tolist(),
            yticks=range(len(phase.alphas)),
            yticklabels=phase.alphas.tolist(),
            xlabel="ε (kernel alignment)",
            ylabel="α (laziness)",
            title=title,
        )
        a.grid(False)
        fig.colorbar(im, ax=a)
    return fig


def initial_scale(sigma_sweep, joint_sweep, head) -> plt.Figure:
    """Fig. 7(b-d): test losses along σ at α = 1 and along α = σ⁻², and the relative weight
    change against σ²α for the headline and the σ sweep."""
    fig, ax = panels(3)
    for a, sweep, title in [
        (ax[0], sigma_sweep, "(b) σ at α = 1"),
        (ax[1], joint_sweep, "(c) α = σ⁻²"),
    ]:
        traj = sweep.trajectory
        values, test = ex.table(sweep, traj.test_loss, "sigma")
        for k, sg in enumerate(values):
            band(a, traj.steps[1:], test[:, k, 1:], label=f"σ = {sg:g}", log_mean=True)
        a.set(xscale="log", yscale="log", xlabel="GD steps", ylabel="test MSE", title=title)
        a.legend(fontsize=7)
    for sweep, marker, label in [(head, "o", "headline (α sweep)"), (sigma_sweep, "s", "σ sweep")]:
        sa2 = sweep.config["alpha"] * sweep.config["sigma"] ** 2
        ax[2].loglog(sa2, sweep.trajectory.weight_change[:, -1], marker, label=label)
    ax[2].set(xlabel="σ²α", ylabel="‖W_T − W₀‖ / ‖W₀‖", title="(d) relative weight change")
    ax[2].minorticks_off()
    ax[2].legend(fontsize=7)
    return fig


def sample_size(sweep, paper_sweep, eps: float) -> plt.Figure:
    """Fig. 9: train (dashed) and test (solid) losses along P at the headline ``eps`` and at
    the paper's settings (ε = 0.5)."""
    fig, ax = panels(2)
    for a, sw, title in [
        (ax[0], sweep, f"ε = {eps}"),
        (ax[1], paper_sweep, "paper's settings, ε = 0.5"),
    ]:
        traj = sw.trajectory
        values, test = ex.table(sw, traj.test_loss, "p")
        _, train = ex.table(sw, traj.train_loss, "p")
        for k, pp in enumerate(values):
            colour = f"C{k}"
            band(a, traj.steps[1:], test[:, k, 1:], label=f"P = {pp}", log_mean=True, color=colour)
            band(a, traj.steps[1:], train[:, k, 1:], log_mean=True, ls="--", lw=1, color=colour)
        a.set(
            xscale="log",
            yscale="log",
            xlabel="GD steps",
            ylabel="MSE (train dashed, test solid)",
            title=title,
        )
        a.set_ylim(bottom=1e-6)
        a.legend(fontsize=7)
    return fig


def mixing(width_two, mix: ex.AxisSweep) -> plt.Figure:
    """Fig. 10: width-2 test losses for each fraction λ of the solution mixed into W₀, and the
    rise ``R`` of every seed against λ (``mix``: :func:`~.experiments.
    axis_sweep` along ``"mix"``)."""
    traj = width_two.trajectory
    _, mix_test = ex.table(width_two, traj.test_loss, "mix")
    fig, ax = panels(2)
    for k, value in enumerate(mix.values):
        band(ax[0], traj.steps[1:], mix_test[:, k, 1:], label=f"λ = {value:g}", log_mean=True)
    title = "N = 2, mean over seeds"
    ax[0].set(xscale="log", yscale="log", xlabel="GD steps", ylabel="test MSE", title=title)
    ax[0].legend(fontsize=7)
    ax[1].plot(mix.values, mix.rise.T, "o", color="0.6", ms=4)
    ax[1].plot(mix.values, mix.rise.mean(0), "k-", label="mean over seeds")
    ax[1].set(
        xlabel="λ (fraction of the solution)",
        ylabel="R = max L_te / L_te(0)",
        title="test-loss rise",
    )
    ax[1].legend(fontsize=7)
    return fig


def modular_addition(mod) -> plt.Figure:
    """Fig. 2: accuracies, weight norm and losses at α = 1, and accuracies along α, of a
    trajectory of :func:`.quadratic_mlp_gd.train_modular_addition`."""
    alpha = mod.runs["alpha"].to_numpy()
    one = alpha == 1.0  # the paper's Fig. 2(a, b)
    fig, ax = panels(3)
    s = mod.steps[1:]
    if one.any():
        band(ax[0], s, mod.train_acc[one, 1:], label="train accuracy", ls="--", color="C0")
        band(ax[0], s, mod.test_acc[one, 1:], label="test accuracy", color="C0")
        norm_ax = ax[0].twinx()
        band(norm_ax, s, mod.weight_norm[one, 1:], label="‖W₁‖ + ‖W₂‖", color="C2", ls=":")
        norm_ax.set_ylabel("weight norm ‖W₁‖_F + ‖W₂‖_F", color="C2")
        kw = {"log_mean": True, "color": "C0"}
        band(ax[1], s, mod.train_loss[one, 1:], label="train", ls="--", **kw)
        band(ax[1], s, mod.test_loss[one, 1:], label="test", **kw)
    ax[0].set(xscale="log", xlabel="GD steps", ylabel="accuracy", title="(a) α = 1")
    ax[0].legend(fontsize=7, loc="center left")
    ax[1].set(xscale="log", yscale="log", xlabel="GD steps", ylabel="MSE", title="(b) α = 1")
    ax[1].legend(fontsize=7)
    alphas = list(dict.fromkeys(alpha.tolist()))
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(alphas)))
    for value, col in zip(alphas, colours, strict=True):
        rows = alpha == value
        band(ax[2], s, mod.test_acc[rows, 1:], label=f"α = {value:g}, test", color=col)
        band(ax[2], s, mod.train_acc[rows, 1:], ls="--", color=col)
    title = "(c) α sweep"
    ax[2].set(xscale="log", xlabel="GD steps", ylabel="accuracy (dashed: train)", title=title)
    ax[2].legend(fontsize=7)
    return fig


def eigenvector_labels(eig: ex.EigenvectorLabels) -> plt.Figure:
    """Fig. 5: test and train losses over their initial value for labels along each
    eigenvector rank j of the initial NTK."""
    fig, ax = panels(2)
    for k, j in enumerate(eig.ranks):
        colour = f"C{k}"
        band(
            ax[0], eig.steps[1:], eig.test[:, k, 1:], label=f"j = {j}", log_mean=True, color=colour
        )
        band(ax[1], eig.steps[1:], eig.train[:, k, 1:], log_mean=True, color=colour)
    ax[0].set(
        xscale="log", yscale="log", xlabel="GD steps", ylabel="L_te(t) / L_te(0)", title="test"
    )
    ax[1].set(
        xscale="log", yscale="log", xlabel="GD steps", ylabel="L_tr(t) / L_tr(0)", title="train"
    )
    ax[0].legend(fontsize=7)
    return fig
