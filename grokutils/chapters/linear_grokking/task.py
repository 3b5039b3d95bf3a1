"""Teacher-student data of Levi, Beck & Bar-Sinai: Gaussian inputs, a random teacher, a student
initialised like it, one independent draw per seed (the leading ``[runs]`` axis).

* :func:`teacher_student`: the linear problem (Sec. 3, App. A), stored in the eigenbasis of each
  run's training covariance ``Σ_tr = P diag(ν) Pᵀ`` so that exact GD is a product per mode
  (:mod:`.linear_estimator`);
* :func:`two_layer_problem`: the two-layer teacher and student of Sec. 4 (Fig. 5).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

NULL_EIGENVALUE = 1e-10
"""Eigenvalues of ``Σ_tr`` below this fraction of the largest are exact zeros (λ > 1)."""


@dataclass(frozen=True)
class TeacherStudent:
    """A batch of teacher-student problems, stored in the eigenbasis of each run's ``Σ_tr``.

    Shapes: ``nu [runs, d_in]`` eigenvalues of ``Σ_tr`` (null ones exactly 0),
    ``basis [runs, d_in, d_in]`` eigenvectors ``P`` (columns), ``z_train [runs, N_tr, d_in]`` and
    ``z_gen [runs, N_gen, d_in]`` inputs ``XP``, ``teacher`` and ``d0 [runs, d_in, d_out]``
    (``PᵀT`` and ``Pᵀ(S₀ - T)``), ``noise [runs, N_tr, d_out]`` label noise ``δ`` and
    ``forcing [runs, d_in, d_out]`` = ``PᵀXᵀδ/N_tr``.
    """

    nu: np.ndarray
    basis: np.ndarray
    z_train: np.ndarray
    z_gen: np.ndarray
    teacher: np.ndarray
    d0: np.ndarray
    noise: np.ndarray
    forcing: np.ndarray

    @property
    def runs(self) -> int:
        return self.nu.shape[0]

    @property
    def d_in(self) -> int:
        return self.nu.shape[1]

    @property
    def d_out(self) -> int:
        return self.teacher.shape[2]

    @property
    def n_train(self) -> int:
        return self.z_train.shape[1]


def teacher_student(
    d_in: int,
    n_train: int,
    seeds,
    *,
    d_out: int = 1,
    n_gen: int = 4000,
    init_scale: float = 1.0,
    noise_var: float = 0.0,
) -> TeacherStudent:
    """Draw one linear problem per seed and diagonalise every ``Σ_tr = X_trᵀX_tr/N_tr`` at once.

    Teacher ``T`` and student ``S₀`` have i.i.d. entries ``N(0, 1/(2 d_in d_out))`` (student
    times ``init_scale``), labels ``y = Tᵀx + δ`` with ``δ ~ N(0, noise_var)``.
    ``np.random.default_rng(seed)`` draws ``T``, ``S₀``, ``X_tr``, ``X_gen``, ``δ`` in that order.
    """
    for name, value in (("d_in", d_in), ("n_train", n_train), ("d_out", d_out), ("n_gen", n_gen)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if init_scale < 0 or noise_var < 0:
        raise ValueError(f"init_scale and noise_var must be >= 0; got {init_scale}, {noise_var}")
    seeds = [int(s) for s in np.atleast_1d(seeds)]
    std = 1 / np.sqrt(2 * d_in * d_out)
    draws = []
    for seed in seeds:  # one generator per run, so a run does not depend on the batch
        rng = np.random.default_rng(seed)
        teacher = rng.normal(0, std, (d_in, d_out))
        student = init_scale * rng.normal(0, std, (d_in, d_out))
        x_train = rng.standard_normal((n_train, d_in))
        x_gen = rng.standard_normal((n_gen, d_in))
        noise = np.sqrt(noise_var) * rng.standard_normal((n_train, d_out))
        draws.append((teacher, student, x_train, x_gen, noise))
    teacher, student, x_train, x_gen, noise = (np.stack(a) for a in zip(*draws, strict=True))
    nu, basis = np.linalg.eigh(x_train.transpose(0, 2, 1) @ x_train / n_train)
    nu = np.where(nu > NULL_EIGENVALUE * nu[:, -1:], nu, 0.0)
    z_train = x_train @ basis
    forcing = np.where(nu[..., None] > 0, z_train.transpose(0, 2, 1) @ noise / n_train, 0.0)
    to_eigen = basis.transpose(0, 2, 1)
    return TeacherStudent(
        nu=nu,
        basis=basis,
        z_train=z_train,
        z_gen=x_gen @ basis,
        teacher=to_eigen @ teacher,
        d0=to_eigen @ (student - teacher),
        noise=noise,
        forcing=forcing,
    )


def select(problem: TeacherStudent, runs) -> TeacherStudent:
    """The runs ``runs`` (a slice or indices along the leading axis) of a batch, as a batch."""
    return TeacherStudent(**{f.name: getattr(problem, f.name)[runs] for f in fields(problem)})


@dataclass(frozen=True)
class TwoLayerProblem:
    """Data and initial weights of a batch of two-layer runs (float32 tensors).

    ``x_train [runs, N_tr, d_in]``, ``x_gen [runs, N_gen, d_in]``, ``teacher_in`` and
    ``student_in [runs, d_in, d_h]``, ``teacher_out`` and ``student_out [runs, d_h, d_out]``.
    """

    x_train: torch.Tensor
    x_gen: torch.Tensor
    teacher_in: torch.Tensor
    teacher_out: torch.Tensor
    student_in: torch.Tensor
    student_out: torch.Tensor


def two_layer_problem(
    d_in: int, n_train: int, d_hidden: int, d_out: int, seeds, *, n_gen: int = 4000
) -> TwoLayerProblem:
    """One run per seed; ``T₀, S₀`` have entries ``N(0, 1/(2 d_in d_h))``, ``T₁, S₁``
    ``N(0, 1/(2 d_h d_out))`` (App. A). ``np.random.default_rng(seed)`` draws
    ``X_tr, X_gen, T₀, T₁, S₀, S₁`` in that order, so a seed gives the same network whatever the
    activation or gain."""
    sizes = {"d_in": d_in, "n_train": n_train, "d_hidden": d_hidden, "d_out": d_out}
    for name, value in {**sizes, "n_gen": n_gen}.items():
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    std_in, std_out = 1 / np.sqrt(2 * d_in * d_hidden), 1 / np.sqrt(2 * d_hidden * d_out)
    draws = []
    for seed in np.atleast_1d(seeds):
        rng = np.random.default_rng(int(seed))
        draws.append(
            (
                rng.standard_normal((n_train, d_in)),
                rng.standard_normal((n_gen, d_in)),
                std_in * rng.standard_normal((d_in, d_hidden)),
                std_out * rng.standard_normal((d_hidden, d_out)),
                std_in * rng.standard_normal((d_in, d_hidden)),
                std_out * rng.standard_normal((d_hidden, d_out)),
            )
        )
    x_train, x_gen, t_in, t_out, s_in, s_out = (
        torch.as_tensor(np.stack(a), dtype=torch.float32) for a in zip(*draws, strict=True)
    )
    return TwoLayerProblem(x_train, x_gen, t_in, t_out, s_in, s_out)
