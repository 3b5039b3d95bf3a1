"""grokutils: the shared, tested code behind every grokbook chapter.

One idea per module: ``params`` (presets and validation), ``claims`` (claim checks),
``seeding``, ``progress``, ``plotting``, ``sweep`` (parameter grids through joblib),
plus ``data`` and ``metrics`` shared by chapters, ``hessian`` (Hessian-vector products),
``samplers/`` (guess & check, Langevin, Wang-Landau), ``theory/`` (one closed-form module per
paper), and each chapter's models and batched training loops in a module named after them
(``committee``, ``linear_estimator``, ``two_layer_student``, ``matrix_sensing``,
``modular_mlp``, ``ensemble``, ``landscape``).
"""

__version__ = "0.1.0"
