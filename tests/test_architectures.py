"""Tests for nnbook.viz.architectures: the drawings are made, and bad input is refused."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from nnbook import draw_cnn, draw_gnn, draw_rnn_unrolled


@pytest.mark.parametrize("draw", [draw_cnn, draw_rnn_unrolled, draw_gnn])
def test_draws_into_given_axes(draw) -> None:
    fig, ax = plt.subplots()
    assert draw(ax) is ax
    assert ax.patches or ax.collections or ax.texts
    plt.close(fig)


def test_rnn_has_one_cell_per_step() -> None:
    fig, ax = plt.subplots()
    draw_rnn_unrolled(ax, steps=5)
    assert sum(1 for t in ax.texts if t.get_text().startswith("$h_")) == 5 + 1  # and h_0
    plt.close(fig)


def test_gnn_messages_go_to_the_target() -> None:
    fig, ax = plt.subplots()
    draw_gnn(ax, target=2)
    # node 2 (v_3) has four neighbours in the default graph: four message arrows
    arrows = [a for a in ax.get_children() if type(a).__name__ == "Annotation"]
    labels = [t for t in ax.texts if t.get_text().startswith("$v_")]
    assert len(arrows) == 4 and len(labels) == 6
    plt.close(fig)


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        draw_cnn(ax="figure")
    with pytest.raises(TypeError, match="steps must be a positive integer; got float"):
        draw_rnn_unrolled(steps=2.5)
    with pytest.raises(ValueError, match="steps must be an integer <= 8"):
        draw_rnn_unrolled(steps=50)
    with pytest.raises(TypeError, match="channels must be a tuple"):
        draw_cnn(channels=[1, 4])
    with pytest.raises(ValueError, match="target must be an integer <= 5"):
        draw_gnn(target=9)
    with pytest.raises(ValueError, match="edges must use node indices"):
        draw_gnn(edges=((0, 7),))
    plt.close("all")
