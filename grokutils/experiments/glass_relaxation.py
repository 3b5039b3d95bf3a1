"""The measurements behind the claims of chapter 04 (grokking as computational glass relaxation).

Every function returns per-unit values or an :class:`~grokutils.book.estimates.Estimate` whose
interval comes from the chapter's independent units:

* **replicas** of discrete Wang-Landau on the 4×4 Ising model (independent chains, batched):
  the replica-averaged ``ln g(E)`` against the exact one (:func:`ising_bias`) and the error of
  plain (halving) WL against the 1/t schedule (:func:`error_ratio`), bootstrapped over replicas;
* **groups** of WLMD walkers, each group with its own entropy grid (independent runs, batched):
  the harmonic system's fitted entropy (:func:`harmonic_fit`), the thermostat
  (:func:`kinetic_temperature`), the 1-D equilibrium curve's jumps (:func:`max_jump`);
* **seeds** of the AdamW and WanD networks (one network per seed and task, own initialisation):
  per-seed first-crossing steps with ``inf`` for "never crossed" (:func:`grokking_runs`,
  :func:`fixed_norm_holds`, :func:`wand_runs`), decided as fractions or order-statistic medians;
* **groups and seeds together** for a difference of two independent means
  (:func:`difference_of_means`, Welch).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from grokutils.book.estimates import LEVEL, Estimate
from grokutils.models.embed_mlp import first_step_at
from grokutils.samplers.exact_dos import fit_harmonic_entropy
from grokutils.samplers.wang_landau import normalise_ln_g

GROKKED = 0.95
"""Test accuracy at which a run counts as generalised (the chapter's 95 %)."""

# ---------------------------------------------------------------------- 4×4 Ising, exact DOS


def ising_errors(ln_g: np.ndarray, g_exact: np.ndarray, n_spins: int) -> np.ndarray:
    """``ln g - ln g_exact`` per replica and level, ``[R, levels]``, after normalising each
    replica's estimate ``ln_g [R, levels]`` to ``ln Σ g = N ln 2`` (``N = n_spins``)."""
    return normalise_ln_g(ln_g, n_spins * math.log(2)) - np.log(g_exact)


def ising_bias(errors: np.ndarray) -> Estimate:
    """Largest error over the levels of the replica-averaged ``ln g``,
    ``max_E |mean_r Δ ln g_r(E)|``, with a bootstrap interval over the replicas
    (``errors [R, levels]`` from :func:`ising_errors`)."""
    return Estimate.bootstrap(
        lambda d: float(np.abs(d.mean(0)).max()), np.asarray(errors), unit="replicas"
    )


def max_abs_error(errors: np.ndarray) -> np.ndarray:
    """Each replica's own error ``max_E |Δ ln g_r(E)|``, ``[R]``."""
    return np.abs(np.asarray(errors)).max(-1)


def error_ratio(error_plain: np.ndarray, error_1t: np.ndarray) -> Estimate:
    """Median error of plain (halving) WL over the median error of the 1/t schedule at the
    same number of trial moves (``[R]`` each, independent replicas), bootstrap interval
    (the two sets of replicas are resampled together; they are independent anyway)."""
    return Estimate.bootstrap(
        lambda a, b: float(np.median(a) / np.median(b)),
        np.asarray(error_plain, dtype=float),
        np.asarray(error_1t, dtype=float),
        unit="replicas",
    )


# ------------------------------------------------------------------- harmonic WLMD, exact S


def y_profile_rms(
    entropy: np.ndarray, visited: np.ndarray, y: np.ndarray, n_dim: int, margin: int = 2
) -> np.ndarray:
    """rms error (nats) of each group's entropy profile along ``y = q₁/|q|`` against the exact
    ``((n-3)/2) ln(1 - y²)`` (spec §5.3a's y-profile test), ``[G]``.

    entropy, visited ``[G, nx, ny]``; the bins within ``margin`` of the grid edges (the walls)
    are left out. A group's profile is the mean over its interior x bins, so a group with an
    unvisited interior bin is NaN. Both profiles are shifted to zero mean (S is defined up to
    a constant)."""
    inner = (slice(None), slice(margin, -margin), slice(margin, -margin))
    block, seen = np.asarray(entropy)[inner], np.asarray(visited)[inner]
    exact = 0.5 * (n_dim - 3) * np.log1p(-(np.asarray(y)[margin:-margin] ** 2))
    diff = block.mean(1) - exact  # [G, ny - 2 margin]
    diff = diff - diff.mean(1, keepdims=True)
    rms = np.sqrt((diff**2).mean(1))
    return np.where(seen.reshape(len(seen), -1).all(1), rms, np.nan)


def harmonic_fit(
    entropy: np.ndarray,
    hist: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    n_dim: int,
    margin: int = 2,
) -> dict[str, Estimate]:
    """The harmonic test system against its exact entropy, one value per walker group (own
    entropy grid, independent runs): the fitted slope ``a`` of ``S = a x + b ln(1-y²) + c``
    over the visited interior bins (exact ``n/2``) and the y-profile rms error (nats) of
    :func:`y_profile_rms`, each a mean over groups with its t interval. Bins within
    ``margin`` of the grid edges (the walls) are left out."""
    interior = np.zeros(entropy.shape, dtype=bool)
    interior[:, margin:-margin, margin:-margin] = True
    coef = fit_harmonic_entropy(entropy, interior & (hist > 0), x, y)
    rms = y_profile_rms(entropy, hist > 0, y, n_dim, margin)
    return {
        "slope a": Estimate.mean(coef[:, 0], unit="walker groups"),
        "y-profile rms (nats)": Estimate.mean(rms, unit="walker groups"),
    }


def kinetic_temperature(temperature: np.ndarray, groups: int) -> Estimate:
    """Kinetic temperature ``2KE/(n k_BT)`` over the second half of a WLMD run, one mean per
    walker group (``temperature [K, W]``, walkers ``g·W/G … (g+1)·W/G - 1`` in group g), mean
    over groups with its t interval."""
    t = np.asarray(temperature)[len(temperature) // 2 :]
    per_group = t.reshape(len(t), groups, -1).mean((0, 2))
    return Estimate.mean(per_group, unit="walker groups")


# ------------------------------------------------------------------------- AdamW baseline


def grokking_runs(base: dict, tasks: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """Per task, the weight-decay networks of :func:`grokutils.models.embed_mlp.grokking_baseline`
    in seed order: ``fit`` (first step with train accuracy 100 %), ``grok`` (first step with
    test accuracy ≥ 95 %), both ``inf`` when never reached, and ``best`` (best test accuracy),
    ``[S]`` each."""
    fit = first_step_at(base, "train_acc", 1.0, never=np.inf)
    grok = first_step_at(base, "test_acc", GROKKED, never=np.inf)
    best = base["test_acc"].max(0)
    out = {}
    for task in tasks:
        sel = (base["task"] == task) & (base["weight_decay"] > 0)
        out[task] = {"fit": fit[sel], "grok": grok[sel], "best": best[sel]}
    return out


def grokking_holds(runs: Mapping[str, dict], delay: float = 5.0) -> dict[str, np.ndarray]:
    """C1 seed by seed (networks of one seed index across tasks): x+y generalises within the
    budget and at least ``delay`` × later than it fits its training set; x²+y generalises later
    than x+y (never, within the budget, counts as later) on a seed where x+y generalised."""
    xy, sq = runs["x+y"], runs["x^2+y"]
    groks = np.isfinite(xy["grok"]) & (xy["grok"] >= delay * xy["fit"])
    later = np.isfinite(xy["grok"]) & (sq["grok"] > xy["grok"])
    return {"x+y groks": groks, "x²+y later": later}


# ---------------------------------------------------------------------- norm-fixed control


def fixed_norm_holds(
    fixed: Mapping[int, dict], ratio: float = 2.0, min_steps: float = 100.0
) -> np.ndarray:
    """C8 seed by seed (network k of every width): at every width test accuracy reaches 95 %
    within the budget and at most ``ratio`` × the step where train accuracy reaches 95 %
    (or ``min_steps``), and the widths' test steps lie within a factor ``ratio``, ``[S]``."""
    test = np.array([first_step_at(o, "test_acc", GROKKED, never=np.inf) for o in fixed.values()])
    train = np.array([first_step_at(o, "train_acc", GROKKED, never=np.inf) for o in fixed.values()])
    no_delay = (np.isfinite(test) & (test <= ratio * np.maximum(train, min_steps))).all(0)
    with np.errstate(invalid="ignore"):
        same = test.max(0) <= ratio * test.min(0)
    return no_delay & same


# ------------------------------------------------------------- 1-D WLMD equilibrium curve


def max_jump(curves: Sequence[np.ndarray]) -> np.ndarray:
    """Largest ``|Δ⟨A⟩|`` between adjacent populated ``ln L`` bins of each curve, ``[G]``
    (NaN for a curve with fewer than three populated bins)."""
    out = []
    for c in curves:
        c = np.asarray(c)[np.isfinite(c)]
        out.append(float(np.abs(np.diff(c)).max()) if len(c) > 2 else np.nan)
    return np.array(out)


def difference_of_means(a: np.ndarray, b: np.ndarray, *, unit: str) -> Estimate:
    """``mean(a) - mean(b)`` of two independent samples with the Welch t interval (unbounded
    when either sample has fewer than two units; NaN when a unit is NaN)."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    n, method = len(a) + len(b), "difference of means, Welch t"
    if np.isnan(a).any() or np.isnan(b).any() or not len(a) or not len(b):
        return Estimate.from_interval(math.nan, -math.inf, math.inf, n, method, unit=unit)
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return Estimate.from_interval(diff, -math.inf, math.inf, n, method, unit=unit)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Estimate.from_interval(diff, diff, diff, n, method, unit=unit)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + LEVEL / 2, dof)) * se
    return Estimate.from_interval(diff, diff - half, diff + half, n, method, unit=unit)


# -------------------------------------------------------------------------------- WanD


def wand_runs(run: dict) -> dict[str, np.ndarray]:
    """Per WanD network of one sweep point: ``grok`` (first step with test accuracy ≥ 95 %,
    ``inf`` never) and ``norm_ratio`` (final ‖θ‖ over the thermal-noise norm), ``[S]``."""
    return {
        "grok": first_step_at(run, "test_acc", GROKKED, never=np.inf),
        "norm_ratio": run["norm"][-1] / run["thermal_norm"][-1],
    }
