"""Figures of the thermal-landscape chapter (F1-F6): the panels drawn from its typed results.

Each function draws one figure and returns it; the data come from
:mod:`.experiments` (a :class:`ThermalGrid` and the measurements on
it), the closed forms from :mod:`.theory`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from grokutils.chapters.thermal_landscape import theory
from grokutils.chapters.thermal_landscape.experiments import (
    Curvature,
    SizeAndWidth,
    ThermalGrid,
    ToySummary,
    mean_loss,
    windowed_dimension,
)
from grokutils.core.plotting import panels


def typical_dimension(d_units, exponential) -> float:
    """The median over the exponential regime of the seed-averaged ``D_mean`` (``[S, n_T]``)."""
    return float(np.median(np.asarray(d_units).mean(0)[exponential]))


def loss_and_dimension(run: ThermalGrid, d_units, d_var_units, exponential) -> plt.Figure:
    """F1: (a) one replica's loss at each T; (b) ⟨L⟩ against T with ``D T/2``; (c) ``D_mean``
    and ``D_var`` (±1 sd over data sets) against T, with N. ``d_units``, ``d_var_units``:
    ``[S, n_T]``; ``exponential [n_T]`` the temperatures of the exponential regime."""
    temps, n_points = run.temperatures, int(run.n_points[0])
    d_mean, d_var = d_units.mean(0), d_var_units.mean(0)
    d_star = typical_dimension(d_units, exponential)
    losses = mean_loss(run)
    fig, ax = panels(3)
    for i, t in enumerate(temps):
        ax[0].plot(run.steps, run.loss[0, i, 0], lw=0.6, label=f"T = {t:.0e}")
    ax[0].set(
        yscale="log",
        xlabel="Langevin steps",
        ylabel="training loss L",
        title="(a) one replica per T",
    )
    ax[0].set_ylim(top=30 * run.loss[0].max())
    ax[0].legend(fontsize=7, ncol=3, loc="upper left")
    ax[1].loglog(np.tile(temps, len(losses)), losses.ravel(), "o", ms=4, label="data sets")
    ax[1].loglog(temps, d_star * temps / 2, "k--", label=f"D T/2, D = {d_star:.0f}")
    ax[1].set(
        xlabel="temperature T", ylabel="⟨L⟩ (second half)", title="(b) equipartition-like law"
    )
    ax[1].legend()
    ax[2].errorbar(temps, d_mean, d_units.std(0), fmt="o-", label="$D_{mean}$ = 2⟨L⟩/T")
    ax[2].errorbar(temps, d_var, d_var_units.std(0), fmt="s--", label="$D_{var}$ = 2 Var L / T²")
    ax[2].axhline(n_points, color="grey", lw=1, label=f"N = {n_points}")
    ax[2].set(
        xscale="log",
        xlabel="temperature T",
        ylabel="dimension D (±1 sd over data sets)",
        title=f"(c) D ≪ P = {run.n_params}",
        ylim=(0, 1.4 * max(n_points, d_mean.max())),
    )
    ax[2].legend()
    return fig


def loss_histograms(run: ThermalGrid, d_units, d_var_units, exponential) -> plt.Figure:
    """F2: histograms of ``L/T`` (second half, all chains) at the lowest, a middle and the
    highest T of the exponential regime, against ``Gamma(D_mean/2, 1)``."""
    temps = run.temperatures
    d_mean, d_var = d_units.mean(0), d_var_units.mean(0)
    regime = np.flatnonzero(exponential)
    shown = regime[[0, len(regime) // 2, -1]]
    fig, ax = panels(3)
    for a, i in zip(ax, shown, strict=True):
        scaled = run.half[:, i].ravel() / temps[i]
        grid = np.linspace(0, scaled.max(), 200)
        a.hist(scaled, bins=50, density=True, alpha=0.5, label="Langevin samples")
        a.plot(
            grid, theory.gamma_loss_density(grid, d_mean[i]), "k", label="Gamma($D_{mean}$/2, 1)"
        )
        a.set(
            xlabel="L / T",
            ylabel="density",
            title=f"T = {temps[i]:.0e}: $D_{{var}}/D_{{mean}}$ = {d_var[i] / d_mean[i]:.2f}",
        )
    ax[0].legend()
    return fig


def size_and_width(sw: SizeAndWidth, sizes, widths, temperature: float, n_points: int):
    """F3: (a) D against N with the band #{c > 0.5} … #{c > 0.2}, one line per data set;
    (b) D against the parameter count P of each width (±1 sd over data sets)."""
    fig, ax = panels(2, width=8)
    sizes = np.asarray(sizes)
    ax[0].fill_between(
        sizes,
        sw.n_above_05.mean(0),
        sw.n_above_02.mean(0),
        alpha=0.25,
        color="grey",
        label="#{c > 0.5} … #{c > 0.2}",
    )
    ax[0].plot(
        sizes,
        sw.d_points.T,
        "o-",
        color="C0",
        lw=0.8,
        ms=3,
        alpha=0.6,
        label=["$D_{mean}$, one line per data set"] + [None] * (len(sw.d_points) - 1),
    )
    ax[0].plot(sizes, sizes, ":", color="grey", label="D = N")
    ax[0].set(
        xscale="log",
        yscale="log",
        xlabel="training points N",
        ylabel="dimension D",
        title=f"(a) D vs N, T = {temperature:.0e}",
    )
    ax[0].set_xticks(sizes, [str(n) for n in sizes], minor=False)
    ax[0].minorticks_off()
    ax[0].legend()
    n_params, d_width = sw.n_params_width, sw.d_width
    ax[1].errorbar(n_params, d_width.mean(0), d_width.std(0), fmt="o-")
    for h, x_, y_ in zip(widths, n_params, d_width.mean(0), strict=True):
        ax[1].annotate(
            f"h = {h}", (x_, y_), textcoords="offset points", xytext=(4, -12), fontsize=8
        )
    ax[1].set(
        xscale="log",
        xlabel="parameters P",
        ylabel="dimension D (±1 sd over data sets)",
        ylim=(0, 1.5 * d_width.max()),
        title=f"(b) D vs width, N = {n_points}",
    )
    ax[1].set_xticks(n_params, [str(n) for n in n_params], minor=False)
    ax[1].minorticks_off()
    return fig


def curvature(cv: Curvature, temperatures, d_star: float) -> plt.Figure:
    """F4: (a) λ_max at the sampled configurations against T, and at θ0; (b) the Hessian
    spectrum at θ0 of data set 0 (positive and |negative| eigenvalues over λ_max, by rank)."""
    temps = np.asarray(temperatures)
    lam_mean = cv.lam_units.mean(0)
    fig, ax = panels(2, width=9)
    ax[0].loglog(
        np.tile(temps, len(cv.lam_units)),
        cv.lam_units.ravel(),
        "o",
        ms=4,
        alpha=0.6,
        label="data sets",
    )
    ax[0].loglog(temps, lam_mean, "-", color="C0", label="mean")
    ax[0].loglog(temps, lam_mean[0] * temps / temps[0], "k--", lw=1, label="∝ T")
    ax[0].axhline(cv.lam0.mean(), color="C3", label="at θ0 (Adam end point), mean")
    ax[0].set(
        xlabel="temperature T",
        ylabel="largest Hessian eigenvalue",
        title="(a) λ_max of sampled configurations",
    )
    ax[0].legend()
    spectrum = cv.spectrum0
    pos, neg = np.sort(spectrum[spectrum > 0])[::-1], np.sort(-spectrum[spectrum < 0])[::-1]
    ax[1].loglog(np.arange(1, len(pos) + 1), pos / pos[0], label=f"positive ({len(pos)})")
    ax[1].loglog(np.arange(1, len(neg) + 1), neg / pos[0], label=f"|negative| ({len(neg)})")
    ax[1].axhline(1e-3, color="grey", ls=":", label="10⁻³ λ_max")
    ax[1].axvline(d_star, color="k", ls="--", label=f"measured D ≈ {d_star:.0f}")
    ax[1].set(
        xlabel="rank",
        ylabel="eigenvalue / λ_max",
        ylim=(1e-8, 2),
        title="(b) Hessian spectrum at θ0, data set 0",
    )
    ax[1].legend(fontsize=8)
    return fig


def exponential_wall(mech: dict, toy: ToySummary, exact: dict, temperatures, n_coords, alpha):
    """F5: (a) the margins of the network's active points and of the toy against T; (b) their
    variances; (c) the toy's dimension estimates against ``2nα``. ``mech`` from
    :func:`~.experiments.pooled_margin_mechanism`, ``exact`` from
    :func:`~.theory.toy_model_moments`."""
    temps = np.asarray(temperatures)
    fig, ax = panels(3)
    ax[0].semilogx(
        temps, mech["median_mean"], "o-", label=f"network: median ⟨m_i⟩ ({mech['n_common']} points)"
    )
    ax[0].semilogx(temps, toy.mean_u, "s", label="toy: ⟨u⟩")
    ax[0].semilogx(temps, exact["mean_margin"], "k--", lw=1, label="−ln T − ψ(α)")
    ax[0].set(
        xlabel="temperature T", ylabel="margin", title="(a) margins retreat by ln 10 per decade"
    )
    ax[0].legend(fontsize=8)
    ax[1].loglog(temps, mech["median_var"], "o-", label="network: median Var m_i")
    ax[1].loglog(temps, toy.var_u, "s", label="toy: Var u")
    ax[1].loglog(temps, exact["var_margin"], "k--", lw=1, label="ψ₁(α)")
    quadratic = mech["median_var"][0] * temps / temps[0]
    ax[1].loglog(temps, quadratic, ":", color="grey", label="quadratic well: ∝ T")
    ax[1].set(
        xlabel="temperature T",
        ylabel="margin variance",
        ylim=(0.3, 30),
        title="(b) ... with a T-independent spread",
    )
    ax[1].legend(fontsize=8)
    ax[2].semilogx(temps, toy.d_mean, "o", label="$D_{mean}$")
    ax[2].semilogx(temps, toy.d_var, "s", label="$D_{var}$")
    ax[2].semilogx(temps, 2 * toy.curvature * n_coords, "^", label="2n ⟨e^{−u}⟩/T")
    ax[2].semilogx(temps, exact["dimension"], "k--", lw=1, label="2nα")
    ax[2].set(
        xlabel="temperature T",
        ylabel="dimension",
        ylim=(0, 2 * exact["dimension"][0]),
        title=f"(c) toy model, n = {n_coords}, α = {alpha}",
    )
    ax[2].legend(fontsize=8)
    return fig


def pitfalls(run: ThermalGrid, eta_t: float, n_windows: int = 10) -> plt.Figure:
    """F6: (a) ``|θ|²`` against steps with free diffusion ``|θ0|² + 2PηT t``; (b) ``D_mean``
    in ``n_windows`` windows of rescaled time; (c) PCA variance fractions × k² of the
    parameter and margin trajectories against the random walk's ``6/π²``."""
    temps = run.temperatures
    tau = run.step_size[:, None] * temps[:, None] * run.steps  # rescaled time ηT·t, [n_T, n_rec]
    windows = windowed_dimension(run.loss[..., 1:], temps[None, :, None], n_windows).mean((0, 2))
    k = np.arange(1, run.pca_theta.shape[-1] + 1)
    fig, ax = panels(3)
    for i, t in enumerate(temps):
        ax[0].plot(run.steps, run.sq_norm[:, i].mean((0, 1)), lw=1, label=f"T = {t:.0e}")
        centres = tau[i, -1] * (np.arange(n_windows) + 0.5) / n_windows
        ax[1].plot(centres, windows[i], "o-", ms=3, label=f"T = {t:.0e}")
    sq0 = (run.theta0**2).sum(1).mean()
    ax[0].plot(
        run.steps,
        theory.free_diffusion_sq_norm(sq0, run.n_params, eta_t, run.steps),
        "k--",
        label="|θ0|² + 2PηT t",
    )
    ax[0].set(xlabel="Langevin steps", ylabel="|θ|²", title="(a) free diffusion of the weights")
    ax[0].legend(fontsize=7, ncol=2)
    ax[1].set(
        xlabel="rescaled time τ = ηT · steps",
        ylabel="$D_{mean}$ in the window",
        title="(b) no stationary state",
    )
    ax[2].plot(k, run.pca_theta.mean((0, 1, 2)) * k**2, "o-", label="parameters θ(t)")
    ax[2].plot(k, run.pca_margin.mean((0, 1, 2)) * k**2, "s-", label="margins m(t)")
    ax[2].axhline(6 / np.pi**2, color="k", ls="--", label="random walk: 6/π²")
    ax[2].set(
        xlabel="principal component k", ylabel="variance fraction × k²", title="(c) trajectory PCA"
    )
    ax[2].legend(fontsize=8)
    return fig
