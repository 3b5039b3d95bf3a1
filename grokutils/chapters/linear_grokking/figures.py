"""Figures of the linear-grokking chapter: every simulated curve (mean ± sd over seeds, colour)
with its analytic curve (black) on top; theory-only panels for Figs. 4 and 6."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from grokutils.chapters.linear_grokking import experiments as ex
from grokutils.chapters.linear_grokking import theory as th
from grokutils.core.plotting import band, panels
from grokutils.core.trajectory import Trajectory

PARTS = (("train", 0, True), ("test", 1, False))
"""(series prefix, index of the theory curve, dashed): train dashed, test solid."""


def power_of_ten(x: float) -> str:
    """``1e-4`` for 0.0001: a threshold as the paper writes it."""
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def overlay(ax: plt.Axes, x, runs, theory, *, color, label=None, dashed=False, loss=True) -> None:
    """Simulation ``runs [runs, len(x)]`` (mean ± sd over seeds) in colour, ``theory`` in black
    on top; log axes for a loss (geometric mean), log-x for an accuracy."""
    style = "--" if dashed else "-"
    runs = np.maximum(runs, 1e-300) if loss else runs
    band(ax, x, runs, color=color, label=label, log_mean=loss, linestyle=style)
    ax.plot(x, theory, color="black", linestyle=style, linewidth=0.9)
    ax.set_xscale("log")
    ax.set_yscale("log" if loss else "linear")


def losses_and_accuracies(
    ax_loss, ax_acc, curve: Trajectory, theory, *, eps, color, label, d_out=1, skip=0
) -> None:
    """Train (dashed) and test (solid) losses on ``ax_loss`` and accuracies on ``ax_acc``, each
    with its theory (``theory = (L_tr, L_gen)`` at the curve's steps; the accuracy theory is
    ``A(L)`` of eq. 10 / 13). ``skip``: leading records left out (step 0 on a log axis)."""
    x = curve.steps[skip:]
    for key, index, dashed in PARTS:
        kwargs = {"color": color, "dashed": dashed}
        overlay(
            ax_loss,
            x,
            curve[f"{key}_loss"][:, skip:],
            theory[index],
            label=None if dashed else label,
            **kwargs,
        )
        accuracy = th.accuracy_from_loss(theory[index], eps, d_out)
        overlay(ax_acc, x, curve[f"{key}_acc"][:, skip:], accuracy, loss=False, **kwargs)


def lambda_sweep(sweep: ex.LambdaSweep, *, eps: float, eta: float) -> plt.Figure:
    """Fig. 1: losses and accuracies per λ, and Δt against λ per ε (theory, simulation, eq. 12)."""
    fig, ax = panels(3)
    for k, lam in enumerate(sweep.curves):
        losses_and_accuracies(
            ax[0],
            ax[1],
            sweep.curves[lam],
            sweep.theory[lam],
            eps=eps,
            color=f"C{k}",
            label=f"λ = {lam}",
        )
    delay = sweep.delay
    for i, e in enumerate(delay.eps):
        ax[2].plot(sweep.lam_grid, sweep.delay_theory[i], color=f"C{i}", label=f"ε = {e:g}")
        runs = delay.values[i]  # [λ, runs]
        ax[2].errorbar(delay.lambdas, runs.mean(-1), runs.std(-1), fmt="o", color=f"C{i}", ms=4)
    ax[2].plot(
        sweep.lam_grid, th.grokking_delay_eq12(sweep.lam_grid, eta=eta), "k--", label="eq. 12"
    )
    ax[0].set(xlabel="GD steps", ylabel="loss", ylim=(1e-12, 3))
    ax[1].set(xlabel="GD steps", ylabel=f"accuracy (ε = {eps:g})")
    ax[2].set(xlabel="λ = d_in / N_tr", ylabel="Δt_grok (GD steps)", yscale="log")
    ax[0].legend(fontsize=8)
    ax[2].legend(fontsize=8)
    return fig


def late_time(*, eta: float, lam: float = 0.9) -> plt.Figure:
    """Fig. 6: the exact losses with eqs. 22-23, and eqs. 22, 23, 11 over the exact curves."""
    t = np.geomspace(10, 10**5.5, 300)
    exact = th.losses(t, lam, eta=eta)
    ratios = {
        "eq. 22 / exact (train)": th.train_loss_late(t, lam, eta=eta) / exact[0],
        "eq. 23 / exact (gen)": th.gen_loss_late(t, lam, eta=eta) / exact[1],
        "eq. 11 / exact (gen)": th.gen_loss_leading(t, lam, eta=eta) / exact[1],
    }
    fig, ax = panels(2, width=8)
    for k, (label, ratio) in enumerate(ratios.items()):
        ax[1].plot(t, ratio, color=f"C{k}", label=label)
    ax[0].plot(t, exact[0], "k--", label="exact train (eq. 8)")
    ax[0].plot(t, exact[1], "k-", label="exact gen (eq. 8)")
    ax[0].plot(t, th.train_loss_late(t, lam, eta=eta), color="C0", linestyle=":", label="eq. 22")
    ax[0].plot(t, th.gen_loss_late(t, lam, eta=eta), color="C1", linestyle=":", label="eq. 23")
    ax[0].set(xscale="log", yscale="log", xlabel="GD steps", ylabel=f"loss (λ = {lam})")
    ax[1].axvline(th.late_time_scale(lam, eta=eta), color="grey", linewidth=0.8)
    ax[1].set(xscale="log", yscale="log", xlabel="GD steps", ylabel="asymptotic / exact")
    ax[0].legend(fontsize=8)
    ax[1].legend(fontsize=8)
    return fig


def output_dimension(dout: ex.OutputDimension, *, eps: float) -> plt.Figure:
    """Fig. 2: losses and accuracies per ``d_out`` (λ = 0.9), and the theory's Δt(d_out) per λ
    with its maximum (dots)."""
    fig, ax = panels(3)
    for k, d in enumerate(dout.curves):
        losses_and_accuracies(
            ax[0],
            ax[1],
            dout.curves[d],
            dout.theory[d],
            eps=eps,
            color=f"C{k}",
            label=f"d_out = {d}",
            d_out=d,
        )
    for k, lam in enumerate(dout.lams):
        ax[2].plot(dout.d_grid, dout.delay[k], color=f"C{k}", label=f"λ = {lam}")
        peak = np.nanargmax(dout.delay[k])
        ax[2].plot(dout.d_grid[peak], np.nanmax(dout.delay[k]), "o", color=f"C{k}")
    ax[0].set(xlabel="GD steps", ylabel="loss (λ = 0.9)", ylim=(1e-9, 3))
    ax[1].set(xlabel="GD steps", ylabel="accuracy")
    ax[2].set(xscale="log", xlabel="d_out", ylabel="Δt_grok theory (GD steps)")
    ax[0].legend(fontsize=8)
    ax[2].legend(fontsize=8)
    return fig


def weight_decay(wd: ex.WeightDecay, *, eps: float) -> plt.Figure:
    """Fig. 3: losses and accuracies per γ (λ = 0.9), and the theory's Δt(γ) per λ, shaded
    above γ_c."""
    fig, ax = panels(3)
    for k, g in enumerate(wd.curves):
        losses_and_accuracies(
            ax[0], ax[1], wd.curves[g], wd.theory[g], eps=eps, color=f"C{k}", label=f"γ = {g:g}"
        )
    for k, lam in enumerate(wd.lams):
        ax[2].plot(wd.g_grid, wd.delay[k], "o-", ms=3, color=f"C{k}", label=f"λ = {lam}")
        if wd.gamma_c[k] > 0:
            ax[2].axvspan(wd.gamma_c[k], 1, color=f"C{k}", alpha=0.08)
    ax[0].set(xlabel="GD steps", ylabel="loss (λ = 0.9)", ylim=(1e-9, 3))
    ax[1].set(xlabel="GD steps", ylabel="accuracy")
    ax[2].set(
        xscale="log", yscale="log", xlabel="weight decay γ", ylabel="Δt_grok theory (GD steps)"
    )
    ax[0].legend(fontsize=8)
    ax[2].legend(fontsize=8, title="shaded: γ > γ_c, no grokking")
    return fig


def phase_diagrams(phase: dict[tuple[str, str], ex.PhasePlane]) -> plt.Figure:
    """Fig. 4: log10 Δt on each plane (white: never groks)."""
    fig, ax = panels(3)
    for k, ((xname, yname), plane) in enumerate(phase.items()):
        mesh = ax[k].pcolormesh(
            plane.x, plane.y, np.log10(plane.delay).T, shading="nearest", cmap="viridis"
        )
        ax[k].set(
            xscale="log", yscale="log" if yname == "d_out" else "linear", xlabel=xname, ylabel=yname
        )
        fig.colorbar(mesh, ax=ax[k], label="log10 Δt_grok (GD steps)")
    return fig


def init_and_noise(init: ex.InitScale, noise: ex.LabelNoise) -> plt.Figure:
    """Left: t*_tr and t*_gen against the init scale α (λ = 0.7), simulation and theory; right:
    test loss with label noise and its floor σ²λ/(1-λ) (dotted)."""
    fig, ax = panels(2, width=8)
    alphas = np.array(list(init.times))
    for k, (name, idx) in enumerate((("t*_tr", 0), ("t*_gen", 1))):
        sim = np.array([t[idx] for t in init.times.values()])
        ax[0].errorbar(
            alphas, sim.mean(-1), sim.std(-1), fmt="o", color=f"C{k}", label=f"{name} simulation"
        )
        theory = [t[idx] for t in init.theory.values()]
        ax[0].plot(alphas, theory, "k-" if idx else "k--", label=f"{name} theory")
    ax[0].set(xscale="log", yscale="log", xlabel="init scale α", ylabel="GD steps (λ = 0.7)")
    for k, ((lam, s), curve) in enumerate(noise.curves.items()):
        label = f"λ = {lam}, σ² = {s:g}"
        band(
            ax[1],
            curve.steps[:-1],
            curve.test_loss[:, :-1],
            color=f"C{k}",
            log_mean=True,
            label=label,
        )
        ax[1].axhline(th.label_noise_floor(lam, s), color=f"C{k}", linestyle=":", linewidth=1)
    ax[1].set(xscale="log", yscale="log", xlabel="GD steps", ylabel="test loss (dotted: σ²λ/(1-λ))")
    ax[0].legend(fontsize=8)
    ax[1].legend(fontsize=7)
    return fig


def two_layer(fig5: ex.TwoLayer, *, eta: float) -> plt.Figure:
    """Fig. 5: losses and accuracies of the linear (top) and tanh (bottom) networks per width,
    with eq. 19 (step 0 left out of the log axis)."""
    widths = sorted({d_h for d_h, _ in fig5.curves}, key=list(d for d, _ in fig5.curves).index)
    fig, ax = panels(2, 2, height=6)
    for row, act in enumerate(("linear", "tanh")):
        for k, d_h in enumerate(widths):
            curve = fig5.curves[d_h, act]
            theory = th.two_layer_losses(
                curve.steps[1:], fig5.lam, eta=eta, d_out=fig5.d_out, d_hidden=d_h
            )
            losses_and_accuracies(
                ax[2 * row],
                ax[2 * row + 1],
                curve,
                theory,
                eps=fig5.eps,
                color=f"C{k}",
                label=f"{act}, d_h = {d_h}",
                d_out=fig5.d_out,
                skip=1,
            )
            ax[2 * row].set(xlabel="GD steps", ylabel="loss")
            ax[2 * row + 1].set(
                xlabel="GD steps", ylabel=f"accuracy (ε = {power_of_ten(fig5.eps)})"
            )
        ax[2 * row].legend(fontsize=8)
    return fig


def gain_probe(probe: ex.GainProbe, fig5: ex.TwoLayer, *, eta: float) -> plt.Figure:
    """Left: test loss of tanh(g·)/g per gain against the linear theory; right: t*'s over the
    linear theory per run (small) and their seed mean (large), censored at the horizon."""
    d_h, theory_times = probe.d_hidden, fig5.theory[probe.d_hidden]
    fig, ax = panels(2, width=8)
    for k, (g, run) in enumerate(sorted(probe.runs.items())):
        t = run.curve.steps[1:]
        theory = th.two_layer_losses(t, fig5.lam, eta=eta, d_out=fig5.d_out, d_hidden=d_h)[1]
        overlay(ax[0], t, run.curve.test_loss[:, 1:], theory, color=f"C{k}", label=f"g = {g:g}")
        for i, marker in ((1, "o"), (0, "s")):
            ratio = ex.censored_ratio(run.times[i], theory_times[i], run.horizon)
            ax[1].plot(np.full(len(ratio), g), ratio, marker, color=f"C{i}", alpha=0.5, ms=4)
            label = ("t*_tr", "t*_gen")[i] + " / theory" if k == 0 else None
            ax[1].plot(g, ratio.mean(), marker, color=f"C{i}", ms=8, label=label)
    ax[0].set(xlabel="GD steps", ylabel=f"test loss, tanh, d_h = {d_h}")
    ax[1].set(
        xscale="log",
        xlabel="gain g (pre-activation variance g²/(2 d_h))",
        ylabel="simulated / linear theory (runs; large: seed mean)",
    )
    ax[0].legend(fontsize=8)
    ax[1].legend(fontsize=8)
    return fig


def finite_size(fs: ex.FiniteSize, *, eps: float, tolerance: float = 0.2) -> plt.Figure:
    """(a) claim 5's statistic against ``d_in`` with its ``tolerance``; (b) each run's Δt over
    the theory (grey) and the seed mean ± its standard error."""
    runs = fs.delay_ratio.shape[1]
    fig, ax = panels(2)
    ax[0].plot(fs.d_ins, fs.loss_deviation, "o-", color="C0", label=f"mean of {runs} seeds")
    ax[0].axhline(tolerance, color="black", linestyle=":", label="claim 5 tolerance")
    ax[0].set(
        xscale="log",
        xlabel="d_in (λ = 0.9)",
        ylabel="max |log(L_sim / L_theory)|",
        title="(a) seed-averaged losses, t ≤ 1.5 t*_gen",
    )
    for k, d in enumerate(fs.d_ins):
        ax[1].plot(np.full(runs, d), fs.delay_ratio[k] - 1, ".", color="0.6")
    mean = fs.delay_ratio.mean(1) - 1
    ax[1].errorbar(fs.d_ins, mean, fs.delay_ratio_se, fmt="o-", color="C1", label="mean ± SE")
    ax[1].axhline(0, color="black", linewidth=0.9)
    ax[1].set(
        xscale="log",
        xlabel="d_in (λ = 0.9)",
        ylabel="Δt_sim / Δt_theory − 1",
        title=f"(b) grokking delay, ε = {eps:g}",
    )
    ax[0].legend(fontsize=8)
    ax[1].legend(fontsize=8)
    return fig
