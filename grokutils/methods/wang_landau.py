"""Wang-Landau sampling: discrete WL (flat-histogram halving and the 1/t schedule) and
Wang-Landau molecular dynamics (WLMD) over one or two collective variables.

WLMD follows Zhang, Shang, Yang & Zhang (NeurIPS 2025, Alg. 3): walkers are points ``q`` of a
continuous space (network parameters, or a test system) moving under Langevin dynamics whose
potential is the running entropy estimate ``S(cv(q), t)`` on a grid of the collective
variables ``cv``; every step deposits a Gaussian kernel of weight ``f(t)`` at each walker's
``cv`` (eq. 3), so the walkers are pushed away from visited regions and ``S`` converges to
``k_BT · ln Ω(cv)`` up to a constant. Walkers are a tensor dimension ``[W, n]``; they form
``groups`` of equal size, each group with its own ``S`` (independent runs, batched), so a run
carries its own error estimate (the spread between groups).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch
from scipy import ndimage

from grokutils.core.seeding import torch_generator
from grokutils.core.trajectory import Recorder, Trajectory

# --------------------------------------------------------------------------------------------
# Discrete Wang-Landau (lattice systems): flat-histogram halving vs the 1/t schedule


def wang_landau_discrete(
    energy_moves: Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple],
    state: np.ndarray,
    energy_index: np.ndarray,
    n_levels: int,
    n_steps: int,
    *,
    schedule: str = "1/t",
    flatness: float = 0.8,
    check_every: int = 1000,
    ln_f_final: float = 0.0,
    record_every: int = 1000,
    observe: Callable[[np.ndarray], Mapping[str, np.ndarray]] | None = None,
    seed: int = 0,
) -> Trajectory:
    """Wang-Landau estimate of ``ln g`` for ``R`` independent replicas in lockstep.

    energy_moves(state, idx, rng) -> (new_index [R], apply): proposes one move per replica and
    returns the level index after the move and a callable ``apply(mask)`` that commits the moves
    of the accepted replicas. state: ``[R, ...]`` replica configurations; energy_index ``[R]``
    their current level. ``schedule``: ``"halving"`` (classic WL: ln f ← ln f / 2 when the
    histogram is flat, ``min H >= flatness · mean H``; stops updating once ``ln f < ln_f_final``)
    or ``"1/t"`` (Belardinelli & Pereyra 2007: halve when every level was visited, until
    ``ln f <= n_levels / t``, then ``ln f = n_levels / t`` with ``t`` the trial-move count).

    Returns a :class:`Trajectory` over the replicas, recorded every ``record_every`` trial
    moves (the record at step t follows the t-th move): the series ``ln_f`` and those of
    ``observe(ln_g [R, n_levels]) -> {name: [R]}`` (e.g. the error against an exact ``ln g``);
    ``final["ln_g"] [R, n_levels]`` is the estimate at the last record.
    """
    if schedule not in ("halving", "1/t"):
        raise ValueError(f"schedule must be 'halving' or '1/t'; got {schedule!r}")
    if not 0 < flatness < 1:
        raise ValueError(f"flatness must be in (0, 1); got {flatness}")
    if n_steps < 1 or check_every < 1 or record_every < 1:
        raise ValueError("n_steps, check_every and record_every must be positive")
    rng = np.random.default_rng(seed)
    n_rep = len(energy_index)
    rows = np.arange(n_rep)
    ln_g = np.zeros((n_rep, n_levels))
    hist = np.zeros((n_rep, n_levels))
    ln_f = np.ones(n_rep)
    tail = np.zeros(n_rep, dtype=bool)  # 1/t: replicas in the 1/t phase
    idx = energy_index.copy()
    rec = Recorder(np.arange(record_every, n_steps + 1, record_every))
    last = ln_g.copy()
    for t in range(1, n_steps + 1):
        new, apply = energy_moves(state, idx, rng)
        # accept with min(1, g(E)/g(E')): the flat-histogram acceptance of Wang & Landau (2001)
        accept = np.log(rng.random(n_rep)) < ln_g[rows, idx] - ln_g[rows, new]
        apply(accept)
        idx = np.where(accept, new, idx)
        ln_g[rows, idx] += ln_f
        hist[rows, idx] += 1
        if schedule == "1/t":
            ln_f = np.where(tail, n_levels / t, ln_f)
        if t % check_every == 0:
            if schedule == "halving":
                flat = hist.min(1) >= flatness * hist.mean(1)
            else:
                flat = (hist.min(1) > 0) & ~tail
            ln_f = np.where(flat, ln_f / 2, ln_f)
            hist[flat] = 0
            if schedule == "1/t":
                tail |= ln_f <= n_levels / t
                ln_f = np.where(tail, n_levels / t, ln_f)
            else:
                ln_f = np.where(ln_f < ln_f_final, 0.0, ln_f)
        if rec.due(t):
            last = ln_g.copy()
            rec.add(t, ln_f=ln_f, **(observe(last) if observe is not None else {}))
    return rec.trajectory(ln_g=last)


def normalise_ln_g(ln_g: np.ndarray, ln_total: float) -> np.ndarray:
    """Shift ``ln g [..., levels]`` so that ``ln Σ g = ln_total`` (e.g. ``N ln 2`` for Ising)."""
    from scipy.special import logsumexp

    return ln_g - logsumexp(ln_g, axis=-1, keepdims=True) + ln_total


# --------------------------------------------------------------------------------------------
# WLMD: continuous walkers, entropy on a grid of one or two collective variables


@dataclass(frozen=True)
class Axis:
    """One collective variable's grid ``[low, high]`` with ``bins`` bins, and soft walls.

    The walls are the entropy bias of eq. 7, ``wall · (x - wall_high)²`` above ``wall_high``
    (and ``wall · (wall_low - x)²`` below ``wall_low``); ``None`` = no wall on that side.
    """

    low: float
    high: float
    bins: int
    wall_low: float | None = None
    wall_high: float | None = None
    wall: float = 0.0

    def __post_init__(self):
        if not self.high > self.low:
            raise ValueError(f"Axis high must exceed low; got [{self.low}, {self.high}]")
        if self.bins < 3:
            raise ValueError(f"Axis bins must be >= 3; got {self.bins}")
        if self.wall < 0:
            raise ValueError(f"Axis wall must be >= 0; got {self.wall}")

    @property
    def width(self) -> float:
        return (self.high - self.low) / self.bins

    @cached_property
    def centres(self) -> np.ndarray:
        return self.low + self.width * (np.arange(self.bins) + 0.5)

    def bias_gradient(self, x: np.ndarray) -> np.ndarray:
        """d S_bias / dx of the walls (eq. 7) at ``x`` (any shape)."""
        grad = np.zeros_like(x)
        if self.wall_high is not None:
            grad = grad + 2 * self.wall * np.maximum(x - self.wall_high, 0)
        if self.wall_low is not None:
            grad = grad - 2 * self.wall * np.maximum(self.wall_low - x, 0)
        return grad

    def index(self, x: np.ndarray) -> np.ndarray:
        """Bin index of ``x``; -1 outside the grid."""
        i = np.floor((np.asarray(x) - self.low) / self.width).astype(int)
        return np.where((i >= 0) & (i < self.bins), i, -1)


@dataclass(frozen=True)
class WLMDConfig:
    """Dynamics and Wang-Landau schedule of a WLMD run (defaults: the paper's k_BT = 1).

    dt: time step Δt; friction: c_f = 1 - e^{-γΔt} per step; kT: k_BT; sigma_bins: Gaussian
    kernel width in bins (per axis); F, t_rise: WL factor ``f(t) = F·min(t/t_rise, t_rise/t)``
    per walker-step (the 1/t tail); freeze_at: step after which S is frozen (production phase,
    histograms only; None = never); bound: reflective box ``|q_i| <= bound`` (None = free).
    """

    dt: float = 1e-3
    friction: float = 0.01
    kT: float = 1.0
    sigma_bins: float = 1.0
    F: float = 1.0
    t_rise: float = 1e4
    freeze_at: int | None = None
    bound: float | None = None

    def __post_init__(self):
        for name in ("dt", "kT", "sigma_bins", "F", "t_rise"):
            if not getattr(self, name) > 0:
                raise ValueError(f"WLMDConfig.{name} must be > 0; got {getattr(self, name)}")
        if not 0 < self.friction <= 1:
            raise ValueError(f"WLMDConfig.friction must be in (0, 1]; got {self.friction}")
        if self.bound is not None and self.bound <= 0:
            raise ValueError(f"WLMDConfig.bound must be > 0 or None; got {self.bound}")

    def factor(self, t: int) -> float:
        """WL deposit f(t) = F·min(t/t_rise, t_rise/t) (paper, Sec. 3), frozen after freeze_at."""
        if self.freeze_at is not None and t > self.freeze_at:
            return 0.0
        return self.F * min(t / self.t_rise, self.t_rise / t)


@dataclass
class WLMDResult:
    """Output of :func:`wlmd`. Grids are ``[G, *bins]`` (G independent groups of walkers).

    entropy: ``S / k_BT`` (= ln Ω + const per group, bias excluded); hist: visits per bin since
    the start of the production phase (or the whole run); entropy_half: the entropy at half the
    run (a convergence diagnostic); record: the walkers' :class:`Trajectory` (one run per
    walker) with one series per collective variable (``cv_names``), per observable of
    ``observe_fn`` and ``kinetic_temperature`` (2KE/n / k_BT); factor ``[T]``: the WL factor at
    the recorded steps.
    """

    axes: tuple[Axis, ...]
    entropy: np.ndarray
    entropy_half: np.ndarray
    hist: np.ndarray
    record: Trajectory
    factor: np.ndarray
    final_q: torch.Tensor = field(repr=False)


def _interpolate(field_: np.ndarray, u: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Multilinear interpolation of ``field_ [G, *bins]`` at fractional bin coordinates
    ``u [W, d]`` (bin centres at integers, clamped to the grid) for walkers of ``group [W]``.
    Returns ``[W]``."""
    shape = field_.shape[1:]
    lo, frac = [], []
    for a in range(u.shape[1]):
        ua = np.clip(u[:, a], 0, shape[a] - 1)
        i0 = np.minimum(ua.astype(int), shape[a] - 2)
        lo.append(i0)
        frac.append(ua - i0)
    if len(lo) == 1:
        g = field_[group, lo[0]]
        return g + frac[0] * (field_[group, lo[0] + 1] - g)
    (i, j), (fi, fj) = lo, frac
    return (1 - fi) * ((1 - fj) * field_[group, i, j] + fj * field_[group, i, j + 1]) + fi * (
        (1 - fj) * field_[group, i + 1, j] + fj * field_[group, i + 1, j + 1]
    )


def _kernels(axes: tuple[Axis, ...], cv: np.ndarray, sigma_bins: float) -> list[np.ndarray]:
    """Per-axis Gaussian kernels ``[W, bins_a]``, each normalised to unit mass on an
    unbounded grid (mass outside the window is lost, as with a finite grid)."""
    out = []
    for a, axis in enumerate(axes):
        z = (axis.centres[None, :] - cv[:, a : a + 1]) / (sigma_bins * axis.width)
        out.append(np.exp(-0.5 * z**2) / (math.sqrt(2 * math.pi) * sigma_bins))
    return out


Pullback = Callable[[torch.Tensor], torch.Tensor]
"""``pullback(w [W, d]) -> ∇_q Σ_a w_a·cv_a [W, n]``: a collective variable's vector-Jacobian
product at the point it was evaluated."""
CollectiveVariables = Callable[[torch.Tensor], tuple[torch.Tensor, Pullback]]
"""``cv_fn(q [W, n]) -> (cv [W, d], pullback)``: the collective variables of walkers ``q`` and
their pull-back (hand-written, or :func:`differentiable`'s autograd)."""


def differentiable(fn: Callable[[torch.Tensor], torch.Tensor]) -> CollectiveVariables:
    """The :data:`CollectiveVariables` of a differentiable ``fn(q [W, n]) -> cv [W, d]``,
    pulled back by autograd."""

    def cv_fn(q: torch.Tensor) -> tuple[torch.Tensor, Pullback]:
        q = q.detach().requires_grad_(True)
        cv = fn(q)

        def pullback(w: torch.Tensor) -> torch.Tensor:
            return torch.autograd.grad((cv * w.to(cv.dtype)).sum(), q)[0]

        return cv.detach(), pullback

    return cv_fn


def wlmd(
    cv_fn: CollectiveVariables,
    q0: torch.Tensor,
    axes: tuple[Axis, ...] | list[Axis],
    config: WLMDConfig,
    n_steps: int,
    *,
    groups: int = 1,
    seed: int = 0,
    record_every: int = 100,
    cv_names: tuple[str, ...] = ("cv0", "cv1"),
    observe_fn: Callable[[torch.Tensor], Mapping[str, torch.Tensor]] | None = None,
    entropy0: np.ndarray | None = None,
    progress_desc: str | None = None,
) -> WLMDResult:
    """Run WLMD (Alg. 3) for ``n_steps`` steps on walkers ``q0 [W, n]``.

    cv_fn(q [W, n]) -> (cv [W, d], pullback) (:data:`CollectiveVariables`; d = len(axes), 1 or
    2; :func:`differentiable` makes one of a differentiable function). Walkers
    ``g·M … (g+1)·M - 1`` (M = W / groups) share entropy grid g. Every ``record_every`` steps
    (the record at step t measures the walkers after t steps) the record gets the cv (series
    ``cv_names[a]``), ``observe_fn(q) -> {name: [W]}`` (extra observables, no gradient; e.g.
    test accuracy) and the kinetic temperature. entropy0 ``[G, *bins]``: initial ln Ω
    estimate (e.g. a previous run's), default zero.
    """
    from grokutils.core.progress import progress

    axes = tuple(axes)
    if q0.ndim != 2:
        raise ValueError(f"q0 must have shape [W, n]; got {tuple(q0.shape)}")
    if len(axes) not in (1, 2):
        raise ValueError(f"axes must hold 1 or 2 collective variables; got {len(axes)}")
    n_walk = q0.shape[0]
    if groups < 1 or n_walk % groups:
        raise ValueError(f"groups must divide the {n_walk} walkers; got {groups}")
    if n_steps < 1 or record_every < 1:
        raise ValueError("n_steps and record_every must be positive")
    bins = tuple(a.bins for a in axes)
    gen = torch_generator(seed)
    group = np.arange(n_walk) // (n_walk // groups)
    member = np.eye(groups)[group].T  # [G, W]: sums deposits per group
    kT, dt, cf = config.kT, config.dt, config.friction
    # S holds k_BT·ln Ω: the force -∇S has no k_BT factor (Alg. 1 and 3)
    S = np.zeros((groups, *bins))
    if entropy0 is not None:
        S = S + kT * np.asarray(entropy0, dtype=float)
    hist = np.zeros((groups, *bins))
    q = q0.detach().clone()
    if config.bound is not None:
        q = q.clamp(-config.bound, config.bound)
    v = torch.randn(q.shape, generator=gen, dtype=q.dtype) * math.sqrt(kT)  # Maxwell-Boltzmann
    noise = math.sqrt(cf * (2 - cf) * kT)  # eq. 5: stationary ⟨v²⟩ = k_BT
    widths = np.array([a.width for a in axes])
    lows = np.array([a.low + 0.5 * a.width for a in axes])
    if len(cv_names) < len(axes):
        raise ValueError(f"cv_names must name the {len(axes)} collective variables; got {cv_names}")
    rec = Recorder(np.arange(record_every, n_steps + 1, record_every))
    rec_f = []
    S_half = S.copy()
    iterator = range(1, n_steps + 1)
    if progress_desc:
        iterator = progress(iterator, desc=progress_desc, total=n_steps)
    for t in iterator:
        cv, pullback = cv_fn(q)
        cvd = cv.double().cpu().numpy()
        u = (cvd - lows) / widths  # fractional bin coordinates, centres at integers
        inside = (u >= -0.5) & (u <= np.array(bins) - 0.5)  # [W, d]: no S-force off the grid
        grads = np.gradient(S, *widths, axis=tuple(range(1, S.ndim)))
        grads = [grads] if len(axes) == 1 else grads
        dS = np.stack(
            [
                inside[:, a] * _interpolate(g, u, group) + axes[a].bias_gradient(cvd[:, a])
                for a, g in enumerate(grads)
            ],
            axis=1,
        )
        # ∇_q S = Σ_a ∂S/∂cv_a ∇_q cv_a (step 3 of Alg. 3)
        grad_q = pullback(torch.as_tensor(dS).to(cv.dtype))
        # eq. 5: v ← v(1 - c_f) + a·Δt + sqrt(c_f(2 - c_f)k_BT)·ξ, with a = -∇S; q ← q + v·Δt
        xi = torch.randn(q.shape, generator=gen, dtype=q.dtype)
        v.mul_(1 - cf).add_(grad_q, alpha=-dt).add_(xi, alpha=noise)
        q.add_(v, alpha=dt)
        if config.bound is not None:  # reflect at ±bound: mirror the position, flip the velocity
            b = config.bound
            out = q.abs() > b
            q = torch.where(out, torch.sign(q) * (2 * b - q.abs()), q).clamp(-b, b)
            v = torch.where(out, -v, v)
        f = config.factor(t)
        if f > 0:  # eq. 3: Gaussian deposit at every walker's cv, summed per group
            ks = _kernels(axes, cvd, config.sigma_bins)
            if len(ks) == 1:
                S += f * (member @ ks[0])
            else:
                pair = (ks[0][:, :, None] * ks[1][:, None, :]).reshape(n_walk, -1)
                S += f * (member @ pair).reshape(S.shape)
        if config.freeze_at is None or t > config.freeze_at:
            _count(hist, axes, cvd, group)
        if t == n_steps // 2:
            S_half = S.copy()
        if rec.due(t):
            observed = {}
            if observe_fn is not None:
                with torch.no_grad():
                    observed = observe_fn(q)
            cvs = {name: cvd[:, a] for a, name in enumerate(cv_names[: len(axes)])}
            temperature = (v.double() ** 2).mean(1).cpu().numpy() / kT
            rec.add(t, **cvs, **observed, kinetic_temperature=temperature)
            rec_f.append(f)
    return WLMDResult(
        axes=axes,
        entropy=S / kT,
        entropy_half=S_half / kT,
        hist=hist,
        record=rec.trajectory(),
        factor=np.array(rec_f),
        final_q=q,
    )


def _count(hist: np.ndarray, axes: tuple[Axis, ...], cv: np.ndarray, group: np.ndarray) -> None:
    idx = [a.index(cv[:, i]) for i, a in enumerate(axes)]
    ok = np.all([i >= 0 for i in idx], axis=0)
    flat = np.ravel_multi_index((group[ok], *[i[ok] for i in idx]), hist.shape)
    hist.reshape(-1)[:] += np.bincount(flat, minlength=hist.size)


def langevin_displacement_variance(
    steps: np.ndarray, dt: float, friction: float, kT: float
) -> np.ndarray:
    """Variance per coordinate of ``q_t - q_0`` under the force-free thermostat of eq. 5
    (velocity ``v ← ρv + sqrt(c_f(2 - c_f)k_BT)·ξ`` with ρ = 1 - c_f, stationary Maxwell-Boltzmann
    velocities, ``q ← q + v·Δt``): ``Δt² k_BT Σ_{i,j<t} ρ^|i-j|``
    ``= Δt² k_BT [t(1+ρ)/(1-ρ) - 2ρ(1-ρ^t)/(1-ρ)²]``. The thermal-noise baseline of a norm."""
    t = np.asarray(steps, dtype=float)
    rho = 1.0 - friction
    if friction == 1.0:
        return dt**2 * kT * t
    return dt**2 * kT * (t * (1 + rho) / (1 - rho) - 2 * rho * (1 - rho**t) / (1 - rho) ** 2)


# --------------------------------------------------------------------------------------------
# Diagnostics and read-outs


def flatness(hist: np.ndarray, mask: np.ndarray | None = None) -> float:
    """``min H / mean H`` over the masked bins (classic WL flatness; 1 = perfectly flat)."""
    h = hist[mask] if mask is not None else hist.ravel()
    return float(h.min() / h.mean()) if h.size and h.mean() > 0 else 0.0


def run_difference(s_a: np.ndarray, s_b: np.ndarray, mask: np.ndarray) -> float:
    """rms difference of two entropy estimates over the common ``mask``, each shifted to zero
    mean there (entropies are defined up to a constant)."""
    if not mask.any():
        return float("nan")
    a, b = s_a[mask], s_b[mask]
    return float(np.sqrt(np.mean(((a - a.mean()) - (b - b.mean())) ** 2)))


def conditional_mean(
    x: np.ndarray, obs: np.ndarray, axis: Axis, min_count: int = 20
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and count of an observable per bin of ``x``, pooling every sample of every run.

    Under a bias that depends on ``x`` only, the law of the observable at fixed ``x`` is the
    unbiased (microcanonical) one, so this is ⟨A⟩(x) with S(x, A) = S₁(x) + ln P(A|x)
    (spec §4.3). ``x``, ``obs``: ``[runs, T]`` records (a Trajectory's series); samples are
    pooled step by step (all runs at the first step, then the next, ...). Returns
    ``(mean [bins], count [bins], sem [bins])``; NaN below ``min_count``.
    """
    x, obs = np.asarray(x).T, np.asarray(obs).T  # step by step: the order of the sums
    idx = axis.index(x.ravel())
    o = obs.ravel()
    ok = idx >= 0
    count = np.bincount(idx[ok], minlength=axis.bins).astype(float)
    total = np.bincount(idx[ok], weights=o[ok], minlength=axis.bins)
    total2 = np.bincount(idx[ok], weights=o[ok] ** 2, minlength=axis.bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        sem = np.sqrt(np.maximum(total2 / count - mean**2, 0) / count)
    bad = count < min_count
    mean[bad], sem[bad] = np.nan, np.nan
    return mean, count, sem


def bottleneck_barrier(entropy: np.ndarray, mask: np.ndarray, start, end) -> float:
    """Entropy barrier between two bins of a 2-D map: ``S(start) - max over paths of the
    minimum S along the path`` (through populated, 4-connected bins), clipped at 0.

    A positive value is a dip that any path from ``start`` to ``end`` must cross (spec C3).
    """
    if not (mask[start] and mask[end]):
        raise ValueError("start and end must be populated bins")
    levels = np.unique(entropy[mask])[::-1]
    for level in levels:  # the highest level at which start and end are connected
        labels, _ = ndimage.label(mask & (entropy >= level))
        if labels[start] and labels[start] == labels[end]:
            return float(max(entropy[start] - level, 0.0))
    raise AssertionError("start and end are always connected at the lowest level")
