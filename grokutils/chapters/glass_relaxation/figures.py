"""The figures of chapter 04 (grokking as computational glass relaxation), one function per
figure; each takes the chapter's typed results (:mod:`.experiments`)
and returns the matplotlib figure."""

from __future__ import annotations

import numpy as np

from grokutils.chapters.glass_relaxation.experiments import (
    BandMaps,
    EquilibriumCurve,
    FixedNormControl,
    Grokking,
    HarmonicValidation,
    IsingValidation,
    WandSweep,
)
from grokutils.core.plotting import band, panels
from grokutils.methods.exact_dos import harmonic_exact_entropy


def ising_convergence(ising: IsingValidation):
    """Error of ln g and the modification factor ln f against trial moves, per schedule
    (medians over replicas), with the ``t^-1/2`` guide through the 1/t schedule's end."""
    fig, axes = panels(2, width=9, height=3.2)
    for name, r in ising.runs.items():
        label = f"{name} (median of {r.n_runs})"
        axes[0].loglog(r.steps, np.median(r.max_error, 0), "o-", ms=3, label=label)
        axes[1].loglog(r.steps, np.median(r.ln_f, 0), label=name)
    t = ising.runs["1/t"].steps
    guide = np.median(ising.runs["1/t"].max_error[:, -1]) * np.sqrt(t[-1] / t)
    axes[0].loglog(t, guide, "k:", label=r"$\propto t^{-1/2}$")
    axes[0].set(
        xlabel="spin-flip trials per run",
        ylabel=r"max$_E$ |Δ ln g(E)|",
        title="4×4 Ising: error of ln g",
    )
    axes[1].set(xlabel="spin-flip trials per run", ylabel=r"ln f", title="modification factor")
    axes[1].legend()
    axes[0].legend()
    return fig


def harmonic_entropy(harm: HarmonicValidation):
    """The harmonic system's entropy along x and y (groups' mean ± sd against exact) and the
    kinetic temperature of the run; two bins at each wall are left out."""
    hx, hy, run = harm.x, harm.y, harm.run
    fig, axes = panels(3, width=10, height=3.0)
    inner = run.entropy[:, 2:-2, 2:-2]
    S = inner - inner.mean((1, 2), keepdims=True)
    exact = harmonic_exact_entropy(hx[:, None], hy[None, :], harm.n_dim)[2:-2, 2:-2]
    exact = exact - exact.mean()
    band(axes[0], hx[2:-2], S.mean(2), label="WLMD (groups mean ± sd)")
    axes[0].plot(hx[2:-2], exact.mean(1), "k--", label="exact, slope n/2")
    band(axes[1], hy[2:-2], S.mean(1) - S.mean(1).max(1, keepdims=True), label="WLMD")
    axes[1].plot(hy[2:-2], exact.mean(0) - exact.mean(0).max(), "k--", label="exact")
    temperature = run.record.kinetic_temperature.mean(0)
    axes[2].plot(run.record.steps, temperature, label="2KE/(n k_BT)")
    axes[0].set(xlabel="x = ln U", ylabel="S (nats)", title="entropy along x")
    axes[1].set(xlabel="y = q₁/|q|", ylabel="S − max (nats)", title="entropy along y")
    axes[2].set(
        xlabel="WLMD steps",
        ylabel="kinetic temperature / k_BT",
        ylim=(0.8, 1.2),
        title="thermostat",
    )
    for ax in axes:
        ax.legend()
    return fig


def accuracy_curves(grok: Grokking, tasks):
    """Train and test accuracy of the AdamW baseline, one panel per task with weight decay and
    one for the weight-decay-0 control (bands over seeds)."""
    traj, runs = grok.traj, grok.traj.runs
    labels = [f"{t}, wd 1" for t in tasks] + ["x+y, wd 0"]
    masks = [(runs["task"] == t) & (runs["weight_decay"] > 0) for t in tasks]
    masks.append(runs["weight_decay"] == 0)
    fig, axes = panels(len(labels), width=11, height=2.9, sharey=True)
    for ax, name, sel in zip(axes, labels, masks, strict=True):
        sel = sel.to_numpy()
        band(ax, traj.steps, traj.train_acc[sel], label="train")
        band(ax, traj.steps, traj.test_acc[sel], label="test")
        ax.set(xscale="symlog", xlabel="AdamW steps", title=name)
    axes[0].set_ylabel("accuracy")
    axes[0].legend()
    return fig


def adamw_paths(grok: Grokking):
    """The x+y AdamW runs (weight decay 1) in the (ln L_train, Ã_test) plane (paper Fig. 1a)."""
    fig, axes = panels(1, width=5.5, height=3.6)
    traj = grok.traj
    for k in np.flatnonzero(grok.x_plus_y):
        axes[0].plot(traj.ln_train_loss[k], traj.smooth_test_acc[k], lw=1, label=f"x+y seed {k}")
    axes[0].set(
        xlabel=r"ln $L_\mathrm{train}$",
        ylabel=r"smoothed test accuracy $\tilde A$ (s = 7)",
        title="AdamW path (wd 1)",
    )
    axes[0].legend()
    return fig


def fixed_norm_curves(fixed: FixedNormControl):
    """Train and test accuracy of the fixed-norm control, one panel per hidden width, each at
    the global norm ``fixed.rms · √(parameters)`` of its width."""
    fig, axes = panels(len(fixed.trajs), width=10, height=2.9, sharey=True)
    radii = fixed.radius_text().split("; ")
    for ax, traj, radius in zip(axes, fixed.trajs.values(), radii, strict=True):
        band(ax, traj.steps, traj.train_acc, label="train")
        band(ax, traj.steps, traj.test_acc, label="test")
        ax.set(xlabel="AdamW steps", title=f"{radius.replace('h ', 'hidden ')}: ‖θ‖")
    axes[0].set_ylabel("accuracy")
    axes[0].legend()
    return fig


def equilibrium_curve(curve: EquilibriumCurve):
    """The 1-D WLMD equilibrium curve ⟨A⟩(ln L) (pooled ± sem, and per group) against AdamW's
    descending leg, and each group's entropy estimate S₁ over the visited bins."""
    x = curve.axis.centres
    fig, axes = panels(2, width=10, height=3.3)
    axes[0].errorbar(x, curve.mean, curve.sem, fmt="o-", ms=3, label="WLMD equilibrium ⟨A⟩(x)")
    for c, lab in zip(curve.curves, ("group 1", "group 2"), strict=True):
        axes[0].plot(x, c, lw=0.8, alpha=0.6, label=lab)
    axes[0].plot(x, curve.adamw, "k-", lw=2, label="AdamW (wd 1), descending leg")
    axes[0].axvline(curve.compare_ln_loss, color="grey", ls=":")
    axes[0].set(
        xlabel=r"ln $L_\mathrm{train}$",
        ylabel="test accuracy A",
        title="equilibrium vs AdamW (x+y)",
    )
    run = curve.run
    seen = run.hist.sum(0) > 0  # bins some walker visited
    S1 = run.entropy[:, seen] - run.entropy[:, seen].max(1, keepdims=True)
    for g in range(len(S1)):
        axes[1].plot(x[seen], S1[g], label=f"group {g + 1}")
    axes[1].set(
        xlabel=r"ln $L_\mathrm{train}$", ylabel=r"$S_1$ − max (nats)", title="1-D entropy estimate"
    )
    axes[1].legend()
    axes[0].legend(fontsize=8)
    return fig


def band_maps(maps: BandMaps):
    """The two band-limited 2-D entropy maps (visited bins, AdamW starting points in red) and
    their convergence diagnostics (WL factor, rms difference of the two maps)."""
    fig, axes = panels(3, width=11, height=3.3)
    lo, hi = maps.maps[0]["window"]
    for ax, m, name in zip(axes[:2], maps.maps, ("run A", "run B"), strict=True):
        seen = m["hist"] > 0
        S2 = np.where(seen, m["entropy"] - m["entropy"][seen].max(), np.nan)
        im = ax.imshow(S2.T, origin="lower", aspect="auto", extent=(lo, hi, 0, 1), cmap="viridis")
        ax.plot(*m["start"].T, "r.", ms=4, label="AdamW start")
        ax.set(
            xlabel=r"ln $L_\mathrm{train}$",
            ylabel=r"$\tilde A_\mathrm{test}$",
            title=f"S, {name} (nats)",
        )
        fig.colorbar(im, ax=ax)
    axes[0].legend(loc="upper right", fontsize=8)
    factor = maps.maps[0]["factor"]
    axes[2].semilogy(
        np.arange(len(factor)) * maps.maps[0]["record_every"], factor, label="WL factor f"
    )
    axes[2].axhline(maps.noise, color="r", ls=":", label="rms(run A − run B), nats")
    axes[2].set(xlabel="WLMD steps", title="convergence diagnostics")
    axes[2].legend(fontsize=8)
    return fig


def wand_sweep(sweep: WandSweep):
    """WanD per sweep point (medians over networks): test accuracy, weight norm against its
    thermal-noise baseline (dashed), and train accuracy against the norm."""
    fig, axes = panels(3, width=11, height=3.1)
    for pt, r in zip(sweep.points, sweep.runs, strict=True):
        label = f"Δt {pt['dt']:g}, kT {pt['kT']:g}, c_f {pt['friction']:g}"
        norm = np.median(r.weight_norm, 0)
        (line,) = axes[0].plot(r.steps, np.median(r.test_acc, 0), label=label)
        color = line.get_color()
        axes[1].plot(r.steps, norm, color=color, label=label)
        axes[1].plot(r.steps, np.median(r.thermal_norm, 0), "--", color=color, lw=1)
        axes[2].plot(norm, np.median(r.train_acc, 0), color=color, label=label)
    axes[0].set(xlabel="WanD steps", ylabel="test accuracy (median)", title="WanD on x+y")
    axes[1].set(xlabel="WanD steps", ylabel="‖θ‖", title="weight norm (dashed: thermal noise only)")
    axes[2].set(xlabel="‖θ‖", ylabel="train accuracy (median)", title="training fit vs norm")
    axes[1].legend(fontsize=7)
    axes[0].legend(fontsize=7)
    return fig
