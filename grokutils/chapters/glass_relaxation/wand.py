"""WanD, the entropy-driven optimiser of Zhang, Shang, Yang & Zhang (NeurIPS 2025, Alg. 1):
1-D Wang-Landau molecular dynamics on ``x = ln L_train`` used to train a batch of embedding
MLPs. Only training data drive the dynamics; test accuracy is recorded, never used."""

from __future__ import annotations

import torch

from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP, accuracy, cross_entropy
from grokutils.core.trajectory import Trajectory
from grokutils.methods.modular_data import ModularData
from grokutils.methods.wang_landau import (
    Axis,
    CollectiveVariables,
    Pullback,
    WLMDConfig,
    wlmd,
)


def train_ln_loss_cv(model: EmbedMLP, data: ModularData) -> CollectiveVariables:
    """Collective variable ``x = ln L_train`` of networks ``theta [W, n]`` (``[W, 1]``) and its
    pull-back ``w [W, 1] -> w ∇ ln L = w ∇L / L`` (the hand-written gradient of
    :meth:`~.embed_mlp.EmbedMLP.loss_and_grad`)."""

    def cv(theta: torch.Tensor) -> tuple[torch.Tensor, Pullback]:
        loss, grad = model.loss_and_grad(theta, data.pairs_train, data.y_train)
        return torch.log(loss)[:, None], lambda w: grad * (w[:, :1] / loss[:, None])

    return cv


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
) -> Trajectory:
    """WanD (paper Alg. 1, eq. 6): each network runs its own 1-D Wang-Landau entropy on
    ``x = ln L_train``, initialised to the bias ``β (x - L0)²`` above ``L0`` (eq. 7), under the
    Langevin dynamics of :func:`~grokutils.methods.wang_landau.wlmd`; no weight decay, no
    bounds, no output scaling.

    Returns the networks' :class:`Trajectory` (one run per network, after t steps): series
    ``ln_train_loss`` (float64), ``train_acc``, ``test_acc``, ``weight_norm``, ``displacement``
    ``‖θ_t - θ_0‖``, ``kinetic_temperature`` and ``cv_ln_train_loss`` (the collective
    variable where step t deposited, i.e. after t - 1 steps, float32).
    """
    axis = Axis(-20.0, 3.0, round(23.0 / bin_width), wall_high=L0, wall=beta)
    config = WLMDConfig(dt=dt, friction=friction, kT=kT, sigma_bins=2.0, F=F, t_rise=t_rise)
    theta0 = theta.detach().clone()

    def observe(q: torch.Tensor) -> dict[str, torch.Tensor]:
        z_tr, z_te = model.logits(q, data.pairs_train), model.logits(q, data.pairs_test)
        return {
            "ln_train_loss": torch.log(cross_entropy(z_tr.double(), data.y_train)),
            "train_acc": accuracy(z_tr, data.y_train),
            "test_acc": accuracy(z_te, data.y_test),
            "weight_norm": q.double().norm(dim=1),
            "displacement": (q - theta0).double().norm(dim=1),
        }

    res = wlmd(
        train_ln_loss_cv(model, data),
        theta,
        (axis,),
        config,
        n_steps,
        groups=len(theta),
        seed=seed,
        record_every=record_every,
        cv_names=("cv_ln_train_loss",),
        observe_fn=observe,
    )
    return res.record
