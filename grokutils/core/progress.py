"""Progress bars for long loops that stay out of the rendered page.

``tqdm.auto`` in a kernel without ipywidgets prints a TqdmWarning into the page; the plain
text bar goes to stderr, which the book removes (``stderr_output: remove``). Set
``TQDM_DISABLE=1`` to silence every bar.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from tqdm.std import tqdm

T = TypeVar("T")


def progress(
    iterable: Iterable[T] | None = None, *, desc: str = "", total: int | None = None, **kwargs
) -> tqdm:
    """A text progress bar (``tqdm``) over ``iterable``, updated at most twice a second."""
    kwargs.setdefault("mininterval", 0.5)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, desc=desc, total=total, **kwargs)
