"""Closed forms for the committee machine of Kumar, Bordelon, Gershman & Pehlevan (ICLR 2024).

Model (eq. 3): ``f(x) = (α/N) Σ_i φ(w_i·x)``, ``φ(h) = h + (ε/2) h²``, inputs ``x ~ N(0, I/D)``,
target ``y = s (β·x)²`` (``s = ½`` in the paper's eq. 3). Everything the network computes is a
function of the sufficient statistics (eq. 4) ``w̄ = (1/N) Σ_i w_i`` and
``M = (1/N) Σ_i w_i w_iᵀ``: ``f(x) = α w̄·x + (αε/2) xᵀ M x``. For the centred predictor
``f - f₀`` use ``(w̄ - w̄₀, M - M₀)`` in every formula.

Shapes: a leading ``[runs]`` dimension everywhere; ``w_bar [runs, D]``, ``M [runs, D, D]``,
``beta [runs, D]``, ``alpha`` and ``eps`` scalars or ``[runs]``.
"""

from __future__ import annotations

import torch

LOSS_PARTS = ("variance", "misalignment", "linear")
"""Names of the three terms of eq. 6, in the order :func:`test_loss_parts` returns them."""


def _per_run(value, like: torch.Tensor) -> torch.Tensor:
    """A scalar or ``[runs]`` parameter as a ``[runs]`` tensor of ``like``'s dtype."""
    value = torch.as_tensor(value, dtype=like.dtype)
    return value.expand(like.shape[0]) if value.ndim == 0 else value


def test_loss_parts(w_bar, M, beta, alpha, eps, *, scale: float = 0.5) -> torch.Tensor:
    """The exact population test loss ``E_x[(y - f)²]`` split into its three terms (eq. 6).

    For ``y - f = -α w̄·x - xᵀAx`` with ``A = (αε/2) M - s ββᵀ`` and ``x ~ N(0, I/D)``, odd
    moments vanish and ``E[(xᵀAx)²] = ((Tr A)² + 2‖A‖_F²)/D²``. Returns ``[runs, 3]``:
    variance error ``(Tr A)²/D²``, misalignment error ``2‖A‖_F²/D²`` and the power in the linear
    modes ``(α²/D)|w̄|²``. With ``s = ½`` these are eq. 6's
    ``¼(|β|²/D - (αε/D) Tr M)²``, ``‖αεM - ββᵀ‖_F²/(2D²)`` and ``(α²/D)|w̄|²``.
    """
    d = beta.shape[-1]
    alpha, eps = _per_run(alpha, beta), _per_run(eps, beta)
    A = (alpha * eps / 2)[:, None, None] * M - scale * beta[:, :, None] * beta[:, None, :]
    trace = torch.diagonal(A, dim1=-2, dim2=-1).sum(-1)
    variance = trace**2 / d**2  # eq. 6, first term
    misalignment = 2 * (A**2).sum((-2, -1)) / d**2  # eq. 6, second term
    linear = alpha**2 * (w_bar**2).sum(-1) / d  # eq. 6, third term
    return torch.stack([variance, misalignment, linear], dim=-1)


def test_loss_population(w_bar, M, beta, alpha, eps, *, scale: float = 0.5) -> torch.Tensor:
    """Eq. 6: the population test loss ``[runs]`` (sum of :func:`test_loss_parts`)."""
    return test_loss_parts(w_bar, M, beta, alpha, eps, scale=scale).sum(-1)


def statistics_step(w_bar, M, C, w_bar0, x, rho, eps, step):
    """One full-batch GD step written on the sufficient statistics, exact for any width N.

    With learning rate ``η = c N/(α² σ²)`` each neuron moves by
    ``w_i ← (I - s ε G) w_i - s u`` with ``u = Xᵀρ``, ``G = Xᵀ diag(ρ) X`` and ``s = 2c/(α σ²)``,
    where ``ρ_μ = ω_μ r_μ`` are the residuals ``r = f̃(X) - y`` times the sample weights
    (``ω = 1/P`` for the mean-squared error). Averaging over neurons closes on
    ``(w̄, M)``; ``C = (1/N) Σ_i w_i⁰ w_iᵀ`` (for ``‖W - W₀‖``) closes as well.

    Shapes: ``w_bar, w_bar0 [runs, D]``, ``M, C [runs, D, D]``, ``x [runs, P, D]``,
    ``rho [runs, P]``, ``eps, step [runs]``. Returns the new ``(w_bar, M, C)``.
    """
    u = (rho[:, None, :] @ x)[:, 0]
    G = (x * rho[:, :, None]).transpose(1, 2) @ x
    A = torch.eye(x.shape[-1], dtype=x.dtype) - (step * eps)[:, None, None] * G
    v = (A @ w_bar[:, :, None])[:, :, 0]
    su = (step[:, None] * u)[:, :, None]  # [runs, D, 1]
    # M ← A M A - v suᵀ - su vᵀ + su suᵀ, written as two rank-one updates
    M = torch.baddbmm(A @ M @ A, su - v[:, :, None], su.transpose(1, 2))
    M = torch.baddbmm(M, su, v[:, None, :], alpha=-1)
    C = torch.baddbmm(C @ A, w_bar0[:, :, None], su.transpose(1, 2), alpha=-1)
    return v - su[:, :, 0], M, C


def ntk_gram(x1, x2, w_bar, M, eps) -> torch.Tensor:
    """The neural tangent kernel of the committee machine (eq. 5) ``[runs, P1, P2]``.

    ``K(x, x') = (x·x') (1 + ε w̄·(x + x') + ε² xᵀ M x')``, exact at any width when evaluated
    at the current ``(w̄, M)``; the overall factor ``α²/N`` is dropped (the N-scaled learning
    rate cancels it). ``x1 [runs, P1, D]``, ``x2 [runs, P2, D]``.
    """
    eps = _per_run(eps, w_bar)[:, None, None]
    dot = x1 @ x2.transpose(-1, -2)
    lin1 = torch.einsum("rpd,rd->rp", x1, w_bar)[:, :, None]
    lin2 = torch.einsum("rpd,rd->rp", x2, w_bar)[:, None, :]
    quad = x1 @ M @ x2.transpose(-1, -2)
    return dot * (1 + eps * (lin1 + lin2) + eps**2 * quad)


def kernel_regression_test_loss(
    x, y, x_test, y_test, w_bar0, M0, eps, *, ridge: float = 1e-8
) -> torch.Tensor:
    """Test MSE ``[runs]`` of ridgeless regression with the initial NTK: ``f_K = k₀(x)ᵀ K₀⁻¹ y``.

    The lazy limit of the centred network (its predictor has a cubic term, so eq. 6 does not
    apply: evaluate it on a large test set). ``ridge`` (relative to the mean diagonal) only
    guards an ill-conditioned solve.
    """
    K = ntk_gram(x, x, w_bar0, M0, eps)
    jitter = ridge * torch.diagonal(K, dim1=-2, dim2=-1).mean(-1)
    K = K + jitter[:, None, None] * torch.eye(K.shape[-1], dtype=K.dtype)
    coef = torch.linalg.solve(K, y[..., None])
    pred = (ntk_gram(x_test, x, w_bar0, M0, eps) @ coef)[..., 0]
    return ((pred - y_test) ** 2).mean(-1)


def kernel_alignment(K, y) -> torch.Tensor:
    """Kernel-target alignment ``[runs]`` as the authors' code computes it.

    ``y_c = y - mean(y)``, ``K_c = K - K.mean(axis=0)`` (columns centred only, not the
    double-centred HKH), ``A = y_cᵀ K_c y_c / (‖K_c‖_F ‖y_c‖²)``.
    ``K [runs, P, P]``, ``y [runs, P]``.
    """
    yc = y - y.mean(-1, keepdim=True)
    Kc = K - K.mean(-2, keepdim=True)
    num = torch.einsum("rp,rpq,rq->r", yc, Kc, yc)
    return num / (torch.linalg.matrix_norm(Kc) * (yc**2).sum(-1))


def feature_alignment(M, beta) -> torch.Tensor:
    """``β̂ᵀ M β̂ / ‖M‖_F`` ``[runs]``: ``1/√D`` at ``M = I``, 1 when ``M ∝ ββᵀ``."""
    b = beta / beta.norm(dim=-1, keepdim=True)
    return torch.einsum("rd,rde,re->r", b, M, b) / torch.linalg.matrix_norm(M)


def mercer_eigenvalues(d: int, eps: float) -> dict[str, float]:
    """Eigenvalues of the initial kernel ``K₀ = x·x' + ε²(x·x')²`` under ``N(0, I/D)`` (App. 11).

    Linear functions ``1/D`` (D modes); traceless quadratics ``2ε²/D²`` (the appendix's
    eqs. 13–15; the main text's ``2ε/D²`` is an erratum); the ``|x|²`` mode ``(ε²/D)(1 + 2/D)``.
    """
    return {
        "linear": 1 / d,
        "quadratic": 2 * eps**2 / d**2,
        "norm": eps**2 / d * (1 + 2 / d),
    }


def feature_learning_time(alpha, eps, d: int, c: float):
    """Back-of-envelope step count at which the rich phase fits the target.

    Early on ``r ≈ -y`` so ``G ≈ -(P/2D²)(|β|² I + 2ββᵀ)`` and ``β̂ᵀMβ̂`` grows at rate
    ``≈ 6cε/(αD)`` per step until it reaches ``≈ D/(αε)``:
    ``t ≈ (αD/(6cε)) ln(D/(αε))`` (not in the paper; a heuristic to set beside measured times).
    """
    alpha = torch.as_tensor(alpha, dtype=torch.float64)
    return alpha * d / (6 * c * eps) * torch.log(d / (alpha * eps))


def lazy_linear_time(d: int, c: float) -> float:
    """Steps the lazy phase needs for the linear modes (eigenvalue ``1/D``): ``D/(2c)``."""
    return d / (2 * c)


def ntk_eigenvector_labels(x, w_bar0, M0, eps, ranks) -> torch.Tensor:
    """Labels along eigenvectors of the initial NTK Gram (Sec. 6.1, Fig. 5).

    ``K₀`` (eq. 5) on the inputs ``x [P, D]``, centred by subtracting its global mean, and its
    unit-norm eigenvectors in order of decreasing eigenvalue; returns the eigenvectors of the
    1-based ``ranks`` as labels ``[len(ranks), P]``.
    """
    P = x.shape[0]
    if min(ranks) < 1 or max(ranks) > P:
        raise ValueError(f"ranks must lie in [1, {P}]; got {list(ranks)}")
    K = ntk_gram(x[None], x[None], w_bar0[None], M0[None], eps)[0]
    _, vectors = torch.linalg.eigh(K - K.mean())
    order = torch.as_tensor([P - r for r in ranks])  # eigh is ascending
    return vectors[:, order].T
