"""Tests for nnbook.learning.transfer: frozen features, multi-task loss, curriculum."""

import numpy as np
import pytest

from nnbook import (
    Dense,
    Frozen,
    MultiTaskLoss,
    ReLU,
    Sequential,
    check_module,
    cross_entropy,
    curriculum_order,
    curriculum_pacing,
)


def test_frozen_hides_parameters_and_matches_the_module():
    rng = np.random.default_rng(0)
    trunk = Sequential([Dense(4, 6, rng), ReLU()])
    model = Sequential([Frozen(trunk), Dense(6, 3, rng)])
    assert set(model.parameters()) == {"1.W", "1.b"}
    X = rng.standard_normal((5, 4))
    np.testing.assert_allclose(model.layers[0](X), trunk(X))
    trunk.clear_cache()
    before = trunk.params if hasattr(trunk, "params") else None
    out = model(X)
    assert model.backward(np.ones_like(out)) is None
    assert before == trunk.params
    check_module(Sequential([Dense(4, 3, rng)]), X)


def test_multitask_loss_is_the_sum_of_the_heads():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((6, 5))
    t = np.stack([rng.integers(0, 3, 6), rng.integers(0, 2, 6)], axis=1)
    loss_fn = MultiTaskLoss([3, 2], weights=[1.0, 0.5])
    value, grad = loss_fn(Z, t)
    expected = cross_entropy(Z[:, :3], t[:, 0]) + 0.5 * cross_entropy(Z[:, 3:], t[:, 1])
    assert value == pytest.approx(expected)
    from nnbook.gradcheck import numerical_gradient
    num = numerical_gradient(lambda _: loss_fn(Z, t)[0], Z)
    np.testing.assert_allclose(grad, num, atol=1e-8)
    accs = loss_fn.task_accuracy(Z, t)
    assert len(accs) == 2
    assert loss_fn.correct(Z, t) <= min(accs) * 6 + 1e-9


def test_curriculum_pacing_grows_from_the_easiest():
    d = np.array([5.0, 1, 3, 2, 4, 0, 6, 7, 9, 8])
    assert curriculum_order(d).tolist() == [5, 1, 3, 2, 4, 0, 6, 7, 9, 8]
    rng = np.random.default_rng(2)
    first = curriculum_pacing(d, 0, 5, rng, start=0.3)
    assert sorted(first.tolist()) == [1, 3, 5]
    last = curriculum_pacing(d, 4, 5, rng, start=0.3)
    assert sorted(last.tolist()) == list(range(10))
    sizes = [curriculum_pacing(d, e, 5, rng, start=0.3).size for e in range(5)]
    assert sizes == sorted(sizes)


def test_bad_inputs():
    with pytest.raises(ValueError, match="weights"):
        MultiTaskLoss([2, 2], weights=[1.0])
    with pytest.raises(ValueError, match="columns"):
        MultiTaskLoss([2, 2])(np.ones((3, 3)), np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="difficulty"):
        curriculum_order(np.array([1.0, np.nan]))
    with pytest.raises((TypeError, ValueError), match="module"):
        Frozen("not a module")
