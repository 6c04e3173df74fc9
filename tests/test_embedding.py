"""Tests for nnbook.nn.embedding: lookup, scatter-add backward, tied output layer."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import Embedding, Module, check_module, embedding_backward, embedding_lookup


def test_lookup_and_repeated_ids_sum() -> None:
    rng = np.random.default_rng(0)
    emb = Embedding(5, 3, rng)
    ids = np.array([[1, 1, 4]])
    E = emb(ids)
    np.testing.assert_array_equal(E[0, 0], emb.params["W"][1])
    emb.backward(np.ones((1, 3, 3)))
    np.testing.assert_array_equal(emb.grads["W"][1], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(emb.grads["W"][0], 0.0)
    np.testing.assert_array_equal(embedding_backward(np.ones((1, 3, 3)), ids, 5),
                                  emb.grads["W"])
    np.testing.assert_array_equal(embedding_lookup(emb.params["W"], ids), E)


class _Tied(Module):
    """ids -> E = W[ids] -> tanh -> logits = tanh(E) W^T: W is used twice."""

    def __init__(self, emb: Embedding) -> None:
        super().__init__()
        self.emb = emb

    def forward(self, ids: np.ndarray) -> np.ndarray:
        self.H = np.tanh(self.emb(ids))
        return self.emb.attend(self.H)

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> None:
        dH = self.emb.attend_backward(dZ)
        self.emb.backward(dH * (1.0 - self.H ** 2))
        return None


def test_tied_gradient_sums_both_uses() -> None:
    rng = np.random.default_rng(1)
    emb = Embedding(6, 4, rng)
    ids = np.array([[0, 3, 3], [5, 1, 0]])
    errors = check_module(_Tied(emb), ids)
    assert errors["emb.W"] < 1e-6
    assert list(_Tied(emb).parameters()) == ["emb.W"]


def test_lifo_order_is_enforced() -> None:
    emb = Embedding(3, 2, np.random.default_rng(0))
    emb(np.array([0]))
    emb.attend(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="attend_backward first"):
        emb.backward(np.zeros((1, 2)))


def test_bad_ids() -> None:
    emb = Embedding(3, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        emb(np.array([3]))
    with pytest.raises(TypeError, match="integer"):
        emb(np.array([0.5]))
    with pytest.raises(TypeError, match="Generator"):
        Embedding(3, 2, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        emb.attend(np.zeros((1, 3)))
