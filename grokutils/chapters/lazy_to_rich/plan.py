"""The experiments of chapter lazy_to_rich as the dry run times them
(see :mod:`grokutils.core.dry_run`).

One probe per training call of the notebook, in its order: the recursion check (GD on the
weights and the recursion, 500 steps), the headline and linearised runs of Fig. 1 (the
kernel-regression level rides with the linearised probe, as fixed overhead), the width-2 runs
of Figs. 4 and 10, the α and ε sweeps of Fig. 3(a, b), the Fig. 3(e) phase diagram, the σ and
α = σ⁻² sweeps of Fig. 7, the two P sweeps of Fig. 9, the modular-addition MLP of Fig. 2 and
the eigenvector-label task of Fig. 5. Each notebook call is one batched computation (every
α, ε, σ, seed of it in one tensor; the P sweeps one batch per P inside the call), so every
probe has ``repeats = 1`` and ``workers = 1``; ``run(k)`` makes the notebook's call with the
preset's arguments and ``steps = k``, except that it records the losses at
:data:`PROBE_RECORDS` steps only: a run records at ``n_records`` steps whatever its length, so
on a few steps every step would be a record (with the NTK alignment of the headline) and its
cost would be projected as a per-step cost. The projection therefore leaves out the cost of
the ``n_records`` evaluations of a full run (a fixed cost, small beside 10⁴–10⁵ steps except
for the headline's alignment on ``n_align`` inputs). The claims and figures (closed-form
measures of the recorded trajectories) cost well under a second and are left out.
"""

from __future__ import annotations

from collections.abc import Callable

from grokutils.chapters.lazy_to_rich.committee_sweep import (
    eigenvector_label_runs,
    single_index_sweep,
)
from grokutils.chapters.lazy_to_rich.experiments import ChapterSeeds
from grokutils.chapters.lazy_to_rich.quadratic_mlp_gd import train_modular_addition
from grokutils.core.dry_run import Probe
from grokutils.core.params import Params

RECURSION_CHECK_STEPS = 500  # the notebook's fixed budget of the recursion check
PROBE_RECORDS = 2
"""Record steps of a probe's runs (the first and the last)."""


def _sweep(**kwargs) -> Callable[[int], object]:
    """``run(k)``: :func:`single_index_sweep` with ``kwargs`` and ``steps = k``."""

    def run(k: int):
        return single_index_sweep(steps=k, **{**kwargs, "n_records": PROBE_RECORDS})

    return run


def _recursion_check(check: dict, seed: list[int]) -> Callable[[int], object]:
    def run(k: int):
        single_index_sweep(engine="direct", seed=seed, steps=k, **check)
        return single_index_sweep(engine="statistics", seed=seed, steps=k, **check)

    return run


def _linearised(runs: dict, n_test: int) -> Callable[[int], object]:
    def run(k: int):
        records = {**runs, "n_records": PROBE_RECORDS}
        lin = single_index_sweep(alpha=[1.0], engine="linearised", steps=k, **records)
        return lin.kernel_regression_loss(n_test)

    return run


def _modular(alphas: list[float], seeds: list[int]) -> Callable[[int], object]:
    def run(k: int):  # the trainer needs at least 2 steps (the dry run's warm-up asks for 1)
        return train_modular_addition(alphas, seeds, steps=max(k, 2))

    return run


def _eigenvector(p: Params, seeds: list[int]) -> Callable[[int], object]:
    def run(k: int):
        return eigenvector_label_runs(
            d=p.eig_d, p=p.eig_p, ranks=p.eig_ranks, steps=k, seeds=seeds, n_records=PROBE_RECORDS
        )

    return run


def probes(p: Params) -> list[Probe]:
    """The chapter's experiments at the sizes of ``p``'s preset, in notebook order."""
    seeds = ChapterSeeds.of(p)
    common = {"d": p.d, "width": p.width, "n_records": p.n_records}
    size = f"D={p.d}, N={p.width}"
    check = dict(d=p.d, width=p.width, alpha=[0.5, 2.0], eps=[p.eps], n_records=30)
    runs = dict(eps=[p.eps], c=[p.c], p=[p.p_train], seed=seeds.headline, **common)
    fig4 = dict(width=2, alpha=[1.0], eps=[0.25], c=[0.5], p=[3 * p.n2_d], centred=False)
    fig3a = dict(eps=[0.25], c=[0.5], p=[p.sweep_p], scale=1.0)
    fig7 = dict(sigma=[p.sigmas[0], 1.0, p.sigmas[-1]], eps=[p.eps], p=[p.p_train])
    fig9 = dict(alpha=[1.0], seed=seeds.sweep, n_records=p.n_records)
    ours = dict(d=p.d, width=p.width)
    authors = dict(d=p.p_paper_d, width=p.p_paper_width)
    n_h, n_sw, n_tr = len(seeds.headline), len(seeds.sweep), len(seeds.trend)
    grid = len(p.phase_alphas) * len(p.phase_eps)
    return [
        Probe(
            "recursion check (GD on W and recursion)",
            f"{size}, P={p.p_train}, 2 α × 1 seed, both engines",
            RECURSION_CHECK_STEPS,
            _recursion_check(check, seeds.headline[:1]),
            few=5,
        ),
        Probe(
            "Fig. 1 headline",
            f"{size}, P={p.p_train}, {len(p.alphas)} α × {n_h} seeds, NTK alignment on {p.n_align}",
            p.steps,
            _sweep(alpha=p.alphas, n_align=p.n_align, desc="headline", **runs),
            few=5,
        ),
        Probe(
            "Fig. 1 linearised + kernel level",
            f"{size}, P={p.p_train}, {n_h} seeds; kernel regression on {p.n_test}",
            p.steps,
            _linearised(runs, p.n_test),
            few=5,
        ),
        Probe(
            "Figs. 4, 10 width 2 (GD on W)",
            f"D={p.n2_d}, N=2, P={3 * p.n2_d}, {len(p.mix_values)} λ × {len(seeds.width_two)} "
            "seeds",
            p.n2_steps,
            _sweep(
                d=p.n2_d,
                mix=p.mix_values,
                seed=seeds.width_two,
                n_records=p.n_records,
                engine="direct",
                **fig4,
            ),
            few=20,
        ),
        Probe(
            "Fig. 3a α sweep",
            f"{size}, P={p.sweep_p}, {len(p.sweep_alphas)} α × {n_sw} seeds",
            p.sweep_steps,
            _sweep(alpha=p.sweep_alphas, seed=seeds.sweep, **fig3a, **common),
            few=5,
        ),
        Probe(
            "Fig. 3b ε sweep",
            f"{size}, P={p.p_train}, {len(p.eps_values)} ε × {n_tr} seeds",
            p.sweep_steps,
            _sweep(
                alpha=[1.0],
                eps=p.eps_values,
                c=[p.c],
                p=[p.p_train],
                seed=seeds.trend,
                **common,
            ),
            few=5,
        ),
        Probe(
            "Fig. 3e phase diagram",
            f"{size}, P={p.p_train}, {len(p.phase_alphas)} α × {len(p.phase_eps)} ε "
            f"({grid} points) × {n_tr} seeds; fixed steps (the authors' step limit)",
            p.phase_steps,
            _sweep(
                alpha=p.phase_alphas,
                eps=p.phase_eps,
                c=[p.phase_c],
                p=[p.p_train],
                seed=seeds.trend,
                **common,
            ),
            few=1,
        ),
        Probe(
            "Fig. 7 σ sweep",
            f"{size}, P={p.p_train}, 3 σ × {n_tr} seeds",
            p.sweep_steps,
            _sweep(alpha=[1.0], seed=seeds.trend, **fig7, **common),
            few=5,
        ),
        Probe(
            "Fig. 7 α = σ⁻²",
            f"{size}, P={p.p_train}, 3 σ × {n_sw} seeds",
            p.sweep_steps,
            _sweep(alpha_sigma2=1.0, seed=seeds.sweep, **fig7, **common),
            few=5,
        ),
        Probe(
            "Fig. 9 P sweep",
            f"{size}, P={p.p_values}, {n_sw} seeds (one batch per P)",
            p.p_steps,
            _sweep(eps=[p.eps], c=[p.c], p=p.p_values, **ours, **fig9),
            few=5,
        ),
        Probe(
            "Fig. 9 P sweep, ε = 0.5 (authors' settings)",
            f"D={p.p_paper_d}, N={p.p_paper_width}, P={p.p_paper}, {n_sw} seeds",
            p.p_paper_steps,
            _sweep(eps=[0.5], c=[0.5], p=p.p_paper, **authors, **fig9),
            few=5,
        ),
        Probe(
            "Fig. 2 modular addition",
            f"p=23, N=100, {len(p.mod_alphas)} α × {len(seeds.modular)} seeds",
            p.mod_steps,
            _modular(p.mod_alphas, seeds.modular),
            few=20,
        ),
        Probe(
            "Fig. 5 eigenvector labels (GD on W)",
            f"D={p.eig_d}, P={p.eig_p}, N=2, {len(p.eig_ranks)} ranks × "
            f"{len(seeds.eigenvector)} seeds",
            p.eig_steps,
            _eigenvector(p, seeds.eigenvector),
            few=20,
        ),
    ]
