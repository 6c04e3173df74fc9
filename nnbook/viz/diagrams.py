"""Network diagrams drawn from layer sizes. Introduced in
:doc:`/book/foundations/what-is-a-neural-network`.

The geometry (where every node sits, which pairs of nodes an edge joins) is computed by
a pure function, :func:`network_geometry`, so that it can be tested without looking at
pixels; the drawing functions only turn that geometry into matplotlib artists.

Layout: layer ``l`` sits on the vertical line ``x = l * layer_spacing``; its shown nodes
are spaced ``node_spacing`` apart and centred on ``y = 0``, unit 0 at the top. A layer
with more than ``max_nodes`` units shows its first and last ``max_nodes // 2`` units
with an ellipsis in the middle, so that every layer is symmetric about ``y = 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    check_int,
    check_positive,
    check_probability,
    check_type,
)
from .plotting import PALETTE

__all__ = ["NetworkGeometry", "network_geometry", "draw_network", "draw_neuron"]


@dataclass(frozen=True)
class NetworkGeometry:
    """Positions of the nodes and edges of a fully connected network diagram.

    Attributes
    ----------
    layer_sizes : the true number of units per layer, ``(L,)``.
    shown_sizes : how many of them are drawn per layer (at most ``max_nodes``).
    positions : ``(n_nodes, 2)`` float array of node centres ``(x, y)``, layer by layer.
    layer : ``(n_nodes,)`` int array, the layer index of each node.
    unit : ``(n_nodes,)`` int array, the index of each node's unit within its layer.
    edges : ``(n_edges, 2)`` int array of node-index pairs ``(i, j)``, ``i`` in layer
    ``l`` and
        ``j`` in layer ``l + 1``; every shown node is joined to every shown node of the
        next layer.
    ellipses : ``(n_truncated, 3)`` float array of ``(layer, x, y)``, where a "..." is
    drawn.
    """

    layer_sizes: tuple[int, ...]
    shown_sizes: tuple[int, ...]
    positions: np.ndarray
    layer: np.ndarray
    unit: np.ndarray
    edges: np.ndarray
    ellipses: np.ndarray

    def node_index(self, layer: int, unit: int) -> int:
        """Index into ``positions`` of unit ``unit`` of layer ``layer``; ValueError if
        not shown."""
        hits = np.flatnonzero((self.layer == layer) & (self.unit == unit))
        if hits.size == 0:
            raise ValueError(
                f"unit {unit} of layer {layer} is not shown in the diagram "
                f"(layer sizes {self.layer_sizes}, shown {self.shown_sizes})"
            )
        return int(hits[0])


def _check_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise ValueError(
            f"layer_sizes must be a sequence of positive integers; got {layer_sizes!r}"
        ) from None
    if len(sizes) < 2:
        raise ValueError(
            "layer_sizes must list at least 2 layers (input and output); got "
            f"{len(sizes)}"
        )
    for s in sizes:
        if (
            isinstance(s, (bool, np.bool_))
            or not isinstance(s, (int, np.integer))
            or s < 1
        ):
            raise ValueError(
                f"layer_sizes must be positive integers; got {list(sizes)}"
            )
    return tuple(int(s) for s in sizes)


def _check_ax(ax: Any) -> Any:
    if ax is not None and not callable(getattr(ax, "add_patch", None)):
        raise ArgumentTypeError(
            f"ax must be a matplotlib Axes or None; got {type(ax).__name__}"
        )
    return ax


def _check_seq(value: Any, name: str, kind: type | tuple[type, ...]) -> Any:
    """None, or a list/tuple whose items are of ``kind`` (or None)."""
    if value is None:
        return value
    if not isinstance(value, (list, tuple)):
        raise ArgumentTypeError(
            f"{name} must be a list or tuple; got {type(value).__name__}"
        )
    for item in value:
        if item is not None and not isinstance(item, kind):
            raise ArgumentTypeError(
                f"{name} must hold items of type {kind}; got {type(item).__name__}"
            )
    return value


def _check_color(value: Any, name: str) -> str:
    from matplotlib.colors import is_color_like

    check_type(value, str, name)
    if not is_color_like(value):
        raise ValueError(f"{name} must be a matplotlib colour; got {value!r}")
    return value


def network_geometry(
    layer_sizes: Sequence[int],
    max_nodes: int = 8,
    layer_spacing: float = 1.0,
    node_spacing: float = 0.5,
) -> NetworkGeometry:
    """Node positions and edge pairs for a diagram of a fully connected network.

    Layer ``l`` of size ``n_l`` shows ``m_l = n_l`` nodes if ``n_l <= max_nodes``,
    otherwise its first and last ``max_nodes // 2`` units (``m_l = 2 * (max_nodes //
    2)``) around an ellipsis in the middle slot. The diagram has ``sum_l m_l`` nodes and
    ``sum_l m_l * m_{l+1}`` edges. Node ``k`` of a layer with ``s`` slots (``s = m_l``,
    plus one for the ellipsis when the layer is truncated) sits at
    ``y = ((s - 1) / 2 - k) * node_spacing``, so every layer is symmetric about
    ``y = 0``.

    ``layer_sizes``: at least two positive integers. Returns a :class:`NetworkGeometry`.
    Used in :doc:`/book/foundations/what-is-a-neural-network`.
    """
    sizes = _check_sizes(layer_sizes)
    if (
        isinstance(max_nodes, bool)
        or not isinstance(max_nodes, (int, np.integer))
        or max_nodes < 2
    ):
        raise ValueError(f"max_nodes must be an integer >= 2; got {max_nodes!r}")
    layer_spacing = check_positive(layer_spacing, "layer_spacing")
    node_spacing = check_positive(node_spacing, "node_spacing")
    head = tail = max_nodes // 2
    positions, layer, unit, ellipses, shown, offsets = [], [], [], [], [], [0]
    for l, n in enumerate(sizes):
        truncated = n > max_nodes
        units = (
            np.r_[np.arange(head), np.arange(n - tail, n)]
            if truncated
            else np.arange(n)
        )
        slots = (
            np.r_[np.arange(head), np.arange(head + 1, 2 * head + 1)]
            if truncated
            else np.arange(n)
        )
        n_slots = 2 * head + 1 if truncated else n
        y = ((n_slots - 1) / 2 - slots) * node_spacing
        positions.append(np.column_stack([np.full(units.size, l * layer_spacing), y]))
        layer.append(np.full(units.size, l))
        unit.append(units)
        if truncated:
            ellipses.append(
                (l, l * layer_spacing, ((n_slots - 1) / 2 - head) * node_spacing)
            )
        shown.append(int(units.size))
        offsets.append(offsets[-1] + units.size)
    # every node of layer l to every node of layer l + 1: an outer product of index
    # ranges
    edges = [
        np.stack(
            np.meshgrid(
                np.arange(offsets[l], offsets[l + 1]),
                np.arange(offsets[l + 1], offsets[l + 2]),
                indexing="ij",
            ),
            -1,
        ).reshape(-1, 2)
        for l in range(len(sizes) - 1)
    ]
    return NetworkGeometry(
        layer_sizes=sizes,
        shown_sizes=tuple(shown),
        positions=np.concatenate(positions).astype(np.float64),
        layer=np.concatenate(layer).astype(np.int64),
        unit=np.concatenate(unit).astype(np.int64),
        edges=np.concatenate(edges).astype(np.int64),
        ellipses=np.array(ellipses, dtype=np.float64).reshape(-1, 3),
    )


def _default_layer_labels(sizes: tuple[int, ...]) -> list[str]:
    names = (
        ["input"]
        + [
            f"hidden {i}" if len(sizes) > 3 else "hidden"
            for i in range(1, len(sizes) - 1)
        ]
        + ["output"]
    )
    return [f"{name}\n({n})" for name, n in zip(names, sizes)]


def draw_network(
    layer_sizes: Sequence[int],
    ax: Any = None,
    *,
    max_nodes: int = 8,
    layer_labels: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    node_labels: Sequence[Sequence[str] | None] | None = None,
    highlight_path: Sequence[int] | None = None,
    highlight_color: str = PALETTE[3],
    node_radius: float = 0.15,
    edge_color: str = "0.6",
    edge_alpha: float = 0.6,
    layer_spacing: float = 1.0,
    node_spacing: float = 0.5,
    fontsize: float = 9,
) -> Any:
    """Draw a fully connected network from its layer sizes and return the matplotlib
    Axes.

    Nodes are circles (one :class:`~matplotlib.collections.PatchCollection` with
    ``gid="nodes"``),
    edges are lines (one :class:`~matplotlib.collections.LineCollection` with
    ``gid="edges"``),
    layers are labelled underneath; layers larger than ``max_nodes`` show an ellipsis.

    ``layer_sizes``: at least two positive integers. ``layer_labels``: one string per
    layer
    (default "input (n)", "hidden (n)", "output (n)"). ``colors``: one colour per layer
    (default
    blue input, green hidden, orange output). ``node_labels``: per layer, ``None`` or
    one string
    per *shown* node, written inside it (e.g. ``["$x_1$", "$x_2$"]``).
    ``highlight_path``: one
    unit index per layer; the edges joining them are drawn thick in ``highlight_color``
    (a
    second LineCollection, ``gid="path"``). The geometry comes from
    :func:`network_geometry`.
    Introduced in :doc:`/book/foundations/what-is-a-neural-network`.
    """
    _check_ax(ax)
    _check_seq(layer_labels, "layer_labels", str)
    _check_seq(colors, "colors", str)
    for c in colors or ():
        _check_color(c, "colors")
    _check_seq(node_labels, "node_labels", (list, tuple))
    _check_seq(highlight_path, "highlight_path", (int, np.integer))
    _check_color(highlight_color, "highlight_color")
    _check_color(edge_color, "edge_color")
    node_radius = check_positive(node_radius, "node_radius")
    edge_alpha = check_probability(edge_alpha, "edge_alpha", include_one=True)
    fontsize = check_positive(fontsize, "fontsize")
    geo = network_geometry(
        layer_sizes,
        max_nodes=max_nodes,
        layer_spacing=layer_spacing,
        node_spacing=node_spacing,
    )
    L = len(geo.layer_sizes)
    if layer_labels is None:
        layer_labels = _default_layer_labels(geo.layer_sizes)
    if len(layer_labels) != L:
        raise ValueError(
            f"layer_labels must have one entry per layer ({L}); got {len(layer_labels)}"
        )
    if colors is None:
        colors = [PALETTE[0]] + [PALETTE[2]] * (L - 2) + [PALETTE[1]]
    if len(colors) != L:
        raise ValueError(
            f"colors must have one entry per layer ({L}); got {len(colors)}"
        )
    if node_labels is not None:
        if len(node_labels) != L:
            raise ValueError(
                f"node_labels must have one entry per layer ({L}); got "
                f"{len(node_labels)}"
            )
        for l, labels in enumerate(node_labels):
            if labels is not None and len(labels) != geo.shown_sizes[l]:
                raise ValueError(
                    f"node_labels[{l}] must have one string per shown node "
                    f"({geo.shown_sizes[l]}); got {len(labels)}"
                )
    path_nodes = None
    if highlight_path is not None:
        if len(highlight_path) != L:
            raise ValueError(
                f"highlight_path must give one unit per layer ({L}); got "
                f"{len(highlight_path)}"
            )
        path_nodes = [geo.node_index(l, int(u)) for l, u in enumerate(highlight_path)]
    if ax is None:
        import matplotlib.pyplot as plt  # lazily: `import nnbook` stays fast

        _, ax = plt.subplots(figsize=(1.6 * L + 1, 0.45 * max(geo.shown_sizes) + 1.6))
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Circle

    P = geo.positions
    ax.add_collection(
        LineCollection(
            P[geo.edges],
            colors=edge_color,
            alpha=edge_alpha,
            linewidths=0.8,
            zorder=1,
            gid="edges",
        )
    )
    if path_nodes is not None:
        segs = list(np.stack([P[path_nodes[:-1]], P[path_nodes[1:]]], axis=1))
        ax.add_collection(
            LineCollection(
                segs, colors=highlight_color, linewidths=2.5, zorder=2, gid="path"
            )
        )
    circles = [Circle(tuple(p), node_radius) for p in P]
    face = [colors[l] for l in geo.layer]
    edge = ["black"] * len(P)
    if path_nodes is not None:
        for i in path_nodes:
            edge[i] = highlight_color
    ax.add_collection(
        PatchCollection(
            circles,
            facecolors=face,
            edgecolors=edge,
            linewidths=1.0,
            zorder=3,
            gid="nodes",
        )
    )
    for _l, x, y in geo.ellipses:
        ax.text(
            x, y, "\u22ee", ha="center", va="center", fontsize=fontsize + 6, zorder=4
        )
    if node_labels is not None:
        for l, labels in enumerate(node_labels):
            if labels is None:
                continue
            for p, text in zip(P[geo.layer == l], labels):
                ax.text(
                    p[0],
                    p[1],
                    text,
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color="white",
                    fontweight="bold",
                    zorder=4,
                )
    y_bottom = P[:, 1].min() - node_radius
    for l in range(L):
        ax.text(
            l * layer_spacing,
            y_bottom - 0.15,
            layer_labels[l],
            ha="center",
            va="top",
            fontsize=fontsize,
        )
    pad = node_radius + 0.1
    ax.set_xlim(
        -pad - 0.25 * layer_spacing,
        (L - 1) * layer_spacing + pad + 0.25 * layer_spacing,
    )
    ax.set_ylim(y_bottom - 0.75, P[:, 1].max() + pad)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_neuron(
    ax: Any = None,
    n_inputs: int = 3,
    *,
    activation: str = r"\varphi",
    input_labels: Sequence[str] | None = None,
    weight_labels: Sequence[str] | None = None,
    output_label: str = r"$a = \varphi(z)$",
    color: str = PALETTE[2],
    fontsize: float = 10,
) -> Any:
    """Draw one artificial neuron: inputs ``x_i`` on arrows weighted ``w_i`` into a node
    that forms ``z = sum_i w_i x_i + b`` and outputs ``a = phi(z)``. Returns the
    matplotlib Axes.

    ``n_inputs``: a positive integer (the last input is drawn as ``x_n`` after an
    ellipsis when there are more than 4). ``input_labels`` / ``weight_labels``: one
    string per drawn input. Introduced in
    :doc:`/book/foundations/what-is-a-neural-network`.
    """
    _check_ax(ax)
    n_inputs = check_int(n_inputs, "n_inputs")
    _check_seq(input_labels, "input_labels", str)
    _check_seq(weight_labels, "weight_labels", str)
    check_type(activation, str, "activation")
    check_type(output_label, str, "output_label")
    _check_color(color, "color")
    fontsize = check_positive(fontsize, "fontsize")
    shown = list(range(1, n_inputs + 1)) if n_inputs <= 4 else [1, 2, 3, n_inputs]
    m = len(shown)
    if input_labels is None:
        input_labels = [
            f"$x_{{{i}}}$" if i != n_inputs or n_inputs <= 4 else "$x_n$" for i in shown
        ]
    if weight_labels is None:
        weight_labels = [
            f"$w_{{{i}}}$" if i != n_inputs or n_inputs <= 4 else "$w_n$" for i in shown
        ]
    if len(input_labels) != m or len(weight_labels) != m:
        raise ValueError(
            f"input_labels and weight_labels must have {m} entries; "
            f"got {len(input_labels)} and {len(weight_labels)}"
        )
    if ax is None:
        import matplotlib.pyplot as plt  # lazily: `import nnbook` stays fast

        _, ax = plt.subplots(figsize=(6.4, 3.2))
    from matplotlib.patches import Circle, FancyArrowPatch

    ys = np.linspace(1.0, -1.0, m) if m > 1 else np.zeros(1)
    centre, r = np.array([2.2, 0.0]), 0.45
    for y, xl, wl in zip(ys, input_labels, weight_labels):
        start = np.array([0.35, y])
        direction = centre - start
        end = centre - r * direction / np.linalg.norm(direction)
        ax.add_patch(
            FancyArrowPatch(
                tuple(start),
                tuple(end),
                arrowstyle="-|>",
                mutation_scale=12,
                color="0.3",
                linewidth=1.2,
            )
        )
        ax.text(0.25, y, xl, ha="right", va="center", fontsize=fontsize + 1)
        mid = start + 0.45 * direction
        ax.text(
            mid[0],
            mid[1] + 0.12,
            wl,
            ha="center",
            va="bottom",
            fontsize=fontsize,
            color=PALETTE[0],
        )
    if n_inputs > 4:
        ax.text(
            0.1,
            (ys[2] + ys[3]) / 2,
            "\u22ee",
            ha="center",
            va="center",
            fontsize=fontsize + 4,
        )
    ax.add_patch(
        Circle(
            tuple(centre),
            r,
            facecolor=color,
            edgecolor="black",
            linewidth=1.2,
            zorder=3,
        )
    )
    ax.text(
        centre[0],
        centre[1] + 0.12,
        r"$\Sigma$",
        ha="center",
        va="center",
        fontsize=fontsize + 3,
        color="white",
        zorder=4,
    )
    ax.text(
        centre[0],
        centre[1] - 0.18,
        f"${activation}$",
        ha="center",
        va="center",
        fontsize=fontsize + 1,
        color="white",
        zorder=4,
    )
    ax.add_patch(
        FancyArrowPatch(
            (centre[0], centre[1] - 1.1),
            (centre[0], centre[1] - r),
            arrowstyle="-|>",
            mutation_scale=12,
            color="0.3",
            linewidth=1.2,
        )
    )
    ax.text(
        centre[0],
        centre[1] - 1.2,
        "bias $b$",
        ha="center",
        va="top",
        fontsize=fontsize,
        color=PALETTE[0],
    )
    ax.add_patch(
        FancyArrowPatch(
            (centre[0] + r, 0.0),
            (4.0, 0.0),
            arrowstyle="-|>",
            mutation_scale=12,
            color="0.3",
            linewidth=1.2,
        )
    )
    ax.text(
        centre[0],
        1.2,
        r"$z = w_1 x_1 + \cdots + w_n x_n + b$",
        ha="center",
        va="bottom",
        fontsize=fontsize,
    )
    ax.text(4.05, 0.0, output_label, ha="left", va="center", fontsize=fontsize + 1)
    ax.set_xlim(-0.4, 5.4)
    ax.set_ylim(-1.55, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
