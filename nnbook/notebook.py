"""Notebook helpers that work with and without the book's build stack.

The chapters record the numbers their prose quotes with ``glue(name, value)``. During
the book's build that is MyST-NB's ``glue``, which stores the value for ``{glue:text}``
in the text. In a reader notebook (plain Jupyter, Colab, Binder) MyST-NB is not
installed, so :func:`glue` falls back to showing the value where it is computed: the
reader notebooks write glued numbers in the text as ``⟨name⟩`` and the cell that
computes one prints it. See the reading guide, :doc:`../appendix/reading-guide`.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from ._checks import check_type

__all__ = ["glue"]


def _myst_glue() -> Any | None:
    if importlib.util.find_spec("myst_nb") is None:
        return None
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # a broken or partial install: fall back
        return None
    return myst_glue


def _show(obj: Any) -> None:
    try:
        from IPython.display import display
    except ImportError:
        print(obj)
        return
    display(obj)


def glue(name: str, value: Any, display: bool = True) -> None:
    """Record ``value`` under ``name`` for the text, or show it outside the build.

    With MyST-NB installed (the book's build) this is ``myst_nb.glue(name, value,
    display)``. Without it, ``display=True`` shows ``value`` as the cell's output (a
    figure, a table, a number) and ``display=False`` prints one line ``⟨name⟩ = value``,
    the placeholder the reader notebooks use in their text.

    Args:
        name: key the text refers to, e.g. ``"cnn-acc"``.
        value: any object; numbers should be plain ``float``/``int``.
        display: whether the build also shows the value where it is computed.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"glue: name must be a non-empty str, got {name!r}")
    check_type(display, bool, "display")
    myst_glue = _myst_glue()
    if myst_glue is not None:
        myst_glue(name, value, display=display)
        return
    if display:
        _show(value)
        return
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()  # a NumPy scalar: print it as a Python number
    if isinstance(value, (bool, int, float, complex, str)):
        text = f"{value:.6g}" if isinstance(value, float) else repr(value)
        if len(text) > 200:
            text = text[:200] + "..."
        print(f"⟨{name}⟩ = {text}")
    else:  # a figure, table or Markdown the text refers to: show it under its name
        print(f"⟨{name}⟩:")
        _show(value)
