"""Measurements of the guess-&-check chapter's claims (W1-W7, D1-D7), one value per data set.

The independent units are the data sets (matrix-sensing tasks, one per data seed): every
width, depth, sampler and GD run sees the same data sets, so a ratio G&C / prior or a trend
along the width axis is computed *within* a data set and the claims are decided on the spread
of those per-data-set values. The G&C posterior means carry the samplers' own Monte-Carlo
standard errors too; those are part of each data set's value, and the between-data-set spread
(which includes them) is the uncertainty a claim about "the median data set" needs.

Tables come from :func:`grokutils.experiments.guess_and_check_sweeps.sweep_table`
(``{activation: {"mean",
"prior", "ratio", "p_accept", ...}}``, each ``[X, S]`` over the grid ``xs`` and ``S`` data
sets) and :func:`~grokutils.experiments.guess_and_check_sweeps.gd_table` (``{activation: {"gen",
"train"}}``). Functions return per-data-set arrays ``[S]`` (or ``{part: [S]}``), or an
:class:`~grokutils.book.estimates.Estimate` where the statistic is not a per-data-set value (a rank
correlation of the median curve). Thresholds live next to the claims in the notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from grokutils.book.claims import Claim
from grokutils.book.estimates import Estimate

UNIT = "data sets"
GD_FIT = 1e-5
"""Training loss below which a GD run counts as having fit the data: converged runs reach
1e-10 to 1e-5, runs still moving (or stuck near the saddle at the origin) sit above."""

Table = Mapping[str, Mapping[str, np.ndarray]]


def _index(xs: Sequence[int], x: int) -> int:
    xs = list(xs)
    if x not in xs:
        raise ValueError(f"{x} is not on the grid {xs}")
    return xs.index(x)


def _order(xs: Sequence[int], up_to: float | None = None) -> np.ndarray:
    """Grid indices in increasing ``x`` (only ``x <= up_to``)."""
    xs = np.asarray(xs)
    order = np.argsort(xs, kind="stable")
    return order if up_to is None else order[xs[order] <= up_to]


def strictly_monotone(values: np.ndarray, increasing: bool = True) -> np.ndarray:
    """Whether ``values [X, S]`` strictly increase (decrease) along axis 0, per data set ``[S]``.

    A NaN anywhere in a data set's sequence makes it False (never silently True); callers
    say the claim is undecided with :func:`failed_runs`.
    """
    steps = np.diff(np.asarray(values, dtype=float), axis=0)
    with np.errstate(invalid="ignore"):
        return np.all(steps > 0 if increasing else steps < 0, axis=0)


def trend(
    table: Table,
    xs: Sequence[int],
    key: str = "mean",
    *,
    increasing: bool = True,
    up_to: float | None = None,
) -> dict[str, np.ndarray]:
    """Per activation, per data set: does ``key`` strictly increase (decrease) with ``x``
    (over the grid points ``x <= up_to``)? ``{activation: [S] bool}``."""
    order = _order(xs, up_to)
    return {a: strictly_monotone(t[key][order], increasing) for a, t in table.items()}


def ratio_at(table: Table, xs: Sequence[int], x: int, activations=None) -> dict[str, np.ndarray]:
    """Per activation, per data set: G&C posterior mean / prior mean at grid value ``x``."""
    i = _index(xs, x)
    return {a: np.asarray(table[a]["ratio"][i], float) for a in activations or table}


def gap_parts(
    table: Table, widths: Sequence[int], *, at: int, scaled: Sequence[int], activations
) -> dict[str, np.ndarray]:
    """Claim W4's parts, per data set: the relative gap ``1 − G&C/prior`` at width ``at``
    (``"<act>, gap at k = <at>"``) and ``k × gap`` at each width of ``scaled``
    (``"<act>, k × gap at k = <k>"``)."""
    parts = {}
    for a in activations:
        gap = 1 - np.asarray(table[a]["ratio"], float)
        parts[f"{a}, gap at k = {at}"] = gap[_index(widths, at)]
        for k in scaled:
            parts[f"{a}, k × gap at k = {k}"] = k * gap[_index(widths, k)]
    return parts


def depth_fall(table: Table, depths: Sequence[int], *, shallow: int = 2) -> dict[str, np.ndarray]:
    """Per activation, per data set: G&C at the deepest depth / G&C at depth ``shallow``."""
    deep, low = int(np.argmax(depths)), _index(depths, shallow)
    return {a: np.asarray(t["mean"][deep] / t["mean"][low], float) for a, t in table.items()}


def deeper_is_better(
    table: Table, depths: Sequence[int], *, shallow: int = 2
) -> dict[str, np.ndarray]:
    """Per activation, per data set: G&C at the deepest depth < at depth ``shallow``."""
    deep, low = int(np.argmax(depths)), _index(depths, shallow)
    with np.errstate(invalid="ignore"):
        return {a: np.asarray(t["mean"][deep] < t["mean"][low]) for a, t in table.items()}


def ratio_shallow_and_deep(
    table: Table, depths: Sequence[int], activation: str = "linear", *, shallow: int = 2
) -> dict[str, np.ndarray]:
    """Claim D3's parts, per data set: G&C / prior at depth ``shallow`` and at the deepest."""
    deep = int(np.max(depths))
    ratio = np.asarray(table[activation]["ratio"], float)
    return {
        f"d = {shallow}": ratio[_index(depths, shallow)],
        f"d = {deep}": ratio[_index(depths, deep)],
    }


def spearman(x, y) -> float:
    """Spearman rank correlation of two sequences (NaN if either is constant or has NaN)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if np.isnan(y).any() or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def spearman_of_median(xs: Sequence[int], values: np.ndarray) -> Estimate:
    """Spearman correlation of ``xs`` with the median curve over data sets of ``values [X, S]``,
    with a percentile bootstrap over data sets (resampled whole: a data set's curve stays
    together)."""
    curves = np.asarray(values, float).T  # [S, X]: units on axis 0
    xs = np.asarray(xs, float)
    return Estimate.bootstrap(lambda c: spearman(xs, np.median(c, axis=0)), curves, unit=UNIT)


def limit_ratio(table: Table, depths: Sequence[int], limit_mean: np.ndarray) -> np.ndarray:
    """Linear nets, per data set: G&C at the deepest depth / G&C of the depth → ∞ prior."""
    deep = int(np.argmax(depths))
    return np.asarray(table["linear"]["mean"][deep] / np.asarray(limit_mean), float)


def acceptance_rises(
    table: Table, depths: Sequence[int], activation: str = "linear", *, shallow: int = 2
) -> np.ndarray:
    """Per data set: ``P(accept)`` at the deepest depth exceeds the one at depth ``shallow`` and
    its Spearman correlation with depth is positive (``[S]`` bool)."""
    p = np.asarray(table[activation]["p_accept"], float)  # [D, S]
    deep, low = int(np.argmax(depths)), _index(depths, shallow)
    rho = np.array([spearman(depths, p[:, s]) for s in range(p.shape[1])])
    with np.errstate(invalid="ignore"):
        return (p[deep] > p[low]) & (rho > 0)


def medians(parts: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
    """The median over data sets of each part, with its order-statistic interval."""
    return {k: Estimate.median(v, unit=UNIT) for k, v in parts.items()}


def failed_runs(**tables: Table | np.ndarray) -> str | None:
    """Which G&C estimates are NaN (subset simulation that never reached ε, nothing accepted):
    the reason a claim on them is undecided, or None. ``tables``: name -> sweep table (its
    ``mean``) or a ``[S]`` array."""
    bad = []
    for name, table in tables.items():
        if isinstance(table, Mapping):
            bad += [f"{name} {a}" for a, t in table.items() if np.isnan(t["mean"]).any()]
        elif np.isnan(np.asarray(table, float)).any():
            bad.append(name)
    return f"G&C has no estimate (NaN) for {', '.join(bad)}" if bad else None


def gd_generalises(
    gd: Mapping[str, Mapping[str, np.ndarray]], *, bound: float, fit: float = GD_FIT
):
    """Per activation, per data set, over the GD grid ``[X, S]``: ``(holds, undecided)``.

    ``holds``: every run on the data set fit the data (``L_train < fit``) and has
    ``L_gen <= bound``. ``undecided``: some run did not fit the data (still near the saddle at
    the origin) and no fitted run on that data set refutes the bound, so the data set cannot
    say. A fitted run with ``L_gen > bound`` refutes the data set whatever the others did.
    """
    out = {}
    for a, runs in gd.items():
        gen, train = np.asarray(runs["gen"], float), np.asarray(runs["train"], float)
        fitted = train < fit
        refuted = (fitted & ~(gen <= bound)).any(axis=0)
        unfit = (~fitted).any(axis=0)
        out[a] = (~refuted & ~unfit, ~refuted & unfit)
    return out


def gd_claim(
    id: str,
    statement: str,
    gd: Mapping[str, Mapping[str, np.ndarray]],
    *,
    bound: float,
    at_least: float,
    reference: str,
    source: str,
    note: str = "",
) -> Claim:
    """Claims W5/D5: per activation, the fraction of data sets on which GD generalises
    (:func:`gd_generalises`). Undecided data sets count as failing; if counting them as
    holding would change the verdict, the claim is inconclusive (GD did not fit the data)."""
    parts = gd_generalises(gd, bound=bound)
    low = {a: holds for a, (holds, _) in parts.items()}
    high = {a: holds | undecided for a, (holds, undecided) in parts.items()}
    n_undecided = sum(int(u.sum()) for _, u in parts.values())
    n_units = sum(u.size for _, u in parts.values())
    worst = "; ".join(
        f"{a} max L_gen {np.max(gd[a]['gen']):.2g}, min L_train {np.min(gd[a]['train']):.1g}"
        for a in gd
    )
    note = "; ".join(filter(None, [note, worst]))
    kwargs = dict(reference=reference, source=source, at_least=at_least, unit=UNIT, note=note)
    claim = Claim.fraction(id, statement, low, **kwargs)
    if n_undecided and Claim.fraction(id, statement, high, **kwargs).verdict != claim.verdict:
        reason = (
            f"GD did not fit the training data on {n_undecided} of {n_units} "
            "(activation, data set) pairs"
        )
        claim = Claim.fraction(id, statement, low, inconclusive_because=reason, **kwargs)
    return claim
