"""Full-batch gradient descent of a batch of committee machines (Kumar et al., ICLR 2024).

Three engines train the same :class:`~.committee.Committee` and agree to
rounding error where they overlap:

* :class:`Direct`: GD on ``W [runs, N, D]`` (cost ``∝ P N D`` a step);
* :class:`Statistics`: the exact, width-independent recursion on ``(w̄, M)``
  (:func:`.theory.statistics_step`, cost ``∝ P D² + D³``);
* :class:`Linearised`: the model linearised around ``W₀`` (the lazy/kernel limit) trained by
  the same GD, closed on ``(Δw̄, C = W₀ᵀ ΔW/N)``.

:func:`train` runs one of them and returns a :class:`~grokutils.core.trajectory.Trajectory`.
"""

from __future__ import annotations

import pandas as pd
import torch

from grokutils.chapters.lazy_to_rich import theory
from grokutils.chapters.lazy_to_rich.committee import Committee, trace
from grokutils.core.progress import progress
from grokutils.core.trajectory import Recorder, Trajectory, record_steps

ENGINES = ("direct", "statistics", "linearised")
PART_SERIES = tuple(f"test_loss_{name}" for name in theory.LOSS_PARTS)
"""Series of the three terms of eq. 6 (variance, misalignment, linear power)."""


class Direct:
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


class Statistics:
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


class Linearised:
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
    runs: pd.DataFrame | None = None,
    desc: str = "GD",
    dtype: torch.dtype | None = None,
) -> Trajectory:
    """Full-batch GD of a batch of committee machines for ``steps`` steps.

    ``x [runs, P, D]``, ``y [runs, P]``; ``weights [runs, P]`` the sample weights ω (default
    ``1/P``; zeros mask padding so runs with different sample sizes share one batch).
    ``beta [runs, D]`` (teacher of ``y = scale (β·x)²``) gives the exact test loss of eq. 6;
    else ``x_test, y_test`` give an empirical one. ``x_align, y_align`` add the NTK alignment.
    ``runs``: the table of the runs' settings the trajectory carries. ``dtype``: the loop's
    (default: the model's); the records are computed in the model's dtype from the loop's state,
    so a float32 loop records float64 losses of its own float32 weights or statistics.

    Series ``[runs, T]`` at ``record_steps(steps, n_records)``: ``train_loss``, ``test_loss``
    (population loss of eq. 6 with a teacher, else on the test set) and, with a teacher, its
    terms :data:`PART_SERIES`; except for the linearised engine ``weight_norm`` ``‖W‖_F``,
    ``weight_change`` ``‖W - W₀‖_F/‖W₀‖_F``, with a teacher ``feature_alignment``
    ``β̂ᵀMβ̂/‖M‖_F`` and with an alignment set ``kernel_alignment`` (the code's NTK-label
    alignment).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
    n_runs, n_train, _ = x.shape
    if y.shape != (n_runs, n_train):
        raise ValueError(f"y must have shape {(n_runs, n_train)}; got {tuple(y.shape)}")
    if beta is None and (x_test is None or y_test is None):
        raise ValueError("give beta (population test loss) or both x_test and y_test")
    if weights is None:
        weights = torch.full_like(y, 1 / n_train)
    dtype = dtype or model.W0.dtype
    engine_class = {"direct": Direct, "statistics": Statistics, "linearised": Linearised}[engine]
    state = engine_class(model.to(dtype) if dtype != model.W0.dtype else model)
    x_loop, y_loop, w_loop = (t.to(dtype) for t in (x, y, weights))
    x_test_loop = None if x_test is None else x_test.to(dtype)
    rec = Recorder(record_steps(steps, n_records))
    for t in progress(range(steps + 1), desc=desc):
        r = state.predict(x_loop) - y_loop
        if rec.due(t):
            row = _record(model, state, engine, r, weights, beta, scale, x_test_loop, y_test)
            if x_align is not None and engine != "linearised":
                w_bar, M, _ = _cast(state.statistics(), model)
                K = theory.ntk_gram(x_align, x_align, w_bar, M, model.eps)
                row["kernel_alignment"] = theory.kernel_alignment(K, y_align)
            rec.add(t, **row)
            if t == steps:
                break
        state.advance(x_loop, w_loop * r)
    return rec.trajectory(runs=runs)


def _cast(tensors, model: Committee) -> tuple[torch.Tensor, ...]:
    """``tensors`` of the loop's state in the model's dtype (the records')."""
    return tuple(t.to(model.W0.dtype) for t in tensors)


def _record(model, state, engine, r, weights, beta, scale, x_test, y_test) -> dict:
    """One record's series, in the model's dtype; ``r`` and ``x_test`` in the loop's. The
    initial statistics are the loop's own (``state.model``'s), so a run starts at zero change."""
    (r,) = _cast([r], model)
    w_bar0, M0 = _cast((state.model.w_bar0, state.model.M0), model)
    row = {"train_loss": (weights * r**2).sum(-1)}
    if engine == "linearised":
        w_eff, M_eff = _cast(state.centred_statistics(), model)
        if not model.centred:
            w_eff, M_eff = w_eff + w_bar0, M_eff + M0
    else:
        w_bar, M, C = _cast(state.statistics(), model)
        w_eff, M_eff = (w_bar - w_bar0, M - M0) if model.centred else (w_bar, M)
        n = model.width
        norm0 = trace(M0)
        row["weight_norm"] = (n * trace(M)).sqrt()
        change = trace(M) - 2 * trace(C) + norm0  # ‖W - W₀‖² / N
        row["weight_change"] = (change.clamp(min=0) / norm0).sqrt()
        if beta is not None:
            row["feature_alignment"] = theory.feature_alignment(M, beta)
    if beta is not None:
        parts = theory.test_loss_parts(w_eff, M_eff, beta, model.alpha, model.eps, scale=scale)
        row["test_loss"] = parts.sum(-1)
        row.update(zip(PART_SERIES, parts.unbind(-1), strict=True))
    else:
        (f_test,) = _cast([state.predict(x_test)], model)
        row["test_loss"] = ((f_test - y_test) ** 2).mean(-1)
    return row
