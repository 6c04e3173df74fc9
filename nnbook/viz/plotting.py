"""Plotting helpers shared by the chapters: one style, one colour-blind-safe palette.

Figures use the Okabe-Ito palette (Okabe and Ito, 2008), distinguishable under the
common forms of colour blindness, on a white background so they read the same in the
light and dark themes of the site and in print.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import as_float_array

__all__ = ["PALETTE", "use_book_style", "plot_decision_boundary"]

#: Okabe-Ito colours, in the order the book uses them.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)


def use_book_style() -> None:
    """Set matplotlib defaults for the book: palette, sizes, white background, PNG
    output."""
    import matplotlib as mpl  # lazily: `import nnbook` stays fast
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=list(PALETTE)),
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.frameon": False,
            "image.cmap": "cividis",
        }
    )
    try:  # in a notebook: PNG only (the PDF cannot take SVG)
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except Exception:  # pragma: no cover - outside IPython
        pass


def plot_decision_boundary(
    ax: Any,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    resolution: int = 200,
    padding: float = 0.25,
    title: str | None = None,
) -> Any:
    """Colour the plane by ``predict`` (a function of an (m, 2) array returning m
    labels) and
    scatter the points ``X`` (n, 2) coloured by their labels ``y``. The grid is
    evaluated in one
    vectorized call. Returns the axes."""
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, 2)")
    if X.shape[1] != 2:
        raise ValueError(
            f"X must have 2 columns to be drawn in the plane; got {X.shape[1]}"
        )
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X; got {y.shape}")
    lo = X.min(axis=0) - padding * np.ptp(X, axis=0)
    hi = X.max(axis=0) + padding * np.ptp(X, axis=0)
    g0, g1 = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    labels = np.unique(y)
    Z = np.asarray(predict(np.c_[g0.ravel(), g1.ravel()])).reshape(g0.shape)
    Zi = np.searchsorted(labels, Z).clip(0, len(labels) - 1)
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([PALETTE[i % len(PALETTE)] for i in range(len(labels))])
    ax.contourf(
        g0, g1, Zi, levels=np.arange(len(labels) + 1) - 0.5, cmap=cmap, alpha=0.25
    )
    markers = "os^vDP*X"
    for i, lab in enumerate(labels):
        m = y == lab
        ax.scatter(
            X[m, 0],
            X[m, 1],
            s=18,
            color=PALETTE[i % len(PALETTE)],
            marker=markers[i % len(markers)],
            edgecolor="white",
            linewidth=0.4,
            label=f"class {lab}",
        )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax
