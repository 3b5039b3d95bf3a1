"""Figures of the statistical-stability chapter: non-convergence, converging statistics, SAS.

Each function takes the chapter's measurements and returns a matplotlib figure; axes carry
units (SGD steps) and legends, and bands are ±1 SD over seeds (geometric on log axes).
"""

from __future__ import annotations

import numpy as np

from grokutils.chapters.ergodic_stability.sgd_ensemble import after_burn_in
from grokutils.core.plotting import band, panels
from grokutils.methods import stability

GROUP_LABELS = {
    "constant": "constant lr, noise",
    "step": "step decay",
    "cosine": "cosine decay",
    "clean_wd": "no noise, wd",
    "control": "plain SGD (control)",
}


def nonconvergence_figure(traj):
    """Training loss, full-batch gradient norm, displacement and Lyapunov twins of a
    trajectory of :func:`.experiments.nonconvergence_runs`."""
    rows = {g: traj.runs.index[traj.runs.group == g].to_numpy() for g in traj.runs.group.unique()}
    fig, ax = panels(4, width=14)
    s = traj.steps
    for name, label in GROUP_LABELS.items():
        r = rows[name]
        band(ax[0], s, traj.train_loss[r], label=label, log_mean=True)
        band(ax[1], s[1:], traj.grad_norm[r][:, 1:], label=label, log_mean=True)
        band(ax[2], s[1:], traj.displacement[r][:, 1:], label=label, log_mean=True)
    reg = traj.grad_norm_reg[rows["clean_wd"]][:, 1:]
    band(ax[1], s[1:], reg, log_mean=True, ls="--", color="C3", label="no noise, wd: ∇(loss + wd)")
    post = after_burn_in(traj)
    twin, base = rows["twin"], rows["constant"][: len(rows["twin"])]
    now = np.abs(traj.test_loss[twin] - traj.test_loss[base])[:, post]
    running = stability.running_average(traj.test_loss[:, post])
    averaged = np.abs(running[twin] - running[base])
    band(ax[3], s[post], now, label="instantaneous |Δ test loss|", log_mean=True)
    band(ax[3], s[post], averaged, label="|Δ running time average|", log_mean=True)
    titles = ["training loss", "full-batch gradient norm", "displacement per evaluation interval"]
    for a, title in zip(ax, [*titles, "Lyapunov twins"], strict=True):
        a.set(xlabel="SGD steps", yscale="log", title=title)
    ax[0].set_ylabel("cross-entropy (noisy labels)")
    ax[1].set_ylabel(r"$\|\nabla L\|$")
    ax[2].set_ylabel(r"$\|w_t - w_{t-\Delta}\|$")
    ax[3].set_ylabel("test-loss difference")
    ax[1].legend(fontsize=7)
    ax[3].legend(fontsize=7)
    return fig


def statistics_figure(statistics, eval_every: int):
    """Seed spread of running time averages against T (with a T^(−1/2) reference), W₁
    between consecutive windows' ensemble laws (with its floor), and per-seed time averages
    against the ensemble average at the last evaluation, from the
    :class:`~.experiments.EnsembleStatistics` ``statistics`` (records ``eval_every`` steps
    apart)."""
    spread, w1_next, w1_split = statistics.spread, statistics.w1_next, statistics.w1_split
    fig, ax = panels(3, width=14)
    windows = np.arange(1, len(spread) + 1)
    ax[0].loglog(windows * eval_every, spread, label="SD over seeds of A(T)")
    reference = spread[-1] * np.sqrt(windows[-1] / windows)
    ax[0].loglog(windows * eval_every, reference, "k--", lw=1, label="∝ T^(−1/2)")
    ax[0].set(xlabel="averaging window T (SGD steps)", ylabel="training loss")
    ax[0].set_title("time averages converge")
    ax[1].plot(np.arange(1, len(w1_next) + 1), w1_next, "o-", label="W₁(window k, window k+1)")
    halves = "floor: W₁(half of the seeds, other half)"
    ax[1].plot(np.arange(len(w1_split)) + 0.5, w1_split, "s:", label=halves)
    ax[1].set(xlabel="time window after burn-in (quarters)", ylabel="W₁ of training-loss laws")
    ax[1].set_title("ensemble law settles")
    per_run = statistics.ergodicity.per_run
    order = np.argsort(per_run.mean)
    x = np.arange(len(order))
    yerr = 2 * per_run.se[order]
    ax[2].errorbar(x, per_run.mean[order], yerr=yerr, fmt="o", ms=3, label="time average ± 2 SE")
    ax[2].axhline(np.mean(statistics.final), color="k", lw=1, label="ensemble average, last step")
    ax[2].set(xlabel="seed (sorted)", ylabel="training loss", title="time vs ensemble averages")
    for a in ax:
        a.legend(fontsize=7)
    return fig


def sas_figure(traj, lr: float, eval_every: int, table):
    """Left: the SAS estimate and its floor on running time averages against the window T for
    each noise level at learning rate ``lr`` of one sweep point ``traj``. Right: the SAS
    estimate of every configuration of ``table`` against the noise level, with its cluster-
    bootstrap interval (filled) and floor (open)."""
    fig, ax = panels(2, width=12)
    runs = traj.runs
    for k, noise in enumerate(sorted(runs.noise.unique())):
        sub = runs[(runs.noise == noise) & (runs.lr == lr)]
        curve = stability.running_average(traj.test_loss[sub.index][:, after_burn_in(traj)])
        t = np.arange(1, curve.shape[1] + 1) * eval_every
        sas = stability.sas_pair_mean(curve, sub.dataset, sub.seed).mean
        floor = stability.seed_floor(curve, sub.dataset, sub.seed).mean
        ax[0].loglog(t, sas, color=f"C{k}", label=f"SAS, noise {noise:.0%}")
        ax[0].loglog(t, floor, "--", color=f"C{k}", label=f"floor, noise {noise:.0%}")
    ax[0].set(xlabel="averaging window T (SGD steps)", ylabel="mean |Δ time-avg test loss|")
    ax[0].set_title(f"lr {lr}, batch {int(runs.batch_size.iloc[0])}")
    for (lr_, b), g in table.groupby(["lr", "batch_size"]):
        (line,) = ax[1].plot(g.noise, g.sas, "o-", label=f"lr {lr_}, B {b}")
        ax[1].vlines(g.noise, g.sas_low, g.sas_high, color=line.get_color())
        ax[1].plot(g.noise, g.floor, "o", mfc="none", color=line.get_color())
    ax[1].set(xlabel="label-noise rate", ylabel="SAS estimate (filled), floor (open)")
    ax[1].set(yscale="log", title="SAS against label noise")
    ax[0].legend(fontsize=7)
    ax[1].legend(fontsize=7, ncol=2)
    return fig


def sas_gap_figure(table, pooled, eval_every: int):
    """SAS estimate (with its interval; open: floor) against the generalisation gap, titled
    with the pooled Spearman ρ and its interval (``pooled``: an
    :class:`~grokutils.core.estimates.Estimate`), and against the autocorrelation time of the test
    loss."""
    fig, ax = panels(2, width=12)
    for k, (noise, g) in enumerate(table.groupby("noise")):
        yerr = [g.sas - g.sas_low, g.sas_high - g.sas]
        label = f"noise {noise:.0%}"
        ax[0].errorbar(g.gap, g.sas, yerr=yerr, fmt="o", color=f"C{k}", label=label)
        ax[0].plot(g.gap, g.floor, "o", mfc="none", color=f"C{k}")
        ax[1].scatter(g.tau_test * eval_every, g.sas, color=f"C{k}", label=label)
    ax[0].set(xlabel="gap: time-avg test loss − time-avg train loss", yscale="log")
    ax[0].set(ylabel="SAS estimate (open: floor)")
    ax[0].set_title(f"pooled Spearman ρ = {pooled.value:.2f} [{pooled.low:.2f}, {pooled.high:.2f}]")
    ax[1].set(xlabel="τ_int of the test loss (SGD steps)", ylabel="SAS estimate")
    ax[1].set(xscale="log", yscale="log", title="autocorrelation time and SAS (exploratory)")
    for a in ax:
        a.legend(fontsize=7)
    return fig
