"""Tests for nnbook.foundations.history: the timeline's data against references.bib, and its figure."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnbook.foundations.history import (
    CATEGORIES,
    CATEGORY_COLORS,
    NN_WINTERS,
    TIMELINE,
    Event,
    plot_timeline,
    timeline,
)

BIB = Path(__file__).resolve().parents[1] / "references.bib"


def _bib_entries() -> dict[str, str]:
    """Map each key of references.bib to the text of its entry (a regex parse, no pybtex)."""
    text = BIB.read_text(encoding="utf-8")
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, re.M)]
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return {key: text[s:e] for (s, key), e in zip(starts, ends)}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_every_timeline_key_is_in_references_bib() -> None:
    entries = _bib_entries()
    missing = [e.key for e in TIMELINE if e.key not in entries]
    assert not missing, f"timeline keys missing from references.bib: {missing}"


def test_every_timeline_entry_is_a_real_reference() -> None:
    entries = _bib_entries()
    for e in TIMELINE:
        body = entries[e.key]
        assert re.search(r"\bauthor\s*=", body) and re.search(r"\btitle\s*=", body), e.key
        year = int(re.search(r"\byear\s*=\s*[{\"]?(\d{4})", body).group(1))
        # an event is dated by its first public appearance (a preprint may precede the venue by a year)
        assert e.year <= year <= e.year + 1, (e.key, e.year, year)


def test_years_sorted_and_categories_allowed() -> None:
    years = [e.year for e in TIMELINE]
    assert years == sorted(years)
    assert {e.category for e in TIMELINE} <= set(CATEGORIES)
    assert set(CATEGORY_COLORS) == set(CATEGORIES)
    assert len(set(CATEGORY_COLORS.values())) == len(CATEGORIES)
    assert len({e.key for e in TIMELINE}) == len(TIMELINE)
    assert all(lo <= hi for lo, hi in NN_WINTERS)


def test_the_milestones_the_chapter_names_are_present() -> None:
    by_year = {(e.year, e.key) for e in TIMELINE}
    for pair in [(1943, "mcculloch1943logical"), (1958, "rosenblatt1958perceptron"),
                 (1986, "rumelhart1986learning"), (2012, "krizhevsky2012imagenet"),
                 (2017, "vaswani2017attention"), (2020, "ho2020denoising")]:
        assert pair in by_year


@given(st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True),
       st.integers(1940, 2025), st.integers(0, 90))
def test_filtering(categories: list[str], start: int, span: int) -> None:
    out = timeline(categories, start, start + span)
    assert all(e.category in categories and start <= e.year <= start + span for e in out)
    assert [e.year for e in out] == sorted(e.year for e in out)
    expected = [e for e in TIMELINE if e.category in categories and start <= e.year <= start + span]
    assert list(out) == expected


def test_timeline_default_is_everything() -> None:
    assert timeline() == TIMELINE


def _n_markers(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() == "events")


def test_plot_has_one_marker_per_event() -> None:
    ax = plot_timeline()
    assert _n_markers(ax) == len(TIMELINE)
    assert ax.get_xlabel() == "year"
    assert len(ax.texts) == len(TIMELINE)
    models = timeline(["model"])
    fig, ax2 = plt.subplots()
    assert plot_timeline(ax2, models, winters=(), legend=False) is ax2
    assert _n_markers(ax2) == len(models)


def test_plot_labels_do_not_overlap() -> None:
    ax = plot_timeline()
    fig = ax.figure
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (ax.texts[i].get_text(), ax.texts[j].get_text())


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="categories must be drawn from"):
        timeline(["modle"])
    with pytest.raises(ValueError, match="start must not be after end"):
        timeline(start=2000, end=1990)
    with pytest.raises(ValueError, match="events must not be empty"):
        plot_timeline(events=[])
    with pytest.raises(ValueError, match="event category must be one of"):
        plot_timeline(events=[Event(2000, "x", "y", "z", "gossip")])
    with pytest.raises(ValueError, match="nnbook.Event records"):
        plot_timeline(events=[(2000, "x", "y", "z", "model")])
    with pytest.raises(ValueError, match="first <= last"):
        plot_timeline(winters=[(1990, 1980)])


# --- the early learning rules -------------------------------------------------------------------

import numpy as np

from nnbook.foundations.history import (
    hebbian_update,
    hopfield_energy,
    hopfield_recall,
    hopfield_weights,
    lms_update,
    oja_update,
)
from nnbook.gradcheck import numerical_gradient
from tests.strategies import arrays


def test_widrow_hoff_by_hand() -> None:
    # w = (1, -1), b = 0.5, x = (2, 1), y = 3: y_hat = 2 - 1 + 0.5 = 1.5, e = 1.5;
    # w <- (1, -1) + 0.1 * 1.5 * (2, 1) = (1.3, -0.85), b <- 0.5 + 0.15 = 0.65
    w, b = lms_update(np.array([1.0, -1.0]), 0.5, np.array([2.0, 1.0]), 3.0, lr=0.1)
    np.testing.assert_allclose(w, [1.3, -0.85], rtol=1e-15)
    assert abs(b - 0.65) < 1e-15


def test_lms_is_a_gradient_step_on_half_mse(rng) -> None:
    X, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    w, b, lr = rng.normal(size=3), 0.3, 0.05
    theta = np.r_[w, b]

    def half_mse(t: np.ndarray) -> float:
        return 0.5 * float(np.mean((y - X @ t[:3] - t[3]) ** 2))

    g = numerical_gradient(half_mse, theta.copy())
    w_new, b_new = lms_update(w, b, X, y, lr)
    np.testing.assert_allclose(np.r_[w_new, b_new], theta - lr * g, rtol=1e-7, atol=1e-10)


def test_hebb_is_gradient_ascent_on_half_mean_square_output(rng) -> None:
    X, w, lr = rng.normal(size=(6, 4)), rng.normal(size=4), 0.1
    g = numerical_gradient(lambda v: 0.5 * float(np.mean((X @ v) ** 2)), w.copy())
    np.testing.assert_allclose(hebbian_update(w, X, lr), w + lr * g, rtol=1e-7, atol=1e-10)


def test_hebb_grows_and_oja_finds_the_first_principal_component(rng) -> None:
    C = np.array([[3.0, 1.0], [1.0, 1.0]])
    X = rng.multivariate_normal(np.zeros(2), C, size=4000)
    w_hebb = w_oja = np.array([0.3, -0.8])
    for x in X[:2000]:
        w_hebb = hebbian_update(w_hebb, x, 0.01)
        w_oja = oja_update(w_oja, x, 0.01)
    assert np.linalg.norm(w_hebb) > 1e6
    evals, evecs = np.linalg.eigh(np.cov(X.T))
    top = evecs[:, -1]
    assert abs(np.linalg.norm(w_oja) - 1) < 0.05
    assert abs(abs(w_oja @ top) / np.linalg.norm(w_oja) - 1) < 1e-2


def test_oja_fixed_point_is_a_unit_eigenvector() -> None:
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [0.0, -0.5]])  # covariance diag(1/2, 1/8)
    np.testing.assert_allclose(oja_update(np.array([1.0, 0.0]), X, 0.3), [1.0, 0.0], atol=1e-15)


def test_hopfield_energy_by_hand_and_gradient(rng) -> None:
    W = hopfield_weights(np.array([[1, -1, 1]]))
    np.testing.assert_allclose(W, np.array([[0, -1, 1], [-1, 0, -1], [1, -1, 0]]) / 3)
    # E(xi) = -(1/2) xi^T W xi = -(1/2) * (2/3) * 3 = -1 for the stored pattern
    assert abs(hopfield_energy(W, np.array([1, -1, 1])) + 1.0) < 1e-15
    assert abs(hopfield_energy(W, np.array([1, 1, 1])) - 1 / 3) < 1e-15
    # the local field is minus the gradient of E in the continuous relaxation
    s = rng.choice([-1.0, 1.0], size=3)
    Wc = W.copy()
    g = numerical_gradient(lambda v: -0.5 * float(v @ Wc @ v), s.copy())
    np.testing.assert_allclose(-g, W @ s, rtol=1e-7, atol=1e-10)
    batch = np.array([[1, -1, 1], [1, 1, 1]])
    np.testing.assert_allclose(hopfield_energy(W, batch), [-1.0, 1 / 3])


def test_hopfield_energy_never_increases_and_patterns_are_recalled(rng) -> None:
    n = 100
    patterns = rng.choice([-1.0, 1.0], size=(3, n))
    W = hopfield_weights(patterns)
    noisy = patterns[0].copy()
    flip = rng.choice(n, size=15, replace=False)
    noisy[flip] *= -1
    s, E = hopfield_recall(W, noisy, rng, n_sweeps=3)
    assert E.shape == (3 * n + 1,)
    assert np.all(np.diff(E) <= 1e-12)
    np.testing.assert_array_equal(s, patterns[0])
    assert abs(E[-1] - hopfield_energy(W, s)) < 1e-9
    assert abs(E[0] - hopfield_energy(W, noisy)) < 1e-9


@given(arrays((5, 3), -3, 3), arrays((3,), -1, 1))
def test_rules_keep_shape_and_dtype(X: np.ndarray, w: np.ndarray) -> None:
    for rule in (hebbian_update, oja_update):
        out = rule(w, X, 0.01)
        assert out.shape == (3,) and np.isfinite(out).all()
    w32 = w.astype(np.float32)
    assert hebbian_update(w32, X.astype(np.float32), 0.01).dtype == np.float32
    w_new, b_new = lms_update(w, 0.0, X, X[:, 0], 0.01)
    assert w_new.shape == (3,) and isinstance(b_new, float)


def test_rules_bad_input(rng) -> None:
    with pytest.raises(ValueError, match="X must have 3 features to match w"):
        hebbian_update(np.zeros(3), np.zeros((4, 2)), 0.1)
    with pytest.raises(ValueError, match="w must be a 1-D array"):
        oja_update(np.zeros((3, 1)), np.zeros(3), 0.1)
    with pytest.raises(ValueError, match="X must be finite"):
        oja_update(np.zeros(2), np.array([np.nan, 1.0]), 0.1)
    with pytest.raises(ValueError, match="X must not be empty"):
        hebbian_update(np.zeros(2), np.zeros((0, 2)), 0.1)
    with pytest.raises(ValueError, match="y must have one target per input"):
        lms_update(np.zeros(2), 0.0, np.zeros((4, 2)), np.zeros(3), 0.1)
    with pytest.raises(ValueError, match=r"patterns must hold states in \{-1, \+1\}"):
        hopfield_weights(np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="W must be a square"):
        hopfield_energy(np.zeros((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="W must be symmetric"):
        hopfield_energy(np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones(2))
    with pytest.raises(ValueError, match="s must have 2 units to match W"):
        hopfield_energy(np.zeros((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="zero diagonal"):
        hopfield_recall(np.eye(2), np.ones(2), rng)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        hopfield_recall(np.zeros((2, 2)), np.ones(2), 0)
    with pytest.raises(ValueError, match="n_sweeps must be a positive integer"):
        hopfield_recall(np.zeros((2, 2)), np.ones(2), rng, n_sweeps=0)
