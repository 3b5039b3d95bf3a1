"""The papers' headline claims, in the papers' own terms, and the book's claims that decide them.

The scorecard opens with these (issue 24): per chapter, what its paper claims in the abstract
and main figures, 2 to 5 headlines, each decided by the chapter's claims whose source is the
paper (their ids, from ``grokutils/chapters/<slug>/claims.py``; ``tests/build/test_headlines.py``
checks that every id listed exists there and is sourced to the paper). A headline's verdict at a
scale combines its claims' verdicts at that scale (:func:`headline_verdict`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from grokutils.core.claims import Verdict, combine


@dataclass(frozen=True)
class Headline:
    """One claim of the paper: its ``text`` (the paper's terms), ``where`` in the paper it is
    made, the ``claims`` (book claim ids) that decide it, and a ``short`` label for the picture."""

    text: str
    where: str
    claims: tuple[str, ...]
    short: str


H = Headline
HEADLINES: dict[str, tuple[Headline, ...]] = {
    "01_lazy_to_rich": (
        H(
            "Grokking without regularisation: the network groks with no weight decay while its "
            "weight norm grows (polynomial regression and modular addition)",
            "abstract; Figs. 1c, 2a-b",
            ("5", "17a"),
            "no weight decay; the norm grows",
        ),
        H(
            "The rate of feature learning, set by the output scale α, controls grokking: a lazier "
            "network (larger α, or larger initial scale σ) groks later, ends with a higher test "
            "loss and moves its weights less",
            "abstract; Figs. 2c, 3a, 7",
            ("6a", "6b", "6c", "11a", "11b", "17b"),
            "laziness α sets the delay",
        ),
        H(
            "The alignment of the initial features with the target controls grokking: misaligned "
            "features (small ε, a label far down the NTK spectrum) delay generalisation; an "
            "aligned start removes the test-loss rise",
            "abstract; Figs. 3b, 3e, 5, 10",
            ("9a", "9b", "3e", "12", "13"),
            "feature alignment ε sets the delay",
        ),
        H(
            "Goldilocks data set size: too few samples never generalise, enough groks, many "
            "generalise without delay",
            "abstract; Fig. 9",
            ("10a", "10b", "10c"),
            "a Goldilocks sample size",
        ),
    ),
    "02_linear_grokking": (
        H(
            "The training dynamics are solved exactly: the analytic losses and accuracies match "
            "the simulated ones with no fitted parameter",
            "abstract; Figs. 1 (left, centre), 6; eqs. 9, 21",
            ("1", "3", "4", "5", "6", "12"),
            "exact dynamics = simulation",
        ),
        H(
            "The grokking time depends on the input dimension over the sample size λ and on the "
            "accuracy threshold ε, as the closed forms predict; no generalisation for λ > 1",
            "abstract; Fig. 1 (right); eqs. 12, 24; §3.1.1",
            ("7a", "7b", "8", "9", "10a", "10b", "10c", "11a", "11b"),
            "Δt against sample size λ and ε",
        ),
        H(
            "Exact predictions of how the grokking time depends on the output dimension, weight "
            "decay and initialisation",
            "abstract; Figs. 2, 3, 4; §3.1.3",
            (
                *("13a", "13b", "13c", "13d", "14a", "14c", "14d", "14f", "14g"),
                *("15a", "15b", "15c", "15d", "16a", "16b", "16c"),
            ),
            "Δt against d_out, weight decay, init",
        ),
        H(
            "Grokking without understanding: the sharp rise in accuracy is an artefact of the "
            "accuracy measure, the test loss falls smoothly",
            "abstract; §3.1.4",
            ("19",),
            "accuracy jump, no understanding",
        ),
        H(
            "Some predictions hold for deeper networks with non-linear activations",
            "abstract; Fig. 5",
            ("17a", "17b", "17c", "18a", "18b"),
            "deeper, non-linear networks",
        ),
    ),
    "03_guess_and_check": (
        H(
            "Width hurts guess and check: as the width grows, its generalisation deteriorates "
            "towards that of the prior (Theorem 1)",
            "abstract; Fig. 1",
            ("W1",),
            "width hurts G&C",
        ),
        H(
            "Depth helps guess and check: its generalisation improves with depth (Theorem 2)",
            "abstract; Fig. 2",
            ("D2", "D4"),
            "depth helps G&C",
        ),
        H(
            "Gradient descent generalises well at every width and depth",
            "Figs. 1, 2",
            ("W5", "D5"),
            "GD generalises at every size",
        ),
    ),
    "04_glass_relaxation": (
        H(
            "Grokking: AdamW memorises first and generalises much later, along an L-shaped path "
            "in (training loss, test accuracy)",
            "Figs. 1a, 5; Table 1",
            ("C1", "C2"),
            "AdamW groks along an L",
        ),
        H(
            "No entropy barrier between memorisation and generalisation: the transition is "
            "continuous, not first order (a computational glass relaxation)",
            "abstract; Fig. 1a; §4.1",
            ("C3", "C5"),
            "no entropy barrier; continuous",
        ),
        H(
            "High-entropy advantage under grokking: at equal training loss the equilibrium "
            "states generalise far better than AdamW's",
            "abstract; Fig. 1a",
            ("C6",),
            "high-entropy advantage",
        ),
        H(
            "With the weight norm held fixed, grokking disappears",
            "Fig. 6; §4.2",
            ("C8",),
            "fixed weight norm: no grokking",
        ),
        H(
            "WanD eliminates grokking without any constraint and finds high-norm generalising "
            "solutions, against the Goldilocks-norm explanation",
            "abstract; Fig. 3; §5",
            ("C11", "C12"),
            "WanD: no delay, high norm",
        ),
    ),
    "05_ergodic_stability": (
        H(
            "Weights do not converge to stationary points: the full-batch gradient norm stays "
            "away from 0 while the training loss stabilises",
            "Zhang et al.: abstract, Fig. 1; Chandramoorthy et al.: abstract",
            ("Z1", "Z2", "S1"),
            "the weights do not converge",
        ),
        H(
            "The distribution of the weights converges although the weights do not: the "
            "ensemble law settles and time averages converge (ergodic training dynamics)",
            "Zhang et al.: abstract; Chandramoorthy et al.: ergodicity assumption",
            ("Z3", "Z4", "S2", "S1-twins"),
            "their distribution converges",
        ),
        H(
            "Statistical algorithmic stability falls as label noise rises, together with "
            "generalisation",
            "Chandramoorthy et al.: abstract; SAS against label noise",
            ("S3", "S5"),
            "SAS falls with label noise",
        ),
        H(
            "Statistical algorithmic stability bounds the generalisation gap",
            "Chandramoorthy et al.: abstract (the bound)",
            ("S6",),
            "SAS estimate below the gap",
        ),
    ),
    "06_thermal_landscape": (
        H(
            "The low-loss region is a low-dimensional manifold whose dimension can be read "
            "from the fluctuations",
            "abstract",
            ("C1",),
            "a low-dimensional low-loss region",
        ),
        H(
            "Quadratic-like statistics at any given temperature",
            "abstract",
            ("C3",),
            "quadratic-like at any T",
        ),
        H(
            "Higher temperatures sample regions of higher curvature",
            "abstract",
            ("C5",),
            "higher T, higher curvature",
        ),
    ),
}
"""``{chapter: headlines}``, chapters named as their notebooks (``01_lazy_to_rich``)."""


def headline_verdict(verdicts: Iterable[str | None]) -> str:
    """The verdict of a headline from its claims' verdicts at one scale (``None``: the claim has
    no verdict there): not checked if none was checked, else reproduced if all are reproduced,
    not reproduced if any is, inconclusive otherwise (:func:`grokutils.core.claims.combine`)."""
    verdicts = [Verdict(v) if v else Verdict.NOT_CHECKED for v in verdicts]
    if all(v == Verdict.NOT_CHECKED for v in verdicts):
        return Verdict.NOT_CHECKED.value
    return combine(verdicts).value


def is_paper_claim(claim: Mapping) -> bool:
    """Whether a claim (claims JSON entry) is the paper's: its source starts with "paper"."""
    return claim.get("source", "").startswith("paper")


def split_by_source(claims: Iterable[Mapping]) -> tuple[list[Mapping], list[Mapping]]:
    """``(the paper's claims, the checks of our own machinery)``: sources "paper" and the rest
    ("theory", "prototype"), each in the given order."""
    claims = list(claims)
    return [c for c in claims if is_paper_claim(c)], [c for c in claims if not is_paper_claim(c)]
