"""The chapter start-up: the one call a notebook makes right after its ``parameters`` cell.

:func:`start` resolves the parameters (validated against the presets file, the device resolved
once, see :func:`grokutils.core.params.load`), seeds every generator and fixes the thread counts
on that device (:func:`grokutils.core.seeding.seed_everything`), and sets the book's plotting
theme. Everything after it receives ``p`` and passes ``p.device`` on where it is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grokutils.core.params import Params, from_notebook
from grokutils.core.plotting import set_theme
from grokutils.core.seeding import seed_everything


def start(
    chapter: str, namespace: Mapping[str, Any], *, presets_dir: str | Path | None = None
) -> Params:
    """Resolve ``chapter``'s parameters from a notebook's globals (``namespace``), seed the run
    and set the theme; return the :class:`~grokutils.core.params.Params`. A bad parameter
    raises :class:`~grokutils.core.params.ParameterError` before anything else happens."""
    p = from_notebook(chapter, namespace, presets_dir=presets_dir)
    seed_everything(p.seed, device=p.device)
    set_theme()
    return p
