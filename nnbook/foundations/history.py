"""The timeline of neural-network research, as data and as a figure, and the learning
rules of
its early decades (Hebb, Oja, Widrow-Hoff, Hopfield). Shown in
:doc:`/book/foundations/history`.

Every event is a record ``(year, title, people, key, category)``; ``key`` is the BibTeX
key of
the event's primary source in the book's ``references.bib`` (the tests check that every
key is
there). The categories are

* ``"model"``: a new architecture or kind of network;
* ``"learning rule"``: a way to set the weights (Hebb, LMS, backpropagation, Adam);
* ``"technique"``: an ingredient that made deep networks trainable (ReLU, dropout,
normalization);
* ``"theory"``: a theorem or an empirical law about what networks can do;
* ``"winter/revival"``: an event that turned the field's fortunes;
* ``"hardware/data"``: a data set or a kind of hardware that changed what could be
trained.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    NonFiniteError,
    as_float_array,
    check_float,
    check_int,
    check_positive,
    check_rng,
    check_type,
)
from ..viz.plotting import PALETTE

__all__ = [
    "Event",
    "CATEGORIES",
    "CATEGORY_COLORS",
    "NN_WINTERS",
    "timeline",
    "plot_timeline",
    "hebbian_update",
    "oja_update",
    "lms_update",
    "hopfield_weights",
    "hopfield_energy",
    "hopfield_recall",
]

#: The allowed categories, in the order of the figure's legend.
CATEGORIES: tuple[str, ...] = (
    "model",
    "learning rule",
    "technique",
    "theory",
    "winter/revival",
    "hardware/data",
)

#: One Okabe-Ito colour per category.
CATEGORY_COLORS: dict[str, str] = dict(
    zip(
        CATEGORIES,
        (PALETTE[0], PALETTE[3], PALETTE[2], PALETTE[4], PALETTE[7], PALETTE[1]),
    )
)

# : The two lean periods of neural-network research, (first year, last year): after
# Minsky and
# : Papert's *Perceptrons* until Hopfield's network and the PDP revival, and from the
# rise of
#: support-vector machines until deep belief nets.
NN_WINTERS: tuple[tuple[int, int], ...] = ((1969, 1982), (1995, 2006))


@dataclass(frozen=True)
class Event:
    """One event of the timeline: ``year``, a short ``title``, the ``people`` behind it,
    the BibTeX ``key`` of its source in ``references.bib`` and its ``category`` (one of
    :data:`CATEGORIES`). See :doc:`/book/foundations/history`."""

    year: int
    title: str
    people: str
    key: str
    category: str


# : The timeline, sorted by year (ties in the order the events appeared); read it with
# :func:`timeline`
#: (kept out of ``__all__``: the API reference lists the function, not every record).
TIMELINE: tuple[Event, ...] = tuple(
    Event(*row)
    for row in (
        (
            1943,
            "Threshold logic neuron",
            "McCulloch, Pitts",
            "mcculloch1943logical",
            "model",
        ),
        (1949, "Hebbian learning", "Hebb", "hebb1949organization", "learning rule"),
        (1958, "Perceptron", "Rosenblatt", "rosenblatt1958perceptron", "model"),
        (
            1960,
            "ADALINE and the LMS rule",
            "Widrow, Hoff",
            "widrow1960adaptive",
            "learning rule",
        ),
        (
            1969,
            "Perceptrons: limits of one layer",
            "Minsky, Papert",
            "minsky1969perceptrons",
            "winter/revival",
        ),
        (
            1974,
            "Backpropagation in a thesis",
            "Werbos",
            "werbos1974beyond",
            "learning rule",
        ),
        (1980, "Neocognitron", "Fukushima", "fukushima1980neocognitron", "model"),
        (1982, "Hopfield network", "Hopfield", "hopfield1982neural", "winter/revival"),
        (
            1986,
            "Backpropagation popularised",
            "Rumelhart, Hinton, Williams",
            "rumelhart1986learning",
            "learning rule",
        ),
        (
            1989,
            "Convolutional net for zip codes",
            "LeCun et al.",
            "lecun1989backpropagation",
            "model",
        ),
        (
            1989,
            "Universal approximation",
            "Cybenko",
            "cybenko1989approximation",
            "theory",
        ),
        (
            1995,
            "Support-vector machines",
            "Cortes, Vapnik",
            "cortes1995support",
            "winter/revival",
        ),
        (
            1997,
            "Long short-term memory",
            "Hochreiter, Schmidhuber",
            "hochreiter1997long",
            "model",
        ),
        (
            1998,
            "LeNet-5 and MNIST",
            "LeCun, Bottou, Bengio, Haffner",
            "lecun1998gradient",
            "hardware/data",
        ),
        (
            2006,
            "Deep belief nets",
            "Hinton, Osindero, Teh",
            "hinton2006fast",
            "winter/revival",
        ),
        (2009, "ImageNet", "Deng et al.", "deng2009imagenet", "hardware/data"),
        (
            2009,
            "GPUs for deep learning",
            "Raina, Madhavan, Ng",
            "raina2009large",
            "hardware/data",
        ),
        (
            2010,
            "Glorot initialization",
            "Glorot, Bengio",
            "glorot2010understanding",
            "technique",
        ),
        (
            2010,
            "Rectified linear units",
            "Nair, Hinton",
            "nair2010rectified",
            "technique",
        ),
        (
            2012,
            "AlexNet",
            "Krizhevsky, Sutskever, Hinton",
            "krizhevsky2012imagenet",
            "model",
        ),
        (
            2014,
            "Generative adversarial nets",
            "Goodfellow et al.",
            "goodfellow2014generative",
            "model",
        ),
        (2014, "Dropout", "Srivastava et al.", "srivastava2014dropout", "technique"),
        (2014, "Adam optimizer", "Kingma, Ba", "kingma2015adam", "learning rule"),
        (2015, "Batch normalization", "Ioffe, Szegedy", "ioffe2015batch", "technique"),
        (
            2015,
            "Diffusion as thermodynamics",
            "Sohl-Dickstein et al.",
            "sohldickstein2015deep",
            "model",
        ),
        (2015, "Residual networks", "He, Zhang, Ren, Sun", "he2016deep", "model"),
        (2017, "Transformer", "Vaswani et al.", "vaswani2017attention", "model"),
        (2018, "GPT", "Radford et al.", "radford2018improving", "model"),
        (2018, "BERT", "Devlin et al.", "devlin2019bert", "model"),
        (2020, "Scaling laws", "Kaplan et al.", "kaplan2020scaling", "theory"),
        (2020, "GPT-3", "Brown et al.", "brown2020language", "model"),
        (2020, "Denoising diffusion", "Ho, Jain, Abbeel", "ho2020denoising", "model"),
        (2021, "CLIP", "Radford et al.", "radford2021learning", "model"),
        (2021, "AlphaFold 2", "Jumper et al.", "jumper2021highly", "model"),
        (
            2022,
            "Chinchilla: compute-optimal",
            "Hoffmann et al.",
            "hoffmann2022training",
            "theory",
        ),
        (2023, "GPT-4", "OpenAI", "openai2023gpt4", "model"),
    )
)


def _check_events(events: Iterable[Any]) -> tuple[Event, ...]:
    events = tuple(events)
    if not events:
        raise ValueError("events must not be empty; got 0 events")
    for e in events:
        if not isinstance(e, Event):
            raise ValueError(
                f"events must be nnbook.Event records; got {type(e).__name__}"
            )
        if e.category not in CATEGORIES:
            raise ValueError(
                f"event category must be one of {CATEGORIES}; got {e.category!r} "
                f"({e.title})"
            )
    return events


def timeline(
    categories: Sequence[str] | None = None,
    start: int | None = None,
    end: int | None = None,
) -> tuple[Event, ...]:
    """The events of :data:`TIMELINE`, sorted by year, optionally only those whose
    category is in
    ``categories`` and whose year lies in ``[start, end]``. Returns a tuple of
    :class:`Event`.

    Shown in :doc:`/book/foundations/history`.
    """
    if categories is not None:
        check_type(categories, (list, tuple, set, frozenset), "categories")
        unknown = [c for c in categories if c not in CATEGORIES]
        if unknown:
            raise ValueError(
                f"categories must be drawn from {CATEGORIES}; got unknown {unknown}"
            )
    start = None if start is None else check_int(start, "start", minimum=None)
    end = None if end is None else check_int(end, "end", minimum=None)
    if start is not None and end is not None and start > end:
        raise ValueError(f"start must not be after end; got start={start}, end={end}")
    out = tuple(
        e
        for e in TIMELINE
        if (categories is None or e.category in categories)
        and (start is None or e.year >= start)
        and (end is None or e.year <= end)
    )
    return tuple(
        sorted(out, key=lambda e: e.year)
    )  # sorted() is stable: ties keep their order


def plot_timeline(
    ax: Any = None,
    events: Sequence[Event] | None = None,
    *,
    winters: Sequence[tuple[int, int]] = NN_WINTERS,
    fontsize: float = 8,
    show_people: bool = True,
    legend: bool = True,
) -> Any:
    """Draw the timeline: one row per event (so no two labels can overlap), the year on
    the
    horizontal axis, a marker coloured by category, the label beside it (to the right of
    the
    marker for the earlier events, to the left for the recent ones), and the periods in
    ``winters`` shaded. Returns the matplotlib Axes.

    The markers form one scatter per category (``PathCollection`` with
    ``gid="events"``), so the
    number of markers equals ``len(events)``. ``events`` defaults to :func:`timeline`.
    Shown in :doc:`/book/foundations/history`.
    """
    if ax is not None and not callable(getattr(ax, "axvspan", None)):
        raise ArgumentTypeError(
            f"ax must be a matplotlib Axes or None; got {type(ax).__name__}"
        )
    if events is not None:
        check_type(events, (list, tuple), "events")
    events = _check_events(timeline() if events is None else events)
    fontsize = check_positive(fontsize, "fontsize")
    check_type(show_people, bool, "show_people")
    check_type(legend, bool, "legend")
    check_type(winters, (list, tuple), "winters")
    for winter in winters:
        if not isinstance(winter, (list, tuple)) or len(winter) != 2:
            raise ArgumentTypeError(
                f"winters must hold (first year, last year) pairs; got {winter!r}"
            )
        lo = check_int(winter[0], "winters", minimum=None)
        hi = check_int(winter[1], "winters", minimum=None)
        if lo > hi:
            raise ValueError(
                "each winter must be (first year, last year) with first <= last; got "
                f"({lo}, {hi})"
            )
    n = len(events)
    if ax is None:
        import matplotlib.pyplot as plt  # lazily: `import nnbook` stays fast

        _, ax = plt.subplots(figsize=(8.0, 0.24 * n + 1.4))
    years = np.array([e.year for e in events], dtype=float)
    rows = np.arange(n)[::-1]  # earliest event on top
    for k, (lo, hi) in enumerate(winters):
        ax.axvspan(
            lo,
            hi,
            color="0.85",
            alpha=0.6,
            zorder=0,
            lw=0,
            label="neural-network winter" if k == 0 else None,
        )
    cats = np.array([e.category for e in events])
    for c in CATEGORIES:
        m = cats == c
        if m.any():
            ax.scatter(
                years[m],
                rows[m],
                s=30,
                color=CATEGORY_COLORS[c],
                edgecolor="black",
                linewidth=0.5,
                zorder=3,
                label=c,
                gid="events",
            )
    ax.hlines(rows, years.min() - 1, years, color="0.8", linewidth=0.5, zorder=1)
    lo_year, hi_year = float(years.min()), float(years.max())
    split = (lo_year + hi_year) / 2 + 0.25 * (
        hi_year - lo_year
    ) / 2  # recent decades are crowded
    for e, y, r in zip(events, years, rows):
        text = f"{e.year}  {e.title}" + (f" ({e.people})" if show_people else "")
        right = y < split
        ax.text(
            y + (0.8 if right else -0.8),
            r,
            text,
            ha="left" if right else "right",
            va="center",
            fontsize=fontsize,
            zorder=4,
        )
    ax.set_yticks([])
    ax.set_ylim(-1, n)
    ax.set_xlim(lo_year - 3, hi_year + 3)
    ax.set_xlabel("year")
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    if legend:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.07),
            ncol=4,
            fontsize=fontsize,
            frameon=False,
        )
    return ax


# --- the learning rules of the early decades
# --------------------------------------------------


def _updated(w_new: np.ndarray) -> np.ndarray:
    """The new weights, or a clear error when a too large ``lr`` overflowed them."""
    if not np.all(np.isfinite(w_new)):
        raise NonFiniteError("the update overflowed; lr must be smaller")
    return w_new


def _w_and_X(w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = as_float_array(w, "w", ndim=1, shape_hint="(n,)")
    X = as_float_array(X, "X", ndim=(1, 2), shape_hint="(n,) or (batch, n)")
    X2 = X.reshape(1, -1) if X.ndim == 1 else X
    if X2.shape[1] != w.shape[0]:
        raise ValueError(
            f"X must have {w.shape[0]} features to match w; got shape {X.shape}"
        )
    return w, X2


def hebbian_update(w: np.ndarray, X: np.ndarray, lr: float) -> np.ndarray:
    """One step of Hebb's rule for a linear neuron y = w . x (Hebb, 1949):

    w <- w + lr * mean_k y_k x_k,   y_k = w . x_k.

    It is gradient *ascent* on (1/2) mean_k y_k^2, so |w| grows without bound. ``w``:
    (n,); ``X``: one input (n,) or a batch (batch, n). Returns the new weights, shape
    (n,). Derived in :doc:`/book/foundations/history`.
    """
    w, X = _w_and_X(w, X)
    lr = check_positive(lr, "lr")
    y = X @ w
    with np.errstate(over="ignore", invalid="ignore"):
        return _updated(w + lr * (X.T @ y) / X.shape[0])


def oja_update(w: np.ndarray, X: np.ndarray, lr: float) -> np.ndarray:
    """One step of Oja's rule (Oja, 1982), Hebb's rule with a decay that keeps |w| near
    1:

    w <- w + lr * mean_k y_k (x_k - y_k w),   y_k = w . x_k.

    For small ``lr`` it converges to a unit eigenvector of the input covariance with the
    largest
    eigenvalue: the neuron learns the first principal component. ``w``: (n,); ``X``:
    (n,) or
    (batch, n). Returns the new weights, shape (n,). Derived in
    :doc:`/book/foundations/history`.
    """
    w, X = _w_and_X(w, X)
    lr = check_positive(lr, "lr")
    y = X @ w
    with np.errstate(over="ignore", invalid="ignore"):
        return _updated(w + lr * (X.T @ y - (y @ y) * w) / X.shape[0])


def lms_update(
    w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, lr: float
) -> tuple[np.ndarray, float]:
    """One step of the Widrow-Hoff least-mean-squares rule (Widrow and Hoff, 1960):

    e_k = y_k - (w . x_k + b),   w <- w + lr * mean_k e_k x_k,   b <- b + lr * mean_k
    e_k,

    a gradient-descent step on (1/2) mean_k e_k^2 (the ADALINE rule). ``w``: (n,);
    ``X``: one input (n,) or a batch (batch, n); ``y``: a target () or (batch,). Returns
    ``(w, b)``. Derived in :doc:`/book/foundations/history`.
    """
    w, X = _w_and_X(w, X)
    y = as_float_array(y, "y", ndim=(0, 1), shape_hint="() or (batch,)").reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must have one target per input ({X.shape[0]}); got {y.shape[0]}"
        )
    b = check_float(b, "b")
    lr = check_positive(lr, "lr")
    with np.errstate(over="ignore", invalid="ignore"):
        e = y - (X @ w + b)
        w_new = _updated(w + lr * (X.T @ e) / X.shape[0])
        b_new = _updated(np.asarray(b + lr * np.mean(e)))
    return w_new, float(b_new)


def _check_spins(s: np.ndarray, name: str, n: int | None = None) -> np.ndarray:
    s = as_float_array(s, name, ndim=(1, 2), shape_hint="(n,) or (batch, n)")
    if not np.all(np.abs(s) == 1):
        raise ValueError(f"{name} must hold states in {{-1, +1}}; got other values")
    if n is not None and s.shape[-1] != n:
        raise ValueError(f"{name} must have {n} units to match W; got shape {s.shape}")
    return s


def hopfield_weights(patterns: np.ndarray) -> np.ndarray:
    """Hebbian storage of +-1 patterns in a Hopfield network (Hopfield, 1982):

    W = (1/n) sum_p xi_p xi_p^T with the diagonal set to 0.

    ``patterns``: (n_patterns, n) with entries in {-1, +1}. Returns the symmetric (n, n)
    matrix W. Derived in :doc:`/book/foundations/history`.
    """
    P = _check_spins(patterns, "patterns")
    P = P.reshape(1, -1) if P.ndim == 1 else P
    W = P.T @ P / P.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def _check_W(W: np.ndarray) -> np.ndarray:
    W = as_float_array(W, "W", ndim=2, shape_hint="(n, n)")
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square (n, n) matrix; got shape {W.shape}")
    if not np.allclose(W, W.T):
        raise ValueError(
            "W must be symmetric for the Hopfield energy to exist; got W != W.T"
        )
    return W


def hopfield_energy(W: np.ndarray, s: np.ndarray) -> np.ndarray | float:
    """Hopfield energy E(s) = -(1/2) s^T W s (no thresholds).

    ``W``: symmetric (n, n); ``s``: a state (n,) -> a float, or a batch (batch,
    n) -> (batch,). Derived in :doc:`/book/foundations/history`.
    """
    W = _check_W(W)
    s = _check_spins(s, "s", W.shape[0])
    E = -0.5 * np.einsum("...i,ij,...j->...", s, W, s)
    return float(E) if s.ndim == 1 else E


def hopfield_recall(
    W: np.ndarray, s: np.ndarray, rng: np.random.Generator, n_sweeps: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Asynchronous Hopfield dynamics: ``n_sweeps`` passes over the units in random
    order, each
    unit set to s_i <- sign(h_i), h_i = sum_j W_ij s_j (unchanged when h_i = 0).

    Each flip changes the energy by -2 |h_i| <= 0, so the energy never increases. The
    loop over
    units is the definition of asynchronous dynamics, not a hot path. ``W``: symmetric
    (n, n)
    with zero diagonal; ``s``: the initial state (n,) in {-1, +1}. Returns the final
    state (n,)
    and the energy after every single-unit update, shape (n_sweeps * n + 1,).
    Derived in :doc:`/book/foundations/history`.
    """
    W = _check_W(W)
    if not np.allclose(np.diag(W), 0.0):
        raise ValueError("W must have a zero diagonal (no self-connections)")
    s = _check_spins(s, "s", W.shape[0])
    if s.ndim != 1:
        raise ValueError(
            f"s must be a single state of shape ({W.shape[0]},); got shape {s.shape}"
        )
    check_rng(rng)
    if (
        isinstance(n_sweeps, bool)
        or not isinstance(n_sweeps, (int, np.integer))
        or n_sweeps < 1
    ):
        raise ValueError(f"n_sweeps must be a positive integer; got {n_sweeps!r}")
    s = s.copy()
    n = s.shape[0]
    h = W @ s  # local fields, kept up to date after each flip
    energies = np.empty(n_sweeps * n + 1)
    energies[0] = -0.5 * s @ h
    t = 0
    for _ in range(n_sweeps):
        for i in rng.permutation(n):
            new = np.sign(h[i]) if h[i] != 0 else s[i]
            delta = new - s[i]
            if delta != 0:
                energies[t + 1] = (
                    energies[t] - delta * h[i]
                )  # E changes by -(Delta s_i) h_i
                s[i] = new
                h += delta * W[:, i]
            else:
                energies[t + 1] = energies[t]
            t += 1
    return s, energies
