"""The experiments of chapter ergodic_stability as the dry run times them (see
:mod:`grokutils.core.dry_run`).

Two experiments carry the chapter's cost, both trained by
:func:`.sgd_ensemble.train_ensemble` (cost ∝ SGD steps, with a full-batch
evaluation every ``eval_every`` steps, so ``few`` is one evaluation interval and every timed
run includes its share of evaluations):

- the non-convergence ensemble (constant lr, twins, step, cosine, clean, control groups in one
  batched run), ``z_steps`` steps;
- the SAS grid, one :func:`~.experiments.sas_grid_point` per batch
  size through ``sweep.run``: the probe runs the point of the *largest* batch size for every
  point (the points differ only in the minibatch size, which scales the training step), so
  the projection is an upper bound (at the paper preset on one CPU thread about ×1.6 over
  the real sweep on two workers: the B=8 point costs about a quarter of the B=128 one per
  step).

Left out, being under ~1 s each at the paper preset on one CPU thread (measured on a
paper-size trajectory): ``es.sharpness_table`` (power iteration, 20 Hessian-vector products on
one run per group, ~1.2 s), ``es.config_table`` with ``n_boot`` bootstrap replicates (~0.06 s per
sweep point at ``n_boot`` = 2000), ``es.predictor_rhos`` (~0.03 s), ``es.measure_sas_grid``
(~1 s), ``es.measure_nonconvergence`` (~0.4 s) and the closed-form tables and statistics.
Figures are not timed.
"""

from __future__ import annotations

from grokutils.chapters.ergodic_stability import experiments as es
from grokutils.chapters.ergodic_stability.digits import perturbed_digits
from grokutils.chapters.ergodic_stability.sgd_ensemble import train_ensemble
from grokutils.core.dry_run import Probe, sweep_workers
from grokutils.core.params import Params


def probes(p: Params) -> list[Probe]:
    return [nonconvergence(p), sas_grid(p)]


def nonconvergence(p: Params) -> Probe:
    """The non-convergence ensemble: every group as one batched :func:`train_ensemble`."""
    data = perturbed_digits(sorted({0.0, p.z_noise}), n_datasets=1)
    runs = es.nonconvergence_runs(
        p.z_runs,
        p.z_small,
        p.z_lr,
        p.z_weight_decay,
        p.z_noise,
        p.lyapunov_shift,
        n_twins=p.z_twins,
    )
    runs = es.with_unit_seeds(runs, p.seed)

    def run(k: int):
        return train_ensemble(
            data,
            runs,
            batch_size=p.z_batch_size,
            steps=k,
            eval_every=p.z_eval_every,
            burn_in=min(p.z_burn_in, k),
        )

    return Probe(
        name="non-convergence ensemble",
        sizes=f"{len(runs)} runs (groups of {p.z_runs} and {p.z_small} seeds), "
        f"B={p.z_batch_size}, eval every {p.z_eval_every}",
        steps=p.z_steps,
        run=run,
        few=p.z_eval_every,
    )


def sas_grid(p: Params) -> Probe:
    """The SAS grid: one sweep point per batch size, probed at the largest."""
    batch = max(p.batch_sizes)
    n_runs = len(p.noise_levels) * len(p.lrs) * p.n_datasets * p.n_seeds

    def run(k: int):
        return es.sas_grid_point(
            batch_size=batch,
            noise_levels=p.noise_levels,
            lrs=p.lrs,
            n_datasets=p.n_datasets,
            n_seeds=p.n_seeds,
            steps=k,
            burn_in=min(p.burn_in, k),
            eval_every=p.eval_every,
            weight_decay=p.weight_decay,
            seed=p.seed,
        )

    return Probe(
        name="SAS grid",
        sizes=f"{n_runs} runs per point ({len(p.noise_levels)} noise × {len(p.lrs)} lr × "
        f"{p.n_datasets} datasets × {p.n_seeds} seeds), B={batch} (largest of "
        f"{len(p.batch_sizes)}: upper bound), eval every {p.eval_every}",
        steps=p.steps,
        run=run,
        repeats=len(p.batch_sizes),
        workers=sweep_workers(p),
        few=p.eval_every,
    )
