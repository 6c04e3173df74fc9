"""Tests for nnbook.data.datasets: shapes, seeding, margins, splits and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook.data.datasets as D


def test_separable_data_has_the_margin(rng) -> None:
    X, y = D.make_separable(200, rng, margin=0.3)
    assert X.shape == (200, 2) and set(np.unique(y)) <= {-1, 1}
    w = np.random.default_rng(20261121).standard_normal(2)  # the first draw is the normal
    w /= np.linalg.norm(w)
    assert np.all(y * (X @ w) >= 0.3)


def test_generators_are_reproducible() -> None:
    for make in (D.make_moons, D.make_spirals):
        a = make(50, np.random.default_rng(1))
        b = make(50, np.random.default_rng(1))
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_xor_truth_table() -> None:
    X, y = D.make_xor()
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.shape == (4, 2)


def test_digits_are_offline_and_scaled() -> None:
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.min() >= 0 and X.max() <= 1
    assert set(np.unique(y)) == set(range(10))


def test_mnist1d_is_generated_and_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NNBOOK_DATA_DIR", str(tmp_path))
    d = D.load_mnist1d()
    assert d["x"].shape == (4000, 40) and d["x_test"].shape == (1000, 40)
    assert d["y"].shape == (4000,) and set(np.unique(d["y"])) == set(range(10))
    assert len(list(tmp_path.glob("mnist1d-*.npz"))) == 1
    again = D.load_mnist1d()
    np.testing.assert_array_equal(again["x"], d["x"])


def test_helpers(rng) -> None:
    np.testing.assert_array_equal(D.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    A, B = D.standardize(np.array([[1.0, 10.0], [3.0, 30.0]]), np.array([[2.0, 20.0]]))
    np.testing.assert_allclose(A.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(B, [[0.0, 0.0]], atol=1e-12)
    X = np.arange(20.0).reshape(10, 2)
    Xt, yt, Xv, yv = D.train_val_split(X, np.arange(10), 0.3, rng)
    assert len(Xv) == 3 and len(Xt) == 7 and set(yt) | set(yv) == set(range(10))
    batches = list(D.minibatches(10, 4, rng))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))


def test_bad_input(rng) -> None:
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        D.make_moons(10, 0)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        D.one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="same number of rows; got 3 and 2"):
        D.train_val_split(np.zeros((3, 2)), np.zeros(2), 0.5, rng)
    with pytest.raises(ValueError, match="3 columns like X_train; got 2"):
        D.standardize(np.zeros((4, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="batch_size"):
        next(D.minibatches(10, 0))


def test_char_lstm_checkpoint_is_shipped_and_loads() -> None:
    import ast

    from nnbook import CharLSTM, char_lstm_checkpoint

    ckpt = char_lstm_checkpoint()
    config = ast.literal_eval(str(ckpt["config"]))
    chars = str(ckpt["chars"])
    model = CharLSTM(len(chars), config["hidden_size"], np.random.default_rng(0))
    model.load_state_dict({k: ckpt[k] for k in model.state_dict()})
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
