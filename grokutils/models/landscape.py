"""Charting a loss landscape with thermal noise: the set-up of Jules et al. (2023), rebuilt.

The paper's text and code are not public; this module implements the chapter spec's
reconstruction from the abstract and standard statistical mechanics (spec §1.2, §2, §5):

- **data and model**: random Gaussian inputs with random ±1 labels
  (:func:`random_label_data`), a tanh MLP ``d → h → h → 1`` whose parameters are one flat
  vector per replica, ``theta [R, P]`` (:func:`mlp_margins`, :func:`mlp_loss`), batched with
  ``bmm`` so that temperatures × noise seeds × data sets are one tensor dimension;
- **the low-loss region**: batched full-batch Adam until the loss is below a threshold
  (:func:`adam_to_threshold`);
- **thermal exploration**: overdamped Langevin at temperature T with the rescaled-time protocol
  ``η = c/T`` (:func:`thermal_run`, built on :mod:`grokutils.samplers.langevin`);
- **fluctuation analysis**: ``D_mean = 2⟨L⟩/T``, ``D_var = 2 Var(L)/T²``
  (:func:`dimension_estimates`), per-point contributions ``c_i = 2⟨ℓ_i⟩/(N T)``
  (:func:`point_contributions`), stationarity diagnostics (:func:`relative_drift`), and PCA
  of trajectories (:func:`pca_fractions`);
- **Hessians** of the batched loss (:func:`top_hessian_eigenvalues`,
  :func:`hessian_spectrum`, :func:`dense_hessian`) through :mod:`grokutils.measures.hessian`, and an
  exact count of eigenvalues above a threshold by inertia (:func:`count_eigenvalues_above`);
- **the exponential-wall toy model** with exact Gamma statistics (:func:`toy_model_run`).

Loss convention: the *mean* binary cross-entropy over the N points,
``L = (1/N) Σ_i softplus(−m_i)`` with margins ``m_i = s_i f(x_i)``; temperatures are in
these units (with the sum convention ``T_sum = N T``).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F

from grokutils.book.seeding import torch_generator
from grokutils.measures import hessian
from grokutils.samplers.langevin import overdamped_langevin, replica_grid, rescaled_step_sizes

INIT_SEED_OFFSET = 1000
"""The network initialisation of data set ``s`` uses the generator seed ``s + 1000``."""


# --------------------------------------------------------------------------- data and model


def random_label_data(n_points: int, dim: int, data_seeds) -> tuple[torch.Tensor, torch.Tensor]:
    """Random inputs ``x ~ N(0, I_d)`` and uniform random labels ``s = ±1``, one data set per
    seed (each drawn by ``torch.Generator(seed)``: inputs first, then labels).

    Returns float32 ``x [S, N, d]`` and ``s [S, N]``.
    """
    if n_points < 1 or dim < 1:
        raise ValueError(f"n_points and dim must be >= 1; got {n_points}, {dim}")
    xs, ss = [], []
    for seed in np.atleast_1d(data_seeds).tolist():  # a few data sets, each from its own seed
        gen = torch_generator(int(seed))
        xs.append(torch.randn(n_points, dim, generator=gen))
        ss.append(2.0 * torch.randint(0, 2, (n_points,), generator=gen).float() - 1.0)
    return torch.stack(xs), torch.stack(ss)


def mlp_shapes(dim: int, width: int) -> list[tuple[int, ...]]:
    """Shapes of the parameters of the tanh MLP ``d → h → h → 1`` in the order they sit in
    the flat vector: ``W1 [d, h], b1 [h], W2 [h, h], b2 [h], W3 [h, 1], b3 [1]``."""
    if dim < 1 or width < 1:
        raise ValueError(f"dim and width must be >= 1; got {dim}, {width}")
    return [(dim, width), (width,), (width, width), (width,), (width, 1), (1,)]


def mlp_n_params(dim: int, width: int) -> int:
    """``P = d h + h + h² + h + h + 1`` (4929 for d = 10, h = 64)."""
    return sum(math.prod(shape) for shape in mlp_shapes(dim, width))


def mlp_init(dim: int, width: int, seeds) -> torch.Tensor:
    """LeCun-normal weights (std ``1/√fan_in``) and zero biases, one network per seed drawn
    from ``torch.Generator(seed)``. Returns float32 ``theta [S, P]``."""
    thetas = []
    for seed in np.atleast_1d(seeds).tolist():  # a few initialisations, each from its own seed
        gen = torch_generator(int(seed))
        parts = []
        for shape in mlp_shapes(dim, width):
            if len(shape) == 2:
                parts.append(torch.randn(shape, generator=gen).flatten() / math.sqrt(shape[0]))
            else:
                parts.append(torch.zeros(shape))
        thetas.append(torch.cat(parts))
    return torch.stack(thetas)


def mlp_margins(theta: torch.Tensor, x: torch.Tensor, s: torch.Tensor, width: int) -> torch.Tensor:
    """Margins ``m_i = s_i f(x_i)`` of the tanh MLP for every replica: ``theta [R, P]``,
    ``x [R, N, d]``, ``s [R, N]`` → ``[R, N]``."""
    n_rep, _, dim = x.shape
    shapes = mlp_shapes(dim, width)
    sizes = [math.prod(shape) for shape in shapes]
    if theta.shape != (n_rep, sum(sizes)):
        raise ValueError(f"theta must be [{n_rep}, {sum(sizes)}]; got {tuple(theta.shape)}")
    w1, b1, w2, b2, w3, b3 = (
        part.reshape(n_rep, *shape)
        for part, shape in zip(theta.split(sizes, dim=1), shapes, strict=True)
    )
    h = torch.tanh(torch.baddbmm(b1[:, None, :], x, w1))
    h = torch.tanh(torch.baddbmm(b2[:, None, :], h, w2))
    f = torch.baddbmm(b3[:, None, :], h, w3)[..., 0]
    return s * f


def mlp_loss(
    theta: torch.Tensor,
    x: torch.Tensor,
    s: torch.Tensor,
    width: int,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean binary cross-entropy ``L = (1/N) Σ_i softplus(−m_i)`` per replica, ``[R]``.

    ``weight [R, N]`` (rows summing to one) replaces the ``1/N``: weights ``1/n`` on the first
    ``n`` points and zero after them make a replica train on a subset, so that training sets
    of several sizes share one padded batch."""
    losses = F.softplus(-mlp_margins(theta, x, s, width))
    return losses.mean(1) if weight is None else (losses * weight).sum(1)


def mlp_loss_and_grad(
    x: torch.Tensor, s: torch.Tensor, width: int, weight: torch.Tensor | None = None
):
    """``theta [R, P] -> (loss [R], grad [R, P])`` for the Langevin sampler; replicas are
    independent, so the gradient of the summed loss is each replica's own gradient."""

    def loss_and_grad(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = theta.detach().requires_grad_(True)
        loss = mlp_loss(theta, x, s, width, weight)
        (grad,) = torch.autograd.grad(loss.sum(), theta)
        return loss.detach(), grad

    return loss_and_grad


def adam_to_threshold(
    loss_and_grad,
    theta: torch.Tensor,
    *,
    lr: float = 1e-3,
    threshold: float = 1e-3,
    max_steps: int = 20_000,
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Full-batch Adam (β = 0.9, 0.999, ε = 1e-8) on every replica until its loss is below
    ``threshold``; a replica that got there stops moving. Returns ``theta [R, P]``, the final
    losses ``[R]`` and the steps taken ``[R]``. Raises if a replica has not got there within
    ``max_steps`` (the starting point of the thermal runs is defined by the threshold)."""
    if lr <= 0 or threshold <= 0 or max_steps < 1:
        raise ValueError(
            f"need lr, threshold > 0, max_steps >= 1; got {lr}, {threshold}, {max_steps}"
        )
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    theta = theta.detach().clone()
    m1, m2 = torch.zeros_like(theta), torch.zeros_like(theta)
    steps = torch.zeros(theta.shape[0], dtype=torch.long)
    for _ in range(max_steps + 1):
        loss, grad = loss_and_grad(theta)
        active = loss >= threshold
        if not active.any():
            return theta, loss.double().numpy(), steps.numpy()
        a = active[:, None]
        steps += active.long()
        m1 = torch.where(a, beta1 * m1 + (1 - beta1) * grad, m1)
        m2 = torch.where(a, beta2 * m2 + (1 - beta2) * grad**2, m2)
        t = steps[:, None].clamp(min=1).double()
        step = lr * (m1 / (1 - beta1**t)) / ((m2 / (1 - beta2**t)).sqrt() + eps)
        theta = torch.where(a, theta - step.to(theta.dtype), theta)
    raise RuntimeError(f"Adam did not reach loss < {threshold} within {max_steps} steps")


# ------------------------------------------------------------------------- thermal sampling


def thermal_run(
    *,
    n_points: int | list[int],
    dim: int,
    width: int,
    data_seeds: list[int],
    temperatures: list[float],
    n_noise: int,
    eta_t: float,
    eta_max: float,
    n_steps: int,
    record_every: int = 10,
    n_snapshots: int = 100,
    noise_seed: int = 0,
    adam_threshold: float = 1e-3,
) -> dict[str, np.ndarray]:
    """Train to the low-loss region, then run free overdamped Langevin at every temperature.

    The ``S`` training sets are data seed × size (``n_points``, an int or a list; seed-major):
    the first ``n`` points of the seed's random-label data (nested subsets), padded to the
    largest size with zero loss weight. For each: LeCun init (seed + 1000), Adam to
    ``L < adam_threshold`` → θ0. Then ``S × n_T × n_noise`` replicas start at their θ0 and run
    ``n_steps`` Euler–Maruyama steps with ``η = min(eta_t/T, eta_max)`` (rescaled time), all in
    one batched tensor; the noise comes from ``torch.Generator(noise_seed)``.

    Returns numpy arrays (``S`` training sets, ``n_T`` temperatures, ``n_noise`` seeds;
    per-point arrays have the largest size ``N``, NaN on padding):
    ``steps [n_rec]``; ``loss``, ``sq_norm [S, n_T, n_noise, n_rec]``; over the second half of
    the run (the first is burn-in) the per-point ``point_loss`` (⟨ℓ_i⟩), ``margin_mean``,
    ``margin_var [S, n_T, n_noise, N]``; PCA variance fractions of ``n_snapshots`` parameter
    and margin snapshots in the second half, ``pca_theta``, ``pca_margin [S, n_T, n_noise, 10]``;
    ``theta_end [S, n_T, n_noise, P]``; ``theta0 [S, P]``, ``loss0 [S]``, ``adam_steps [S]``;
    ``temperatures``, ``step_size [n_T]``, ``n_points``, ``data_seed [S]`` and ``n_params``.
    """
    temps = np.asarray(temperatures, dtype=float)
    if n_steps < 2 * record_every or n_steps % (2 * record_every):
        raise ValueError(f"n_steps must be a multiple of 2 * record_every; got {n_steps}")
    half_records = n_steps // (2 * record_every)
    if not 2 <= n_snapshots <= half_records:
        raise ValueError(f"n_snapshots must be in [2, {half_records}]; got {n_snapshots}")
    sizes = np.atleast_1d(n_points).astype(int)
    seeds = np.repeat(np.asarray(data_seeds, dtype=int), len(sizes))
    sizes = np.tile(sizes, len(data_seeds))
    x, s = random_label_data(int(sizes.max()), dim, data_seeds)
    x, s = (
        x.repeat_interleave(len(sizes) // len(data_seeds), 0),
        s.repeat_interleave(len(sizes) // len(data_seeds), 0),
    )
    used = torch.arange(x.shape[1])[None, :] < torch.as_tensor(sizes)[:, None]  # [S, N]
    weight = used / torch.as_tensor(sizes, dtype=torch.float32)[:, None]
    n_data = x.shape[0]
    theta0 = mlp_init(dim, width, seeds + INIT_SEED_OFFSET)
    theta0, loss0, adam_steps = adam_to_threshold(
        mlp_loss_and_grad(x, s, width, weight), theta0, threshold=adam_threshold
    )
    # replicas: data set-major, then temperature, then noise seed
    per_data = len(temps) * n_noise
    data_index = torch.arange(n_data).repeat_interleave(per_data)
    xr, sr, wr, usedr = x[data_index], s[data_index], weight[data_index], used[data_index]
    t_rep = np.tile(replica_grid(temps, n_noise), n_data)
    eta = rescaled_step_sizes(t_rep, eta_t, eta_max)
    half = n_steps // 2
    snapshot_every = record_every * (half_records // n_snapshots)
    sums = {"loss": 0.0, "m": 0.0, "m2": 0.0, "count": 0}
    snaps_theta, snaps_margin = [], []

    def observe(step: int, theta: torch.Tensor) -> None:
        if step <= half:
            return
        with torch.no_grad():
            m = torch.where(usedr, mlp_margins(theta, xr, sr, width).double(), 0.0)
        sums["loss"] = sums["loss"] + F.softplus(-m)
        sums["m"] = sums["m"] + m
        sums["m2"] = sums["m2"] + m**2
        sums["count"] += 1
        if (step - half) % snapshot_every == 0 and len(snaps_theta) < n_snapshots:
            snaps_theta.append(theta.clone())
            snaps_margin.append(m.float())

    trace = overdamped_langevin(
        mlp_loss_and_grad(xr, sr, width, wr),
        theta0[data_index],
        torch.as_tensor(t_rep, dtype=torch.float32),
        torch.as_tensor(eta, dtype=torch.float32),
        n_steps,
        generator=torch_generator(noise_seed),
        record_every=record_every,
        observe=observe,
    )
    count = sums["count"]
    mean_m = sums["m"] / count
    shape = (n_data, len(temps), n_noise)

    def per_point(value: torch.Tensor) -> np.ndarray:
        return torch.where(usedr, value, torch.nan).numpy().reshape(*shape, -1)

    out = {
        "steps": trace.steps,
        "loss": trace.loss.reshape(*shape, -1),
        "sq_norm": trace.sq_norm.reshape(*shape, -1),
        "point_loss": per_point(sums["loss"] / count),
        "margin_mean": per_point(mean_m),
        "margin_var": per_point((sums["m2"] / count - mean_m**2).clamp(min=0)),
        "pca_theta": pca_fractions(torch.stack(snaps_theta, 1)).reshape(*shape, -1),
        "pca_margin": pca_fractions(torch.stack(snaps_margin, 1)).reshape(*shape, -1),
        "theta_end": trace.theta.numpy().reshape(*shape, -1),
        "theta0": theta0.numpy(),
        "loss0": loss0,
        "adam_steps": adam_steps,
        "temperatures": temps,
        "step_size": rescaled_step_sizes(temps, eta_t, eta_max),
        "n_points": sizes,
        "data_seed": seeds,
        "n_params": mlp_n_params(dim, width),
    }
    return out


# ------------------------------------------------------------------------ fluctuation analysis


def dimension_estimates(loss, temperature) -> tuple[np.ndarray, np.ndarray]:
    """``D_mean = 2⟨L⟩/T`` and ``D_var = 2 Var(L)/T²`` (equipartition, spec §2.1; L0 = 0 for
    cross-entropy) from loss series ``[..., n]`` (time last); ``temperature`` broadcasts
    against ``loss.shape[:-1]``."""
    loss = np.asarray(loss, dtype=float)
    temperature = np.asarray(temperature, dtype=float)
    if np.any(temperature <= 0):
        raise ValueError("temperature must be > 0")
    return 2 * loss.mean(-1) / temperature, 2 * loss.var(-1, ddof=1) / temperature**2


def relative_drift(series) -> np.ndarray:
    """``(mean of the 4th quarter − mean of the 3rd quarter) / mean of the second half`` of
    series ``[..., n]``: how far from stationary the analysed half still is (spec §5.2)."""
    series = np.asarray(series, dtype=float)
    q = series.shape[-1] // 4
    if q < 1:
        raise ValueError(f"series need at least 4 points; got {series.shape[-1]}")
    third, fourth = series[..., -2 * q : -q], series[..., -q:]
    return (fourth.mean(-1) - third.mean(-1)) / series[..., -2 * q :].mean(-1)


def point_contributions(point_loss, temperature, n_points) -> np.ndarray:
    """``c_i = 2⟨ℓ_i⟩/(N T)`` from time-averaged per-point losses ``[..., N]``, so that
    ``Σ_i c_i = D_mean`` (spec §2.5); ``temperature`` and ``n_points`` broadcast against
    ``[...]``."""
    scale = np.asarray(n_points, dtype=float) * np.asarray(temperature, dtype=float)
    return 2 * np.asarray(point_loss, dtype=float) / scale[..., None]


def active_points(margin_mean, temperature, n_points, window: float = 3.0) -> np.ndarray:
    """Points whose mean margin is within ``window`` of the thermal margin ``m_T = −ln(N T)``
    (spec §2.5): boolean ``[..., N]`` (False on NaN padding); ``temperature`` and
    ``n_points`` broadcast against ``[...]``."""
    scale = np.asarray(n_points, dtype=float) * np.asarray(temperature, dtype=float)
    return np.asarray(margin_mean) < -np.log(scale)[..., None] + window


def fluctuation_summary(run: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The fluctuation analysis of a :func:`thermal_run` over the second half of each run.

    Returns, per data set, temperature and noise seed ``[S, n_T, n_noise]``: ``d_mean``,
    ``d_var``, the relative ``drift`` of the loss, its effective sample size ``ess``
    (autocorrelation-corrected, :func:`grokutils.measures.stability.time_average`); and per data set
    and temperature ``[S, n_T]`` with per-point contributions ``c_i`` averaged over noise
    seeds: ``n_above_02`` = #{c_i > 0.2}, ``n_above_05`` = #{c_i > 0.5}, and ``d_points``
    = ``Σ_i c_i`` (the noise-averaged ``D_mean``).
    """
    from grokutils.measures.stability import time_average

    temps = run["temperatures"][None, :, None]
    half = run["loss"][..., run["loss"].shape[-1] // 2 :]
    d_mean, d_var = dimension_estimates(half, temps)
    c = point_contributions(
        run["point_loss"].mean(2), run["temperatures"][None, :], run["n_points"][:, None]
    )
    return {
        "d_mean": d_mean,
        "d_var": d_var,
        "drift": relative_drift(half),
        "ess": time_average(half).ess,
        "n_above_02": (c > 0.2).sum(-1),
        "n_above_05": (c > 0.5).sum(-1),
        "d_points": np.nansum(c, -1),
    }


def select_temperature(run: dict[str, np.ndarray], temperature: float) -> dict | None:
    """The part of a :func:`thermal_run` at one temperature, as a run of its own (the
    temperature axis kept, of length one); ``None`` when the run has no such temperature."""
    hits = np.flatnonzero(np.isclose(run["temperatures"], temperature))
    if hits.size == 0:
        return None
    i = slice(hits[0], hits[0] + 1)
    per_t = {"temperatures", "step_size"}
    per_run = {"steps", "theta0", "loss0", "adam_steps", "n_points", "data_seed", "n_params"}
    return {
        key: value[i] if key in per_t else value if key in per_run else value[:, i]
        for key, value in run.items()
    }


def windowed_dimension(loss, temperature, n_windows: int) -> np.ndarray:
    """``D_mean`` in ``n_windows`` consecutive windows of loss series ``[..., n]``:
    ``[..., n_windows]``; a drift across windows means the run is not stationary."""
    loss = np.asarray(loss, dtype=float)
    if not 1 <= n_windows <= loss.shape[-1]:
        raise ValueError(f"n_windows must be in [1, {loss.shape[-1]}]; got {n_windows}")
    usable = loss[..., : loss.shape[-1] // n_windows * n_windows]
    windows = usable.reshape(*loss.shape[:-1], n_windows, -1)
    return 2 * windows.mean(-1) / np.asarray(temperature, dtype=float)[..., None]


def margin_mechanism(run: dict[str, np.ndarray], temperatures) -> dict[str, np.ndarray]:
    """Margins of the points thermally active at every one of ``temperatures`` (spec §5.5).

    Margin means and variances are averaged over noise seeds; a point is active at T when
    its mean margin is below ``−ln(N T) + 3`` (:func:`active_points`). Returns
    ``shift_per_decade [len(temperatures) − 1]``: the median over data sets' active points of
    ``(⟨m⟩(T_j) − ⟨m⟩(T_{j+1})) / log10(T_{j+1}/T_j)`` (ln 10 = 2.30 for a rigid shift by
    ``−ln T``); ``median_var [len(temperatures)]`` the median per-point margin variance;
    ``median_mean [len(temperatures)]``; ``n_common`` the number of points active at all T.
    """
    temps = np.asarray(temperatures, dtype=float)
    index = [int(np.flatnonzero(np.isclose(run["temperatures"], t))[0]) for t in temps]
    mean = run["margin_mean"][:, index].mean(2)  # [S, k, N]
    var = run["margin_var"][:, index].mean(2)
    common = active_points(mean, temps[None, :], run["n_points"][:, None]).all(1)  # [S, N]
    mean_c = np.moveaxis(mean, 1, -1)[common]  # [points, k]
    var_c = np.moveaxis(var, 1, -1)[common]
    decades = np.log10(temps[1:] / temps[:-1])
    return {
        "shift_per_decade": np.median((mean_c[:, :-1] - mean_c[:, 1:]) / decades, axis=0),
        "median_var": np.median(var_c, axis=0),
        "median_mean": np.median(mean_c, axis=0),
        "n_common": int(common.sum()),
    }


def pca_fractions(snapshots: torch.Tensor, k: int = 10) -> np.ndarray:
    """Fractions of the variance carried by the top ``k`` principal components of snapshots
    ``[R, M, P]`` (M times, centred over time), per replica: ``[R, k]``."""
    if snapshots.dim() != 3 or snapshots.shape[1] < 2:
        raise ValueError(f"snapshots must be [R, M >= 2, P]; got {tuple(snapshots.shape)}")
    centred = (snapshots - snapshots.mean(1, keepdim=True)).double()
    sv2 = torch.linalg.svdvals(centred) ** 2
    frac = (sv2 / sv2.sum(1, keepdim=True)).numpy()
    return np.pad(frac[:, :k], ((0, 0), (0, max(0, k - frac.shape[1]))))


# -------------------------------------------------------------------------------- Hessians


def _batched_loss_fn(x: torch.Tensor, s: torch.Tensor, width: int):
    def loss_fn(params: list[torch.Tensor]) -> torch.Tensor:
        return mlp_loss(params[0], x, s, width).sum()

    return loss_fn


def top_hessian_eigenvalues(
    theta: torch.Tensor,
    x: torch.Tensor,
    s: torch.Tensor,
    width: int,
    *,
    k: int = 1,
    n_iter: int = 40,
    seed: int = 0,
) -> np.ndarray:
    """The ``k`` largest Hessian eigenvalues of the mean cross-entropy at ``theta [R, P]``
    (data ``x [R, N, d]``, ``s [R, N]``), by batched Lanczos: ``[R, k]``, descending."""
    eig = hessian.lanczos(
        _batched_loss_fn(x.double(), s.double(), width),
        [theta.double()],
        k=k,
        n_iter=n_iter,
        batched=True,
        generator=torch_generator(seed),
    )
    return eig.numpy()


def hessian_spectrum(
    theta: torch.Tensor, x: torch.Tensor, s: torch.Tensor, width: int
) -> np.ndarray:
    """All ``P`` eigenvalues (ascending, float64) of the Hessian of the mean cross-entropy at
    one parameter vector ``theta [P]`` on data ``x [N, d]``, ``s [N]``: the dense Hessian
    (:func:`grokutils.measures.hessian.hessian_matrix`), then ``eigvalsh``."""
    return np.linalg.eigvalsh(dense_hessian(theta, x, s, width))


def dense_hessian(theta: torch.Tensor, x: torch.Tensor, s: torch.Tensor, width: int) -> np.ndarray:
    """The symmetrised ``P × P`` Hessian (float64) of the mean cross-entropy at one parameter
    vector ``theta [P]`` on data ``x [N, d]``, ``s [N]``
    (:func:`grokutils.measures.hessian.hessian_matrix`: ``P`` Hessian-vector products)."""
    if theta.dim() != 1:
        raise ValueError(f"theta must be one parameter vector [P]; got {tuple(theta.shape)}")
    matrix = hessian.hessian_matrix(
        _batched_loss_fn(x.double()[None], s.double()[None], width), [theta.double()[None]]
    )
    return ((matrix + matrix.T) / 2).numpy()


def count_eigenvalues_above(matrix, threshold: float) -> int:
    """Number of eigenvalues of the symmetric ``matrix`` above ``threshold``, exactly, by
    Sylvester's law of inertia: ``matrix − threshold · I = L D Lᵀ`` (Bunch–Kaufman, about a
    quarter of the cost of ``eigvalsh``) has as many positive eigenvalues as the block-diagonal
    ``D``, whose 1 × 1 and 2 × 2 blocks are counted directly."""
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"matrix must be square; got shape {a.shape}")
    _, d, _ = scipy.linalg.ldl((a + a.T) / 2 - threshold * np.eye(len(a)), lower=True)
    diag, off = np.diag(d), np.diag(d, -1)
    count, i = 0, 0
    while i < len(diag):  # walk the blocks of D
        if i + 1 < len(diag) and off[i] != 0:  # a 2 × 2 block [[a, b], [b, c]]
            det, trace = diag[i] * diag[i + 1] - off[i] ** 2, diag[i] + diag[i + 1]
            count += 1 if det < 0 else 2 * int(trace > 0) if det > 0 else int(trace > 0)
            i += 2
        else:
            count += int(diag[i] > 0)
            i += 1
    return count


# ------------------------------------------------------------------------------ toy model


def toy_model_run(
    *,
    n_coords: int,
    alpha: float,
    temperatures: list[float],
    n_noise: int,
    eta_t: float,
    n_steps: int,
    record_every: int = 10,
    noise_seed: int = 0,
) -> dict[str, np.ndarray]:
    """The exponential-wall model of spec §2.3, sampled by overdamped Langevin.

    ``n`` margins ``u_i`` with loss ``L = Σ_i e^{−u_i}`` and a density of states ``∝ e^{−αu}``:
    the drift is the gradient of the free energy ``L + αT Σ_i u_i``, whose stationary law makes
    each ``e^{−u_i}`` exactly ``Gamma(α, T)``. Replicas: temperatures × noise seeds, started at
    ``u = −ln T``, with ``η = eta_t/T`` (rescaled time), float64.

    Returns ``steps [n_rec]``, ``loss [n_T, n_noise, n_rec]`` and, over the second half, the
    time averages per coordinate ``mean_curvature`` (``⟨e^{−u_i}⟩``), ``mean_margin``
    (``⟨u_i⟩``) and ``mean_sq_margin`` (``⟨u_i²⟩``) ``[n_T, n_noise, n]``. Coordinates are
    independent, so their spread gives standard errors (:func:`pooled_variance`).
    """
    if n_coords < 1 or alpha <= 0:
        raise ValueError(f"need n_coords >= 1 and alpha > 0; got {n_coords}, {alpha}")
    temps = np.asarray(temperatures, dtype=float)
    t_rep = replica_grid(temps, n_noise)
    t_col = torch.as_tensor(t_rep)[:, None]
    half = n_steps // 2
    sums = {"v": 0.0, "u": 0.0, "u2": 0.0, "count": 0}

    def loss_and_grad(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v = torch.exp(-u)
        return v.sum(1), alpha * t_col - v  # ∇(L + αT Σu)

    def observe(step: int, u: torch.Tensor) -> None:
        if step > half:
            sums["v"] = sums["v"] + torch.exp(-u)
            sums["u"] = sums["u"] + u
            sums["u2"] = sums["u2"] + u**2
            sums["count"] += 1

    u0 = (-torch.log(t_col)).expand(-1, n_coords)
    trace = overdamped_langevin(
        loss_and_grad,
        u0,
        torch.as_tensor(t_rep),
        torch.as_tensor(rescaled_step_sizes(t_rep, eta_t)),
        n_steps,
        generator=torch_generator(noise_seed),
        record_every=record_every,
        observe=observe,
    )
    count = sums["count"]
    shape = (len(temps), n_noise)
    return {
        "steps": trace.steps,
        "loss": trace.loss.reshape(*shape, -1),
        "mean_curvature": (sums["v"] / count).numpy().reshape(*shape, -1),
        "mean_margin": (sums["u"] / count).numpy().reshape(*shape, -1),
        "mean_sq_margin": (sums["u2"] / count).numpy().reshape(*shape, -1),
    }


def pooled_variance(mean, mean_sq) -> tuple[np.ndarray, np.ndarray]:
    """Variance pooled over independent units (last axis) from their time averages of ``u``
    and ``u²``: ``mean(⟨u²⟩) − mean(⟨u⟩)²``, which, unlike a per-unit time variance, is not
    biased low by a short window; and its standard error by the delta method over units."""
    mean, mean_sq = np.asarray(mean, dtype=float), np.asarray(mean_sq, dtype=float)
    n = mean.shape[-1]
    if n < 2 or mean.shape != mean_sq.shape:
        raise ValueError(f"need matching shapes with >= 2 units; got {mean.shape}, {mean_sq.shape}")
    grand = mean.mean(-1, keepdims=True)
    var = mean_sq.mean(-1) - grand[..., 0] ** 2
    se = (mean_sq - 2 * grand * mean).std(-1, ddof=1) / np.sqrt(n)
    return var, se
