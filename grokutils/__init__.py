"""grokutils: the shared, tested code behind every grokbook chapter.

One idea per module: ``params`` (presets and validation), ``claims`` (claim checks),
``seeding``, ``progress``, ``plotting``, ``sweep`` (parameter grids through joblib),
plus the data, models, training loops, samplers and theory the chapters use.
"""

__version__ = "0.1.0"
