"""The committee machine of Kumar et al. (ICLR 2024) and its full-batch GD, batched over runs.

``f(x) = (α/N) Σ_i φ(w_i·x)``, ``φ(h) = h + (ε/2) h²`` (eq. 3), first-layer weights only, no
biases, trained on ``L = Σ_μ ω_μ (f̃(x_μ) - y_μ)²`` (``ω = 1/P``: the mean-squared error) by
full-batch GD with the N-scaled step ``η = c N/(α² σ²)`` (App. 8.1; σ is the initial weight
scale). ``f̃ = f - f₀`` when centred (App. 8.1, the "Chizat trick"), so ``f̃ = 0`` at init.

Every run of a sweep (α, ε, c, σ, data seed, sample size via ``ω``) is one entry of a leading
``[runs]`` dimension. Three engines train the same model:

* ``"direct"``: GD on ``W [runs, N, D]`` (cost ``∝ P N D`` a step).
* ``"statistics"``: the exact, width-independent recursion on ``(w̄, M)``
  (:func:`grokutils.theory.lazy_to_rich.statistics_step`, cost ``∝ P D² + D³``); equal to
  ``"direct"`` to rounding error.
* ``"linearised"``: the model linearised around ``W₀`` (the lazy/kernel limit) trained by the
  same GD; also closed on ``(Δw̄, C = W₀ᵀ ΔW/N)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from grokutils.book.progress import progress
from grokutils.theory import lazy_to_rich as theory
from grokutils.train.trajectory import record_steps

ENGINES = ("direct", "statistics", "linearised")


def _trace(A):
    return torch.diagonal(A, dim1=-2, dim2=-1).sum(-1)


def init_weights(seeds, n: int, d: int, sigma=1.0, *, dtype=torch.float64) -> torch.Tensor:
    """First-layer weights ``W₀ = σ Z``, ``Z_ij ~ N(0, 1)``: ``[runs, n, d]``, one seed a run."""
    seeds = [int(s) for s in np.atleast_1d(seeds)]
    sigma = torch.as_tensor(sigma, dtype=dtype).expand(len(seeds))
    if n < 1 or d < 1:
        raise ValueError(f"n and d must be >= 1; got n={n}, d={d}")
    if (sigma <= 0).any():
        raise ValueError(f"sigma must be > 0; got {sigma.tolist()}")
    z = [torch.randn(n, d, generator=torch.Generator().manual_seed(s), dtype=dtype) for s in seeds]
    return sigma[:, None, None] * torch.stack(z)


@dataclass
class Committee:
    """Batched committee machines at initialisation and their GD hyper-parameters.

    ``W0 [runs, N, D]``; ``alpha``, ``eps``, ``c``, ``sigma`` scalars or ``[runs]``: output scale,
    quadratic strength of φ, learning-rate constant and initial weight scale (``η = c N/(α² σ²)``).
    """

    W0: torch.Tensor
    alpha: torch.Tensor | float
    eps: torch.Tensor | float
    c: torch.Tensor | float = 1.0
    sigma: torch.Tensor | float = 1.0
    centred: bool = True

    def __post_init__(self):
        if self.W0.ndim != 3:
            raise ValueError(f"W0 must have shape [runs, N, D]; got {tuple(self.W0.shape)}")
        runs, dtype = self.W0.shape[0], self.W0.dtype
        for name in ("alpha", "eps", "c", "sigma"):
            value = torch.as_tensor(getattr(self, name), dtype=dtype)
            value = value.expand(runs).clone() if value.ndim == 0 else value
            if value.shape != (runs,):
                raise ValueError(f"{name} must be a scalar or have shape [{runs}]")
            if name != "eps" and (value <= 0).any():
                raise ValueError(f"{name} must be > 0; got {value.tolist()}")
            setattr(self, name, value)
        self.w_bar0 = self.W0.mean(1)
        self.M0 = self.W0.transpose(1, 2) @ self.W0 / self.W0.shape[1]

    @property
    def width(self) -> int:
        return self.W0.shape[1]

    @property
    def step(self) -> torch.Tensor:
        """``s = 2c/(α σ²)`` ``[runs]``: each neuron moves by ``-s (u + ε G w_i)`` a step."""
        return 2 * self.c / (self.alpha * self.sigma**2)

    def output(self, W, x) -> torch.Tensor:
        """Uncentred ``f(x) = (α/N) Σ_i φ(w_i·x)`` (eq. 3): ``W [runs, N, D]``, ``x [runs, P, D]``
        -> ``[runs, P]``."""
        h = x @ W.transpose(1, 2)
        return self.alpha[:, None] * (h + self.eps[:, None, None] / 2 * h**2).mean(-1)

    def predict(self, W, x) -> torch.Tensor:
        """The trained predictor ``f̃ = f(W) - f(W₀)`` (centred) or ``f(W)``: ``[runs, P]``."""
        f = self.output(W, x)
        return f - self.output(self.W0, x) if self.centred else f

    def statistics_output(self, w_bar, M, x) -> torch.Tensor:
        """``α w̄·x + (αε/2) xᵀMx`` (eq. 4): the same output written on the statistics."""
        half = (self.alpha * self.eps / 2)[:, None, None]
        # x·(α w̄ + (αε/2) M x) for every sample in two batched products
        xM = torch.baddbmm((self.alpha[:, None] * w_bar)[:, None, :], x, half * M)
        return (xM * x).sum(-1)


class _Direct:
    """GD on the weights themselves. The pre-activations ``h = x Wᵀ`` computed for a
    prediction are reused by the step that follows, and ``f(W₀, x)`` is computed once per
    input set."""

    def __init__(self, model: Committee):
        self.model, self.W = model, model.W0.clone()
        self._f0: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._h: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def predict(self, x):
        m = self.model
        h = x @ self.W.transpose(1, 2)
        self._h = (x, self.W, h)
        f = m.alpha[:, None] * (h + m.eps[:, None, None] / 2 * h**2).mean(-1)
        if not m.centred:
            return f
        if id(x) not in self._f0 or self._f0[id(x)][0] is not x:
            self._f0[id(x)] = (x, m.output(m.W0, x))
        return f - self._f0[id(x)][1]

    def advance(self, x, rho):
        m = self.model
        if self._h is not None and self._h[0] is x and self._h[1] is self.W:
            h = self._h[2]
        else:
            h = x @ self.W.transpose(1, 2)
        grad = torch.einsum("rpn,rpd->rnd", (1 + m.eps[:, None, None] * h) * rho[:, :, None], x)
        self.W = self.W - m.step[:, None, None] * grad

    def statistics(self):
        n = self.W.shape[1]
        M = self.W.transpose(1, 2) @ self.W / n
        return self.W.mean(1), M, self.model.W0.transpose(1, 2) @ self.W / n


class _Statistics:
    """The exact recursion on ``(w̄, M, C)``."""

    def __init__(self, model: Committee):
        self.model = model
        self.w_bar, self.M = model.w_bar0.clone(), model.M0.clone()
        self.C = model.M0.clone()

    def predict(self, x):
        m = self.model
        if m.centred:
            return m.statistics_output(self.w_bar - m.w_bar0, self.M - m.M0, x)
        return m.statistics_output(self.w_bar, self.M, x)

    def advance(self, x, rho):
        m = self.model
        self.w_bar, self.M, self.C = theory.statistics_step(
            self.w_bar, self.M, self.C, m.w_bar0, x, rho, m.eps, m.step
        )

    def statistics(self):
        return self.w_bar, self.M, self.C


class _Linearised:
    """The first-order Taylor model around ``W₀`` with the constant Jacobian ``1 + ε h⁰``."""

    def __init__(self, model: Committee):
        self.model = model
        self.dw_bar = torch.zeros_like(model.w_bar0)
        self.C = torch.zeros_like(model.M0)  # W₀ᵀ ΔW / N

    def predict(self, x):
        m = self.model
        f = m.statistics_output(self.dw_bar, self.C + self.C.transpose(1, 2), x)
        return f if m.centred else f + m.output(m.W0, x)

    def advance(self, x, rho):
        m = self.model
        u = (rho[:, None, :] @ x)[:, 0]
        G = (x * rho[:, :, None]).transpose(1, 2) @ x
        s, eps = m.step, m.eps
        Gw = torch.einsum("rde,re->rd", G, m.w_bar0)
        self.dw_bar = self.dw_bar - s[:, None] * (u + eps[:, None] * Gw)
        outer = m.w_bar0[:, :, None] * u[:, None, :]
        self.C = self.C - s[:, None, None] * (outer + eps[:, None, None] * m.M0 @ G)

    def centred_statistics(self):
        return self.dw_bar, self.C + self.C.transpose(1, 2)


@dataclass
class History:
    """Recorded trajectories of a batch of runs; arrays are numpy, ``[runs, len(steps)]``.

    ``test`` is the population loss of eq. 6 when a teacher was given, else the loss on the
    given test set; ``parts [runs, T, 3]`` its terms (variance, misalignment, linear).
    ``weight_norm`` ``‖W‖_F``, ``weight_change`` ``‖W - W₀‖_F/‖W₀‖_F``, ``feature_alignment``
    ``β̂ᵀMβ̂/‖M‖_F``, ``kernel_alignment`` the code's NTK-label alignment on the alignment set;
    entries the engine or the inputs cannot provide are ``None``.
    """

    steps: np.ndarray
    train: np.ndarray
    test: np.ndarray
    parts: np.ndarray | None = None
    weight_norm: np.ndarray | None = None
    weight_change: np.ndarray | None = None
    feature_alignment: np.ndarray | None = None
    kernel_alignment: np.ndarray | None = None

    def at(self, step: int) -> int:
        """Index of the last recorded step ``<= step``."""
        return int(np.searchsorted(self.steps, step, side="right") - 1)


def train(
    model: Committee,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    steps: int,
    engine: str = "statistics",
    weights: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
    scale: float = 0.5,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    x_align: torch.Tensor | None = None,
    y_align: torch.Tensor | None = None,
    n_records: int = 200,
    desc: str = "GD",
) -> History:
    """Full-batch GD of a batch of committee machines for ``steps`` steps.

    ``x [runs, P, D]``, ``y [runs, P]``; ``weights [runs, P]`` the sample weights ω (default
    ``1/P``; zeros mask padding so runs with different sample sizes share one batch).
    ``beta [runs, D]`` (teacher of ``y = scale (β·x)²``) gives the exact test loss of eq. 6;
    else ``x_test, y_test`` give an empirical one. ``x_align, y_align`` add the NTK alignment.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
    runs, n_train, _ = x.shape
    if y.shape != (runs, n_train):
        raise ValueError(f"y must have shape {(runs, n_train)}; got {tuple(y.shape)}")
    if beta is None and (x_test is None or y_test is None):
        raise ValueError("give beta (population test loss) or both x_test and y_test")
    if weights is None:
        weights = torch.full_like(y, 1 / n_train)
    state = {"direct": _Direct, "statistics": _Statistics, "linearised": _Linearised}[engine](model)
    at = record_steps(steps, n_records)
    rows: dict[str, list] = {}
    for t in progress(range(steps + 1), desc=desc):
        r = state.predict(x) - y
        if t == at[len(rows.get("train", []))]:
            row = _record(model, state, engine, r, weights, beta, scale, x_test, y_test)
            if x_align is not None and engine != "linearised":
                w_bar, M, _ = state.statistics()
                K = theory.ntk_gram(x_align, x_align, w_bar, M, model.eps)
                row["kernel_alignment"] = theory.kernel_alignment(K, y_align)
            for key, value in row.items():
                rows.setdefault(key, []).append(value)
            if t == steps:
                break
        state.advance(x, weights * r)
    arrays = {k: torch.stack(v, dim=1).numpy() for k, v in rows.items()}
    return History(steps=at, **arrays)


def _record(model, state, engine, r, weights, beta, scale, x_test, y_test) -> dict:
    row = {"train": (weights * r**2).sum(-1)}
    if engine == "linearised":
        w_eff, M_eff = state.centred_statistics()
        if not model.centred:
            w_eff, M_eff = w_eff + model.w_bar0, M_eff + model.M0
    else:
        w_bar, M, C = state.statistics()
        w_eff, M_eff = (w_bar - model.w_bar0, M - model.M0) if model.centred else (w_bar, M)
        n = model.width
        norm0 = _trace(model.M0)
        row["weight_norm"] = (n * _trace(M)).sqrt()
        change = _trace(M) - 2 * _trace(C) + norm0  # ‖W - W₀‖² / N
        row["weight_change"] = (change.clamp(min=0) / norm0).sqrt()
        if beta is not None:
            row["feature_alignment"] = theory.feature_alignment(M, beta)
    if beta is not None:
        parts = theory.test_loss_parts(w_eff, M_eff, beta, model.alpha, model.eps, scale=scale)
        row["parts"], row["test"] = parts, parts.sum(-1)
    else:
        row["test"] = ((state.predict(x_test) - y_test) ** 2).mean(-1)
    return row


@dataclass
class SingleIndexSweep:
    """A batch of runs on the single-index target: the grid, the data and the trajectories.

    ``config`` maps ``alpha``, ``eps``, ``c``, ``sigma``, ``mix``, ``p``, ``seed`` to ``[runs]``
    arrays (the Cartesian product of the values given, last name fastest); ``shape`` is the
    grid's shape, so :meth:`grid` indexes runs by grid position.
    """

    config: dict[str, np.ndarray]
    shape: tuple[int, ...]
    model: Committee
    beta: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    weights: torch.Tensor
    scale: float
    history: History

    def grid(self, values) -> np.ndarray:
        """``values [runs, ...]`` reshaped to ``[*shape, ...]`` and squeezed."""
        values = np.asarray(values)
        return values.reshape(*self.shape, *values.shape[1:]).squeeze()

    def kernel_regression_loss(self, n_test: int) -> np.ndarray:
        """Test MSE ``[runs]`` of regression with each run's initial NTK on ``n_test`` fresh
        inputs per run (the lazy limit of the centred network)."""
        from grokutils.data.single_index import single_index_quadratic

        _, x_test, _ = single_index_quadratic(
            self.x.shape[-1], n_test, 30_000 + self.config["seed"]
        )
        y_test = self.scale * torch.einsum("rpd,rd->rp", x_test, self.beta) ** 2
        losses = []
        for r, p in enumerate(self.config["p"]):  # runs differ in P: one solve each
            m = self.model
            losses.append(
                theory.kernel_regression_test_loss(
                    self.x[r : r + 1, :p],
                    self.y[r : r + 1, :p],
                    x_test[r : r + 1],
                    y_test[r : r + 1],
                    m.w_bar0[r : r + 1],
                    m.M0[r : r + 1],
                    m.eps[r : r + 1],
                )
            )
        return torch.cat(losses).numpy()


def _merge_histories(parts, runs: int) -> History:
    """One :class:`History` from ``[(rows, history)]`` of batches that share the recorded steps."""
    steps = parts[0][1].steps
    merged = {}
    for name in History.__dataclass_fields__:
        if name == "steps":
            continue
        first = getattr(parts[0][1], name)
        if first is None:
            merged[name] = None
            continue
        out = np.empty((runs, *first.shape[1:]), dtype=first.dtype)
        for rows, history in parts:
            out[rows] = getattr(history, name)
        merged[name] = out
    return History(steps=steps, **merged)


def solution_weights(beta, alpha, eps) -> torch.Tensor:
    """A zero-loss width-2 network ``w₁ = -w₂ = β/√(αε)`` (then ``w̄ = 0``, ``M = ββᵀ/(αε)``):
    ``beta [runs, D]``, ``alpha, eps [runs]`` -> ``[runs, 2, D]``."""
    w = beta / torch.sqrt(alpha * eps)[:, None]
    return torch.stack([w, -w], dim=1)


def single_index_sweep(
    *,
    d: int,
    width: int,
    steps: int,
    alpha=(1.0,),
    eps=(0.05,),
    c=(1.0,),
    sigma=(1.0,),
    mix=(0.0,),
    p=(160,),
    seed=(0,),
    alpha_sigma2: float | None = None,
    scale: float = 0.5,
    centred: bool = True,
    engine: str = "statistics",
    n_align: int = 0,
    n_records: int = 200,
    desc: str = "GD",
) -> SingleIndexSweep:
    """Train every point of the grid ``alpha × eps × c × sigma × mix × p × seed`` in one batch.

    Data of seed ``k``: :func:`grokutils.data.single_index_quadratic` with seed ``k`` (teacher
    normalised to ``|β|² = D``), padded to the largest ``p`` with zero sample weights (the
    stored ``x, y, weights``; runs of different ``p`` train in separate batches of their own
    size, which gives the same trajectories without the padding's cost); initial
    weights ``W₀ = σ Z`` with ``Z`` from seed ``10_000 + k``, mixed with the solution as
    ``(1 - λ) W₀ + λ W_sol`` for ``mix = λ > 0`` (width 2 only; Fig. 10). ``n_align > 0`` adds
    the NTK-label alignment on ``n_align`` fresh inputs (seed ``20_000 + k``).
    ``alpha_sigma2`` sets ``α = alpha_sigma2/σ²`` run by run instead of the ``alpha`` axis
    (Fig. 7c: the joint scaling that leaves the dynamics unchanged).
    """
    from grokutils.book.sweep import grid
    from grokutils.data.single_index import single_index_quadratic

    axes = {"alpha": alpha, "eps": eps, "c": c, "sigma": sigma, "mix": mix, "p": p, "seed": seed}
    points = grid(**axes)
    config = {k: np.array([pt[k] for pt in points]) for k in axes}
    shape = tuple(len(v) for v in axes.values())
    if alpha_sigma2 is not None:
        config["alpha"] = alpha_sigma2 / config["sigma"] ** 2
    if (config["mix"] != 0).any() and width != 2:
        raise ValueError(f"mix > 0 needs width 2 (the solution has two neurons); got {width}")
    p_max = int(config["p"].max())
    beta, x, y = single_index_quadratic(d, p_max, config["seed"], scale=scale)
    weights = (torch.arange(p_max)[None, :] < torch.as_tensor(config["p"])[:, None]).double()
    weights = weights / weights.sum(1, keepdim=True)
    hyper = {k: torch.as_tensor(config[k], dtype=torch.float64) for k in ("alpha", "eps", "c")}
    sigma_t, lam = (torch.as_tensor(config[k], dtype=torch.float64) for k in ("sigma", "mix"))
    W0 = init_weights(10_000 + config["seed"], width, d, sigma_t)
    if (lam != 0).any():
        W_sol = solution_weights(beta, hyper["alpha"], hyper["eps"] / (2 * scale))
        W0 = (1 - lam)[:, None, None] * W0 + lam[:, None, None] * W_sol
    model = Committee(W0, sigma=sigma_t, centred=centred, **hyper)
    align = {}
    if n_align:
        _, x_align, _ = single_index_quadratic(d, n_align, 20_000 + config["seed"])
        align = {
            "x_align": x_align,
            "y_align": scale * torch.einsum("rpd,rd->rp", x_align, beta) ** 2,
        }
    kw = {"steps": steps, "engine": engine, "scale": scale, "n_records": n_records}
    sizes = np.unique(config["p"])
    if len(sizes) == 1:
        history = train(model, x, y, weights=weights, beta=beta, desc=desc, **kw, **align)
    else:  # one batch per sample size, so that no run pays for the largest P's padding
        parts = []
        for size in sizes:
            rows = np.flatnonzero(config["p"] == size)
            sub = Committee(
                W0[rows],
                sigma=sigma_t[rows],
                centred=centred,
                **{k: v[rows] for k, v in hyper.items()},
            )
            history = train(
                sub,
                x[rows, :size],
                y[rows, :size],
                weights=weights[rows, :size],
                beta=beta[rows],
                desc=f"{desc}, P = {size}",
                **kw,
                **{k: v[rows] for k, v in align.items()},
            )
            parts.append((rows, history))
        history = _merge_histories(parts, len(config["p"]))
    return SingleIndexSweep(config, shape, model, beta, x, y, weights, scale, history)


def eigenvector_label_runs(
    *,
    d: int,
    p: int,
    ranks,
    steps: int,
    eps: float = 0.25,
    alpha: float = 1.0,
    c: float = 0.5,
    width: int = 2,
    seeds=(0,),
    n_records: int = 200,
) -> History:
    """Fig. 5: one run per ``(seed, rank j)``, seed-major (run ``s·len(ranks) + j``); labels =
    the j-th eigenvector of the initial NTK Gram on ``2p`` inputs (first ``p`` train, last
    ``p`` test), centred network, GD on the weights.

    The runs of a seed share its inputs and ``W₀`` (seeds ``seed`` and ``10_000 + seed``); the
    test loss is measured on the ``p`` held-out points of the eigenvector.
    """
    from grokutils.data.single_index import single_index_quadratic

    ranks, seeds = list(ranks), [int(s) for s in np.atleast_1d(seeds)]
    _, x_seed, _ = single_index_quadratic(d, 2 * p, seeds)
    W_seed = init_weights([10_000 + s for s in seeds], width, d)
    labels = []
    for k in range(len(seeds)):
        w_bar0, M0 = W_seed[k].mean(0), W_seed[k].T @ W_seed[k] / width
        labels.append(theory.ntk_eigenvector_labels(x_seed[k], w_bar0, M0, eps, ranks))
    labels = torch.cat(labels)  # [seeds · ranks, 2p]
    x = x_seed.repeat_interleave(len(ranks), dim=0)
    W0 = W_seed.repeat_interleave(len(ranks), dim=0)
    model = Committee(W0, alpha=alpha, eps=eps, c=c)
    return train(
        model,
        x[:, :p],
        labels[:, :p],
        steps=steps,
        engine="direct",
        x_test=x[:, p:],
        y_test=labels[:, p:],
        n_records=n_records,
        desc="eigenvector labels",
    )
