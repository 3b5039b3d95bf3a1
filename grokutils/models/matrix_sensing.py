"""Low-rank matrix sensing with matrix-factorisation networks (Alexander et al., NeurIPS 2025).

The task (paper §1, official code ``generate_data``): a rank-``r`` ground truth ``W*`` of shape
``m × m'`` with ``‖W*‖_F = 1``, ``n`` Gaussian sensing matrices ``A_i`` with ``‖A_i‖_F = 1``
and noiseless measurements ``y_i = ⟨A_i, W*⟩``. The test "set" is an orthonormal basis ``B``
of the orthogonal complement of ``span{A_i}``, so that

    L_train(W) = (1/n) Σ_i (⟨A_i, W⟩ − y_i)²
    L_gen(W) = (1/|B|) Σ_j (⟨B_j, W⟩ − ⟨B_j, W*⟩)²        (paper eq. 6)

The network is the paper's ``W = W_d σ(W_{d−1} σ(⋯ σ(W_1)))`` with ``W_1 ∈ R^{k×m'}``, hidden
``W_j ∈ R^{k×k}``, ``W_d ∈ R^{m×k}``, no input and no biases (σ acts on the entries of ``W_1``).
The official G&C prior draws every entry of ``W_j`` from ``N(0, 1/rows(W_j))``; the depth
experiments divide the end-to-end matrix by ``‖W‖_F + 1e-6``.

Every tensor carries its independent copies in leading dimensions: ``S`` data sets (seeds) in a
:class:`SensingTask`, ``N`` candidate networks in a prior draw, ``[S, ...]`` weights in the
gradient-descent baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

LEAKY_SLOPE = 0.2
"""Slope ``c`` of the Leaky ReLU ``σ(α) = max(cα, α)`` (paper §1)."""
NORMALISE_SOFTENING = 1e-6
"""The official code normalises by ``‖W‖_F + 1e-6``."""
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "linear": lambda x: x,
    "tanh": torch.tanh,
    "leaky_relu": lambda x: F.leaky_relu(x, LEAKY_SLOPE),
}


def _check_int(name: str, value, low: int) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")


@dataclass(frozen=True)
class SensingTask:
    """``S`` matrix-sensing data sets, one per seed, as stacked float64 tensors.

    Shapes: ``w_star [S, m, m']``, ``A [S, n, m, m']`` (unit Frobenius norm), ``y [S, n]``,
    ``B [S, nb, m, m']`` (orthonormal basis of ``span{A_i}^⊥``, ``nb = m m' − n``),
    ``b_star [S, nb]`` (``⟨B_j, W*⟩``). ``seeds`` are the data seeds.
    """

    w_star: torch.Tensor
    A: torch.Tensor
    y: torch.Tensor
    B: torch.Tensor
    b_star: torch.Tensor
    seeds: tuple[int, ...]

    @property
    def n_tasks(self) -> int:
        return self.w_star.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.w_star.shape[1:])

    @property
    def n_train(self) -> int:
        return self.A.shape[1]

    @property
    def n_test(self) -> int:
        return self.B.shape[1]

    def measurement_operator(self, dtype=torch.float32) -> torch.Tensor:
        """``[S, n + nb, m m']``: the rows ``vec(A_i)`` then ``vec(B_j)`` of each data set."""
        flat = torch.cat([self.A, self.B], dim=1).flatten(2)
        return flat.to(dtype)

    def select(self, index) -> SensingTask:
        """The data sets ``index`` (an int sequence; repeats allowed, e.g. for replicas)."""
        index = torch.as_tensor(index, dtype=torch.long)
        seeds = tuple(self.seeds[i] for i in index.tolist())
        return SensingTask(
            self.w_star[index],
            self.A[index],
            self.y[index],
            self.B[index],
            self.b_star[index],
            seeds,
        )

    def losses(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(L_train, L_gen)`` of candidates ``W [N, m, m']`` on every data set, each ``[N, S]``.

        One flattened matmul ``[N, m m'] @ [m m', S (n + nb)]`` for all candidates and data sets.
        """
        S = self.n_tasks
        G = self.measurement_operator(W.dtype)
        coords = (W.flatten(1) @ G.flatten(0, 1).T).view(-1, S, G.shape[1])
        return self._split(coords)

    def losses_paired(self, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(L_train, L_gen)``, each ``[S, N]``, of ``W [S, N, m, m']`` (row s on data set s)."""
        G = self.measurement_operator(W.dtype)
        coords = torch.bmm(W.flatten(2), G.transpose(1, 2))
        return tuple(loss.transpose(0, 1) for loss in self._split(coords.transpose(0, 1)))

    def _split(self, coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.n_train
        y, b = self.y.to(coords.dtype), self.b_star.to(coords.dtype)
        train = (coords[..., :n] - y).square().mean(-1)
        gen = (coords[..., n:] - b).square().mean(-1)  # eq. 6
        return train, gen

    def prior_chance_linear(self, normalised: bool) -> torch.Tensor:
        """Closed-form prior mean of ``L_gen`` for linear networks, ``[S]``.

        Unnormalised: every end-to-end entry has variance ``1/m``, so ``1/m + ‖b*‖²/|B|``.
        Normalised: left-right orthogonal invariance makes ``E⟨B_j, W⟩² = 1/(m m')``.
        """
        m, mp = self.shape
        level = 1.0 / (m * mp) if normalised else 1.0 / m
        return level + self.b_star.square().sum(-1) / self.n_test


def make_task(
    seeds, *, shape: tuple[int, int] = (5, 5), rank: int = 1, n_train: int = 15
) -> SensingTask:
    """The official matrix-sensing data, one data set per seed (``np.random.default_rng(seed)``).

    Paired design: data set ``s`` depends on ``s`` only, so every width, depth and method sees
    the same data (the official code regenerates data from a drifting global RNG).
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must name at least one data seed")
    m, mp = shape
    _check_int("rank", rank, 1)
    if not 0 < n_train < m * mp:
        raise ValueError(f"n_train must be in [1, {m * mp - 1}] for shape {shape}; got {n_train}")
    parts = [_one_task(np.random.default_rng(s), m, mp, rank, n_train) for s in seeds]
    stacked = [torch.from_numpy(np.stack(x)) for x in zip(*parts, strict=True)]
    return SensingTask(*stacked, seeds=seeds)


def _one_task(rng: np.random.Generator, m: int, mp: int, rank: int, n: int):
    w_star = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, mp))
    w_star /= np.linalg.norm(w_star)
    A = rng.standard_normal((n, m, mp))
    A /= np.linalg.norm(A, axis=(1, 2), keepdims=True)
    q, _ = np.linalg.qr(A.reshape(n, -1).T, mode="complete")
    B = q[:, n:].T.reshape(-1, m, mp)
    y = np.einsum("nij,ij->n", A, w_star)
    b_star = np.einsum("nij,ij->n", B, w_star)
    return w_star, A, y, B, b_star


class NetworkPrior:
    """The official G&C prior of a depth-``d``, width-``k`` matrix factorisation.

    Entries of ``W_j`` are ``N(0, 1/rows(W_j))``: ``1/k`` for ``W_1 … W_{d−1}``, ``1/m`` for
    ``W_d``. ``normalise`` divides the end-to-end matrix by ``‖W‖_F + 1e-6`` (depth sweep).

    Three views of the same law:
    ``from_normals(z [..., n_normals])`` maps whitened weights to ``W [..., m, m']`` (what
    subset simulation moves in); ``features(n)`` gives ``H = σ(W_{d−1} ⋯ σ(W_1))`` so that
    ``W = W_d H`` (what Rao-Blackwellisation conditions on); ``draw(n)`` gives ``W``.
    With ``exact_linear`` (linear activation only) ``features`` uses the width-free Bartlett
    construction of :func:`bartlett_features`, equal in law and costing ``O(d m'^3)`` per draw.
    """

    def __init__(
        self,
        width: int,
        depth: int,
        activation: str = "linear",
        *,
        normalise: bool = False,
        shape: tuple[int, int] = (5, 5),
        exact_linear: bool = False,
    ):
        _check_int("width", width, 1)
        _check_int("depth", depth, 2)
        _check_activation(activation)
        if exact_linear and activation != "linear":
            raise ValueError(f"exact_linear needs activation 'linear'; got {activation!r}")
        if exact_linear and width < shape[1]:
            raise ValueError(f"exact_linear needs width >= m' = {shape[1]}; got width {width}")
        self.width, self.depth, self.activation = int(width), int(depth), activation
        self.normalise, self.shape, self.exact_linear = normalise, tuple(shape), exact_linear
        self.sigma = ACTIVATIONS[activation]
        m, mp, k = *self.shape, self.width
        self.layer_shapes = [(k, mp)] + [(k, k)] * (depth - 2) + [(m, k)]
        self.n_normals = sum(r * c for r, c in self.layer_shapes)

    def __repr__(self) -> str:
        return (
            f"NetworkPrior(width={self.width}, depth={self.depth}, "
            f"activation={self.activation!r}, normalise={self.normalise})"
        )

    def from_normals(self, z: torch.Tensor) -> torch.Tensor:
        """``W [..., m, m']`` from whitened weights ``z [..., n_normals]`` (iid N(0, 1))."""
        if z.shape[-1] != self.n_normals:
            raise ValueError(f"z must end in {self.n_normals} normals; got shape {tuple(z.shape)}")
        layers, start = [], 0
        for rows, cols in self.layer_shapes:
            block = z[..., start : start + rows * cols].unflatten(-1, (rows, cols))
            layers.append(block / rows**0.5)
            start += rows * cols
        H = self.sigma(layers[0])
        for layer in layers[1:-1]:
            H = self.sigma(layer @ H)
        return self._finish(layers[-1] @ H)

    def draw(self, n: int, generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
        """``n`` end-to-end matrices ``W [n, m, m']`` from the prior."""
        if self.exact_linear:
            H = self.features(n, generator, dtype)
            last = torch.randn(n, self.shape[0], H.shape[1], generator=generator, dtype=dtype)
            return self._finish(last / self.shape[0] ** 0.5 @ H)
        z = torch.randn(n, self.n_normals, generator=generator, dtype=dtype)
        return self.from_normals(z)

    def features(self, n: int, generator: torch.Generator, dtype=torch.float64) -> torch.Tensor:
        """Last-hidden-layer features ``H [n, k, m']`` (``[n, m', m']`` with ``exact_linear``).

        Given ``H`` the rows of ``W = W_d H`` are iid ``N(0, HᵀH/m)``; unnormalised prior only.
        """
        if self.normalise:
            raise ValueError("features are defined for the unnormalised prior only")
        if self.exact_linear:
            seed = int(torch.randint(0, 2**62, (1,), generator=generator))
            R = bartlett_features(n, self.width, self.depth, self.shape[1], seed)
            return R.to(dtype)
        k, mp = self.width, self.shape[1]
        H = self.sigma(torch.randn(n, k, mp, generator=generator, dtype=dtype) / k**0.5)
        for _ in range(self.depth - 2):
            layer = torch.randn(n, k, k, generator=generator, dtype=dtype) / k**0.5
            H = self.sigma(layer @ H)
        return H

    def _finish(self, W: torch.Tensor) -> torch.Tensor:
        if not self.normalise:
            return W
        norm = torch.linalg.matrix_norm(W, keepdim=True)
        return W / (norm + NORMALISE_SOFTENING)


def bartlett_features(n: int, width: int, depth: int, m_prime: int, seed: int) -> torch.Tensor:
    """Width-free features ``R [n, m', m']`` of a deep linear net: ``W = (G/√m) R`` in law.

    ``R = (B_{d−1}ᵀ/√k) ⋯ (B_1ᵀ/√k)`` with independent Bartlett factors ``B_j``: lower
    triangular, ``(B_j)_ii = √χ²_{k−i+1}``, ``(B_j)_{i>l} ~ N(0, 1)``, so ``B_j B_jᵀ/k`` is
    Wishart(k, I/k), the law of the Gram matrix of each hidden layer's output (spec §5.2).
    Costs ``O(d m'^3)`` per draw whatever the width ``k`` (which must be ``>= m'``).
    """
    _check_int("n", n, 1)
    _check_int("depth", depth, 2)
    if width < m_prime:
        raise ValueError(f"width must be >= m' = {m_prime}; got {width}")
    rng = np.random.default_rng(seed)
    dof = width - np.arange(m_prime)  # k − i + 1 for i = 1 … m'
    R = np.broadcast_to(np.eye(m_prime), (n, m_prime, m_prime))
    lower = np.tril_indices(m_prime, -1)
    for _ in range(depth - 1):
        Bt = np.zeros((n, m_prime, m_prime))
        diag = np.sqrt(2.0 * rng.standard_gamma(dof / 2.0, size=(n, m_prime)))
        Bt[:, np.arange(m_prime), np.arange(m_prime)] = diag
        Bt[:, lower[1], lower[0]] = rng.standard_normal((n, len(lower[0])))  # Bᵀ: upper
        R = Bt @ R / np.sqrt(width)
    return torch.from_numpy(np.ascontiguousarray(R))


class InfiniteDepthPrior:
    """The ``d → ∞`` limit of the normalised deep-linear prior: ``W = u vᵀ / ‖u vᵀ‖_F``.

    ``u ~ N(0, I_m)`` and ``v ~ N(0, I_{m'})``, i.e. a rank-one matrix with singular vectors
    uniform on the spheres (spec §2, Theorem 2's mechanism). Same interface as
    :class:`NetworkPrior` (``n_normals``, ``from_normals``, ``draw``).
    """

    normalise = True
    activation = "linear"
    depth = float("inf")

    def __init__(self, shape: tuple[int, int] = (5, 5)):
        self.shape = tuple(shape)
        self.n_normals = sum(self.shape)

    def __repr__(self) -> str:
        return f"InfiniteDepthPrior(shape={self.shape})"

    def from_normals(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[-1] != self.n_normals:
            raise ValueError(f"z must end in {self.n_normals} normals; got shape {tuple(z.shape)}")
        u, v = z[..., : self.shape[0]], z[..., self.shape[0] :]
        W = u.unsqueeze(-1) * v.unsqueeze(-2)
        return W / torch.linalg.matrix_norm(W, keepdim=True)

    def draw(self, n: int, generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
        return self.from_normals(torch.randn(n, self.n_normals, generator=generator, dtype=dtype))


def gradient_descent(
    task: SensingTask,
    width: int,
    depth: int,
    activation: str,
    *,
    init_scale: float,
    lr: float,
    steps: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """The official GD baseline, batched over the task's ``S`` data sets.

    Layers ``[S, rows, cols]`` with PyTorch's ``nn.Linear`` default init ``U(±1/√fan_in)`` times
    ``init_scale`` (drawn from ``(seed, data seed)``, so batching does not change a run);
    full-batch ``L_train``; GroupRMSprop (official ``group_rmsprop.py``): the
    step is ``lr / (√(bias-corrected EMA_0.99 of the total squared gradient norm) + 1e-6)``
    times the gradient, the norm taken over all layers of one run (so per data set here).
    Returns ``{"train": [S], "gen": [S]}`` at the last step (float64 numpy).
    """
    _check_int("steps", steps, 1)
    if lr <= 0 or init_scale <= 0:
        raise ValueError(f"lr and init_scale must be > 0; got lr={lr}, init_scale={init_scale}")
    prior = NetworkPrior(width, depth, activation, shape=task.shape)
    S = task.n_tasks
    layers = [[] for _ in prior.layer_shapes]
    for data_seed in task.seeds:  # run s starts from weights that depend on (seed, s) only
        state = np.random.SeedSequence([seed, data_seed]).generate_state(1)[0]
        gen = torch.Generator().manual_seed(int(state))
        for layer, (rows, cols) in zip(layers, prior.layer_shapes, strict=True):
            u = torch.rand(rows, cols, generator=gen, dtype=torch.float64)
            layer.append((2 * u - 1) * init_scale / cols**0.5)
    layers = [torch.stack(layer).requires_grad_() for layer in layers]
    G = task.measurement_operator(torch.float64)
    ema = torch.zeros(S, dtype=torch.float64)

    def forward():
        H = prior.sigma(layers[0])
        for w in layers[1:-1]:
            H = prior.sigma(w @ H)
        coords = torch.bmm(G, (layers[-1] @ H).flatten(1).unsqueeze(-1)).squeeze(-1)
        return task._split(coords)

    for t in range(1, steps + 1):
        train, _ = forward()
        grads = torch.autograd.grad(train.sum(), layers)
        with torch.no_grad():
            sq = sum(g.square().flatten(1).sum(1) for g in grads)
            ema.mul_(0.99).add_(0.01 * sq)
            scale = lr / ((ema / (1 - 0.99**t)).sqrt() + 1e-6)
            for w, g in zip(layers, grads, strict=True):
                w.sub_(scale.view(S, 1, 1) * g)
    with torch.no_grad():
        train, gen_loss = forward()
    return {"train": train.numpy(), "gen": gen_loss.numpy()}
