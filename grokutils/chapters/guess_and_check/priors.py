"""Matrix-factorisation networks and their G&C priors (Alexander et al., NeurIPS 2025).

The network is the paper's ``W = W_d σ(W_{d−1} σ(⋯ σ(W_1)))`` with ``W_1 ∈ R^{k×m'}``, hidden
``W_j ∈ R^{k×k}``, ``W_d ∈ R^{m×k}``, no input and no biases (σ acts on the entries of ``W_1``).
The official G&C prior draws every entry of ``W_j`` from ``N(0, 1/rows(W_j))``; the depth
experiments divide the end-to-end matrix by ``‖W‖_F + 1e-6``. The data (matrix sensing) are in
:mod:`.task`, the GD baseline in :mod:`.gradient_descent`.

Every tensor carries its independent copies in leading dimensions: ``N`` candidate networks in
a prior draw, ``[..., n_normals]`` whitened weights.
"""

from __future__ import annotations

from collections.abc import Callable

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
    return torch.as_tensor(np.ascontiguousarray(R))


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
