"""Tests for nnbook.optim: first steps by hand, the textbook recursions, convergence, state, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbook.optim as O

DECAY_ALL = lambda name, p: True  # noqa: E731  decay every array (the recursions in the papers)
from tests.strategies import arrays

# --- reference recursions: the update rules as written in the chapter, one scalar at a time ---


def ref_sgd(x, grads, lr, wd=0.0):
    x = list(x)
    for g in grads:
        x = [xi - lr * (gi + wd * xi) for xi, gi in zip(x, g(x))]
    return x


def ref_run(x0, grad_fn, n, lr, rule, **hp):
    """Run a per-coordinate rule(x_i, g_i, state_i, t) -> (x_i, state_i) with explicit loops."""
    x = list(map(float, x0))
    state = [dict() for _ in x]
    for t in range(1, n + 1):
        g = grad_fn(np.array(x))
        for i in range(len(x)):
            x[i], state[i] = rule(x[i], float(g[i]), state[i], t, lr, **hp)
    return np.array(x)


def rule_momentum(x, g, s, t, lr, beta, nesterov=False):
    v = beta * s.get("v", 0.0) + g
    step = g + beta * v if nesterov else v
    return x - lr * step, {"v": v}


def rule_adagrad(x, g, s, t, lr, eps):
    G = s.get("G", 0.0) + g * g
    return x - lr * g / (math.sqrt(G) + eps), {"G": G}


def rule_rmsprop(x, g, s, t, lr, rho, eps):
    v = rho * s.get("v", 0.0) + (1 - rho) * g * g
    return x - lr * g / (math.sqrt(v) + eps), {"v": v}


def rule_adam(x, g, s, t, lr, b1, b2, eps, wd=0.0, decoupled=False):
    if decoupled:
        x = x * (1 - lr * wd)
    else:
        g = g + wd * x
    m = b1 * s.get("m", 0.0) + (1 - b1) * g
    v = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return x - lr * m_hat / (math.sqrt(v_hat) + eps), {"m": m, "v": v}


def rule_adamax(x, g, s, t, lr, b1, b2, eps):
    m = b1 * s.get("m", 0.0) + (1 - b1) * g
    u = max(b2 * s.get("u", 0.0), abs(g) + eps)
    return x - lr / (1 - b1 ** t) * m / u, {"m": m, "u": u}


def rule_radam(x, g, s, t, lr, b1, b2, eps):
    m = b1 * s.get("m", 0.0) + (1 - b1) * g
    v = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    if rho > 5:
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        x = x - lr * r * m_hat * math.sqrt(1 - b2 ** t) / (math.sqrt(v) + eps)
    else:
        x = x - lr * m_hat
    return x, {"m": m, "v": v}


A = np.diag([1.0, 4.0, 0.5])
B = np.array([1.0, -2.0, 0.5])


def quad_grad(x):  # gradient of 0.5 x^T A x - B^T x plus a bump so the gradient is not linear
    return A @ x - B + 0.3 * np.sin(x)


X0 = np.array([0.7, -1.3, 2.0])

CASES = [
    (lambda: O.Momentum(0.05, beta=0.9), rule_momentum, dict(beta=0.9), 0.05),
    (lambda: O.Momentum(0.05, beta=0.8, nesterov=True), rule_momentum, dict(beta=0.8, nesterov=True), 0.05),
    (lambda: O.AdaGrad(0.3, eps=1e-10), rule_adagrad, dict(eps=1e-10), 0.3),
    (lambda: O.RMSprop(0.01, rho=0.9, eps=1e-8), rule_rmsprop, dict(rho=0.9, eps=1e-8), 0.01),
    (lambda: O.Adam(0.02, 0.9, 0.99, 1e-8), rule_adam, dict(b1=0.9, b2=0.99, eps=1e-8), 0.02),
    (lambda: O.Adam(0.02, 0.9, 0.99, 1e-8, weight_decay=0.1, decay=DECAY_ALL), rule_adam,
     dict(b1=0.9, b2=0.99, eps=1e-8, wd=0.1), 0.02),
    (lambda: O.AdamW(0.02, 0.9, 0.99, 1e-8, weight_decay=0.1, decay=DECAY_ALL), rule_adam,
     dict(b1=0.9, b2=0.99, eps=1e-8, wd=0.1, decoupled=True), 0.02),
    (lambda: O.AdaMax(0.02, 0.9, 0.99, 1e-8), rule_adamax, dict(b1=0.9, b2=0.99, eps=1e-8), 0.02),
    (lambda: O.RAdam(0.02, 0.9, 0.9, 1e-8), rule_radam, dict(b1=0.9, b2=0.9, eps=1e-8), 0.02),
]
IDS = ["momentum", "nesterov", "adagrad", "rmsprop", "adam", "adam-l2", "adamw", "adamax", "radam"]


@pytest.mark.parametrize("make, rule, hp, lr", CASES, ids=IDS)
def test_matches_textbook_recursion(make, rule, hp, lr) -> None:
    opt = make()
    x = X0.copy()
    params = {"x": x}
    for _ in range(25):
        opt.step(params, {"x": quad_grad(x)})
    expected = ref_run(X0, quad_grad, 25, lr, rule, **hp)
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-14)


def test_sgd_matches_recursion_with_decay() -> None:
    opt = O.SGD(0.1, weight_decay=0.2, decay=DECAY_ALL)
    x = X0.copy()
    for _ in range(10):
        opt.step({"x": x}, {"x": quad_grad(x)})
    np.testing.assert_allclose(x, ref_sgd(X0, [quad_grad] * 10, 0.1, 0.2), rtol=1e-12)


def test_hand_computed_first_steps() -> None:
    g = np.array([2.0, -0.5])
    def first(opt, p0=(1.0, 1.0)):
        p = np.array(p0)
        opt.step({"w": p}, {"w": g.copy()})
        return p
    np.testing.assert_allclose(first(O.SGD(0.1)), [0.8, 1.05])
    np.testing.assert_allclose(first(O.SGD(0.1, weight_decay=0.5, decay=DECAY_ALL)), [1 - 0.1 * 2.5, 1 - 0.1 * 0.0])
    np.testing.assert_allclose(first(O.Momentum(0.1, 0.9)), [0.8, 1.05])           # v = g
    np.testing.assert_allclose(first(O.Momentum(0.1, 0.9, nesterov=True)), [1 - 0.1 * 3.8, 1 + 0.1 * 0.95])
    # AdaGrad, RMSprop with eps = 0: first step is lr * sign(g) / sqrt(1 - rho) for RMSprop
    np.testing.assert_allclose(first(O.AdaGrad(0.1, eps=1e-300)), [0.9, 1.1])
    np.testing.assert_allclose(first(O.RMSprop(0.1, rho=0.75, eps=1e-300)), [1 - 0.2, 1 + 0.2])
    # Adam, AdaMax and AdamW: the bias correction makes the first step lr * sign(g)
    np.testing.assert_allclose(first(O.Adam(0.1, eps=1e-300)), [0.9, 1.1])
    np.testing.assert_allclose(first(O.AdaMax(0.1, eps=1e-300)), [0.9, 1.1])
    np.testing.assert_allclose(first(O.AdamW(0.1, eps=1e-300, weight_decay=0.5, decay=DECAY_ALL)), [0.95 - 0.1, 0.95 + 0.1])
    # RAdam: rho_1 = 1 <= 5, so the first step is momentum SGD with bias correction: lr * g
    np.testing.assert_allclose(first(O.RAdam(0.1)), [0.8, 1.05])
    # LAMB: r = sign(g) (eps ~ 0), ||p|| = sqrt(2) = ||r||, trust 1
    np.testing.assert_allclose(first(O.LAMB(0.1, eps=1e-300)), [0.9, 1.1])
    np.testing.assert_allclose(first(O.LAMB(0.1, eps=1e-300), (3.0, 4.0)), [3 - 0.5 / math.sqrt(2), 4 + 0.5 / math.sqrt(2)])


@settings(max_examples=30)
@given(arrays(lo=-10, hi=10), st.floats(1e-4, 1.0), st.floats(0.5, 0.999))
def test_adam_first_step_has_size_lr(g, lr, beta1) -> None:
    p = np.zeros_like(g)
    O.Adam(lr, beta1=beta1, eps=1e-12).step({"p": p}, {"p": g})
    nz = np.abs(g) > 1e-3
    np.testing.assert_allclose(np.abs(p[nz]), lr, rtol=1e-6)


def test_momentum_effective_step_is_lr_over_one_minus_beta() -> None:
    opt = O.Momentum(0.01, beta=0.9)
    p = np.zeros(1)
    for _ in range(300):
        before = p.copy()
        opt.step({"p": p}, {"p": np.ones(1)})
    assert (before - p)[0] == pytest.approx(0.01 / (1 - 0.9), rel=1e-10)


def test_adagrad_steps_shrink_like_one_over_sqrt_t() -> None:
    opt = O.AdaGrad(1.0, eps=1e-300)
    p = np.zeros(1)
    steps = []
    for _ in range(100):
        before = p.copy()
        opt.step({"p": p}, {"p": np.full(1, 3.0)})
        steps.append(float(before[0] - p[0]))
    np.testing.assert_allclose(steps, 1 / np.sqrt(np.arange(1, 101)), rtol=1e-12)


def test_radam_rho_formula() -> None:
    rho_inf = 2 / (1 - 0.999) - 1
    assert O.radam_rho(1, 0.999) == pytest.approx(1.0)          # a one-sample average
    assert O.radam_rho(10**6, 0.999) == pytest.approx(rho_inf)
    rho = O.radam_rho(np.arange(1, 2000), 0.999)
    assert np.all(np.diff(rho) > 0)
    with pytest.raises(ValueError, match="steps >= 1"):
        O.radam_rho(0)


ALL = [
    lambda: O.SGD(0.1), lambda: O.Momentum(0.05), lambda: O.Momentum(0.05, nesterov=True),
    lambda: O.AdaGrad(0.5), lambda: O.RMSprop(0.01), lambda: O.Adam(0.05), lambda: O.AdaMax(0.05),
    lambda: O.AdamW(0.05, weight_decay=1e-3, decay=DECAY_ALL), lambda: O.RAdam(0.05), lambda: O.LAMB(0.02),
    lambda: O.Lookahead(O.Adam(0.05)), lambda: O.SAM(O.SGD(0.1), rho=0.01),
]
ALL_IDS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "adamw", "radam",
           "lamb", "lookahead", "sam"]


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_optimizer_decreases_a_convex_quadratic(make, dtype) -> None:
    H = np.diag([1.0, 3.0])
    loss = lambda x: 0.5 * float(x @ H @ x)  # noqa: E731
    path = O.optimizer_trajectory(make(), lambda x: H @ x, np.array([1.5, -1.0]), 200)
    assert loss(path[-1]) < 0.05 * loss(path[0])
    # and in the requested dtype, in place, keeping the dtype
    opt = make()
    p = np.array([1.5, -1.0], dtype=dtype)
    ref = p
    for _ in range(50):
        g = (H @ p).astype(dtype)
        if isinstance(opt, O.SAM):
            opt.first_step({"p": p}, {"p": g})
            g = (H @ p).astype(dtype)
            opt.second_step({"p": p}, {"p": g})
        else:
            opt.step({"p": p}, {"p": g})
    assert p is ref and p.dtype == dtype
    assert loss(p.astype(np.float64)) < loss(np.array([1.5, -1.0]))
    for st_ in opt.state.values():
        for v in st_.values():
            if isinstance(v, np.ndarray):
                assert v.dtype == dtype


def test_state_is_per_parameter_name() -> None:
    opt = O.Adam(0.1)
    a, b = np.ones(3), np.ones((2, 2))
    opt.step({"a": a}, {"a": np.ones(3)})
    opt.step({"a": a, "b": b}, {"a": np.ones(3), "b": np.ones((2, 2))})
    assert set(opt.state) == {"a", "b"}
    assert opt.state["a"]["t"] == 2 and opt.state["b"]["t"] == 1
    assert opt.state["b"]["m"].shape == (2, 2)
    # b's first step is bias-corrected on its own count: size lr
    np.testing.assert_allclose(b, 0.9)
    sd = opt.state_dict()
    sd["state"]["a"]["m"][:] = 99.0                   # a copy: the optimizer is unaffected
    assert not np.any(opt.state["a"]["m"] == 99.0)
    assert sd["lr"] == 0.1 and sd["beta1"] == 0.9
    opt.reset()
    assert opt.state == {}


def test_lr_is_settable_between_steps() -> None:
    opt = O.SGD(0.1)
    p = np.zeros(1)
    opt.step({"p": p}, {"p": np.ones(1)})
    opt.lr = 0.5
    opt.step({"p": p}, {"p": np.ones(1)})
    assert p[0] == pytest.approx(-0.6)
    with pytest.raises(ValueError, match="lr must be a finite non-negative"):
        opt.lr = -1.0


def test_lookahead_wraps_its_inner_optimizer() -> None:
    inner = O.SGD(0.1)
    opt = O.Lookahead(inner, k=3, alpha=0.5)
    p = np.array([1.0])
    for _ in range(3):
        opt.step({"p": p}, {"p": np.ones(1)})
    # fast weights went 1 -> 0.7; slow weights move halfway: 0.85, and p restarts there
    assert p[0] == pytest.approx(0.85)
    assert opt.state["p"]["slow"][0] == pytest.approx(0.85)
    opt.lr = 0.2
    assert inner.lr == 0.2
    opt.step({"p": p}, {"p": np.ones(1)})
    assert p[0] == pytest.approx(0.65)
    assert opt.state_dict()["base"]["lr"] == 0.2
    opt.reset()
    assert opt.state == {}


def test_sam_perturbs_then_restores_and_steps() -> None:
    opt = O.SAM(O.SGD(0.1), rho=0.5)
    p, q = np.array([1.0, 1.0]), np.array([2.0])
    g = {"p": np.array([3.0, 0.0]), "q": np.array([4.0])}   # global norm 5
    opt.first_step({"p": p, "q": q}, g)
    np.testing.assert_allclose(p, [1.3, 1.0])
    np.testing.assert_allclose(q, [2.4])
    g2 = {"p": np.array([1.0, 2.0]), "q": np.array([-1.0])}  # the gradient at the perturbed point
    opt.second_step({"p": p, "q": q}, g2)
    np.testing.assert_allclose(p, [0.9, 0.8])
    np.testing.assert_allclose(q, [2.1])
    with pytest.raises(ValueError, match="two points"):
        opt.step({"p": p}, {"p": p})
    with pytest.raises(ValueError, match="without first_step"):
        opt.second_step({"p": p, "q": q}, g2)
    opt.first_step({"p": p, "q": q}, g)
    with pytest.raises(ValueError, match="called twice"):
        opt.first_step({"p": p, "q": q}, g)


def test_sam_with_rho_zero_is_its_base() -> None:
    H = np.diag([1.0, 5.0])
    a = O.optimizer_trajectory(O.SAM(O.Momentum(0.05), rho=0.0), lambda x: H @ x, np.array([1.0, 1.0]), 30)
    b = O.optimizer_trajectory(O.Momentum(0.05), lambda x: H @ x, np.array([1.0, 1.0]), 30)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_adamw_differs_from_adam_with_l2() -> None:
    # With a large, constant loss gradient, Adam's L2 term is divided by sqrt(v_hat) and barely acts;
    # AdamW shrinks the weight by the factor (1 - lr * wd) whatever the gradient.
    g = np.array([100.0])
    pa, pw = np.array([1.0]), np.array([1.0])
    a, w = O.Adam(0.01, weight_decay=0.1, decay=DECAY_ALL), O.AdamW(0.01, weight_decay=0.1, decay=DECAY_ALL)
    a.step({"p": pa}, {"p": g})
    w.step({"p": pw}, {"p": g})
    assert pa[0] == pytest.approx(1 - 0.01, abs=1e-9)
    assert pw[0] == pytest.approx(1 * (1 - 0.001) - 0.01, abs=1e-9)


def test_lamb_trust_ratio_is_layerwise() -> None:
    opt = O.LAMB(0.01, eps=1e-300)
    big, small = np.full(4, 10.0), np.full(4, 0.1)
    opt.step({"big": big, "small": small}, {"big": np.ones(4), "small": np.ones(4)})
    # each array moves by lr times its own norm (relative change lr)
    np.testing.assert_allclose(big, 10.0 * (1 - 0.01))
    np.testing.assert_allclose(small, 0.1 * (1 - 0.01))


def test_gradients_are_not_modified() -> None:
    g = np.array([1.0, -2.0])
    for make in ALL[:-1]:
        opt = make()
        opt.step({"p": np.ones(2)}, {"p": g})
        np.testing.assert_array_equal(g, [1.0, -2.0])


# --- bad input --------------------------------------------------------------------------------


def test_bad_input() -> None:
    opt = O.Adam()
    with pytest.raises(ValueError, match=r"missing gradients for \['b'\].*unknown parameters \['c'\]"):
        opt.step({"a": np.ones(2), "b": np.ones(2)}, {"a": np.ones(2), "c": np.ones(2)})
    with pytest.raises(ValueError, match=r"grads\['a'\] must have the shape of params\['a'\], \(2,\); got \(3,\)"):
        opt.step({"a": np.ones(2)}, {"a": np.ones(3)})
    with pytest.raises(ValueError, match=r"grads\['a'\] must be finite; got 1 NaN"):
        opt.step({"a": np.ones(2)}, {"a": np.array([np.nan, 1.0])})
    with pytest.raises(ValueError, match="floating-point numpy array"):
        opt.step({"a": [1.0, 2.0]}, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="floating-point numpy array"):
        opt.step({"a": np.ones(2, dtype=int)}, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="must be dicts"):
        opt.step(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="lr must be"):
        O.SGD(-0.1)
    with pytest.raises(ValueError, match="lr must be"):
        O.SGD(float("nan"))
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
        O.Momentum(0.1, beta=1.0)
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\)"):
        O.Adam(beta2=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        O.AdamW(weight_decay=-1, decay=DECAY_ALL)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        O.Lookahead(O.SGD(0.1), k=0)
    with pytest.raises(ValueError, match="alpha must be"):
        O.Lookahead(O.SGD(0.1), alpha=0.0)
    with pytest.raises(ValueError, match="base must be Optimizer"):
        O.SAM("sgd")
    with pytest.raises(ValueError, match="rho must be"):
        O.SAM(O.SGD(0.1), rho=-1.0)
    with pytest.raises(ValueError, match="x0 must be a 1-D array"):
        O.optimizer_trajectory(O.SGD(0.1), lambda x: x, np.ones((2, 2)), 3)
    # a failed step leaves the state and the parameters untouched
    p = np.ones(2)
    with pytest.raises(ValueError):
        opt.step({"p": p, "q": np.ones(1)}, {"p": np.ones(2), "q": np.array([np.inf])})
    assert "p" not in opt.state and np.all(p == 1.0)


# --- optional parity with PyTorch -------------------------------------------------------------


def test_torch_parity() -> None:
    torch = pytest.importorskip("torch")
    pairs = [
        (O.SGD(0.1, weight_decay=0.01, decay=DECAY_ALL), lambda w: torch.optim.SGD(w, lr=0.1, weight_decay=0.01)),
        (O.Momentum(0.1, 0.9), lambda w: torch.optim.SGD(w, lr=0.1, momentum=0.9)),
        (O.Momentum(0.1, 0.9, nesterov=True), lambda w: torch.optim.SGD(w, lr=0.1, momentum=0.9, nesterov=True)),
        (O.AdaGrad(0.1), lambda w: torch.optim.Adagrad(w, lr=0.1, eps=1e-10)),
        (O.RMSprop(0.01, rho=0.9), lambda w: torch.optim.RMSprop(w, lr=0.01, alpha=0.9)),
        (O.Adam(0.01), lambda w: torch.optim.Adam(w, lr=0.01)),
        (O.AdamW(0.01, weight_decay=0.1, decay=DECAY_ALL), lambda w: torch.optim.AdamW(w, lr=0.01, weight_decay=0.1)),
        (O.AdaMax(0.01), lambda w: torch.optim.Adamax(w, lr=0.01)),
        (O.RAdam(0.01), lambda w: torch.optim.RAdam(w, lr=0.01)),
    ]
    for ours, make_theirs in pairs:
        x = X0.copy()
        w = torch.tensor(X0.copy(), requires_grad=True)
        theirs = make_theirs([w])
        for _ in range(20):
            ours.step({"x": x}, {"x": quad_grad(x)})
            theirs.zero_grad()
            w.grad = torch.tensor(quad_grad(w.detach().numpy()))
            theirs.step()
        np.testing.assert_allclose(x, w.detach().numpy(), rtol=1e-10, atol=1e-12)


# --- invariants -------------------------------------------------------------------------------

SCALE_FREE = [lambda: O.AdaGrad(0.1, eps=1e-300), lambda: O.RMSprop(0.1, eps=1e-300), lambda: O.Adam(0.1, eps=1e-300),
              lambda: O.AdaMax(0.1, eps=1e-300), lambda: O.LAMB(0.1, eps=1e-300)]


@settings(max_examples=25)
@given(st.lists(arrays((3,), lo=-5, hi=5).filter(lambda g: np.all(np.abs(g) > 1e-3)), min_size=1, max_size=5),
       st.floats(1e-3, 1e3))
def test_adaptive_methods_ignore_the_scale_of_the_gradient(grads, c) -> None:
    """With eps = 0, multiplying every gradient by c > 0 leaves the adaptive updates unchanged."""
    for make in SCALE_FREE:
        a, b = np.array([1.0, -2.0, 0.5]), np.array([1.0, -2.0, 0.5])
        oa, ob = make(), make()
        for g in grads:
            oa.step({"p": a}, {"p": g})
            ob.step({"p": b}, {"p": c * g})
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@settings(max_examples=25)
@given(arrays((4,), lo=-5, hi=5), arrays((4,), lo=-5, hi=5), st.floats(1e-3, 1.0))
def test_sgd_step_is_exactly_the_formula(p, g, lr) -> None:
    q = p.copy()
    O.SGD(lr).step({"p": q}, {"p": g})
    np.testing.assert_allclose(q, p - lr * g, rtol=1e-15, atol=1e-15)
