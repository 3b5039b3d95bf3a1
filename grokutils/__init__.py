"""grokutils: the shared, tested code behind every grokbook chapter, arranged by role.

``book/`` (parameters, seeding, sweeps, estimates, claims, provenance, the seed runner and the
scorecard), ``data/`` (one module per data family), ``models/``, ``train/`` (the one
:class:`~grokutils.core.trajectory.Trajectory` record, the batched optimiser steps, the
training loops), ``measures/`` (crossing times, stability estimators, Hessians), ``samplers/``,
``theory/`` (one module per paper), and one module per chapter in each of ``experiments/`` (its
sweep points and measurements), ``figures/`` (its panels) and ``checks/`` (its claims). The
README's "Architecture" section maps each chapter to its files.
"""

__version__ = "0.1.0"
