"""Modular arithmetic with a small embedding MLP, batched over seeds/walkers: the toy setting of
the glass-relaxation chapter (Zhang, Shang, Yang & Zhang, NeurIPS 2025; spec §4.1).

* Data: all ``p²`` pairs ``(x, y)`` with label ``x∘y mod p`` for the tasks ``x+y``, ``x^2+y``
  and the unlearnable control ``x^3+xy^2+y``; one fixed random 50 % train/test split.
* Model ("EmbedMLP"): shared embedding ``E [p, d]``, ``h = ReLU([E_x; E_y] W1 + b1)``,
  ``logits = h W2 + b2``. The parameters of ``W`` networks are rows of one flat tensor
  ``theta [W, n]`` (views unpack it), so samplers and optimisers see ``[W, n]`` and every
  forward pass is a ``torch.bmm`` over networks.
* Training: full-batch AdamW (β = (0.9, 0.98), per-network lr and weight decay), optionally with
  the weight norm fixed after every step (the Omnigrok control); WanD (the 1-D WLMD optimiser
  of Alg. 1); and the train-only 1-D WLMD entropy sampler with test accuracy recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from grokutils.data.modular import TASKS, fixed_split, modular_labels  # noqa: F401 (TASKS re-exported)
from grokutils.samplers.wang_landau import Axis, WLMDConfig, wlmd

SMOOTH_SLOPE = 7.0
"""Slope ``s`` of the smoothed accuracy Ã (paper Alg. 2)."""


@dataclass(frozen=True)
class EmbedMLP:
    """Shapes of the embedding MLP for modulus ``p``, embedding ``d`` and hidden width ``h``."""

    p: int = 31
    d: int = 24
    h: int = 64

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            "E": (self.p, self.d),
            "W1": (2 * self.d, self.h),
            "b1": (self.h,),
            "W2": (self.h, self.p),
            "b2": (self.p,),
        }

    @property
    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.shapes.values())

    def unpack(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """Views ``[W, *shape]`` of the flat parameters ``theta [W, n_params]``."""
        out, start = {}, 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            out[name] = theta[:, start : start + size].reshape(len(theta), *shape)
            start += size
        return out

    def init(self, n_nets: int, seed: int) -> torch.Tensor:
        """``theta [n_nets, n_params]``: weights N(0, 1/fan_in), embedding N(0, 1/d), biases 0."""
        gen = torch.Generator().manual_seed(seed)
        theta = torch.zeros(n_nets, self.n_params)
        parts = self.unpack(theta)
        scales = {"E": self.d**-0.5, "W1": (2 * self.d) ** -0.5, "W2": self.h**-0.5}
        for name, scale in scales.items():
            parts[name].copy_(torch.randn(parts[name].shape, generator=gen) * scale)
        return theta

    def logits(self, theta: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        """Logits ``[W, N, p]`` of the ``W`` networks ``theta`` on ``pairs [N, 2]`` (int)."""
        w = self.unpack(theta)
        # [E_x; E_y] W1 = (E W1[:d])[x] + (E W1[d:])[y]: two [p, h] tables, then gathers
        left = torch.bmm(w["E"], w["W1"][:, : self.d])
        right = torch.bmm(w["E"], w["W1"][:, self.d :])
        pre = left[:, pairs[:, 0]] + right[:, pairs[:, 1]] + w["b1"][:, None]
        return torch.bmm(torch.relu(pre), w["W2"]) + w["b2"][:, None]


@dataclass
class ModularData:
    """Pairs and labels of one split; labels may differ per network (``[W, N]``)."""

    pairs_train: torch.Tensor
    pairs_test: torch.Tensor
    y_train: torch.Tensor
    y_test: torch.Tensor

    @classmethod
    def build(cls, tasks: list[str], p: int, split_seed: int = 0) -> ModularData:
        """Data for networks whose tasks are ``tasks`` (one entry per network), 50 % split."""
        train, test = fixed_split(p, 0.5, split_seed)
        pairs = torch.from_numpy(np.stack(np.divmod(np.arange(p * p), p), axis=1))
        labels = torch.from_numpy(np.stack([modular_labels(t, p) for t in tasks]))
        return cls(pairs[train], pairs[test], labels[:, train], labels[:, test])


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per network: ``logits [W, N, p]``, ``labels [W, N]`` -> ``[W]``."""
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none").mean(1)


def smoothed_accuracy(logits: torch.Tensor, labels: torch.Tensor, slope: float = SMOOTH_SLOPE):
    """Ã = mean sigmoid(s·(z_target - max_{k≠target} z_k)) per network (paper Alg. 2), ``[W]``."""
    target = logits.gather(2, labels[..., None])[..., 0]
    others = logits.scatter(2, labels[..., None], -torch.inf).amax(2)
    return torch.sigmoid(slope * (target - others)).mean(1)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of correct argmax predictions per network, ``[W]``."""
    return (logits.argmax(2) == labels).double().mean(1)


def measure(model: EmbedMLP, theta: torch.Tensor, data: ModularData) -> dict[str, np.ndarray]:
    """ln L_train, train/test accuracy, smoothed test accuracy and ‖θ‖ per network."""
    with torch.no_grad():
        z_tr = model.logits(theta, data.pairs_train)
        z_te = model.logits(theta, data.pairs_test)
        return {
            "ln_loss": torch.log(cross_entropy(z_tr.double(), data.y_train)).numpy(),
            "train_acc": accuracy(z_tr, data.y_train).numpy(),
            "test_acc": accuracy(z_te, data.y_test).numpy(),
            "test_acc_smooth": smoothed_accuracy(z_te.double(), data.y_test).numpy(),
            "norm": theta.double().norm(dim=1).numpy(),
        }


def _record(history: dict, step: int, values: dict) -> None:
    history.setdefault("step", []).append(step)
    for key, value in values.items():
        history.setdefault(key, []).append(value)


def train_adamw(
    model: EmbedMLP,
    theta: torch.Tensor,
    data: ModularData,
    n_steps: int,
    *,
    lr: torch.Tensor | float,
    weight_decay: torch.Tensor | float,
    fixed_norm: torch.Tensor | float | None = None,
    betas: tuple[float, float] = (0.9, 0.98),
    warmup: int = 10,
    record_every: int = 20,
    stop_below: float | None = None,
    progress_desc: str | None = None,
) -> dict[str, np.ndarray]:
    """Full-batch AdamW on ``W`` networks at once (each its own lr, weight decay, labels).

    lr, weight_decay, fixed_norm: scalars or ``[W]``; ``fixed_norm`` rescales each network to
    that global L2 norm after every step (Omnigrok; NaN or None = free). Linear warm-up over
    ``warmup`` steps (Nanda et al.). ``stop_below``: stop at the first record where every
    network has ``ln L_train <= stop_below``. Returns arrays ``[K]`` (step) and ``[K, W]``
    (the fields of :func:`measure`) recorded every ``record_every`` steps, and the final
    ``theta``.
    """
    from grokutils.book.progress import progress

    n = len(theta)
    lr = torch.as_tensor(lr, dtype=theta.dtype).expand(n)[:, None]
    wd = torch.as_tensor(weight_decay, dtype=theta.dtype).expand(n)[:, None]
    if (lr <= 0).any() or (wd < 0).any():
        raise ValueError("lr must be > 0 and weight_decay >= 0")
    norm = None
    if fixed_norm is not None:
        norm = torch.as_tensor(fixed_norm, dtype=theta.dtype).expand(n)[:, None]
    theta = theta.detach().clone()
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    b1, b2 = betas
    history: dict = {}
    steps = range(n_steps + 1)
    if progress_desc:
        steps = progress(steps, desc=progress_desc, total=n_steps + 1)
    for t in steps:
        if t % record_every == 0:
            _record(history, t, measure(model, theta, data))
            if stop_below is not None and (history["ln_loss"][-1] <= stop_below).all():
                break
        if t == n_steps:
            break
        theta.requires_grad_(True)
        loss = cross_entropy(model.logits(theta, data.pairs_train), data.y_train).sum()
        (grad,) = torch.autograd.grad(loss, theta)
        theta = theta.detach()
        # AdamW (Loshchilov & Hutter): decoupled decay, bias-corrected moments
        m.mul_(b1).add_(grad, alpha=1 - b1)
        v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        rate = lr * min(1.0, (t + 1) / warmup)
        theta.mul_(1 - rate * wd)
        m_hat, v_hat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))
        theta.sub_(rate * m_hat / (v_hat.sqrt() + 1e-8))
        if norm is not None:
            scale = norm / theta.norm(dim=1, keepdim=True)
            theta.mul_(torch.where(torch.isnan(scale), 1.0, scale))
    out = {k: np.array(val) for k, val in history.items()}
    out["theta"] = theta
    return out


def first_step_at(history: dict, key: str, level: float, *, never: float = np.nan) -> np.ndarray:
    """First recorded step at which ``history[key] >= level``, per network; ``never`` (NaN
    unless given, e.g. ``inf`` for an order statistic) where it is never reached."""
    hit = history[key] >= level
    first = np.argmax(hit, axis=0).astype(float)
    return np.where(hit.any(0), history["step"][first.astype(int)], never)


# ------------------------------------------------------------------------- WLMD on the network


def train_ln_loss_cv(model: EmbedMLP, data: ModularData):
    """Collective variable ``x = ln L_train`` as a function ``theta [W, n] -> [W, 1]``."""

    def cv(theta: torch.Tensor) -> torch.Tensor:
        return torch.log(cross_entropy(model.logits(theta, data.pairs_train), data.y_train))[
            :, None
        ]

    return cv


def loss_and_test_cv(model: EmbedMLP, data: ModularData):
    """Collective variables ``(ln L_train, Ã_test)`` as a function ``theta -> [W, 2]``."""

    def cv(theta: torch.Tensor) -> torch.Tensor:
        x = torch.log(cross_entropy(model.logits(theta, data.pairs_train), data.y_train))
        y = smoothed_accuracy(model.logits(theta, data.pairs_test), data.y_test)
        return torch.stack([x, y], dim=1)

    return cv


def held_out_observables(model: EmbedMLP, data: ModularData):
    """Observables ``theta -> [W, 3]``: test accuracy, smoothed test accuracy, ‖θ‖."""

    def observe(theta: torch.Tensor) -> torch.Tensor:
        z = model.logits(theta, data.pairs_test)
        return torch.stack(
            [accuracy(z, data.y_test), smoothed_accuracy(z, data.y_test), theta.norm(dim=1)],
            dim=1,
        )

    return observe


def wand(
    model: EmbedMLP,
    theta: torch.Tensor,
    data: ModularData,
    n_steps: int,
    *,
    dt: float = 3e-3,
    kT: float = 0.5,
    friction: float = 0.5,
    L0: float = -8.0,
    beta: float = 1000.0,
    F: float = 1.0,
    t_rise: float = 1e3,
    bin_width: float = 0.05,
    record_every: int = 50,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """WanD (paper Alg. 1, eq. 6): each network runs its own 1-D Wang-Landau entropy on
    ``x = ln L_train``, initialised to the bias ``β (x - L0)²`` above ``L0`` (eq. 7), under the
    Langevin dynamics of :func:`wlmd`; no weight decay, no bounds, no output scaling.

    Only training data drive the dynamics; test accuracy is recorded, never used. Returns
    ``step [K]`` and ``[K, W]`` arrays: ln_loss, train_acc, test_acc, norm, and displacement
    ``‖θ_t - θ_0‖``.
    """
    axis = Axis(-20.0, 3.0, round(23.0 / bin_width), wall_high=L0, wall=beta)
    config = WLMDConfig(dt=dt, friction=friction, kT=kT, sigma_bins=2.0, F=F, t_rise=t_rise)
    theta0 = theta.detach().clone()

    def observe(q: torch.Tensor) -> torch.Tensor:
        z_tr, z_te = model.logits(q, data.pairs_train), model.logits(q, data.pairs_test)
        return torch.stack(
            [
                torch.log(cross_entropy(z_tr.double(), data.y_train)),
                accuracy(z_tr, data.y_train),
                accuracy(z_te, data.y_test),
                q.double().norm(dim=1),
                (q - theta0).double().norm(dim=1),
            ],
            dim=1,
        )

    res = wlmd(
        train_ln_loss_cv(model, data),
        theta,
        (axis,),
        config,
        n_steps,
        groups=len(theta),
        seed=seed,
        record_every=record_every,
        observe_fn=observe,
    )
    names = ("ln_loss", "train_acc", "test_acc", "norm", "displacement")
    return {"step": res.steps, **{k: res.observed[..., i] for i, k in enumerate(names)}}


# ------------------------------------------------------------------ chapter experiments


def grokking_baseline(
    tasks: list[str],
    lrs: list[float],
    n_seeds: int,
    n_steps: int,
    *,
    p: int = 31,
    weight_decay: float = 1.0,
    control_seeds: int = 0,
    record_every: int = 50,
    seed: int = 0,
) -> dict:
    """AdamW on every task × seed at once (task k with lr ``lrs[k]``, weight decay
    ``weight_decay``), plus ``control_seeds`` networks on the first task with weight decay 0.

    Returns :func:`train_adamw`'s history with ``task [W]`` and ``weight_decay [W]`` added.
    """
    if len(tasks) != len(lrs):
        raise ValueError(f"tasks and lrs must have the same length; got {len(tasks)}, {len(lrs)}")
    net_tasks = [t for t in tasks for _ in range(n_seeds)] + [tasks[0]] * control_seeds
    lr = [r for r in lrs for _ in range(n_seeds)] + [lrs[0]] * control_seeds
    wd = [weight_decay] * (len(tasks) * n_seeds) + [0.0] * control_seeds
    model = EmbedMLP(p)
    data = ModularData.build(net_tasks, p)
    out = train_adamw(
        model,
        model.init(len(net_tasks), seed),
        data,
        n_steps,
        lr=torch.tensor(lr),
        weight_decay=torch.tensor(wd),
        record_every=record_every,
        progress_desc="AdamW",
    )
    return {**out, "task": np.array(net_tasks), "weight_decay": np.array(wd)}


def fixed_norm_widths(
    widths: list[int],
    radius: float,
    n_seeds: int,
    n_steps: int,
    *,
    lr: float = 1e-3,
    p: int = 31,
    record_every: int = 50,
    seed: int = 0,
) -> dict[int, dict]:
    """The norm-constrained control (paper Sec. 4.2, Omnigrok): AdamW without weight decay,
    every network rescaled to global norm ``radius`` after every step, for hidden widths
    ``widths`` (embedding ``d = 3·h/8``), ``n_seeds`` networks each. Task x+y."""
    out = {}
    for h in widths:  # different widths cannot share one tensor
        model = EmbedMLP(p, d=max(4, 3 * h // 8), h=h)
        data = ModularData.build(["x+y"] * n_seeds, p)
        theta = model.init(n_seeds, seed)
        theta = theta * radius / theta.norm(dim=1, keepdim=True)
        out[h] = train_adamw(
            model,
            theta,
            data,
            n_steps,
            lr=lr,
            weight_decay=0.0,
            fixed_norm=radius,
            record_every=record_every,
        )
    return out


def memorised_walkers(n_walkers: int, ln_loss: float, *, p: int = 31, seed: int = 0):
    """Networks on the memorisation plateau of x+y: AdamW (lr 3e-3, wd 1) until every
    network has ``ln L_train <= ln_loss`` (at most 20 000 steps).
    Returns ``(model, data, theta [n_walkers, n])`` (data: x+y for every walker)."""
    model = EmbedMLP(p)
    data = ModularData.build(["x+y"] * n_walkers, p)
    out = train_adamw(
        model,
        model.init(n_walkers, seed),
        data,
        20_000,
        lr=3e-3,
        weight_decay=1.0,
        record_every=20,
        stop_below=ln_loss,
    )
    return model, data, out["theta"]


def band_map(
    seed: int,
    n_steps: int,
    x_low: float,
    x_high: float,
    x_bins: int,
    a_bins: int,
    n_walkers: int,
    bound: float,
    dt: float,
    F: float,
    t_rise: float,
    p: int = 31,
) -> dict:
    """One band-limited 2-D WLMD map S(ln L_train, Ã_test) (spec §4.3, design 2) for C3:
    walkers start from AdamW memorisation checkpoints (inside the band), quadratic
    walls keep ``ln L`` in ``[x_low, x_high]``; reflective box ``±bound``. Deterministic in
    ``seed`` (a module-level function, so :func:`grokutils.book.sweep.run` can distribute runs).

    Returns numpy arrays: entropy, entropy_half, hist ``[x_bins, a_bins]``, the walkers'
    starting cv ``[W, 2]``, factor and kinetic temperature.
    """
    torch.set_flush_denormal(True)
    model, data, theta = memorised_walkers(n_walkers, (x_low + x_high) / 2, p=p, seed=seed)
    axes = (
        Axis(x_low, x_high, x_bins, wall_low=x_low, wall_high=x_high, wall=200.0),
        Axis(0.0, 1.0, a_bins),
    )
    config = WLMDConfig(dt=dt, friction=0.01, sigma_bins=1.0, F=F, t_rise=t_rise, bound=bound)
    cv = loss_and_test_cv(model, data)
    start = cv(theta.clamp(-bound, bound)).detach().double().numpy()
    res = wlmd(cv, theta, axes, config, n_steps, seed=seed, record_every=max(1, n_steps // 50))
    return {
        "window": (x_low, x_high),
        "entropy": res.entropy[0],
        "entropy_half": res.entropy_half[0],
        "hist": res.hist[0],
        "start": start,
        "factor": res.factor,
        "kinetic_temperature": res.kinetic_temperature,
    }


def wand_point(
    dt: float,
    kT: float,
    friction: float,
    F: float,
    L0: float,
    beta: float,
    n_seeds: int,
    n_steps: int,
    p: int = 31,
    seed: int = 0,
) -> dict:
    """WanD on x+y for ``n_seeds`` networks at one hyper-parameter point (for a sweep), with
    the thermal-noise baseline of the norm: ``sqrt(‖θ₀‖² + n·Var)`` from
    :func:`~grokutils.samplers.wang_landau.langevin_displacement_variance`."""
    from grokutils.samplers.wang_landau import langevin_displacement_variance

    torch.set_flush_denormal(True)
    model = EmbedMLP(p)
    data = ModularData.build(["x+y"] * n_seeds, p)
    theta = model.init(n_seeds, seed)
    out = wand(
        model,
        theta,
        data,
        n_steps,
        dt=dt,
        kT=kT,
        friction=friction,
        L0=L0,
        beta=beta,
        F=F,
        record_every=max(1, n_steps // 100),
        seed=seed,
    )
    var = langevin_displacement_variance(out["step"], dt, friction, kT)
    norm0 = theta.double().norm(dim=1).numpy()
    out["thermal_norm"] = np.sqrt(norm0[None, :] ** 2 + model.n_params * var[:, None])
    return out


# ------------------------------------------------------------------------------- read-outs


def l_shape_runs(ln_loss: np.ndarray, acc_smooth: np.ndarray, acc: np.ndarray) -> dict:
    """The L-shape of each AdamW path ``[K, S]`` (spec C2), one value per run (NaN for a run
    that never reaches test accuracy 95 %): ``grokked [S]``, ``low_acc_on_arrival [S]`` (Ã when
    ln L first comes within 1 of its value at grokking) and ``loss_range_during_rise [S]``
    (range of ln L while Ã rises from 0.5 to 0.95)."""
    n = ln_loss.shape[1]
    grokked = np.zeros(n, dtype=bool)
    arrival, spread = np.full(n, np.nan), np.full(n, np.nan)
    for k in range(n):
        hit = np.flatnonzero(acc[:, k] >= 0.95)
        if not hit.size:
            continue
        grok = hit[0]
        grokked[k] = True
        first = np.flatnonzero(ln_loss[: grok + 1, k] <= ln_loss[grok, k] + 1.0)[0]
        arrival[k] = acc_smooth[first, k]
        rise = np.flatnonzero(acc_smooth[: grok + 1, k] >= 0.5)
        start = rise[0] if rise.size else grok
        seg = ln_loss[start : grok + 1, k]
        spread[k] = seg.max() - seg.min()
    return {"grokked": grokked, "low_acc_on_arrival": arrival, "loss_range_during_rise": spread}


def l_shape(ln_loss: np.ndarray, acc_smooth: np.ndarray, acc: np.ndarray) -> dict:
    """The L-shape of AdamW paths ``[K, S]`` (spec C2), medians over the grokked runs of
    :func:`l_shape_runs`."""
    runs = l_shape_runs(ln_loss, acc_smooth, acc)
    arrival = runs["low_acc_on_arrival"][runs["grokked"]]
    spread = runs["loss_range_during_rise"][runs["grokked"]]
    if not arrival.size:
        return {"grokked": False, "low_acc_on_arrival": np.nan, "loss_range_during_rise": np.nan}
    return {
        "grokked": True,
        "low_acc_on_arrival": float(np.median(arrival)),
        "loss_range_during_rise": float(np.median(spread)),
    }


def descending_curve(ln_loss: np.ndarray, acc: np.ndarray, axis: Axis) -> np.ndarray:
    """Test accuracy of AdamW paths ``[K, S]`` at the bin centres of ``axis`` on their
    descending leg (each run's records where ``ln L`` reaches a new minimum), linearly
    interpolated in ``ln L`` and averaged over runs, ``[bins]`` (NaN outside every leg)."""
    curves = []
    for k in range(ln_loss.shape[1]):
        x = ln_loss[:, k]
        new_low = np.flatnonzero(x < np.minimum.accumulate(np.r_[np.inf, x[:-1]]))
        xs, ys = x[new_low][::-1], acc[new_low, k][::-1]  # increasing ln L for np.interp
        curves.append(np.interp(axis.centres, xs, ys, left=np.nan, right=np.nan))
    curves = np.array(curves)
    count = np.isfinite(curves).sum(0)
    return np.where(count > 0, np.nansum(curves, axis=0) / np.maximum(count, 1), np.nan)


def memorisation_barrier(band: dict, mask: np.ndarray) -> float:
    """Entropy barrier of a 2-D band map (spec C3): from the bin of the median AdamW starting
    point to the highest-entropy bin at the same ``ln L`` (bottleneck path); NaN when the
    start bin is not populated."""
    from grokutils.samplers.wang_landau import bottleneck_barrier

    nx, na = band["entropy"].shape
    lo, hi = band["window"]
    x0, a0 = np.median(band["start"], axis=0)
    i = int(np.clip(np.floor((x0 - lo) / (hi - lo) * nx), 0, nx - 1))
    j = int(np.clip(np.floor(a0 * na), 0, na - 1))
    if not mask[i, j]:
        return float("nan")
    column = np.where(mask[i], band["entropy"][i], -np.inf)
    return bottleneck_barrier(band["entropy"], mask, (i, j), (i, int(np.argmax(column))))


def map_diagnostic(
    maps: list[dict], noise: float, max_noise: float = 1.0, max_factor: float = 0.05
):
    """Why a pair of 2-D maps is not converged (``None`` if it is): the rms difference of the
    two runs must be ≤ ``max_noise`` nats and the final WL factor ≤ ``max_factor``."""
    from grokutils.samplers.wang_landau import flatness

    factor = max(m["factor"][-1] for m in maps)
    if np.isfinite(noise) and noise <= max_noise and factor <= max_factor:
        return None
    flat = min(flatness(m["hist"], m["hist"] > 0) for m in maps)
    return (
        f"2-D map not converged at this budget: two runs differ by {noise:.1f} nats rms "
        f"(need ≤ {max_noise:g}), final WL factor {factor:.3g} per walker-step "
        f"(need ≤ {max_factor:g}); histogram flatness min/mean {flat:.2f} over visited bins"
    )


def curve_diagnostic(
    run, group_noise: float, max_drift: float = 0.05, max_noise: float = 0.05
) -> str | None:
    """Why a 1-D WLMD equilibrium curve is not converged (``None`` if it is): the entropy
    estimate must have stopped moving (rms change between half and end ≤ ``max_drift`` of its
    range over the visited bins) and the two walker groups' curves must agree (rms ≤
    ``max_noise`` in accuracy)."""
    from grokutils.samplers.wang_landau import run_difference

    seen = run.hist.sum(0) > 0
    reasons = []
    if seen.sum() >= 2:
        span = float(np.ptp(run.entropy[:, seen], axis=1).mean())
        drift = np.mean(
            [
                run_difference(run.entropy[g], run.entropy_half[g], seen)
                for g in range(len(run.hist))
            ]
        )
        if drift > max_drift * span:
            reasons.append(
                f"S₁ still moving: rms change {drift:.0f} nats between half and end of the run "
                f"(range {span:.0f} nats)"
            )
    else:
        reasons.append("fewer than two ln L bins visited")
    if not np.isfinite(group_noise) or group_noise > max_noise:
        reasons.append(f"walker groups differ by {group_noise:.2f} rms in ⟨A⟩")
    return "1-D WLMD not converged at this budget: " + "; ".join(reasons) if reasons else None
