"""Schematic drawings of the core architectures: a convolutional network, a recurrent
network unrolled in time and a graph network's message passing. Shown beside the
architecture table of :doc:`/book/foundations/what-is-a-neural-network`.

Each function draws into a matplotlib Axes (a new one when ``ax`` is None) and returns
it; nothing is computed, these are pictures of the data flow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import ArgumentTypeError, as_float_array, check_int
from .plotting import PALETTE

__all__ = ["draw_cnn", "draw_rnn_unrolled", "draw_gnn"]


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 3))
    elif not hasattr(ax, "add_patch"):
        raise ArgumentTypeError(
            f"ax must be a matplotlib Axes or None; got {type(ax).__name__}"
        )
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax


def _arrow(
    ax: Any,
    start: tuple[float, float],
    end: tuple[float, float],
    color: str = "0.3",
    **kw: Any,
) -> None:
    props = {"arrowstyle": "-|>", "color": color, "lw": 1.2, **kw}
    ax.annotate("", xy=end, xytext=start, arrowprops=props)


def draw_cnn(
    ax: Any = None, channels: tuple[int, ...] = (1, 4, 8), size: int = 6
) -> Any:
    """A convolutional network as stacks of feature maps: each layer slides one small
    kernel (drawn as a square window) over the maps of the layer before, so every output
    map shares its weights across positions. ``channels``: feature maps per layer (at
    least two layers, each 1 to 12); ``size``: side of the input map in cells (3 to 12).
    Introduced in :doc:`/book/foundations/what-is-a-neural-network`."""
    from matplotlib.patches import Rectangle

    ax = _axes(ax)
    if not isinstance(channels, tuple) or len(channels) < 2:
        raise ArgumentTypeError(
            f"channels must be a tuple of at least 2 counts; got {channels!r}"
        )
    counts = [check_int(c, "channels[i]", minimum=1, maximum=12) for c in channels]
    side = check_int(size, "size", minimum=3, maximum=12)
    x0 = 0.0
    centres = []
    for layer, count in enumerate(counts):
        s = side * 0.8**layer  # maps shrink as the network deepens
        for k in range(count):
            off = 0.12 * k
            ax.add_patch(
                Rectangle(
                    (x0 + off, off),
                    s,
                    s,
                    facecolor=PALETTE[layer % 3],
                    edgecolor="0.2",
                    alpha=0.35,
                    lw=0.8,
                )
            )
        centres.append((x0, s, count))
        if layer < len(counts) - 1:
            w = 0.3 * s  # the kernel window on this layer's top map
            top = 0.12 * (count - 1)
            ax.add_patch(
                Rectangle(
                    (x0 + top + 0.2 * s, top + 0.5 * s),
                    w,
                    w,
                    fill=False,
                    edgecolor=PALETTE[3],
                    lw=1.6,
                )
            )
            nxt = x0 + s + 0.12 * count + 1.2
            _arrow(
                ax,
                (x0 + top + 0.2 * s + w, top + 0.5 * s + w / 2),
                (nxt + 0.2, 0.4 * side * 0.8 ** (layer + 1)),
                color=PALETTE[3],
            )
            ax.text(
                x0 + s / 2,
                -0.8,
                "input" if layer == 0 else f"{count} maps",
                ha="center",
                fontsize=8,
            )
            x0 = nxt
    ax.text(
        x0 + centres[-1][1] / 2, -0.8, f"{counts[-1]} maps", ha="center", fontsize=8
    )
    ax.set_xlim(-0.5, x0 + centres[-1][1] + 0.12 * counts[-1] + 0.5)
    ax.set_ylim(-1.3, side + 0.12 * max(counts) + 0.3)
    return ax


def draw_rnn_unrolled(ax: Any = None, steps: int = 4) -> Any:
    """A recurrent network unrolled over ``steps`` time steps (1 to 8): the same cell,
    with the same weights W_x and W_h, reads x_t and the previous state h_{t-1} and
    writes h_t, from which y_t is read. Unrolled, it is a deep network with shared
    weights. Introduced in :doc:`/book/foundations/what-is-a-neural-network`."""
    from matplotlib.patches import FancyBboxPatch

    ax = _axes(ax)
    T = check_int(steps, "steps", minimum=1, maximum=8)
    for t in range(T):
        x = 2.0 * t
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.45, 0.55),
                0.9,
                0.9,
                boxstyle="round,pad=0.05",
                facecolor=PALETTE[2],
                edgecolor="0.2",
                alpha=0.5,
            )
        )
        ax.text(x, 1.0, f"$h_{t + 1}$", ha="center", va="center", fontsize=10)
        ax.text(x, -0.35, f"$x_{t + 1}$", ha="center", va="center", fontsize=10)
        ax.text(x, 2.35, f"$\\hat y_{t + 1}$", ha="center", va="center", fontsize=10)
        _arrow(ax, (x, -0.15), (x, 0.5), color=PALETTE[0])
        _arrow(ax, (x, 1.5), (x, 2.15), color=PALETTE[1])
        ax.text(x + 0.12, 0.2, "$W_x$", fontsize=8, color=PALETTE[0])
        if t == 0:
            ax.text(x - 1.35, 1.0, "$h_0$", ha="center", va="center", fontsize=10)
        _arrow(
            ax, (x - 1.2 if t == 0 else x - 1.5, 1.0), (x - 0.5, 1.0), color=PALETTE[3]
        )
        ax.text(x - 1.0, 1.12, "$W_h$", fontsize=8, color=PALETTE[3], ha="center")
    ax.set_xlim(-1.7, 2.0 * (T - 1) + 0.8)
    ax.set_ylim(-0.7, 2.7)
    return ax


def draw_gnn(
    ax: Any = None,
    positions: Any = None,
    edges: tuple[tuple[int, int], ...] = (
        (0, 1),
        (0, 2),
        (1, 2),
        (2, 3),
        (3, 4),
        (2, 5),
    ),
    target: int = 2,
) -> Any:
    """One round of message passing on a small graph: every neighbour of node
    ``target`` sends it a message (thick arrows), and the node combines them with its
    own state by a function that does not depend on the order of its neighbours.
    ``positions``: (n_nodes, 2) coordinates (default: a fixed layout of 6 nodes);
    ``edges``: pairs of node indices. Introduced in
    :doc:`/book/foundations/what-is-a-neural-network`."""
    ax = _axes(ax)
    if positions is None:
        positions = [
            [0, 1],
            [0.2, -0.6],
            [1.2, 0.2],
            [2.3, 0.9],
            [3.1, 0.0],
            [1.6, -1.0],
        ]
    P = as_float_array(positions, "positions", ndim=2, shape_hint="(n_nodes, 2)")
    if P.shape[1] != 2:
        raise ValueError(f"positions must have shape (n_nodes, 2); got {P.shape}")
    n = P.shape[0]
    target = check_int(target, "target", minimum=0, maximum=n - 1)
    pairs = np.asarray(edges)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype.kind not in "iu":
        raise ValueError(f"edges must be pairs of node indices; got {edges!r}")
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n):
        raise ValueError(f"edges must use node indices in [0, {n}); got {edges!r}")
    for i, j in pairs:
        ax.plot(*P[[i, j]].T, color="0.6", lw=1.2, zorder=1)
    for i, j in pairs:
        if target in (i, j):
            src = j if i == target else i
            a, b = P[src], P[target]
            _arrow(
                ax,
                tuple(a + 0.2 * (b - a)),
                tuple(b - 0.2 * (b - a)),
                color=PALETTE[3],
                lw=2.0,
            )
    for k, (x, y) in enumerate(P):
        color = PALETTE[3] if k == target else PALETTE[0]
        ax.scatter([x], [y], s=420, color=color, edgecolor="0.2", zorder=2)
        ax.text(
            x,
            y,
            f"$v_{k + 1}$",
            ha="center",
            va="center",
            fontsize=9,
            zorder=3,
            color="white",
        )
    ax.set_xlim(P[:, 0].min() - 0.5, P[:, 0].max() + 0.5)
    ax.set_ylim(P[:, 1].min() - 0.5, P[:, 1].max() + 0.5)
    return ax
