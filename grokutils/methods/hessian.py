"""Hessian-vector products and the top of the Hessian spectrum (sharpness), batched over runs.

A loss is given as a closure ``loss_fn(params) -> scalar`` over a list of parameter tensors.
With ``batched=True`` the leading dimension of every parameter indexes independent runs and
the closure returns the *sum* of the runs' losses: the Hessian is then block diagonal, and
each run gets its own eigenvalue from one batched computation (one HVP serves all runs).

- :func:`hvp`: Hessian-vector product by double backward (Pearlmutter's trick);
- :func:`top_eigenvalue`: power iteration with the Rayleigh quotient;
- :func:`lanczos`: the k largest eigenvalues by Lanczos with full reorthogonalisation;
- :func:`hessian_matrix`: the dense Hessian of a small model (for its full spectrum).

Sharpness is compared with the stability threshold of the optimiser: 2/η for gradient
descent and 2(1+β)/η for heavy-ball momentum β (Cohen et al. 2021).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

LossFn = Callable[[list[torch.Tensor]], torch.Tensor]


def _check(params: Sequence[torch.Tensor], batched: bool) -> list[torch.Tensor]:
    params = list(params)
    if not params:
        raise ValueError("params must be a non-empty list of tensors")
    if batched:
        runs = {p.shape[0] if p.dim() else None for p in params}
        if len(runs) != 1 or None in runs:
            raise ValueError(
                "with batched=True every parameter needs the same leading (runs) dimension; "
                f"got shapes {[tuple(p.shape) for p in params]}"
            )
    return [p.detach().requires_grad_(True) for p in params]


def _dot(a: list[torch.Tensor], b: list[torch.Tensor], batched: bool) -> torch.Tensor:
    """Inner product per run ``[runs]`` (batched) or a scalar."""
    if batched:
        return sum((x * y).flatten(1).sum(1) for x, y in zip(a, b, strict=True))
    return sum((x * y).sum() for x, y in zip(a, b, strict=True))


def _scale(a: list[torch.Tensor], s: torch.Tensor, batched: bool) -> list[torch.Tensor]:
    if batched:
        return [x * s.view(-1, *[1] * (x.dim() - 1)) for x in a]
    return [x * s for x in a]


def _axpy(y: list[torch.Tensor], s: torch.Tensor, x: list[torch.Tensor], batched: bool):
    """``y + s x`` with a per-run (batched) or scalar coefficient ``s``."""
    return [u + v for u, v in zip(y, _scale(x, s, batched), strict=True)]


def hvp(
    loss_fn: LossFn, params: Sequence[torch.Tensor], vectors: Sequence[torch.Tensor]
) -> list[torch.Tensor]:
    """Hessian of ``loss_fn`` at ``params`` times ``vectors`` (same shapes as ``params``).

    For a batched closure (sum of independent runs' losses) this is each run's own
    Hessian-vector product, since the Hessian is block diagonal.
    """
    params = _check(params, batched=False)
    vectors = [v.detach() for v in vectors]
    if [v.shape for v in vectors] != [p.shape for p in params]:
        raise ValueError("vectors must have the shapes of params")
    with torch.enable_grad():
        grads = torch.autograd.grad(loss_fn(params), params, create_graph=True)
        dot = sum((g * v).sum() for g, v in zip(grads, vectors, strict=True))
        return [h.detach() for h in torch.autograd.grad(dot, params)]


def _start(params, batched, generator) -> list[torch.Tensor]:
    v = [torch.randn(p.shape, generator=generator, dtype=p.dtype) for p in params]
    norm = _dot(v, v, batched).sqrt()
    return _scale(v, 1 / norm, batched)


def top_eigenvalue(
    loss_fn: LossFn,
    params: Sequence[torch.Tensor],
    *,
    n_iter: int = 20,
    batched: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Largest-magnitude Hessian eigenvalue by ``n_iter`` power iterations (the Rayleigh
    quotient of the last iterate): a scalar, or ``[runs]`` with ``batched``. For the
    sharpness of a trained network this is the top (positive) eigenvalue."""
    if n_iter < 1:
        raise ValueError(f"n_iter must be >= 1; got {n_iter}")
    params = _check(params, batched)
    v = _start(params, batched, generator)
    for _ in range(n_iter):
        hv = hvp(loss_fn, params, v)
        eig = _dot(v, hv, batched)
        norm = _dot(hv, hv, batched).sqrt()
        v = _scale(hv, 1 / torch.where(norm > 0, norm, 1.0), batched)
    return eig


def lanczos(
    loss_fn: LossFn,
    params: Sequence[torch.Tensor],
    *,
    k: int = 1,
    n_iter: int = 20,
    batched: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The ``k`` largest Hessian eigenvalues (descending) from ``n_iter`` Lanczos steps with
    full reorthogonalisation: ``[k]``, or ``[runs, k]`` with ``batched``. Extreme eigenvalues
    converge first; ``n_iter`` must not exceed the number of parameters (per run)."""
    params = _check(params, batched)
    size = sum(p[0].numel() if batched else p.numel() for p in params)
    if not 1 <= k <= n_iter <= size:
        raise ValueError(f"need 1 <= k <= n_iter <= n_params ({size}); got k={k}, n_iter={n_iter}")
    q = _start(params, batched, generator)
    basis, alphas, betas = [q], [], []
    for j in range(n_iter):
        w = hvp(loss_fn, params, q)
        alpha = _dot(w, q, batched)
        alphas.append(alpha)
        for b in basis:  # full reorthogonalisation (twice is enough)
            w = _axpy(w, -_dot(w, b, batched), b, batched)
        for b in basis:
            w = _axpy(w, -_dot(w, b, batched), b, batched)
        if j == n_iter - 1:
            break
        beta = _dot(w, w, batched).sqrt()
        betas.append(beta)
        q = _scale(w, 1 / torch.where(beta > 1e-12, beta, 1.0), batched)
        basis.append(q)
    diag = torch.stack(alphas, -1)  # [runs, m] or [m]
    tri = torch.diag_embed(diag)
    if betas:
        off = torch.diag_embed(torch.stack(betas, -1), offset=1)
        tri = tri + off + off.transpose(-1, -2)
    return torch.linalg.eigvalsh(tri).flip(-1)[..., :k]


def hessian_matrix(loss_fn: LossFn, params: Sequence[torch.Tensor], *, chunk: int = 256):
    """The dense Hessian ``[n, n]`` of an unbatched closure over all ``n`` parameter entries
    (flattened and concatenated in the order of ``params``), built ``chunk`` rows at a time
    from Hessian-vector products against unit vectors (one vmapped double backward per
    chunk). Memory ``n²``: for small models (``n`` up to a few thousand) and full spectra."""
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1; got {chunk}")
    params = _check(params, batched=False)
    with torch.enable_grad():
        grads = torch.autograd.grad(loss_fn(params), params, create_graph=True)
        flat = torch.cat([g.reshape(-1) for g in grads])
        n, rows = flat.numel(), []
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            unit = torch.zeros(size, n, dtype=flat.dtype)
            unit[torch.arange(size), torch.arange(start, start + size)] = 1.0
            parts = torch.autograd.grad(
                flat, params, grad_outputs=unit, is_grads_batched=True, retain_graph=True
            )
            rows.append(torch.cat([part.reshape(size, -1) for part in parts], 1))
    return torch.cat(rows).detach()
