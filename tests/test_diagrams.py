"""Tests for nnbook.viz.diagrams: the geometry of network diagrams (not their pixels), bad input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnbook.viz.diagrams import draw_network, draw_neuron, network_geometry

layer_lists = st.lists(st.integers(1, 40), min_size=2, max_size=6)
max_nodes_st = st.integers(2, 10)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_hand_computed_3_4_4_2() -> None:
    geo = network_geometry([3, 4, 4, 2], node_spacing=1.0)
    assert geo.shown_sizes == (3, 4, 4, 2)
    assert geo.positions.shape == (13, 2)
    assert geo.edges.shape == (3 * 4 + 4 * 4 + 4 * 2, 2)
    # the input layer at x = 0, centred: y = 1, 0, -1 (unit 0 on top)
    np.testing.assert_allclose(geo.positions[:3], [[0, 1], [0, 0], [0, -1]])
    # the output layer at x = 3: y = 0.5, -0.5
    np.testing.assert_allclose(geo.positions[-2:], [[3, 0.5], [3, -0.5]])
    assert geo.ellipses.shape == (0, 3)
    # the first edge joins input unit 0 to hidden unit 0; the last, hidden-2 unit 3 to output unit 1
    assert tuple(geo.edges[0]) == (0, 3) and tuple(geo.edges[-1]) == (10, 12)


def test_truncated_layer_keeps_first_and_last_units() -> None:
    geo = network_geometry([784, 16, 10], max_nodes=6, node_spacing=1.0)
    assert geo.shown_sizes == (6, 6, 6)
    np.testing.assert_array_equal(geo.unit[geo.layer == 0], [0, 1, 2, 781, 782, 783])
    # 7 slots (6 nodes and the ellipsis) centred on 0: the ellipsis takes the middle slot y = 0
    np.testing.assert_allclose(geo.positions[geo.layer == 0, 1], [3, 2, 1, -1, -2, -3])
    np.testing.assert_allclose(geo.ellipses, [[0, 0, 0], [1, 1, 0], [2, 2, 0]])
    assert geo.node_index(0, 783) == 5
    with pytest.raises(ValueError, match="not shown"):
        geo.node_index(0, 100)


@given(layer_lists, max_nodes_st)
def test_counts_bounds_and_symmetry(sizes: list[int], max_nodes: int) -> None:
    geo = network_geometry(sizes, max_nodes=max_nodes, layer_spacing=2.0, node_spacing=0.5)
    shown = [n if n <= max_nodes else 2 * (max_nodes // 2) for n in sizes]
    assert geo.shown_sizes == tuple(shown)
    assert geo.positions.shape == (sum(shown), 2)
    assert geo.edges.shape == (sum(a * b for a, b in zip(shown[:-1], shown[1:])), 2)
    # every edge joins consecutive layers, and no edge appears twice
    np.testing.assert_array_equal(geo.layer[geo.edges[:, 1]] - geo.layer[geo.edges[:, 0]], 1)
    assert len({tuple(e) for e in geo.edges}) == len(geo.edges)
    # positions within bounds: x on the layer's line, |y| at most half the tallest column
    np.testing.assert_allclose(geo.positions[:, 0], 2.0 * geo.layer)
    half = max(max_nodes - 1, 2 * (max_nodes // 2)) / 2 * 0.5
    assert np.all(np.abs(geo.positions[:, 1]) <= half + 1e-12)
    # each layer is symmetric about y = 0 and its units are distinct and in range
    for l, n in enumerate(sizes):
        y = geo.positions[geo.layer == l, 1]
        np.testing.assert_allclose(np.sort(y), np.sort(-y), atol=1e-12)
        u = geo.unit[geo.layer == l]
        assert len(set(u)) == u.size and u.min() >= 0 and u.max() < n
    assert len(geo.ellipses) == sum(n > max_nodes for n in sizes)


@given(layer_lists)
def test_adjacent_nodes_in_a_layer_are_evenly_spaced(sizes: list[int]) -> None:
    geo = network_geometry(sizes, max_nodes=50, node_spacing=0.7)
    for l in range(len(sizes)):
        y = geo.positions[geo.layer == l, 1]
        np.testing.assert_allclose(np.diff(y), -0.7, atol=1e-12)


def test_draw_network_artists_match_the_geometry() -> None:
    sizes = [3, 4, 4, 2]
    ax = draw_network(sizes, highlight_path=[0, 1, 2, 1],
                      node_labels=[["$x_1$", "$x_2$", "$x_3$"], None, None, ["a", "b"]])
    by_gid = {c.get_gid(): c for c in ax.collections}
    assert len(by_gid["nodes"].get_paths()) == 13
    assert len(by_gid["edges"].get_segments()) == 36
    assert len(by_gid["path"].get_segments()) == 3
    texts = [t.get_text() for t in ax.texts]
    assert "$x_2$" in texts and any(t.startswith("output") for t in texts)


def test_draw_network_large_layer_shows_ellipsis() -> None:
    ax = draw_network([100, 5, 1], max_nodes=4, layer_labels=["in", "mid", "out"], colors=["r", "g", "b"])
    assert "\u22ee" in [t.get_text() for t in ax.texts]
    nodes = next(c for c in ax.collections if c.get_gid() == "nodes")
    assert len(nodes.get_paths()) == 4 + 4 + 1


def test_draw_neuron_returns_axes() -> None:
    fig, ax = plt.subplots()
    assert draw_neuron(ax, n_inputs=6) is ax
    assert any("x_n" in t.get_text() for t in ax.texts)


@pytest.mark.parametrize("sizes, match", [
    ([3], "at least 2 layers"),
    ([], "at least 2 layers"),
    ([3, 0, 2], "positive integers"),
    ([3, -1], "positive integers"),
    ([3, 2.5], "positive integers"),
    (5, "sequence of positive integers"),
])
def test_bad_layer_sizes(sizes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        network_geometry(sizes)
    with pytest.raises(ValueError, match=match):
        draw_network(sizes)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="max_nodes must be an integer >= 2"):
        network_geometry([2, 2], max_nodes=1)
    with pytest.raises(ValueError, match="node_spacing must be a finite positive"):
        network_geometry([2, 2], node_spacing=float("nan"))
    with pytest.raises(ValueError, match="layer_labels must have one entry per layer"):
        draw_network([2, 3], layer_labels=["a"])
    with pytest.raises(ValueError, match="colors must have one entry per layer"):
        draw_network([2, 3], colors=["r", "g", "b"])
    with pytest.raises(ValueError, match=r"node_labels\[0\] must have one string per shown node"):
        draw_network([2, 3], node_labels=[["a"], None])
    with pytest.raises(ValueError, match="highlight_path must give one unit per layer"):
        draw_network([2, 3], highlight_path=[0])
    with pytest.raises(ValueError, match="not shown"):
        draw_network([2, 3], highlight_path=[0, 5])
    with pytest.raises(ValueError, match="n_inputs must be a positive integer"):
        draw_neuron(n_inputs=0)
