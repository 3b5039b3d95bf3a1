"""Guess & check: the prior conditioned on ``L_train < ε``, by four samplers with one interface.

Guess & check (G&C) draws weights from a prior until the training loss is below ``ε``; what it
returns is a draw of the posterior ``P(· | L_train < ε)``. The chapter needs, per data set, the
posterior mean of ``L_gen`` and the acceptance probability ``P(L_train < ε)``. Each sampler is
built on a prior (:mod:`.priors`) and a :class:`SensingTask` of ``S`` data
sets, and offers

- ``draw(n)``: ``n`` end-to-end matrices ``[n, m, m']`` from the prior (the guesses);
- ``condition(eps)``: a :class:`Conditioned` summary per data set: the posterior mean of
  ``L_gen`` with its standard error, an effective sample size, the acceptance probability
  with its standard error, the prior mean of ``L_gen`` (chance level), and the cost.

Samplers:

- :class:`NaiveRejection`: the paper's plain batched rejection (every draw evaluated on all
  data sets by one flattened matmul);
- :class:`RaoBlackwellIS`: integrates the Gaussian last layer out exactly and importance-
  samples the training coordinates uniformly on the acceptance ellipsoid (unnormalised prior,
  any activation and depth; spec §5.3);
- :class:`SubsetSimulation`: adaptive multilevel splitting with preconditioned Crank–Nicolson
  moves in whitened weight space (any prior with ``from_normals``: the normalised depth prior
  and its infinite-depth limit; spec §5.4).

The exact width-free sampler for linear nets is a prior, ``NetworkPrior(...,
exact_linear=True)``, usable under any of the three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from grokutils.chapters.guess_and_check.task import SensingTask
from grokutils.core.seeding import torch_generator


@dataclass(frozen=True)
class Conditioned:
    """G&C posterior summary, one entry per data set (numpy arrays of shape ``[S]``).

    ``mean``/``se``: posterior mean of ``L_gen`` and its Monte-Carlo standard error (NaN when
    nothing was accepted, never a sentinel value). ``ess``: effective number of independent
    posterior samples behind ``mean``. ``p_accept``/``p_accept_se``: ``P(L_train < ε)`` under
    the prior. ``prior_mean``/``prior_se``: mean of ``L_gen`` under the prior (chance level).
    ``n_forward``: forward evaluations of a network spent (or inner draws, for RB-IS).
    """

    method: str
    eps: float
    mean: np.ndarray
    se: np.ndarray
    ess: np.ndarray
    p_accept: np.ndarray
    p_accept_se: np.ndarray
    prior_mean: np.ndarray
    prior_se: np.ndarray
    n_forward: int


def _check_positive(name: str, value, integer: bool = False) -> None:
    kind = int if integer else float | int
    if not isinstance(value, kind) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"{name} must be a positive {'int' if integer else 'number'}; got {value!r}"
        )


class NaiveRejection:
    """Plain batched rejection sampling, as in the official code (one ``bmm`` chain per batch).

    ``n_draws`` candidates from ``prior`` are drawn in batches of ``batch`` and each is scored
    on all ``S`` data sets (the same candidates for every data set: common random numbers).
    """

    method = "naive rejection"

    def __init__(self, prior, task: SensingTask, *, n_draws: int, batch: int = 200_000, seed=0):
        _check_positive("n_draws", n_draws, integer=True)
        _check_positive("batch", batch, integer=True)
        self.prior, self.task, self.n_draws, self.batch = prior, task, n_draws, batch
        self.generator = torch_generator(seed)

    def draw(self, n: int) -> torch.Tensor:
        return self.prior.draw(n, self.generator)

    def condition(self, eps: float) -> Conditioned:
        _check_positive("eps", eps)
        S = self.task.n_tasks
        sums = torch.zeros(5, S, dtype=torch.float64)  # count, Σg, Σg² (accepted); Σg, Σg² (all)
        done = 0
        while done < self.n_draws:
            b = min(self.batch, self.n_draws - done)
            train, gen = self.task.losses(self.draw(b))
            accepted = (train < eps).double()
            gen = gen.double()
            sums += torch.stack([accepted, accepted * gen, accepted * gen**2, gen, gen**2]).sum(1)
            done += b
        count, s1, s2, p1, p2 = sums.cpu().numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / count
            var = np.maximum(s2 / count - mean**2, 0.0) * count / (count - 1)
            se = np.sqrt(var / count)
        p = count / self.n_draws
        prior_mean = p1 / self.n_draws
        prior_var = np.maximum(p2 / self.n_draws - prior_mean**2, 0.0)
        return Conditioned(
            self.method,
            eps,
            mean,
            se,
            count,
            p,
            np.sqrt(p * (1 - p) / self.n_draws),
            prior_mean,
            np.sqrt(prior_var / self.n_draws),
            self.n_draws,
        )


class RaoBlackwellIS:
    """Importance sampling with the last layer integrated out (unnormalised Gaussian prior).

    Given the features ``H`` (``W = W_d H``), ``vec(W) ~ N(0, I_m ⊗ K)`` with ``K = HᵀH/m``, so
    the measurement coordinates ``z = (⟨A_i, W⟩)_i`` and test coordinates ``b = (⟨B_j, W⟩)_j``
    are jointly Gaussian given ``H``. G&C accepts iff ``z`` lies in the ball
    ``‖z − y‖² < n ε``, which does not depend on ``H``. Draw ``H`` from the prior and
    ``n_points`` points ``z`` uniform in the ball; the weight ``w = vol · N(z; 0, Σ_zz(H))``
    makes ``E[w] = P(accept)`` and ``Σ w g / Σ w`` a consistent estimate of the posterior mean,
    with ``g = E[L_gen | z, H] = (‖μ_{b|z} − b*‖² + tr Σ_{b|z}) / |B|`` (spec §5.3).
    Standard errors treat the ``n_inner`` feature draws as the independent units.
    Heavy-tailed weights (nearly singular ``K``, e.g. narrow Leaky ReLU) show as a small ESS.
    """

    method = "Rao-Blackwellised IS"

    def __init__(
        self,
        prior,
        task: SensingTask,
        *,
        n_inner: int,
        n_points: int = 8,
        batch: int = 4096,
        seed=0,
    ):
        _check_positive("n_inner", n_inner, integer=True)
        _check_positive("n_points", n_points, integer=True)
        if prior.normalise:
            raise ValueError("RaoBlackwellIS needs the unnormalised prior (normalise=False)")
        self.prior, self.task, self.n_inner, self.n_points = prior, task, n_inner, n_points
        self.batch = batch
        self.generator = torch_generator(seed)

    def draw(self, n: int) -> torch.Tensor:
        return self.prior.draw(n, self.generator)

    def condition(self, eps: float) -> Conditioned:
        _check_positive("eps", eps)
        task, n, T = self.task, self.task.n_train, self.n_points
        G3 = task.measurement_operator(torch.float64).unflatten(-1, task.shape)  # [S, 25, m, m']
        radius = math.sqrt(n * eps)
        log_vol = 0.5 * n * math.log(math.pi) - math.lgamma(0.5 * n + 1) + n * math.log(radius)
        chunks = []
        done = 0
        while done < self.n_inner:
            b = min(self.batch, self.n_inner - done)
            chunks.append(self._chunk(b, G3, radius))
            done += b
        log_w, g, prior_g = (torch.cat(x, dim=0) for x in zip(*chunks, strict=True))
        # log_w, g: [N, T, S]; prior_g: [N, S]
        shift = log_w.amax(dim=(0, 1))
        w = torch.exp(log_w - shift)
        w_h, wg_h = w.sum(1), (w * g).sum(1)  # per feature draw: [N, S]
        mean = wg_h.sum(0) / w_h.sum(0)
        se = (wg_h - mean * w_h).square().sum(0).sqrt() / w_h.sum(0)
        ess = w.sum((0, 1)).square() / w.square().sum((0, 1))
        N = log_w.shape[0]
        scale = torch.exp(shift + log_vol) / T
        p = scale * w_h.mean(0)
        p_se = scale * w_h.std(0) / math.sqrt(N)
        return Conditioned(
            self.method,
            eps,
            mean.cpu().numpy(),
            se.cpu().numpy(),
            ess.cpu().numpy(),
            p.cpu().numpy(),
            p_se.cpu().numpy(),
            prior_g.mean(0).cpu().numpy(),
            (prior_g.std(0) / math.sqrt(N)).cpu().numpy(),
            N,
        )

    def _chunk(self, b: int, G3: torch.Tensor, radius: float):
        task, n, T, nb = self.task, self.task.n_train, self.n_points, self.task.n_test
        m = task.shape[0]
        H = self.prior.features(b, self.generator)  # [b, k, m']
        R = torch.linalg.qr(H, mode="r").R  # K = HᵀH/m = RᵀR/m, width-free from here on
        # vec(W) = (I_m ⊗ Rᵀ/√m) ξ in law, so the coordinates G vec(W) = F ξ: [b, S, 25, m m']
        F = (G3.reshape(-1, R.shape[-1]) @ R.transpose(1, 2) / m**0.5).view(b, *G3.shape)
        F = F.flatten(-2)
        Fz, Fb = F[..., :n, :], F[..., n:, :]
        L = torch.linalg.cholesky(Fz @ Fz.transpose(-1, -2))  # Σ_zz = L Lᵀ: [b, S, n, n]
        u = torch.randn(b, n, T, generator=self.generator, dtype=torch.float64)
        r = torch.rand(b, 1, T, generator=self.generator, dtype=torch.float64) ** (1 / n)
        ball = radius * r * u / u.norm(dim=1, keepdim=True)  # uniform in the ball: [b, n, T]
        z = task.y.unsqueeze(-1) + ball.unsqueeze(1)  # [b, S, n, T]
        rhs = torch.cat([Fz @ Fb.transpose(-1, -2), z], dim=-1)  # [Σ_zb | z]
        solved = torch.linalg.solve_triangular(L, rhs, upper=False)
        V, x = solved[..., :nb], solved[..., nb:]  # L⁻¹Σ_zb [b, S, n, nb], L⁻¹z [b, S, n, T]
        tr_bb = Fb.square().sum((-2, -1))  # [b, S]
        tr_cond = tr_bb - V.square().sum((-2, -1))
        log_det = 2 * torch.log(L.diagonal(dim1=-2, dim2=-1)).sum(-1)  # [b, S]
        log_w = -0.5 * (x.square().sum(-2) + log_det.unsqueeze(-1) + n * math.log(2 * math.pi))
        mu_b = V.transpose(-1, -2) @ x  # Σ_bz Σ_zz⁻¹ z: [b, S, nb, T]
        err = (mu_b - task.b_star.unsqueeze(-1)).square().sum(-2)  # [b, S, T]
        g = (err + tr_cond.unsqueeze(-1)) / nb
        prior_g = (tr_bb + task.b_star.square().sum(-1)) / nb
        return log_w.transpose(1, 2), g.transpose(1, 2), prior_g


class SubsetSimulation:
    """Subset simulation (adaptive multilevel splitting) with pCN moves, batched over runs.

    Particles live in whitened weight space ``θ ~ N(0, I)`` (``prior.from_normals``), so any
    activation, depth and normalisation is covered. Each level keeps the ``level_fraction``
    best particles (threshold ``τ = max(ε, quantile)``), multiplies the estimate of
    ``P(accept)`` by the surviving fraction, resamples them and moves each with
    ``moves_per_level`` preconditioned Crank–Nicolson steps ``θ' = √(1−β²) θ + β ξ`` accepted
    iff ``L_train(θ') < τ`` (reversible for ``N(0, I)``, so the prior restricted to the level
    is invariant); ``β`` adapts towards ``target_move_rate``. At ``ε`` it burns in
    ``burn_in`` moves with ``β`` then fixed, and averages ``L_gen`` over ``average_moves``
    moves and all particles (spec §5.4). ``replicas`` independent runs per data set give the
    standard errors (``NaN`` with one replica). The prior mean is estimated from the initial
    particles.
    """

    method = "subset simulation"

    def __init__(
        self,
        prior,
        task: SensingTask,
        *,
        n_particles: int = 1000,
        replicas: int = 1,
        level_fraction: float = 0.1,
        moves_per_level: int = 20,
        burn_in: int = 20,
        average_moves: int = 100,
        target_move_rate: float = 0.3,
        max_levels: int = 60,
        seed=0,
    ):
        for name in ("n_particles", "replicas", "moves_per_level", "average_moves", "max_levels"):
            _check_positive(name, locals()[name], integer=True)
        if not 0 < level_fraction < 1:
            raise ValueError(f"level_fraction must be in (0, 1); got {level_fraction}")
        self.prior, self.task = prior, task
        self.n_particles, self.replicas = n_particles, replicas
        self.level_fraction, self.moves_per_level = level_fraction, moves_per_level
        self.burn_in, self.average_moves = burn_in, average_moves
        self.target_move_rate, self.max_levels = target_move_rate, max_levels
        self.generator = torch_generator(seed)

    def draw(self, n: int) -> torch.Tensor:
        return self.prior.draw(n, self.generator)

    def condition(self, eps: float) -> Conditioned:
        _check_positive("eps", eps)
        S, R, N = self.task.n_tasks, self.replicas, self.n_particles
        runs = self.task.select(np.repeat(np.arange(S), R))  # run r·… = data set r // R
        gen = self.generator
        theta = torch.randn(S * R, N, self.prior.n_normals, generator=gen)
        train, test = runs.losses_paired(self.prior.from_normals(theta))
        prior_test = test.double()
        log_p = torch.zeros(S * R, dtype=torch.float64)
        log_beta = torch.full((S * R,), math.log(0.5))
        active = torch.ones(S * R, dtype=torch.bool)
        keep = max(1, int(self.level_fraction * N))
        n_forward, moves = S * R * N, 0
        for _ in range(self.max_levels):
            if not active.any():
                break
            tau = next_level(train, keep)
            final = active & (tau <= eps)
            tau = torch.where(final | ~active, torch.full_like(tau, eps), tau)
            below = train < tau.unsqueeze(1)
            frac = below.double().mean(1)
            log_p = torch.where(active, log_p + torch.log(frac), log_p)
            index = torch.multinomial(below.float(), N, replacement=True, generator=gen)
            index = torch.where(active.unsqueeze(1), index, torch.arange(N))
            theta, train, test = (_take(x, index) for x in (theta, train, test))
            active &= ~final
            theta, train, test, log_beta = self._move(
                runs, theta, train, test, tau, log_beta, self.moves_per_level, moves, adapt=True
            )
            moves += self.moves_per_level
            n_forward += S * R * N * self.moves_per_level
        tau = torch.full((S * R,), eps)
        theta, train, test, log_beta = self._move(
            runs, theta, train, test, tau, log_beta, self.burn_in, moves, adapt=True
        )
        total = torch.zeros(S * R, dtype=torch.float64)
        for _ in range(self.average_moves):
            theta, train, test, _ = self._move(runs, theta, train, test, tau, log_beta, 1, 0)
            total += test.double().mean(1)
        n_forward += S * R * N * (self.burn_in + self.average_moves)
        post = (total / self.average_moves).view(S, R)
        post[active.view(S, R)] = float("nan")  # runs that never reached ε within max_levels
        p = torch.exp(log_p).view(S, R)
        p[active.view(S, R)] = float("nan")
        post_var = test.double().var(1).view(S, R).mean(1)
        se = post.std(1) / math.sqrt(R) if R > 1 else torch.full((S,), float("nan"))
        p_se = p.std(1) / math.sqrt(R) if R > 1 else torch.full((S,), float("nan"))
        prior_test = prior_test.reshape(S, R * N)
        return Conditioned(
            self.method,
            eps,
            post.mean(1).cpu().numpy(),
            se.cpu().numpy(),
            (post_var / se.square()).cpu().numpy(),
            p.mean(1).cpu().numpy(),
            p_se.cpu().numpy(),
            prior_test.mean(1).cpu().numpy(),
            (prior_test.std(1) / math.sqrt(R * N)).cpu().numpy(),
            n_forward,
        )

    def _move(self, runs, theta, train, test, tau, log_beta, n_moves, t0, adapt=False):
        """``n_moves`` pCN steps of every particle restricted to ``L_train < tau`` (per run)."""
        for t in range(n_moves):
            beta = log_beta.exp().clamp(max=1.0).view(-1, 1, 1)
            xi = torch.randn(theta.shape, generator=self.generator)
            proposal = (1 - beta.square()).sqrt() * theta + beta * xi
            p_train, p_test = runs.losses_paired(self.prior.from_normals(proposal))
            ok = p_train < tau.unsqueeze(1)
            theta = torch.where(ok.unsqueeze(-1), proposal, theta)
            train, test = torch.where(ok, p_train, train), torch.where(ok, p_test, test)
            if adapt:  # Robbins–Monro on log β towards the target acceptance rate
                rate = ok.float().mean(1)
                log_beta = log_beta + (rate - self.target_move_rate) / (1 + t0 + t) ** 0.5
        return theta, train, test, log_beta


def next_level(train: torch.Tensor, keep: int) -> torch.Tensor:
    """The next level of every run, ``[runs]``, from the particles' ``train [runs, N]``: the
    ``keep + 1``-th smallest loss, so that the ``keep`` below it seed the level. Where copies
    of one particle that the moves did not separate tie at the lowest loss, nothing lies below
    that value: the level is then the next distinct loss above the lowest (the tied copies seed
    it), or ``inf`` when every particle has the same loss (no progress: the run stays active and
    ends as never reaching ε)."""
    tau = torch.kthvalue(train, keep + 1, dim=1).values
    lowest = train.min(1).values
    tied = tau <= lowest
    if not tied.any():
        return tau
    above = torch.where(train > lowest.unsqueeze(1), train, torch.full_like(train, math.inf))
    return torch.where(tied, above.min(1).values, tau)


def _take(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[r, index[r]]`` for every run ``r``: ``x [runs, N, ...]``, ``index [runs, N]``."""
    expanded = index.view(*index.shape, *([1] * (x.dim() - 2))).expand(*index.shape, *x.shape[2:])
    return torch.gather(x, 1, expanded)
