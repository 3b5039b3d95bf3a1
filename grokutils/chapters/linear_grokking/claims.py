"""Claims of the linear-grokking chapter (Levi, Beck & Bar-Sinai): statements, references,
tolerances and the quick set, decided on the measurements of
:mod:`.experiments`.

:func:`report` builds the chapter's :class:`~grokutils.core.claims.ClaimReport`; each
``*_claims`` function declares the claims of one section, every threshold next to its statement.
"""

from __future__ import annotations

import numpy as np

from grokutils.chapters.linear_grokking import experiments as ex
from grokutils.chapters.linear_grokking import theory as th
from grokutils.core.claims import Claim, ClaimReport, Scope
from grokutils.core.estimates import Estimate
from grokutils.core.params import Params

QUICK = [  # robust at quick: reproduced at seed offsets 1-6 (each a batch of 10 seeds)
    *("1", "2", "3", "4", "7b", "9", "10a", "10b", "12", "13c", "13d"),
    *("14a", "14b", "14e", "14f", "15a", "15c", "19"),
]
SMALL = "at d_in = 100"
SERIES = {"train": "train", "gen": "test"}
"""Trajectory series of the claims' "train" and "gen" (test) quantities."""
TWO_LAYER = (
    "3 two-layer seeds at d_in = 40 give intervals wider than the tolerance, and a run can miss "
    "t*_gen within the quick horizon (1.2 t*_gen), which makes the mean NaN"
)
NOT_AT_QUICK = {
    "5": (
        f"not reproduced at seeds 1-6: {SMALL} the seed-averaged losses at λ = 0.9 deviate from "
        "the d_in → ∞ theory by e^0.55-e^0.75, a finite-size effect (the tolerance is for d_in ≥ "
        "500)"
    ),
    "6": (
        f"not reproduced at seeds 1-6: {SMALL} the seed-averaged accuracies deviate from the "
        "theory by 0.07-0.16 (finite size)"
    ),
    "7a": (
        f"inconclusive at 3 of seeds 1-6: {SMALL} a few seeds have t*_gen/t*_tr near 4, so the "
        "order-statistic interval of the median reaches below 5"
    ),
    "8": (
        f"inconclusive at seeds 1-6: {SMALL} the λ = 0.9 delays scatter by ~40 % per seed, so the "
        "interval of the mean is wider than ±15 %"
    ),
    "10c": "red by design (exact): eq. 24 is 8.6 % off at λ = 0.3, ε = 1e-6",
    "11a": (
        "reproduced at seeds 1-6, but with an interval edge within 0.003 of the bound: in 2 of "
        "10 disjoint batches of 10 seeds (seeds 0-99) the interval of the mean crossed ±0.01 "
        "(N_gen = 1000, d_in = 100)"
    ),
    "11b": (
        f"inconclusive at seeds 1-6: {SMALL} the null-space part of ‖D₀‖² scatters by ~25 % per "
        "seed, so the interval of the mean (±17 %) is wider than ±2 %"
    ),
    "13a": (
        f"inconclusive at seeds 1-6: {SMALL}, d_out = 1 ‖D₀‖² scatters by 14 % per seed, so the "
        "interval of the mean is wider than ±10 %"
    ),
    "13b": (
        f"not reproduced at seeds 1-6: {SMALL} t*_gen is 60-90 % above the d_in → ∞ theory for "
        "d_out = 50 and 700 (finite size: the late-time error is carried by a few slow modes, "
        "not isotropic)"
    ),
    "14c": (
        f"inconclusive at seeds 1-6: {SMALL} the final test accuracy at γ = 1e-3 (mean 0.987) "
        "sits on the 0.99 bound"
    ),
    "14d": (
        f"inconclusive at seeds 1-6: {SMALL} the weight-decay floors are set by the smallest "
        "eigenvalues of Σ_tr, which scatter by a factor ~2 per seed"
    ),
    "14g": "red by design (exact): the paper's eq. 16 text, contradicted by eq. 15",
    "15b": "red by design (exact): the weight-decay erratum of 14g",
    "15d": "red by design (exact): eq. 13 groks at λ > 1 for large d_out",
    "16a": (
        f"inconclusive at seeds 1-6: {SMALL} ‖D₀‖² scatters by ~14 % per seed, so the interval of "
        "the mean is wider than ±5 %"
    ),
    "16b": (
        f"inconclusive at seeds 1-6: {SMALL} Δt scatters by ~40 % per seed, so the interval of "
        "the mean is wider than ±10 %"
    ),
    "16c": (
        f"inconclusive at seeds 1-6: {SMALL} Δt increases with α in only 3-5 of 10 seeds (α turns "
        "D₀ from -T towards αS₀, so a seed's runs are only weakly paired)"
    ),
    "N": (
        f"inconclusive at seeds 1-6: {SMALL} the inverse-Wishart floor at λ = 0.9 is heavy-tailed "
        "(interval of the mean ±40 %)"
    ),
    "17a": f"inconclusive at seeds 1-6: {TWO_LAYER}",
    "17b": f"inconclusive at seeds 1-6: {TWO_LAYER}",
    "17c": f"inconclusive at seeds 1-6: {TWO_LAYER}",
    "18a": f"inconclusive at 3 of seeds 1-6: {TWO_LAYER}",
    "18b": f"inconclusive at seeds 1-6: {TWO_LAYER}",
    "20": f"inconclusive at seeds 1-6: {TWO_LAYER}",
}


def scope(p: Params) -> Scope:
    """What the chapter replicates, at the preset's sizes."""
    return Scope(
        replication="partial",
        covers=(
            "Figs. 1-3 and 5 simulated, Figs. 4 and 6 from the theory; statements 1-20 of the "
            "replication spec, with the initialisation scale, label noise, a tanh gain probe and "
            "a finite-size panel"
        ),
        scale=(
            f"preset {p.preset}: one-layer d_in = {p.d_in} (paper 1000), {p.seeds} seeds per "
            f"configuration, N_gen = {p.n_gen}; two-layer d_in = {p.two_layer_d_in} (paper 1000), "
            f"d_h = {p.hidden_widths}, {p.two_layer_seeds} seeds"
        ),
        left_out=(
            "pixel comparison with the paper's figures; the unstated ε of Fig. 1 (right), λ of "
            "Figs. 2-3 (right) and fixed parameter of each Fig. 4 panel are our choices; prior "
            "work (Advani & Saxe 2020) not examined"
        ),
    )


def machinery_claims(p: Params, m: ex.Machinery, sweep: ex.LambdaSweep) -> list[Claim]:
    """Claims 1-4: the exact solution and its checks."""
    return [
        Claim.check(
            "1",
            "eq. 9 closed form = MP quadrature of L_tr (λ ∈ {0.1, 0.5, 0.9, 1.5}, t ≤ 5e4)",
            Estimate.roundoff(m.closed_form_error),
            reference="equal (relative difference 0)",
            source="paper, eq. 9",
            at_most=1e-8,
            note="max relative difference",
        ),
        Claim.check(
            "2",
            (
                "exact eigenbasis GD = 500 steps of torch SGD (γ = 1e-3, d_out = 3, label noise, "
                "float64)"
            ),
            Estimate.roundoff(m.sgd_error),
            reference="equal (relative difference 0)",
            source="theory, eq. 3 solved in the eigenbasis of Σ_tr",
            at_most=1e-10,
            note="max relative difference over 2 runs",
        ),
        Claim.check(
            "3",
            "identity eq. 21: -(1/4η) dL_gen/dt = L_tr (λ = 0.9, finite differences)",
            Estimate.exact(m.identity_error),
            reference="equal (relative difference 0)",
            source="paper, eq. 21",
            at_most=1e-4,
            note="max relative difference",
        ),
        Claim.fraction(
            "4",
            (
                "empirical test loss = analytic ‖D‖² within 5/√N_gen at every logged step and λ "
                "of Fig. 1, per seed"
            ),
            ex.empirical_loss_deviation(list(sweep.curves.values())) <= 5 / np.sqrt(p.n_gen),
            reference=(
                "|L_emp/L_an - 1| ≤ 5/√N_gen (the test average converges at the 1/√N_gen rate)"
            ),
            source="paper, §3.1 (eq. 2)",
            note=(
                "fraction of seeds whose largest deviation is within 5/√N_gen = "
                f"{5 / np.sqrt(p.n_gen):.3f}"
            ),
        ),
    ]


def lambda_claims(p: Params, sweep: ex.LambdaSweep) -> list[Claim]:
    """Claims 5-11 and 19: Fig. 1."""
    curves5 = np.stack(
        [sweep.curves[lam][f"{k}_loss"] for lam in (0.5, 0.9) for k in ("train", "test")], 1
    )
    theory5 = np.stack([sweep.theory[lam][i] for lam in (0.5, 0.9) for i in (0, 1)])
    window5 = np.stack(
        [
            sweep.steps <= 1.5 * th.grokking_times(lam, p.eps, eta=p.eta)[1]
            for lam in (0.5, 0.9)
            for _ in (0, 1)
        ]
    )
    curves6 = np.stack(
        [sweep.curves[lam][f"{k}_acc"] for lam in p.lambdas for k in ("train", "test")], 1
    )
    theory6 = np.stack(
        [th.accuracy_from_loss(sweep.theory[lam][i], p.eps) for lam in p.lambdas for i in (0, 1)]
    )
    i_eps = p.delay_eps.index(p.eps) if p.eps in p.delay_eps else 0
    i01, i09 = p.delay_lambdas.index(0.1), p.delay_lambdas.index(0.9)
    by_lam = np.argsort(p.delay_lambdas)
    grok, delay_sim = sweep.times, sweep.delays  # [ε, λ, tr/gen, run], [ε, λ, run]
    delay_th = th.grokking_delay(
        np.array(p.delay_lambdas), np.array(p.delay_eps)[:, None], eta=p.eta, t_max=1e9
    )
    env = ex.envelope_ratio(np.linspace(0.3, 0.9, 7), [1e-3, 1e-6, 1e-9, 1e-12], eta=p.eta)
    final15 = {k: v[:, -1] for k, v in sweep.curves[1.5].series.items()}
    label9 = (
        "theory: smallest Δt(λ_next)/Δt(λ)",
        "seeds with Δt increasing in λ",
        "median Δt(0.9)/Δt(0.1)",
    )
    label10 = ("smallest rise as ε falls", "smallest, ε ≤ 1e-9", "largest, ε ≤ 1e-9")
    return [
        Claim.check(
            "5",
            "seed-averaged losses within e^0.2 of theory for t ≤ 1.5 t*_gen (λ = 0.5, 0.9)",
            Estimate.bootstrap(lambda c: ex.max_log_ratio_of_means(c, theory5, window5), curves5),
            reference="eq. 8 curves ('excellent agreement')",
            source="paper, Fig. 1 (left)",
            at_most=0.2,
            note=(
                "max |log(seed mean/theory)| over train and test; bootstrap over seeds; d_in = "
                f"{p.d_in}; the e^0.2 tolerance is from our prototype (8 seeds, d_in ≥ 500)"
            ),
        ),
        Claim.check(
            "6",
            "seed-averaged accuracies within 0.04 of A(L_theory) at all logged steps",
            Estimate.bootstrap(lambda c: ex.max_gap_of_means(c, theory6), curves6),
            reference="eq. 10 applied to eq. 8",
            source="paper, Fig. 1 (centre)",
            at_most=0.04,
            note=(
                "max over λ, train and test, steps; bootstrap over seeds; tolerance from our "
                "prototype (≤ 0.03)"
            ),
        ),
        Claim.check(
            "7a",
            "grokking is large at λ = 0.9: t*_gen/t*_tr",
            Estimate.median(grok[i_eps, i09, 1] / grok[i_eps, i09, 0]),
            reference="≥ 5 (theory 9.6)",
            source="paper, Fig. 1 (centre)",
            at_least=5,
            note="median over seeds",
        ),
        Claim.check(
            "7b",
            "no grokking at λ = 0.1: t*_gen/t*_tr",
            Estimate.median(grok[i_eps, i01, 1] / grok[i_eps, i01, 0]),
            reference="≤ 1.2 (theory 1.09)",
            source="paper, Fig. 1 (centre)",
            at_most=1.2,
            note="median over seeds",
        ),
        Claim.check(
            "8",
            "simulated Δt / theory within 15 % for every λ and ε of Fig. 1 (right)",
            {
                f"λ = {lam}, ε = {e:g}": Estimate.mean(
                    ex.finite_ratio(delay_sim[i, j], delay_th[i, j])
                )
                for i, e in enumerate(p.delay_eps)
                for j, lam in enumerate(p.delay_lambdas)
            },
            reference="numerical theory of §3.1 (solid curves)",
            source="paper, Fig. 1 (right)",
            at_least=0.85,
            at_most=1.15,
            note=(
                f"seed mean of the ratio at d_in = {p.d_in}; tolerance from our prototype (worst "
                "12 %)"
            ),
        ),
        Claim.check(
            "9",
            "Δt increases with λ (theory; simulation per seed, every ε), Δt(0.9)/Δt(0.1) ≥ 100",
            {
                label9[0]: Estimate.exact(
                    (delay_th[:, by_lam][:, 1:] / delay_th[:, by_lam][:, :-1]).min()
                ),
                label9[1]: Estimate.fraction(ex.increasing_per_run(delay_sim[:, by_lam], axis=1)),
                label9[2]: Estimate.median(delay_sim[i_eps, i09] / delay_sim[i_eps, i01]),
            },
            reference="largest near λ = 1, → 0 as λ → 0 (theory 20 281 vs 23)",
            source="paper, Fig. 1 (right)",
            at_least=dict(zip(label9, (1.0, 0.5, 100), strict=True)),
            note=f"ratio at ε = {p.delay_eps[i_eps]:g}",
        ),
        Claim.check(
            "10a",
            "Δt/eq. 12 rises as ε falls and lies in [0.85, 1] for ε ≤ 1e-9 (λ ∈ [0.3, 0.9])",
            {
                label10[0]: Estimate.exact((env[1:] / env[:-1]).min()),
                label10[1]: Estimate.exact(env[2:].min()),
                label10[2]: Estimate.exact(env[2:].max()),
            },
            reference="eq. 12 is the ε → 0 envelope",
            source="paper, eq. 12",
            at_least=dict(zip(label10, (1.0, 0.85, None), strict=True)),
            at_most=dict(zip(label10, (None, None, 1.0), strict=True)),
            note=f"at ε = 1e-3 eq. 12 is {1 / env[0].max():.1f}-{1 / env[0].min():.1f}× too large",
        ),
        Claim.check(
            "10b",
            "eq. 24 (Lambert W) within 20 % of the numerical Δt at ε = 1e-3 (λ ∈ [0.3, 0.9])",
            Estimate.exact(ex.lambert_error(np.linspace(0.3, 0.9, 7), 1e-3, eta=p.eta)),
            reference="≤ 0.2",
            source="paper, eq. 24",
            at_most=0.2,
            note="max relative difference",
        ),
        Claim.check(
            "10c",
            "eq. 24 within 5 % of the numerical Δt at ε = 1e-6 (λ ∈ [0.3, 0.9])",
            Estimate.exact(ex.lambert_error(np.linspace(0.3, 0.9, 7), 1e-6, eta=p.eta)),
            reference="≤ 0.05",
            source="paper, eq. 24",
            at_most=0.05,
            note=(
                "holds only for λ ≥ 0.6; at λ = 0.3 eq. 24 is 8.6 % off (its expansion needs ηt "
                "≫ √λ)"
            ),
        ),
        Claim.close(
            "11a",
            "λ = 1.5: final test accuracy = Erf(√(ε/(2(1-1/λ))))",
            Estimate.mean(final15["test_acc"]),
            float(th.accuracy_from_loss(1 - 1 / 1.5, p.eps)),
            abs=0.01,
            source="paper, §3.1.1 (Fig. 1, λ > 1)",
            note=(
                f"seed mean, N_gen = {p.n_gen}; train accuracy reaches 1 in "
                f"{int((final15['train_acc'] == 1).sum())} of {p.seeds} seeds"
            ),
        ),
        Claim.close(
            "11b",
            "λ = 1.5: final test loss = 1 - 1/λ",
            Estimate.mean(final15["test_loss"]),
            1 / 3,
            rel=0.02,
            source="paper, §3.1.1 (Fig. 1, λ > 1)",
            note="seed mean; ‖D₀‖²'s null-space part fluctuates by ~√(2/(d_in - N_tr)) per seed",
        ),
        Claim.fraction(
            "19",
            (
                "'without understanding': analytic L_gen never rises and its decay rate -dlog "
                "L_gen/dt never increases (every λ of Fig. 1, γ = 0), per seed"
            ),
            ex.decay_rate_monotone(list(sweep.curves.values())),
            reference="no rise and no kink at t*_gen",
            source="paper, §3.1.4",
            note="exact for γ = 0 (L_gen is log-convex in t); the fraction checks the numerics",
        ),
    ]


def output_dimension_claims(p: Params, dout: ex.OutputDimension) -> list[Claim]:
    """Claims 12 (Fig. 6) and 13 (Fig. 2)."""
    late = ex.late_time_checks(0.9, eta=p.eta)
    th2 = {d: np.array(th.grokking_times(0.9, p.eps, eta=p.eta, d_out=d)) for d in p.d_outs}
    dmax = dict(zip(dout.lams, ex.peak_output_dimension(dout.d_grid, dout.delay), strict=True))
    dt_d = {d: float(th.grokking_delay(0.9, p.eps, eta=p.eta, d_out=d)) for d in (1, 700)}
    label13 = (
        "Δt(700)/Δt(1)",
        "Δt(1)/Δt(d_out^max)",
        "d_max(0.5) - d_max(0.7)",
        "d_max(0.7) - d_max(0.9)",
    )
    return [
        Claim.check(
            "12",
            (
                "late-time asymptotics at λ = 0.9: eqs. 22, 23 within 1 % for t ≥ 1e3; eq. 11 > "
                "1.9× off at 1e4, < 1.15× at 1e5"
            ),
            {k: Estimate.exact(v) for k, v in late.items()},
            reference="eqs. 22, 23 → exact; eq. 11 only once 4η(1-√λ)²t ≫ 1",
            source="paper, Fig. 6 (App. B)",
            at_least=dict(zip(late, (None, None, 1.9, None), strict=True)),
            at_most=dict(zip(late, (0.01, 0.01, None, 1.15), strict=True)),
            note="eqs. 22, 23: largest |asymptote/exact - 1|; eq. 11: asymptote/exact",
        ),
        Claim.check(
            "13a",
            "initial loss × d_out = 1 (Fig. 2 runs)",
            {f"d_out = {d}": Estimate.mean(d * dout.start[d]) for d in p.d_outs},
            reference="L(0) = 1/d_out (init variance 1/(2 d_in d_out))",
            source="paper, App. A (Fig. 2, left)",
            at_least=0.9,
            at_most=1.1,
            note="seed mean; ‖D₀‖² fluctuates by √(2/(d_in d_out)) per seed",
        ),
        Claim.check(
            "13b",
            "simulated t*_tr, t*_gen within 20 % of eq. 13 theory for every d_out of Fig. 2",
            {
                f"{name}, d_out = {d}": Estimate.mean(ex.finite_ratio(dout.times[d][i], th2[d][i]))
                for d in p.d_outs
                for i, name in enumerate(("t*_tr", "t*_gen"))
            },
            reference="eq. 13 curves",
            source="paper, Fig. 2 (left, centre)",
            at_least=0.8,
            at_most=1.2,
            note=(
                "seed mean of simulation/theory; our prototype, one seed at d_in = 1000: +9 %, "
                "+15 %, +11 % on t*_gen"
            ),
        ),
        Claim.check(
            "13c",
            "theory: Δt(d_out) has an interior maximum at λ = 0.9",
            Estimate.exact(dmax[0.9]),
            reference="d_out^max ≈ 50",
            source="paper, Fig. 2 (right)",
            at_least=10,
            at_most=100,
            note="we find ≈ 25: the paper's 50 is an erratum or a coarse grid (the peak is flat)",
        ),
        Claim.check(
            "13d",
            "theory: Δt(700) < Δt(1) < Δt(d_out^max), and d_out^max grows as λ falls",
            {
                label13[0]: Estimate.exact(dt_d[700] / dt_d[1]),
                label13[1]: Estimate.exact(dt_d[1] / np.nanmax(dout.delay[-1])),
                label13[2]: Estimate.exact(dmax[0.5] - dmax[0.7]),
                label13[3]: Estimate.exact(dmax[0.7] - dmax[0.9]),
            },
            reference="non-monotone Δt(d_out)",
            source="paper, Fig. 2 (right)",
            at_least=dict(zip(label13, (None, None, 1, 1), strict=True)),
            at_most=dict(zip(label13, (1, 1, None, None), strict=True)),
            note=(
                f"d_out^max = {dmax[0.5]:.0f}, {dmax[0.7]:.0f}, {dmax[0.9]:.0f} at λ = 0.5, 0.7, "
                "0.9 (integer d_out: a difference ≥ 1 is an increase)"
            ),
        ),
    ]


def weight_decay_claims(p: Params, wd: ex.WeightDecay) -> list[Claim]:
    """Claims 14: Fig. 3."""
    wd_b = {
        lam: th.losses(np.inf, lam, eta=p.eta, gamma=1e-4)[0]
        / th.weight_decay_late_losses(lam, 1e-4)[0]
        for lam in (0.5, 0.9)
    }
    gc = dict(zip(wd.lams, wd.gamma_c, strict=True))
    dt_rise = th.grokking_delay(0.9, p.eps, eta=p.eta, gamma=1e-3) / th.grokking_delay(
        0.9, p.eps, eta=p.eta, gamma=1e-6
    )
    label14c = [f"γ = {g:g}" for g in p.gammas]
    return [
        Claim.check(
            "14a",
            "L_gen(∞)/L_tr(∞) = 1/(1-λ)² for γ ≤ 1e-4 (λ = 0.5, 0.9), exact eq. 15",
            Estimate.exact(ex.weight_decay_ratio_error((0.5, 0.9), (1e-5, 1e-4), eta=p.eta)),
            reference="1/(1-λ)² (the ratio of eq. 16's two limits)",
            source="paper, eq. 16",
            at_most=0.05,
            note="largest relative deviation",
        ),
        Claim.check(
            "14b",
            "L_tr(∞)/(γ²/(8(1-λ))) = 1 at γ = 1e-4, exact eq. 15",
            {f"λ = {lam}": Estimate.exact(v) for lam, v in wd_b.items()},
            reference="1 (the paper's eq. 16 prints γ²/4: ratio 0.5, erratum)",
            source="theory, γ²/(8(1-λ)), the small-γ limit of eq. 15",
            at_least=0.98,
            at_most=1.02,
        ),
        Claim.check(
            "14c",
            "λ = 0.9: the smaller γ grok (final A_gen ≥ 0.99), the largest does not (< 0.95)",
            {
                label: Estimate.mean(wd.curves[g].last("test_acc"))
                for label, g in zip(label14c, p.gammas, strict=True)
            },
            reference="≥ 0.99, ≥ 0.99, 0.38 (prototype, one seed)",
            source="paper, Fig. 3 (centre)",
            at_least={k: (None if k == label14c[-1] else 0.99) for k in label14c},
            at_most={k: (0.95 if k == label14c[-1] else None) for k in label14c},
            note=f"seed mean of the test accuracy at step 1e6, N_gen = {p.n_gen}",
        ),
        Claim.check(
            "14d",
            "simulated final losses match eq. 15 within 10 %",
            {
                f"{k}, γ = {g:g}": Estimate.mean(
                    wd.curves[g].last(f"{SERIES[k]}_loss") / wd.final[g][i]
                )
                for g in p.gammas
                for i, k in enumerate(("train", "gen"))
            },
            reference="eq. 15 at t → ∞",
            source="paper, Fig. 3 (left)",
            at_least=0.9,
            at_most=1.1,
            note=(
                "seed mean of simulation/theory at 1e6 steps; the floors are set by the smallest "
                "eigenvalues of Σ_tr, which fluctuate at finite d_in"
            ),
        ),
        Claim.check(
            "14e",
            (
                "critical weight decay γ_c(0.9) ∈ [1e-3, 3.2e-3], γ_c(0.5) ∈ [1e-2, 3.2e-2], "
                "exact eq. 15"
            ),
            {"γ_c(0.9)": Estimate.exact(gc[0.9]), "γ_c(0.5)": Estimate.exact(gc[0.5])},
            reference="γ_c ≈ √(8(1-λ)³ L_c) = 1.4e-3, 1.6e-2",
            source="theory, L_gen(∞; γ_c) = L_c from eq. 15",
            at_least={"γ_c(0.9)": 1e-3, "γ_c(0.5)": 1e-2},
            at_most={"γ_c(0.9)": 3.2e-3, "γ_c(0.5)": 3.2e-2},
        ),
        Claim.check(
            "14f",
            "no grokking for any γ at λ = 1.5 (theory, γ from 1e-6 to 1)",
            Estimate.exact(np.isfinite(wd.delay[list(wd.lams).index(1.5)]).sum()),
            reference="none (L_gen ≥ ½(1-1/λ))",
            source="paper, Fig. 3 (right), §3.3",
            at_most=0,
            note="number of γ of the grid with a finite Δt",
        ),
        Claim.check(
            "14g",
            "weight decay below γ_c shortens Δt: Δt(γ = 1e-3)/Δt(γ = 1e-6) at λ = 0.9",
            Estimate.exact(dt_rise),
            reference="≤ 1 ('below an ε-threshold Δt decreases', eq. 16)",
            source="paper, §3.3 (eq. 16)",
            at_most=1.0,
            note="exact eq. 15: Δt rises towards γ_c (erratum: red by design at every preset)",
        ),
    ]


def phase_claims(p: Params, phase: dict[tuple[str, str], ex.PhasePlane]) -> list[Claim]:
    """Claims 15: Fig. 4."""
    gl, dl = phase[("γ", "λ")], phase[("d_out", "λ")]
    gl_x, gl_y, gl_d = gl.x, gl.y, gl.delay
    dl_x, dl_y, dl_d = dl.x, dl.y, dl.delay
    edge = ex.critical_edge(gl_x, gl_y, gl_d)
    g_max, l_max = np.unravel_index(np.nanargmax(gl_d), gl_d.shape)
    grok_above_one = dl_x[np.isfinite(dl_d[:, dl_y > 1]).any(1)]
    label15 = (
        "grokking cells at λ > 1",
        "largest rise of γ_c from one λ < 0.97 to the next",
        "λ of the largest Δt",
    )
    return [
        Claim.check(
            "15a",
            (
                "(γ, λ) plane: grokking only for λ < 1 and γ < γ_c(λ), γ_c falling as λ → 1, Δt "
                "largest at the largest λ ≤ 1"
            ),
            {
                label15[0]: Estimate.exact(np.isfinite(gl_d[:, gl_y > 1]).sum()),
                label15[1]: Estimate.exact(np.diff(edge[gl_y < 0.97]).max()),
                label15[2]: Estimate.exact(gl_y[l_max]),
            },
            reference="white for λ > 1 and γ > γ_c(λ); Δt largest at λ → 1⁻",
            source="paper, Fig. 4 (centre)",
            at_least=dict(zip(label15, (None, None, gl_y[gl_y <= 1].max()), strict=True)),
            at_most=dict(zip(label15, (0, 0, None), strict=True)),
            note=f"{len(gl_x)} × {len(gl_y)} grid",
        ),
        Claim.check(
            "15b",
            "(γ, λ) plane: Δt largest as γ → 0",
            Estimate.exact(gl_x[g_max]),
            reference="largest at the smallest γ",
            source="paper, Fig. 4 (centre)",
            at_most=gl_x[0],
            note=(
                "γ of the largest Δt; the maximum sits just below γ_c, not at γ → 0: the "
                "weight-decay erratum of 14g (red by design)"
            ),
        ),
        Claim.check(
            "15c",
            "(d_out, λ) plane: no grokking delay for d_out ≳ 1500",
            {
                f"λ = {lam:.3g}": Estimate.exact((dl_d[dl_x >= 1500, j] > 0).sum())
                for j, lam in enumerate(dl_y)
            },
            reference="white above d_out ≈ 1500",
            source="paper, Fig. 4 (right)",
            at_most=0,
            note="per λ of the grid: cells with Δt > 0 at d_out ≥ 1500",
        ),
        Claim.check(
            "15d",
            "(d_out, λ) plane: no grokking for λ > 1",
            Estimate.exact(len(grok_above_one)),
            reference="white for λ > 1",
            source="paper, Fig. 4 (right)",
            at_most=0,
            note=(
                f"d_out with grokking at some λ > 1: {len(grok_above_one)}"
                + (
                    f" ({grok_above_one.min():.0f}-{grok_above_one.max():.0f})"
                    if len(grok_above_one)
                    else ""
                )
                + "; eq. 13 gives L_gen(∞) = (1-1/λ)/d_out, below the threshold once "
                "d_out ≳ (1-1/λ)/ε (red by design)"
            ),
        ),
    ]


def init_and_noise_claims(p: Params, init: ex.InitScale, noise: ex.LabelNoise) -> list[Claim]:
    """Claims 16 and N: initialisation scale and label noise."""
    init_dt = init.delays  # [run] per α
    init_dt_th = init.theory_delays
    n_tr = {lam: round(p.d_in / lam) for lam in noise.lams}
    floor = noise.floor(p.noise_vars)  # L_gen(∞)/σ² per run and λ
    return [
        Claim.check(
            "16a",
            "init scale α: L_gen(0) = (1+α²)/2",
            {f"α = {a:g}": Estimate.mean(init.start[a] / ((1 + a**2) / 2)) for a in p.init_scales},
            reference="(1+α²)/2 (teacher fixed, S₀ → αS₀)",
            source="paper, §3.1.3",
            at_least=0.95,
            at_most=1.05,
            note=(
                "seed mean of L_gen(0)/((1+α²)/2); ‖D₀‖² fluctuates by ~√(2/d_in) per seed; "
                "tolerance from our prototype"
            ),
        ),
        Claim.check(
            "16b",
            "init scale α: simulated Δt = theory with ε → 2ε/(1+α²)",
            {
                f"α = {a:g}": Estimate.mean(ex.finite_ratio(init_dt[a], init_dt_th[a]))
                for a in p.init_scales
            },
            reference="Δt of eq. 8 with ε → 2ε/(1+α²)",
            source="paper, §3.1.3",
            at_least=0.9,
            at_most=1.1,
            note="λ = 0.7; seed mean of simulation/theory; tolerance from our prototype",
        ),
        Claim.fraction(
            "16c",
            "Δt increases with α (larger α = effectively smaller ε), per seed",
            ex.increasing_per_run(np.array([init_dt[a] for a in sorted(p.init_scales)]), axis=0),
            reference=(
                "'increases grokking time' (contributions) vs 'leaves the results unchanged' "
                "(§3.1.3)"
            ),
            source="paper, §1 and §3.1.3",
            note=(
                "paired: a seed draws the same teacher, student direction and data at every α; "
                "theory Δt = "
            )
            + ", ".join(f"{init_dt_th[a]:.0f}" for a in sorted(p.init_scales)),
        ),
        Claim.check(
            "N",
            "label noise: L_gen(∞)/σ² = d_in/(N_tr - d_in - 1) → λ/(1-λ) (λ = 0.5, 0.9)",
            {
                f"λ = {lam}": Estimate.mean(
                    floor[lam] / ex.label_noise_floor_finite(p.d_in, n_tr[lam])
                )
                for lam in noise.lams
            },
            reference="1 (the paper: dynamics unchanged, a constant ∝ σ²)",
            source="theory, inverse-Wishart mean σ² d_in/(N_tr - d_in - 1)",
            at_least=0.9,
            at_most=1.1,
            note="seed mean of the floor over the finite-size prediction; L_gen(∞)/σ² = "
            + ", ".join(
                f"{floor[lam].mean():.2f} (λ = {lam}, limit {lam / (1 - lam):.1f})"
                for lam in noise.lams
            ),
        ),
    ]


def two_layer_claims(p: Params, fig5: ex.TwoLayer, probe: ex.GainProbe) -> list[Claim]:
    """Claims 17, 18 and 20: Fig. 5 and the gain probe."""
    wide, narrow = max(p.hidden_widths), min(p.hidden_widths)
    t_names = ("t*_tr", "t*_gen")
    late5 = {  # final test loss over eq. 19's, per run
        d_h: fig5.curves[d_h, "linear"].last("test_loss")
        / th.two_layer_losses(
            fig5.curves[d_h, "linear"].steps[-1], 0.5, eta=p.eta, d_out=fig5.d_out, d_hidden=d_h
        )[1]
        for d_h in p.hidden_widths
    }
    theory_gain = fig5.theory[probe.d_hidden][1]
    return [
        Claim.check(
            "17a",
            f"2-layer linear, d_h = {wide}: t*_tr, t*_gen within 10 % of eq. 19",
            {
                name: Estimate.mean(
                    ex.finite_ratio(fig5.times[wide, "linear"][i], fig5.theory[wide][i])
                )
                for i, name in enumerate(t_names)
            },
            reference="eq. 19 (η_eff = η/(2 d_out²))",
            source="paper, Fig. 5 (top)",
            at_least=0.9,
            at_most=1.1,
            note=(
                f"seed mean of simulation/theory, d_in = {p.two_layer_d_in}; our prototype: < 1 % "
                "at d_in = 1000, 1-5 % at d_in = 200"
            ),
        ),
        Claim.check(
            "17b",
            f"2-layer linear, d_h = {narrow}: t*_tr, t*_gen within 15 % of eq. 19",
            {
                name: Estimate.mean(
                    ex.finite_ratio(fig5.times[narrow, "linear"][i], fig5.theory[narrow][i])
                )
                for i, name in enumerate(t_names)
            },
            reference="eq. 19 (η_eff = η/(2 d_out²))",
            source="paper, Fig. 5 (top)",
            at_least=0.85,
            at_most=1.15,
            note=(
                f"seed mean of simulation/theory, d_in = {p.two_layer_d_in}; our prototype: 5-9 % "
                "at d_in = 200"
            ),
        ),
        Claim.check(
            "17c",
            f"2-layer linear, d_h = {wide}: final test loss within 10 % of eq. 19",
            Estimate.mean(late5[wide]),
            reference="eq. 19",
            source="paper, Fig. 5 (top)",
            at_least=0.9,
            at_most=1.1,
            note=(
                f"seed mean of simulation/theory; d_h = {narrow}: {late5[narrow].mean() - 1:+.0%} "
                "(prototype: up to +50 % at d_h = 50)"
            ),
        ),
        Claim.check(
            "18a",
            "tanh t*_gen within 5 % of the linear network's, same seed, every width",
            {
                f"d_h = {d_h}": Estimate.mean(
                    ex.finite_ratio(fig5.times[d_h, "tanh"][1], fig5.times[d_h, "linear"][1])
                )
                for d_h in p.hidden_widths
            },
            reference="tanh ≈ linear (prototype: 1.4 %, 0.1 %)",
            source="paper, Fig. 5 (bottom), §4.2",
            at_least=0.95,
            at_most=1.05,
            note="seed mean of the paired ratio",
        ),
        Claim.check(
            "18b",
            "tanh t*'s within 15 % of the linear theory",
            {
                f"{name}, d_h = {d_h}": Estimate.mean(
                    ex.finite_ratio(fig5.times[d_h, "tanh"][i], fig5.theory[d_h][i])
                )
                for d_h in p.hidden_widths
                for i, name in enumerate(t_names)
            },
            reference="eq. 19",
            source="paper, Fig. 5 (bottom), §4.2",
            at_least=0.85,
            at_most=1.15,
            note="seed mean of simulation/theory",
        ),
        Claim.check(
            "20",
            (
                "gain probe tanh(g·)/g: t*_gen within 10 % of the linear theory for g ≤ 3, > 30 "
                "% above it for g ≥ 10"
            ),
            {
                f"g = {g:g}": Estimate.mean(
                    ex.finite_ratio(probe.runs[g].times[1], theory_gain)
                    if g <= 3
                    else ex.censored_ratio(
                        probe.runs[g].times[1], theory_gain, probe.runs[g].horizon
                    )
                )
                for g in sorted(probe.runs)
                if g <= 3 or g >= 10
            },
            reference=(
                "within 10 % for g ≤ 3, more than 30 % above for g ≥ 10 (prototype: +41 % at g = "
                "10, ×3.2 at g = 30)"
            ),
            source="prototype",
            at_least={f"g = {g:g}": 0.9 if g <= 3 else 1.3 for g in probe.runs},
            at_most={f"g = {g:g}": 1.1 if g <= 3 else None for g in probe.runs},
            note=(
                f"reviewer 2's question; d_h = {probe.d_hidden}, seed mean of t*_gen/theory; at g "
                "≥ 10 a run that does not grok within the horizon counts at the horizon (a lower "
                "bound)"
            ),
        ),
    ]


def report(
    p: Params,
    *,
    machinery: ex.Machinery,
    sweep: ex.LambdaSweep,
    dout: ex.OutputDimension,
    wd: ex.WeightDecay,
    phase: dict[tuple[str, str], ex.PhasePlane],
    init: ex.InitScale,
    noise: ex.LabelNoise,
    fig5: ex.TwoLayer,
    probe: ex.GainProbe,
) -> ClaimReport:
    """Every claim of the chapter, in the order of the spec, with the quick set."""
    claims = ClaimReport(
        p, scope=scope(p), quick=QUICK, not_at_quick=NOT_AT_QUICK, unit_seeds=ex.seeds_of(p)
    )
    claims.add(
        *machinery_claims(p, machinery, sweep),
        *lambda_claims(p, sweep),
        *output_dimension_claims(p, dout),
        *weight_decay_claims(p, wd),
        *phase_claims(p, phase),
        *init_and_noise_claims(p, init, noise),
        *two_layer_claims(p, fig5, probe),
    )
    return claims
