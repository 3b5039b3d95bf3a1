"""Roofline of every chapter's hot loop: its achieved FLOP rate as a fraction of a GEMM.

Each loop runs through the chapter's own functions (the ones its experiments call) at the sizes of
a preset (``chapters/presets/<chapter>.yaml``, read with :func:`grokutils.core.params.load`),
on one thread. Its floating-point work is counted analytically (one documented ``*_flops``
function per loop: the matrix products and the main elementwise work of one step, and of one
record where the loop records often enough for it to matter), and its rate is printed as a
fraction of the rate of a square ``torch.matmul`` of the same dtype, timed right before and right
after the loop (the faster of the two is the bound), whose size ``n`` does one step's work
(``2n³`` FLOPs, ``n`` clamped to [64, 1024]).

Timing separates the fixed cost (set-up, data, the first record) from the per-step cost: after a
warm-up run of 1 step, runs of ``m`` and ``n`` steps are timed with ``time.perf_counter`` and the
rate is ``(work(n) - work(m)) / (t_n - t_m)``. ``n - m`` (the "steps" column) is as many steps as
fit :data:`TIMED_SECONDS` or twice a run's fixed cost, whichever is longer (at most
:data:`MAX_STEPS` in all, or ``n = --steps``), rounded up to whole record periods where a period
fits, so that the window holds the loop's records in the proportion of a full run.

Chapter 03's samplers branch (accept/reject, levels, resampling) and are not GEMM-shaped: their
rows print their speed-up over their own naive baseline instead (the batched rejection sampler
against one candidate at a time; Rao-Blackwellised IS and subset simulation against naive
rejection in effective posterior samples per second, as ``benchmarks/guess_and_check.py``), and
their "s/step" is seconds a candidate, a feature draw or a particle. Their sample counts are
capped (:data:`NAIVE_DRAWS`, :data:`RBIS_INNER`, :data:`SS_PARTICLES`) to fit the time; the
problem sizes are the preset's.

Each loop runs in its chapter's dtype unless ``--dtype`` names another it supports (chapter 01's
modular-addition MLP, 04 and 05 run in float32 only and say so). The last line is the lowest
fraction over the GEMM-shaped loops. The whole script takes about a minute at ``book`` and two
at ``paper`` on one idle core.

``--compile`` runs each GEMM-shaped loop with the functions its step calls (``Loop.step_functions``)
replaced by their ``torch.compile`` (inductor, static shapes; the compilation falls in the
untimed warm-up run), as a chapter could run them: what fused kernels would give, measured the
same way. The chapters themselves run eagerly.

Usage: python benchmarks/roofline.py [--preset book|paper] [--loops ch01,ch04-adamw]
       [--steps N] [--dtype float32|float64] [--compile]
"""

from __future__ import annotations

import os

os.environ["TQDM_DISABLE"] = "1"  # no progress bars: tqdm reads it on import (torch imports it)

import argparse
import contextlib
import inspect
import itertools
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from grokutils.chapters.ergodic_stability import experiments as ex05
from grokutils.chapters.ergodic_stability import sgd_ensemble as sgd05
from grokutils.chapters.ergodic_stability.digits import N_CLASSES, perturbed_digits
from grokutils.chapters.ergodic_stability.sgd_ensemble import train_ensemble
from grokutils.chapters.glass_relaxation import experiments as ex04
from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP
from grokutils.chapters.guess_and_check import experiments as ex03
from grokutils.chapters.guess_and_check.priors import NetworkPrior
from grokutils.chapters.guess_and_check.sampler import (
    NaiveRejection,
    RaoBlackwellIS,
    SubsetSimulation,
)
from grokutils.chapters.guess_and_check.task import make_task
from grokutils.chapters.lazy_to_rich import experiments as ex01
from grokutils.chapters.lazy_to_rich import theory as theory01
from grokutils.chapters.lazy_to_rich.committee import Committee
from grokutils.chapters.lazy_to_rich.committee_gd import train as train_committee
from grokutils.chapters.lazy_to_rich.quadratic_mlp import QuadraticMLP
from grokutils.chapters.lazy_to_rich.quadratic_mlp_gd import train_modular_addition
from grokutils.chapters.linear_grokking import experiments as ex02
from grokutils.chapters.linear_grokking import two_layer_gd as gd02
from grokutils.chapters.linear_grokking.task import two_layer_problem
from grokutils.chapters.linear_grokking.two_layer_gd import train_two_layer
from grokutils.chapters.thermal_landscape import experiments as ex06
from grokutils.chapters.thermal_landscape.random_labels import random_label_data
from grokutils.chapters.thermal_landscape.tanh_mlp import (
    mlp_init,
    mlp_loss_and_grad,
    mlp_n_params,
)
from grokutils.chapters.thermal_landscape.thermal_langevin import INIT_STREAM, thermal_run
from grokutils.core import params
from grokutils.core.seeding import seed_everything, stream_seed, torch_generator
from grokutils.methods.heap import reuse_freed_blocks
from grokutils.methods.langevin import (
    overdamped_langevin,
    replica_grid,
    rescaled_step_sizes,
)
from grokutils.methods.modular_data import TASKS, fixed_split

PRESETS = ("book", "paper")
MODULUS_01, WIDTH_01 = (
    inspect.signature(train_modular_addition).parameters[name].default for name in ("p", "width")
)
"""Chapter 01's Fig. 2 network (a + b mod p, width N): :func:`.train_modular_addition`'s
defaults, which the chapter's experiment keeps."""
DTYPES = {"float32": torch.float32, "float64": torch.float64}
TIMED_SECONDS = 2.0
"""About how long the timed window of a loop runs, at least."""
MAX_STEPS = 400
"""Most steps of a loop's timed run."""
PROBE_STEPS = 8
"""Steps of the shorter timed run (``m``); the longer one has at least 4 more."""
GEMM_SECONDS = 0.25
"""Least time over which each GEMM rate is measured."""


# ------------------------------------------------------------------------- FLOP counts


def committee_recursion_flops(runs: int, d: int, p: int) -> float:
    """ch01, one GD step of the (w̄, M) recursion (:func:`.theory.statistics_step`) with its
    residuals, for ``runs`` committees of input dimension ``D = d`` on ``P = p`` inputs:
    the residuals ``f̃ = x·(αw̄ + (αε/2)Mx) - y`` and ``ρ = ωr`` (``2PD²`` product, ``3PD``
    bias and dot, ``2P``), ``u = Xᵀρ`` (``2PD``), ``G = Xᵀdiag(ρ)X`` (``PD + 2PD²``),
    ``v = Aw̄`` (``2D²``), ``M ← AMA`` plus two rank-one terms (``4D³ + 6D²``), ``C ← CA``
    minus a rank-one term (``2D³ + 3D²``) and the ``D²`` work of ``A = I - sεG`` and
    ``M - M₀`` (``3D²``). A run cut as the dry run cuts it (``n_records = 2``) records after
    steps 0 and 1 only (``record_steps(steps, 2)``) and so makes ``steps + 1`` updates: the
    same records and the same extra update in both timed runs, which cancel."""
    return runs * (4 * p * d * d + 6 * d**3 + 6 * p * d + 14 * d * d + 2 * p)


def quadratic_mlp_flops(runs: int, n: int, width: int, p: int) -> float:
    """ch01, one full-batch GD step of the quadratic MLP on modular addition
    (:meth:`.QuadraticMLP._gradients` and the update) for ``runs`` networks of width ``N`` on
    ``n`` training pairs mod ``p``: ``h`` as two gathered rows added (``nN``), ``h²`` (``nN``),
    ``fᵀ = W₂(h²)ᵀ`` (``2pnN``) with its scale, residual and factor (``3pn``), ``dL/dW₂``
    (``2pnN``), ``dL/dh`` (``2pnN + nN``), the two scatter-adds (``2nN``) and the updates of
    ``W₁ᵀ`` (``2·2pN``: ``D = 2p`` rows) and ``W₂`` (``2pN``). Recorded only after steps 0, 1
    and the last (``n_records = 2``): the same records in both timed runs, which cancel."""
    return runs * (6 * p * n * width + 5 * n * width + 3 * p * n + 6 * p * width)


def two_layer_tanh_flops(runs: int, n: int, d_in: int, d_h: int, d_out: int) -> float:
    """ch02, one full-batch GD step of the tanh network (:func:`.tanh_gradients`) on ``n``
    samples: forward ``x W_in`` and ``h W_out`` (``2n d_in d_h + 2n d_h d_out``), backward
    ``hᵀ δ``, ``δ W_outᵀ`` and ``xᵀ δ_pre`` (``4n d_h d_out + 2n d_in d_h``), the elementwise
    gain, tanh and its derivative (``8n d_h``), the residual (``2n d_out``) and the update
    (``2(d_in d_h + d_h d_out)``)."""
    step = 4 * n * d_in * d_h + 6 * n * d_h * d_out + 8 * n * d_h + 2 * n * d_out
    return runs * (step + 2 * (d_in * d_h + d_h * d_out))


def two_layer_linear_flops(runs: int, d_in: int, d_h: int, d_out: int) -> float:
    """ch02, one GD step of the linear network through its end-to-end map
    (:func:`.linear_gradients`): ``W_in W_out`` (``2 d_in d_h d_out``), ``Σ_tr D``
    (``2 d_in² d_out``), the two weight gradients (``4 d_in d_h d_out``), the map's difference
    and scale (``2 d_in d_out``) and the update (``2(d_in d_h + d_h d_out)``)."""
    step = 2 * d_in * d_in * d_out + 6 * d_in * d_h * d_out + 2 * d_in * d_out
    return runs * (step + 2 * (d_in * d_h + d_h * d_out))


def two_layer_record_flops(runs: int, samples: int, d_in: int, d_h: int, d_out: int) -> float:
    """ch02, one evaluation of :func:`.train_two_layer` (every ``eval_every`` steps): the
    forward pass on ``samples`` train and test inputs (``2 d_in d_h + 2 d_h d_out`` each, plus
    ``3 d_h`` of gain and tanh) and the squared errors (``3 d_out`` each)."""
    return runs * samples * (2 * d_in * d_h + 2 * d_h * d_out + 3 * d_h + 3 * d_out)


def embed_mlp_forward_flops(model: EmbedMLP, n: int) -> float:
    """ch04, the embedding MLP's logits on ``n`` pairs (:meth:`.EmbedMLP.logits`): the two
    ``[p, h]`` tables ``E W1`` (``4pdh``), the gathered sum, bias and ReLU (``3nh``), ``h W2``
    (``2nhp``) and its bias (``np``)."""
    p, d, h = model.p, model.d, model.h
    return 4 * p * d * h + 3 * n * h + 2 * n * h * p + n * p


def embed_mlp_step_flops(model: EmbedMLP, n: int) -> float:
    """ch04, the cross-entropy gradient of one network on its ``n`` training pairs: the
    forward pass (:func:`embed_mlp_forward_flops`), the log-softmax (``4np``) and the
    backward pass: ``W2`` and ``h`` gradients (``4nhp``), ReLU mask and scatter into the tables
    (``3nh``), the table gradients into ``E`` and ``W1`` (``8pdh``), softmax gradient
    (``3np``)."""
    p, d, h = model.p, model.d, model.h
    backward = 4 * n * h * p + 3 * n * h + 8 * p * d * h + 3 * n * p
    return embed_mlp_forward_flops(model, n) + 4 * n * p + backward


def adamw_flops(model: EmbedMLP, nets: int, n_train: int) -> float:
    """ch04, one full-batch AdamW step of ``nets`` networks (:func:`.train_adamw`): the
    gradient (:func:`embed_mlp_step_flops`) and the AdamW update, about 14 FLOPs a parameter
    (two moments, bias corrections, square root, division, decay)."""
    return nets * (embed_mlp_step_flops(model, n_train) + 14 * model.n_params)


def adamw_record_flops(model: EmbedMLP, nets: int, n_train: int, n_test: int) -> float:
    """ch04, one AdamW record (:func:`.embed_mlp.measure`): logits on the train and test pairs,
    the train log-softmax (``4p`` a pair), argmax and smoothed accuracy (``7p`` a test pair) and
    the weight norm (``2`` a parameter)."""
    p = model.p
    logits = embed_mlp_forward_flops(model, n_train) + embed_mlp_forward_flops(model, n_test)
    return nets * (logits + 4 * n_train * p + 7 * n_test * p + 2 * model.n_params)


def wlmd_flops(model: EmbedMLP, walkers: int, n_train: int) -> float:
    """ch04, one WLMD step (:func:`grokutils.methods.wang_landau.wlmd`) of ``walkers`` networks:
    the gradient of ``ln L_train`` (:func:`embed_mlp_step_flops` plus the logarithm) and the
    underdamped update with reflection at the box, about 12 FLOPs a parameter. The entropy
    grid's NumPy work (``[groups, bins]``, 68 bins) is left out."""
    return walkers * (embed_mlp_step_flops(model, n_train) + 2 + 12 * model.n_params)


def wlmd_record_flops(model: EmbedMLP, walkers: int, n_test: int) -> float:
    """ch04, one WLMD record with the chapter's held-out observables: test logits, accuracy and
    smoothed accuracy (``7p`` a pair), weight norm and kinetic temperature (``4`` a parameter)."""
    logits = embed_mlp_forward_flops(model, n_test)
    return walkers * (logits + 7 * n_test * model.p + 4 * model.n_params)


def mlp_layer_sizes(widths: tuple[int, ...]) -> int:
    """``Σ a·b`` over consecutive widths: the weights of a dense MLP."""
    return sum(a * b for a, b in itertools.pairwise(widths))


def sgd_flops(runs: int, batch: int, widths: tuple[int, ...]) -> float:
    """ch05, one minibatch SGD step of ``runs`` ReLU MLPs of ``widths`` (:func:`.train_ensemble`):
    forward (``2BΣab``), weight gradients (``2BΣab``) and input gradients of every layer but the
    first (``2B(Σab - w₀w₁)``), bias, ReLU and their gradients and the cross-entropy (``6B`` a
    unit) and the momentum update with weight decay (``6`` a parameter)."""
    weights = mlp_layer_sizes(widths)
    units = sum(widths[1:])
    matmul = 6 * batch * weights - 2 * batch * widths[0] * widths[1]
    return runs * (matmul + 6 * batch * units + 6 * (weights + units))


def sgd_record_flops(runs: int, n_train: int, n_test: int, widths: tuple[int, ...]) -> float:
    """ch05, one full-batch evaluation (every ``eval_every`` steps): the forward pass on the
    ``n_train`` training and ``n_test`` test inputs (``2Σab + 2`` a unit each), log-softmax and
    losses (``6`` a class each) and the weight norm and displacement (``4`` a parameter)."""
    weights, units, classes = mlp_layer_sizes(widths), sum(widths[1:]), widths[-1]
    per_input = 2 * weights + 2 * units + 6 * classes
    return runs * ((n_train + n_test) * per_input + 4 * (weights + units))


def langevin_flops(replicas: int, n: int, dim: int, width: int) -> float:
    """ch06, one overdamped Langevin step of ``replicas`` tanh MLPs ``d-h-h-1`` on ``n`` points
    (:func:`.tanh_mlp.mlp_loss_and_grad`): forward ``x W1``, ``h W2``, ``h W3``
    (``2ndh + 2nh² + 2nh``), backward (``2ndh + 4nh² + 4nh``: no gradient into ``x``), biases,
    tanh and its derivative (``10nh``), margins and softplus loss and their gradient (``12n``)
    and the update ``θ - η∇L + √(2ηT) ξ`` (``4`` a parameter; drawing ξ not counted)."""
    matmul = 4 * n * dim * width + 6 * n * width * width + 6 * n * width
    return replicas * (matmul + 10 * n * width + 12 * n + 4 * mlp_n_params(dim, width))


# ------------------------------------------------------------------------- the loops


@dataclass(frozen=True)
class Prepared:
    """A loop ready to time: ``run(steps)`` runs it for ``steps`` steps (set-up included, so
    that two runs differ only by their steps); ``work(steps)`` counts the FLOPs of those steps
    and of the records they contain; ``period`` is the loop's record period (1 when its
    records do not depend on the step count)."""

    sizes: str
    dtype: torch.dtype
    run: Callable[[int], object]
    work: Callable[[int], float]
    period: int = 1


def committee_recursion(p, dtype: torch.dtype) -> Prepared:
    """ch01: the Fig. 1 headline batch (every α × the headline seeds) trained by
    :func:`.committee_gd.train` with the ``statistics`` engine, residuals and recording
    included, on the data and initial weights of the chapter's own ``headline_runs``."""
    experiment = ex01.EXPERIMENTS["headline_runs"]
    sweep = experiment(experiment.at_steps(p, 1))
    m = sweep.model
    model = Committee(
        m.W0.to(dtype),
        **{k: getattr(m, k).to(dtype) for k in ("alpha", "eps", "c", "sigma")},
        centred=m.centred,
    )
    x, y, weights, beta = (t.to(dtype) for t in (sweep.x, sweep.y, sweep.weights, sweep.beta))
    runs, n, d = x.shape

    def run(steps: int):
        return train_committee(
            model,
            x,
            y,
            steps=steps,
            engine="statistics",
            weights=weights,
            beta=beta,
            scale=sweep.scale,
            n_records=ex01.PROBE_RECORDS,
        )

    sizes = f"{runs} runs, D={d}, P={n}, N={p.width}"
    return Prepared(sizes, dtype, run, lambda s: s * committee_recursion_flops(runs, d, n))


def modular_mlp(p, dtype: torch.dtype) -> Prepared:
    """ch01: the Fig. 2 batch (every α × the chapter's modular seeds) trained by
    :func:`.train_modular_addition` on the chapter's split, its records cut to three."""
    alphas, seeds = p.mod_alphas, ex01.ChapterSeeds.of(p).modular
    runs, n = len(alphas) * len(seeds), len(fixed_split(MODULUS_01, 0.9, 1)[0])

    def run(steps: int):  # it takes 2 steps at least: the untimed warm-up's 1 runs as 2
        return train_modular_addition(alphas, seeds, steps=max(steps, 2), n_records=2)

    sizes = f"{runs} nets, p={MODULUS_01}, N={WIDTH_01}, {n} train pairs"
    flops = quadratic_mlp_flops(runs, n, WIDTH_01, MODULUS_01)
    return Prepared(sizes, dtype, run, lambda s: s * flops)


def two_layer(p, dtype: torch.dtype, activation: str) -> Prepared:
    """ch02: full-batch GD of one point of the two-layer sweep (:func:`.two_layer_run`) at the
    widest hidden width; ``tanh``: a gain-probe point (one gain × the two-layer seeds, the
    chapter's costliest runs), ``linear``: Fig. 5's linear point, whose step multiplies
    ``Σ_tr`` by a ``d_out = 5`` column block: matrix products, but bound by memory rather than
    by a GEMM."""
    kinds = {kind: pt for kind, pt, _ in ex02.two_layer_runs.representatives(p)}
    pt = kinds["gain probe (tanh)" if activation == "tanh" else "Fig. 5 linear"]
    d_in, n_train, d_h, d_out = pt["d_in"], pt["n_train"], pt["d_hidden"], pt["d_out"]
    problem = two_layer_problem(d_in, n_train, d_h, d_out, list(pt["seeds"]), n_gen=pt["n_gen"])
    problem = replace(problem, **{k: v.to(dtype) for k, v in vars(problem).items()})
    runs, every = len(pt["seeds"]), ex02.TWO_LAYER_EVAL_EVERY

    def run(steps: int):
        return train_two_layer(
            problem,
            activation=activation,
            eta=pt["eta"],
            steps=steps,
            eps=pt["eps"],
            eval_every=every,
            gain=pt["gain"],
        )

    if activation == "tanh":
        step = two_layer_tanh_flops(runs, n_train, d_in, d_h, d_out)
    else:
        step = two_layer_linear_flops(runs, d_in, d_h, d_out)
    record = two_layer_record_flops(runs, n_train + pt["n_gen"], d_in, d_h, d_out)

    def work(steps: int) -> float:
        return steps * step + (steps // every + 1) * record

    sizes = f"{runs} runs, d_in={d_in}, N_tr={n_train}, d_h={d_h}, d_out={d_out}"
    return Prepared(sizes, dtype, run, work, every)


WLMD_RECORD_EVERY = 10
"""Steps between the records of the 1-D WLMD (:func:`.equilibrium_run`)."""


def glass_adamw(p, dtype: torch.dtype) -> Prepared:
    """ch04: the AdamW grokking baseline (three tasks × the preset's seeds, plus the control
    networks), the chapter's own ``adamw_baseline`` cut to ``steps``."""
    experiment = ex04.EXPERIMENTS["adamw_baseline"]
    model = EmbedMLP(p.p)
    nets = len(TASKS) * p.adamw_seeds + p.control_seeds
    n_train = round(p.p**2 / 2)
    step = adamw_flops(model, nets, n_train)
    record = adamw_record_flops(model, nets, n_train, p.p**2 - n_train)
    every = ex04.ADAMW_RECORD_EVERY

    def work(steps: int) -> float:
        return steps * step + (steps // every + 1) * record

    def run(steps: int):
        return experiment(experiment.at_steps(p, steps))

    sizes = f"{nets} nets, p={p.p}, d={model.d}, h={model.h}, {n_train} train pairs"
    return Prepared(sizes, dtype, run, work, every)


def glass_wlmd(p, dtype: torch.dtype) -> Prepared:
    """ch04: the 1-D WLMD equilibrium run (two groups of walkers over ``ln L_train``), the
    chapter's own ``equilibrium`` cut to ``steps``."""
    experiment = ex04.EXPERIMENTS["equilibrium"]
    model = EmbedMLP(p.p)
    walkers = 2 * p.wl1d_walkers
    n_train = round(p.p**2 / 2)
    step = wlmd_flops(model, walkers, n_train)
    record = wlmd_record_flops(model, walkers, p.p**2 - n_train)

    def work(steps: int) -> float:
        return steps * step + steps // WLMD_RECORD_EVERY * record

    def run(steps: int):
        return experiment(experiment.at_steps(p, steps))

    sizes = f"{walkers} walkers, p={p.p}, d={model.d}, h={model.h}, {n_train} train pairs"
    return Prepared(sizes, dtype, run, work, WLMD_RECORD_EVERY)


def sgd_ensemble(p, dtype: torch.dtype) -> Prepared:
    """ch05: the SAS grid's costliest point (its largest batch size: every noise level ×
    learning rate × dataset × seed in one batch), the sweep's own point function cut to
    ``steps`` as the dry run cuts it."""
    sweep = ex05.sas_grid
    _, point, _ = sweep.representatives(p)[0]
    data = perturbed_digits(point["noise_levels"], n_datasets=point["n_datasets"])
    widths = (data.x.shape[1], *inspect.signature(train_ensemble).parameters["hidden"].default)
    widths = (*widths, N_CLASSES)
    runs = len(p.noise_levels) * len(p.lrs) * p.n_datasets * p.n_seeds
    batch, every = point["batch_size"], point["eval_every"]
    step = sgd_flops(runs, batch, widths)
    record = sgd_record_flops(runs, data.n_train, len(data.y_test), widths)

    def work(steps: int) -> float:
        return steps * step + (steps // every + 1) * record

    def run(steps: int):
        return ex05.sas_grid_point(**sweep.cut(point, steps, p))

    sizes = f"{runs} runs, B={batch}, MLP {'-'.join(map(str, widths))}, eval every {every}"
    return Prepared(sizes, dtype, run, work, every)


LANGEVIN_RECORD_EVERY = inspect.signature(thermal_run).parameters["record_every"].default
"""Steps between the records of the chapter's Langevin chains (:func:`.thermal_run`'s)."""


def langevin_chains(p, dtype: torch.dtype) -> Prepared:
    """ch06: the temperature sweep's Langevin chains (data sets × temperatures × noise seeds in
    one batch, laid out as :func:`.thermal_run` lays them out) through
    :func:`grokutils.methods.langevin.overdamped_langevin`, started from the initial weights
    (the chapter starts them after Adam: the same work a step) and without the chapter's
    second-half margin observer (a forward pass every record, about 2 % of the work). Like
    :func:`.thermal_run` it sets glibc's heap for its megabyte temporaries first (process-wide:
    the last loop of the table)."""
    reuse_freed_blocks()
    seeds = ex06.data_seeds_for(p.data_seeds, p.seed)
    x, s = random_label_data(p.n_points, p.dim, seeds)
    theta0 = mlp_init(p.dim, p.width, [stream_seed(int(k), INIT_STREAM) for k in seeds])
    per_data = len(p.temperatures) * p.n_noise
    index = torch.arange(len(seeds)).repeat_interleave(per_data)
    temps = np.tile(replica_grid(p.temperatures, p.n_noise), len(seeds))
    eta = rescaled_step_sizes(temps, p.eta_t, p.eta_max)
    weight = torch.full((len(index), p.n_points), 1 / p.n_points, dtype=dtype)
    loss_and_grad = mlp_loss_and_grad(x[index].to(dtype), s[index].to(dtype), p.width, weight)
    noise_seed = ex06.protocol(p)["noise_seed"]
    replicas = len(index)

    def run(steps: int):
        return overdamped_langevin(
            loss_and_grad,
            theta0[index].to(dtype),
            torch.as_tensor(temps, dtype=dtype),
            torch.as_tensor(eta, dtype=dtype),
            steps,
            generator=torch_generator(noise_seed),
            record_every=LANGEVIN_RECORD_EVERY,
        )

    step = langevin_flops(replicas, p.n_points, p.dim, p.width)
    sizes = f"{replicas} replicas, N={p.n_points}, MLP {p.dim}-{p.width}-{p.width}-1"
    return Prepared(sizes, dtype, run, lambda steps: steps * step, LANGEVIN_RECORD_EVERY)


@dataclass(frozen=True)
class Loop:
    """A chapter's hot loop: ``build(p, dtype)`` at the chapter's parameters ``p``; ``dtypes``
    the ones it runs in, the chapter's own first. ``step_functions``: ``(owner, name)`` of the
    functions its step calls, where the loop looks them up, that ``--compile`` replaces by
    their ``torch.compile``; ``(owner, name, "factory")`` for a function that returns the step
    function (the compiled one is what it returns)."""

    key: str
    chapter: str
    build: Callable[[params.Params, torch.dtype], Prepared]
    dtypes: tuple[str, ...]
    step_functions: tuple[tuple, ...]


THIS = sys.modules[__name__]
GEMM_LOOPS = (
    Loop(
        "ch01-recursion",
        "01_lazy_to_rich",
        committee_recursion,
        ("float32", "float64"),
        ((theory01, "statistics_step"),),
    ),
    Loop(
        "ch01-modular",
        "01_lazy_to_rich",
        modular_mlp,
        ("float32",),
        ((QuadraticMLP, "_gradients"),),
    ),
    Loop(
        "ch02-tanh",
        "02_linear_grokking",
        lambda p, dt: two_layer(p, dt, "tanh"),
        ("float32", "float64"),
        ((gd02, "tanh_gradients"),),
    ),
    Loop(
        "ch02-linear",
        "02_linear_grokking",
        lambda p, dt: two_layer(p, dt, "linear"),
        ("float32", "float64"),
        ((gd02, "linear_gradients"),),
    ),
    Loop(
        "ch04-adamw",
        "04_glass_relaxation",
        glass_adamw,
        ("float32",),
        ((EmbedMLP, "loss_and_grad"),),
    ),
    Loop(
        "ch04-wlmd", "04_glass_relaxation", glass_wlmd, ("float32",), ((EmbedMLP, "loss_and_grad"),)
    ),
    Loop(
        "ch05-sgd",
        "05_ergodic_stability",
        sgd_ensemble,
        ("float32",),
        ((sgd05, "mlp_logits"), (sgd05, "per_example_loss")),
    ),
    Loop(
        "ch06-langevin",
        "06_thermal_landscape",
        langevin_chains,
        ("float32", "float64"),
        ((THIS, "mlp_loss_and_grad", "factory"),),
    ),
)


@contextlib.contextmanager
def compiled(loop: Loop):
    """``loop``'s step functions replaced by their ``torch.compile`` (default inductor,
    static shapes) while the context lasts; dynamo's caches cleared on leaving."""
    with contextlib.ExitStack() as stack:
        for owner, name, *kind in loop.step_functions:
            original = getattr(owner, name)
            if kind == ["factory"]:
                replacement = _compiling_factory(original)
            else:
                replacement = torch.compile(original, dynamic=False)
            setattr(owner, name, replacement)
            stack.callback(setattr, owner, name, original)
        stack.callback(torch._dynamo.reset)
        yield


def _compiling_factory(factory: Callable) -> Callable:
    def compiled_factory(*args, **kwargs):
        return torch.compile(factory(*args, **kwargs), dynamic=False)

    return compiled_factory


SAMPLERS = "ch03-samplers"
KEYS = tuple(sorted([*(loop.key for loop in GEMM_LOOPS), SAMPLERS], key=lambda k: k[:4]))
"""Every loop, in chapter order (``--loops`` takes keys or chapter prefixes such as ``ch04``)."""


# ------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Row:
    """One line of the table; ``fraction`` is None for a loop that is not GEMM-shaped."""

    loop: str
    sizes: str
    dtype: str
    steps: str
    seconds_per_step: float
    rate: float | None = None
    gemm: float | None = None
    gemm_n: int | None = None
    fraction: float | None = None
    note: str = ""


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def gemm_rate(n: int, dtype: torch.dtype) -> float:
    """FLOP/s of ``torch.matmul`` of two ``n × n`` matrices of ``dtype``, over at least
    :data:`GEMM_SECONDS` after one warm-up product."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    out = torch.matmul(a, b)
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < GEMM_SECONDS or calls < 3:
        torch.matmul(a, b, out=out)
        calls += 1
    return 2 * n**3 * calls / elapsed


def gemm_size(work_per_step: float) -> int:
    """The ``n`` whose ``n × n`` product does one step's work (records aside), a multiple of 32
    in [64, 1024]."""
    n = 32 * round((work_per_step / 2) ** (1 / 3) / 32)
    return int(min(max(n, 64), 1024))


def window_steps(prepared: Prepared, seconds_per_step: float, target: float) -> int:
    """Steps of a timed window of about ``target`` seconds at ``seconds_per_step`` (a step's
    time without records, scaled by the work of the records a step carries in a full run),
    at least 4 and at most :data:`MAX_STEPS` minus :data:`PROBE_STEPS`, in whole record
    periods where a period fits."""
    period, work = prepared.period, prepared.work
    with_records = (work(period) - work(0)) / (period * (work(2) - work(1)))
    per_step = max(seconds_per_step, 1e-6) * with_records
    room = MAX_STEPS - PROBE_STEPS
    window = int(min(max(target / per_step, 4), room))
    if 1 < period and period * per_step <= target:
        window = period * min(math.ceil(window / period), max(1, room // period))
    return window


def timed_steps(prepared: Prepared, steps: int | None) -> tuple[int, int, float, float]:
    """``(m, n, t_m, t_n)``: a warm-up run of one step, a run of one step and one of ``m``
    (whose difference sets ``n``), then the run of ``n`` steps; run again, longer, once, when
    its window came out shorter than half the target (the machine's noise misled the
    estimate)."""
    prepared.run(1)
    t_one = seconds(lambda: prepared.run(1))
    m = PROBE_STEPS
    t_m = seconds(lambda: prepared.run(m))
    if steps is not None:
        return m, steps, t_m, seconds(lambda: prepared.run(steps))
    target = max(TIMED_SECONDS, 2 * t_one)  # a window well above the fixed cost's noise
    n = m + window_steps(prepared, (t_m - t_one) / (m - 1), target)
    t_n = seconds(lambda: prepared.run(n))
    if t_n - t_m < target / 2 and n < MAX_STEPS:
        work = prepared.work
        step = (work(2) - work(1)) * (t_n - t_m) / (work(n) - work(m))  # without records
        n = m + window_steps(prepared, step, target)
        t_n = seconds(lambda: prepared.run(n))
    return m, n, t_m, t_n


def measure_loop(loop: Loop, p, dtype_name: str, steps: int | None, note: str) -> Row:
    """The row of one GEMM-shaped loop: its rate against the GEMM timed before and after."""
    prepared = loop.build(p, DTYPES[dtype_name])
    per_step_work = prepared.work(2) - prepared.work(1)
    n_gemm = gemm_size(per_step_work)
    before = gemm_rate(n_gemm, prepared.dtype)
    m, n, t_m, t_n = timed_steps(prepared, steps)
    after = gemm_rate(n_gemm, prepared.dtype)
    elapsed = t_n - t_m
    gemm = max(before, after)
    if elapsed <= 0:
        note = "timing noise exceeds the window: rerun with a larger --steps"
        return Row(loop.key, prepared.sizes, dtype_name, str(n - m), math.nan, note=note)
    rate = (prepared.work(n) - prepared.work(m)) / elapsed
    return Row(
        loop.key,
        prepared.sizes,
        dtype_name,
        str(n - m),
        elapsed / (n - m),
        rate=rate,
        gemm=gemm,
        gemm_n=n_gemm,
        fraction=rate / gemm,
        note=note,
    )


# ------------------------------------------------------------------------- chapter 03


NAIVE_DRAWS = 100_000
"""Most candidates of a batched naive-rejection run here (the preset's ``naive_draws`` is an
accuracy budget; the rate per candidate does not depend on it)."""
PER_DRAW = 3000
"""Candidates of the one-at-a-time baseline."""
RBIS_INNER = 4000
"""Most feature draws of Rao-Blackwellised IS here (its cost and ESS both grow with them)."""
SS_PARTICLES = 100
"""Most particles per subset-simulation run here."""
RBIS_WIDTH = 160
"""Width of the RB-IS row: the width sweep's point every preset has (its schema's ``contains``)."""


def per_draw_rejection(prior, task, n_draws: int, eps: float, seed: int) -> None:
    """Naive rejection one candidate at a time: the baseline of the batched sampler (the same
    draw, scoring on every data set and running sums, without the batch)."""
    generator = torch_generator(seed)
    sums = torch.zeros(5, task.n_tasks, dtype=torch.float64)
    for _ in range(n_draws):
        train, gen = task.losses(prior.draw(1, generator))
        accepted, gen = (train < eps).double(), gen.double()
        sums += torch.stack([accepted, accepted * gen, accepted * gen**2, gen, gen**2]).sum(1)


def naive_rate(prior, task, eps: float, draws: int) -> float:
    """Candidates per second of batched naive rejection with ``prior`` on ``task``."""
    naive = NaiveRejection(prior, task, n_draws=draws, seed=stream_seed(1, 1))
    return draws / seconds(lambda: naive.condition(eps))


def sampler_rows(p) -> list[Row]:
    """Chapter 03's samplers, each against its own naive baseline (not GEMM-shaped)."""
    task = make_task(ex03.data_seeds(p)[: p.n_seeds])
    eps = p.eps_width
    prior = NetworkPrior(p.widths[0], 2)
    draws = min(p.naive_draws, NAIVE_DRAWS)
    naive_rate(prior, task, eps, 1000)  # warm-up
    batched = naive_rate(prior, task, eps, draws)
    looped = PER_DRAW / seconds(lambda: per_draw_rejection(prior, task, PER_DRAW, eps, 1))
    rows = [
        Row(
            "ch03-naive",
            f"{task.n_tasks} data sets, width {p.widths[0]}, depth 2, eps {eps}",
            "float32",
            f"{draws} draws",
            1 / batched,
            note=f"not GEMM-shaped: x{batched / looped:.1f} vs one draw at a time",
        )
    ]
    tanh = NetworkPrior(RBIS_WIDTH, 2, "tanh")
    inner = min(p.rbis_inner, RBIS_INNER)
    rbis = RaoBlackwellIS(tanh, task, n_inner=inner, n_points=p.rbis_points, seed=1)
    result, t = timed_call(lambda: rbis.condition(eps))
    naive = naive_rate(tanh, task, eps, min(draws, 20_000))
    speedup = (result.ess.sum() / t) / (result.p_accept.sum() * naive)
    rows.append(
        Row(
            "ch03-rbis",
            f"{task.n_tasks} data sets, tanh width {RBIS_WIDTH}, eps {eps}, {p.rbis_points} pts",
            "float64",
            f"{inner} draws",
            t / inner,
            note=f"not GEMM-shaped: x{speedup:.3g} vs naive (eff. samples/s)",
        )
    )
    return [*rows, subset_simulation_row(p)]


def timed_call(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def subset_simulation_row(p) -> Row:
    """Subset simulation at the depth sweep's deepest net and ε, against naive rejection's
    expected accepted draws a second (``P(accept)`` × its candidate rate): naive rejection is
    not affordable there."""
    task = make_task(ex03.data_seeds(p)[: p.n_seeds_depth])
    depth, eps = max(p.depths), p.eps_depth
    prior = ex03.depth_prior("linear", depth, p.depth_width, task.shape)
    particles, replicas = min(p.ss_particles, SS_PARTICLES), max(p.ss_replicas, 4)
    ss = SubsetSimulation(prior, task, n_particles=particles, replicas=replicas, seed=1)
    result, t = timed_call(lambda: ss.condition(eps))
    naive = naive_rate(prior, task, eps, 20_000)
    speedup = (np.nansum(result.ess) / t) / (np.nansum(result.p_accept) * naive)
    return Row(
        "ch03-subset",
        f"{task.n_tasks} data sets, linear depth {depth}, width {p.depth_width}, eps {eps}",
        "float32",
        f"{replicas}x{particles} particles",
        t / (replicas * particles),
        note=f"not GEMM-shaped: x{speedup:.3g} vs naive (eff. samples/s)",
    )


# ------------------------------------------------------------------------- the table


HEADER = (
    f"{'loop':<15} {'sizes':<58} {'dtype':<8} {'steps':>15} {'s/step':>9} "
    f"{'GFLOP/s':>8} {'GEMM GFLOP/s (n)':>17}  fraction"
)


def format_row(row: Row) -> str:
    head = f"{row.loop:<15} {row.sizes:<58} {row.dtype:<8} {row.steps:>15} "
    if row.fraction is None:
        return head + f"{row.seconds_per_step:9.2e} {'-':>8} {'-':>17}  {row.note}"
    gemm = f"{row.gemm / 1e9:.1f} ({row.gemm_n})"
    line = f"{row.seconds_per_step:9.2e} {row.rate / 1e9:8.2f} {gemm:>17}  {row.fraction:.3f}"
    return head + line + (f" {row.note}" if row.note else "")


def select(names: str | None) -> list[str]:
    """The loop keys named by ``--loops`` (keys, or chapter prefixes such as ``ch04``)."""
    if names is None:
        return list(KEYS)
    chosen = []
    for name in (n.strip() for n in names.split(",")):
        match = [k for k in KEYS if k == name or k.startswith(f"{name}-")]
        if not match:
            raise ValueError(f"--loops: unknown loop {name!r}; choose from {', '.join(KEYS)}")
        chosen += [k for k in match if k not in chosen]
    return chosen


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="book", help=f"one of {', '.join(PRESETS)}")
    parser.add_argument("--loops", help=f"comma-separated subset of {', '.join(KEYS)}")
    parser.add_argument("--steps", type=int, help="steps of each loop's longer timed run")
    parser.add_argument("--dtype", help="float32 or float64 for the loops that run in both")
    parser.add_argument(
        "--compile",
        action="store_true",
        help="each loop's step functions through torch.compile (compiled in the warm-up)",
    )
    args = parser.parse_args(argv)
    if args.preset not in PRESETS:
        parser.error(f"--preset must be one of {', '.join(PRESETS)}; got {args.preset!r}")
    if args.steps is not None and args.steps < PROBE_STEPS + 1:
        parser.error(f"--steps must be at least {PROBE_STEPS + 1}; got {args.steps}")
    if args.dtype is not None and args.dtype not in DTYPES:
        parser.error(f"--dtype must be one of {', '.join(DTYPES)}; got {args.dtype!r}")
    try:
        args.keys = select(args.loops)
    except ValueError as error:
        parser.error(str(error))
    return args


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None) -> None:
    args = parse(argv)
    print(f"roofline at preset {args.preset!r}: {cpu_name()}, 1 thread, torch {torch.__version__}")
    print(HEADER)
    rows = []
    for key in args.keys:
        seed_everything(0)  # each loop as if alone: seeds, one thread
        torch.set_flush_denormal(False)  # chapter 04's experiments switch it on for themselves
        if key == SAMPLERS:
            new = sampler_rows(params.load("03_guess_and_check", args.preset))
        else:
            loop = next(loop for loop in GEMM_LOOPS if loop.key == key)
            dtype, note = args.dtype or loop.dtypes[0], ""
            if dtype not in loop.dtypes:
                dtype, note = loop.dtypes[0], f"(runs in {loop.dtypes[0]} only)"
            p = params.load(loop.chapter, args.preset)
            with compiled(loop) if args.compile else contextlib.nullcontext():
                note = f"compiled {note}".strip() if args.compile else note
                new = [measure_loop(loop, p, dtype, args.steps, note)]
        for row in new:
            print(format_row(row), flush=True)
        rows += new
    gemm_rows = [row for row in rows if row.fraction is not None]
    if not gemm_rows:
        print("lowest fraction of the GEMM-bound rate: n/a (no GEMM-shaped loop was run)")
        return
    low = min(gemm_rows, key=lambda row: row.fraction)
    print(f"lowest fraction of the GEMM-bound rate: {low.fraction:.3f} ({low.loop})")


if __name__ == "__main__":
    main()
