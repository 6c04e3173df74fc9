"""Tests for nnbook.foundations.autodiff: every operation against central differences, composites, shared
nodes, accumulation, deep graphs, forward mode, the tiny MLP, the graph helpers and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

from nnbook.foundations.autodiff import (
    Dual,
    ScalarMLP,
    ScalarNeuron,
    Value,
    draw_graph,
    grad_forward_mode,
    grad_reverse_mode,
    graph_edges,
)
from nnbook.gradcheck import numerical_gradient
from nnbook.nn.activations import softmax
from nnbook.nn.losses import cross_entropy
from tests.strategies import floats

UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "pow3": lambda a: a ** 3,
    "pow-1.5": lambda a: a ** -1.5,
    "radd": lambda a: 2.5 + a,
    "rmul": lambda a: 2.5 * a,
    "rsub": lambda a: 2.5 - a,
    "rtruediv": lambda a: 2.5 / a,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b,
}


def _float_f(expr):
    """Evaluate an expression of Values on a float64 array through Values (for differences)."""
    return lambda x: expr(*[Value(float(v)) for v in x]).data


def _check(expr, x: np.ndarray) -> None:
    val, grad = grad_reverse_mode(expr, x)
    num = numerical_gradient(_float_f(expr), np.array(x, dtype=np.float64))
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("x", [0.7, 1.9])
def test_unary_gradients(name: str, x: float) -> None:
    _check(UNARY[name], np.array([x]))
    if name not in ("log", "pow-1.5"):  # defined for negative arguments too
        _check(UNARY[name], np.array([-x]))


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradients(name: str, rng) -> None:
    for _ in range(5):
        _check(BINARY[name], rng.uniform(0.3, 2.0, size=2) * rng.choice([-1, 1], size=2))


def test_hand_computed_example() -> None:
    # f = x*y + exp(x) at x = 2, y = 3: df/dx = y + e^x, df/dy = x
    x, y = Value(2.0), Value(3.0)
    f = x * y + x.exp()
    f.backward()
    assert f.data == pytest.approx(6 + math.e ** 2)
    assert x.grad == pytest.approx(3 + math.e ** 2)
    assert y.grad == pytest.approx(2.0)


def test_composite_expression(rng) -> None:
    def expr(a, b, c):
        h = (a * b + c).tanh()
        return (h * h + (a / (1 + b * b)).sigmoid()).log() - (c - a).relu() * 0.5 + (b ** 2 + 1) ** 0.5

    for _ in range(5):
        _check(expr, rng.normal(size=3))


def test_node_used_several_times_adds_gradients() -> None:
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1 = 7
    y.backward()
    assert x.grad == pytest.approx(7.0)
    nodes, edges = graph_edges(x * x)
    assert len(nodes) == 2 and edges == [(0, 1), (0, 1)]


def test_gradients_accumulate_and_zero_grad_resets() -> None:
    x, w = Value(1.5), Value(-2.0)
    h = (w * x).tanh()
    y = h * h
    y.backward()
    g1 = (x.grad, w.grad, h.grad)
    y.backward()  # a second call adds exactly the same adjoints again
    np.testing.assert_allclose((x.grad, w.grad, h.grad), 2 * np.array(g1), rtol=1e-14)
    y.zero_grad()
    assert x.grad == w.grad == h.grad == y.grad == 0.0
    y.backward()
    np.testing.assert_allclose((x.grad, w.grad, h.grad), g1, rtol=1e-14)


def test_deep_chain_has_no_recursion_limit() -> None:
    x = Value(0.5)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert len(y.topological_order()) > 20_000
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_forward_mode_equals_reverse_mode(rng) -> None:
    def expr(a, b, c):
        return (a * b).exp() / (1 + c * c) + (a - c).tanh() * b.sigmoid() + (b * b + 1).log()

    for _ in range(5):
        x = rng.normal(size=3)
        v1, g1 = grad_forward_mode(expr, x)
        v2, g2 = grad_reverse_mode(expr, x)
        assert v1 == pytest.approx(v2)
        np.testing.assert_allclose(g1, g2, rtol=1e-12)


def test_dual_rules_by_hand() -> None:
    a = Dual(2.0, 1.0)
    assert (a * a).dot == 4.0          # d/da a^2 = 2a
    assert (1 / a).dot == -0.25        # -1/a^2
    assert (a ** 3).dot == 12.0        # 3 a^2
    assert a.log().dot == 0.5
    assert (a - 1).relu().dot == 1.0 and (1 - a).relu().dot == 0.0
    assert (3 - a).val == 1.0 and (3 - a).dot == -1.0


@given(floats(-5, 5), floats(-5, 5))
def test_sigmoid_and_tanh_identities(a: float, b: float) -> None:
    x = Value(a)
    s = x.sigmoid()
    assert s.data == pytest.approx(1.0 - (-x).sigmoid().data, abs=1e-15)
    assert (2 * (2 * x).sigmoid() - 1).data == pytest.approx(x.tanh().data, abs=1e-12)
    # the gradient of a + b is (1, 1) and of a * b is (b, a)
    _, g = grad_reverse_mode(lambda p, q: p * q, [a, b])
    np.testing.assert_allclose(g, [b, a])


def test_softmax_cross_entropy_matches_vectorized(rng) -> None:
    Z = rng.normal(size=(3, 4))
    y = np.array([0, 3, 1])
    V = [[Value(float(z)) for z in row] for row in Z]
    loss = Value(0.0)
    for row, label in zip(V, y):
        e = [v.exp() for v in row]
        total = sum(e[1:], e[0])
        loss = loss - (e[label] / total).log()
    loss = loss / len(y)
    loss.backward()
    assert loss.data == pytest.approx(cross_entropy(Z, y), abs=1e-12)
    G = np.array([[v.grad for v in row] for row in V])
    np.testing.assert_allclose(G, (softmax(Z) - np.eye(4)[y]) / 3, atol=1e-12)


def test_scalar_mlp_matches_its_array_form_and_gradcheck(rng) -> None:
    mlp = ScalarMLP([3, 4, 2], rng)
    X = rng.normal(size=(5, 3))
    out = np.array([[o.data for o in mlp(x)] for x in X])
    np.testing.assert_allclose(out, mlp.forward_array(X), atol=1e-12)
    params = mlp.parameters()
    assert len(params) == 3 * 4 + 4 + 4 * 2 + 2

    def loss_of(theta: np.ndarray) -> float:
        for p, t in zip(params, theta):
            p.data = float(t)
        return sum((o * o for x in X for o in mlp(x)), Value(0.0)).data

    theta = np.array([p.data for p in params])
    mlp.zero_grad()
    sum((o * o for x in X for o in mlp(x)), Value(0.0)).backward()
    analytic = np.array([p.grad for p in params])
    num = numerical_gradient(loss_of, theta.copy())
    np.testing.assert_allclose(analytic, num, rtol=1e-6, atol=1e-9)


def test_scalar_mlp_learns_xor(rng) -> None:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float) * 2 - 1
    y = np.array([0.0, 1.0, 1.0, 0.0])
    mlp = ScalarMLP([2, 4, 1], np.random.default_rng(1))
    for _ in range(200):
        mlp.zero_grad()
        loss = sum(((mlp(x)[0] - t) ** 2 for x, t in zip(X, y)), Value(0.0)) / 4
        loss.backward()
        mlp.step(0.2)
    assert loss.data < 0.05


def test_graph_edges_and_draw_graph() -> None:
    import matplotlib

    matplotlib.use("Agg")
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    nodes, edges = graph_edges(d)
    assert nodes[-1] is d and set(map(id, nodes)) == {id(a), id(b), id(c), id(d)}
    index = {id(n): i for i, n in enumerate(nodes)}
    assert sorted(edges) == sorted([(index[id(a)], index[id(c)]), (index[id(b)], index[id(c)]),
                                    (index[id(c)], index[id(d)]), (index[id(a)], index[id(d)])])
    assert all(p < c_ for p, c_ in edges)  # topological order
    d.backward()
    ax = draw_graph(d)
    assert len([t for t in ax.texts if t.get_text()]) == 4  # one box per node (arrows are empty)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="log needs a positive argument"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="log needs a positive argument"):
        Dual(-1.0).log()
    with pytest.raises(ValueError, match="division by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="division by zero"):
        1.0 / Value(0.0)
    with pytest.raises(ValueError, match="must be a Value or a real number; got str"):
        Value(1.0) + "a"
    with pytest.raises(ValueError, match="must be a Value or a real number; got str"):
        Value("1.0")
    with pytest.raises(ValueError, match="must be finite"):
        Value(float("nan"))
    with pytest.raises(ValueError, match="exponent must be a constant"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="negative base"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="must hold 2 inputs; got 3"):
        ScalarNeuron(2, np.random.default_rng(0))([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        ScalarMLP([2, 1], rng=0)
    with pytest.raises(ValueError, match="activation must be one of"):
        ScalarNeuron(2, np.random.default_rng(0), activation="cosh")
    with pytest.raises(ValueError, match="must be a Value"):
        graph_edges(3.0)
    with pytest.raises(ValueError, match="at least one number"):
        grad_forward_mode(lambda: Dual(0.0), [])


def test_parity_with_torch() -> None:
    torch = pytest.importorskip("torch")
    a, b = Value(-1.3), Value(0.8)
    f = ((a * b).tanh() + (b / (1 + a * a)).exp() - (a - b).relu() + b.sigmoid().log()) ** 2
    f.backward()
    ta = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    tf = (torch.tanh(ta * tb) + torch.exp(tb / (1 + ta * ta)) - torch.relu(ta - tb) + torch.log(torch.sigmoid(tb))) ** 2
    tf.backward()
    assert f.data == pytest.approx(tf.item())
    assert a.grad == pytest.approx(ta.grad.item()) and b.grad == pytest.approx(tb.grad.item())


def test_float32_inputs_are_accepted() -> None:
    v = Value(np.float32(1.5)) * np.float64(2.0)
    assert isinstance(v.data, float) and v.data == 3.0


@pytest.mark.parametrize("name", list(UNARY) + list(BINARY))
def test_dual_operations_against_central_differences(name: str, rng) -> None:
    expr = UNARY.get(name) or BINARY[name]
    n = 1 if name in UNARY else 2
    for _ in range(3):
        x = rng.uniform(0.3, 2.0, size=n)
        _, g = grad_forward_mode(expr, x)
        num = numerical_gradient(lambda z: expr(*[Dual(float(v)) for v in z]).val, x.copy())
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)
