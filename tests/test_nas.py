"""Tests for nnbook.learning.nas: search spaces, random search, regularized evolution,
DARTS's mixed operation."""

import numpy as np
import pytest

from nnbook import (
    Adam,
    Dense,
    Identity,
    MixedOp,
    ReLU,
    Sequential,
    Tanh,
    Zero,
    check_module,
    darts_search,
    derive_architecture,
    mutate_architecture,
    random_architecture_search,
    regularized_evolution,
    sample_architecture,
)

SPACE = {"depth": [1, 2, 3], "width": [8, 16, 32, 64], "act": ["relu", "tanh"]}


def toy_score(arch):
    """A known optimum: depth 2, width 32, tanh."""
    d, w, a = arch
    return -abs(d - 2) - abs(np.log2(w) - 5) - (a != "tanh")


def test_sampling_and_mutation_stay_in_the_space():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = sample_architecture(SPACE, rng)
        b = mutate_architecture(a, SPACE, rng)
        assert all(x in opts for x, opts in zip(b, SPACE.values()))
        assert sum(x != y for x, y in zip(a, b)) == 1


def test_random_search_and_evolution_find_the_toy_optimum():
    best_rs, best_ev = [], []
    for seed in range(5):
        rs = random_architecture_search(toy_score, SPACE, 40, np.random.default_rng(seed))
        ev = regularized_evolution(toy_score, SPACE, 40, np.random.default_rng(seed),
                                   population_size=8, sample_size=3)
        assert len(rs) == 40 and len(ev) == 40
        best_rs.append(max(s for _, s in rs))
        best_ev.append(max(s for _, s in ev))
    assert max(best_ev) == 0.0 and max(best_rs) == 0.0   # the optimum is found
    assert all(b >= -2 for b in best_ev + best_rs)


def test_mixed_op_gradients_and_weights():
    rng = np.random.default_rng(1)
    op = MixedOp([Sequential([Dense(3, 3, rng), Tanh()]), Identity(), Zero()])
    op.params["alpha"][...] = rng.standard_normal(3)
    check_module(op, rng.standard_normal((4, 3)))
    assert op.weights().sum() == pytest.approx(1.0)


def test_mixed_op_with_one_hot_alpha_is_that_op():
    rng = np.random.default_rng(2)
    dense = Sequential([Dense(3, 3, rng), ReLU()])
    op = MixedOp([dense, Identity()])
    op.params["alpha"][...] = [50.0, -50.0]
    X = rng.standard_normal((4, 3))
    np.testing.assert_allclose(op(X), dense(X), atol=1e-12)


def test_darts_updates_alpha_only_from_validation_steps():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((64, 5)), rng.integers(0, 2, 64)
    model = Sequential([Dense(5, 6, rng), ReLU(),
                        MixedOp([Sequential([Dense(6, 6, rng), ReLU()]), Identity(),
                                 Zero()]), Dense(6, 2, rng)])
    hist = darts_search(model, X, y, X, y, Adam(0.01), Adam(0.05), rng, epochs=3,
                        batch_size=16)
    assert len(hist) == 12 and np.all(np.isfinite(hist))
    assert not np.allclose(model.layers[2].params["alpha"], 0)
    assert derive_architecture(model)[0] in (0, 1, 2)


def test_bad_inputs():
    with pytest.raises(ValueError, match="space"):
        sample_architecture({"a": []}, np.random.default_rng(0))
    with pytest.raises(ValueError, match="ops"):
        MixedOp([])
    with pytest.raises((TypeError, ValueError), match="sample_size"):
        regularized_evolution(toy_score, SPACE, 5, np.random.default_rng(0),
                              population_size=2, sample_size=3)
