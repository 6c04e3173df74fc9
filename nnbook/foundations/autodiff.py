"""A scalar reverse-mode automatic differentiation engine, and forward mode for
comparison.

Built in :doc:`/book/foundations/autodiff`.

* ``Value`` wraps one float. Every arithmetic operation on Values records a node of a
  computational graph: its result, its parents and a *local derivative* closure that
  returns
  the partial derivative of the node with respect to each parent. ``Value.backward()``
  sorts the
  graph topologically (iteratively: a chain of a million nodes is fine) and applies the
  chain
  rule from the output back to the leaves, one visit per node.
* Gradients **accumulate**: ``backward()`` *adds* the adjoints of this call to ``.grad``
with
  ``+=`` (as PyTorch and micrograd do), so two calls double every gradient;
  ``zero_grad()``
  resets them. Within one call the adjoints are computed afresh, so a second call is
  exact.
* ``ScalarNeuron`` and ``ScalarMLP`` build a small network out of Values (the vectorized
layers
  of the later parts live in :mod:`nnbook.layers`).
* ``Dual`` is a forward-mode dual number a + b*eps, eps^2 = 0, carrying one directional
  derivative along with the value.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_positive, check_rng, check_type
from ..nn.activations import sigmoid

__all__ = [
    "Value",
    "Dual",
    "ScalarNeuron",
    "ScalarMLP",
    "graph_edges",
    "draw_graph",
    "grad_forward_mode",
    "grad_reverse_mode",
]


def _real(x: Any, what: str) -> float:
    """A finite Python float from a real number, or a ValueError naming what came."""
    if (
        type(x) is float and x - x == 0.0
    ):  # fast path: a finite float (inf - inf and nan are nan)
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(
            f"{what} must be a Value or a real number; got {type(x).__name__}"
        )
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite; got {v}")
    return v


class Value:
    """One scalar node of a computational graph, with its gradient.

    ``data``: the float computed in the forward pass. ``grad``: dL/d(this node), filled
    by ``L.backward()`` for every node L depends on, *accumulated* with ``+=`` across
    calls (reset with ``zero_grad``). ``parents``: the Values this one was computed
    from. ``local_grads``: a closure returning d(this)/d(parent) for each parent,
    evaluated lazily in the backward pass. Supports ``+ - * /``, unary minus, ``** c``
    for a constant ``c`` (and the reflected forms ``2 + v``, ``2 * v``, ``2 - v``,
    ``2 / v``), ``exp``, ``log``, ``tanh``, ``sigmoid`` and ``relu``.
    """

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label")

    def __init__(
        self,
        data: float,
        parents: tuple[Value, ...] = (),
        local_grads: Callable[[], tuple[float, ...]] | None = None,
        op: str = "",
        label: str = "",
    ) -> None:
        self.data = _real(data, "data")
        self.grad = 0.0
        self.parents = tuple(parents)
        self.local_grads = local_grads
        self.op = op
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _lift(other: Any) -> Value:
        return other if isinstance(other, Value) else Value(_real(other, "operand"))

    # --- arithmetic: each returns a new node and the partials d out / d parent
    # -----------------

    def __add__(self, other: Any) -> Value:
        o = Value._lift(other)
        return Value(self.data + o.data, (self, o), lambda: (1.0, 1.0), "+")

    def __mul__(self, other: Any) -> Value:
        o = Value._lift(other)
        return Value(self.data * o.data, (self, o), lambda: (o.data, self.data), "*")

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), lambda: (-1.0,), "neg")

    def __sub__(self, other: Any) -> Value:
        o = Value._lift(other)
        return Value(self.data - o.data, (self, o), lambda: (1.0, -1.0), "-")

    def __truediv__(self, other: Any) -> Value:
        o = Value._lift(other)
        if o.data == 0.0:
            raise ValueError("division by zero: the divisor Value has data 0.0")
        inv = 1.0 / o.data
        return Value(
            self.data * inv, (self, o), lambda: (inv, -self.data * inv * inv), "/"
        )

    def __pow__(self, c: Any) -> Value:
        if isinstance(c, Value):
            raise ValueError(
                "the exponent must be a constant real number; got a Value "
                "(write (y * x.log()).exp() for x ** y with both variable)"
            )
        c = _real(c, "exponent")
        x = self.data
        if x == 0.0 and c < 0:
            raise ValueError(
                f"0 ** {c} is undefined: the base is 0.0 and the exponent negative"
            )
        if x < 0 and not float(c).is_integer():
            raise ValueError(
                f"a negative base ({x}) needs an integer exponent; got {c}"
            )
        return Value(
            x**c, (self,), lambda: (c * x ** (c - 1) if c != 0 else 0.0,), f"**{c:g}"
        )

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __rsub__(self, other: Any) -> Value:
        return Value._lift(other) - self

    def __rtruediv__(self, other: Any) -> Value:
        return Value._lift(other) / self

    # --- elementary functions
    # ----------------------------------------------------------------

    def exp(self) -> Value:
        """e^x, with derivative e^x (the output itself)."""
        if self.data > 709.0:
            raise ValueError(f"exp overflows float64 for data > 709; got {self.data}")
        e = math.exp(self.data)
        return Value(e, (self,), lambda: (e,), "exp")

    def log(self) -> Value:
        """Natural logarithm, derivative 1/x; only for x > 0."""
        if self.data <= 0.0:
            raise ValueError(f"log needs a positive argument; got {self.data}")
        x = self.data
        return Value(math.log(x), (self,), lambda: (1.0 / x,), "log")

    def tanh(self) -> Value:
        """tanh(x), derivative 1 - tanh(x)^2."""
        t = math.tanh(self.data)
        return Value(t, (self,), lambda: (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x) (stable for both signs), derivative s (1 - s)."""
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Value(s, (self,), lambda: (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        """max(x, 0), derivative 1[x > 0] (0 is taken at x = 0)."""
        x = self.data
        return Value(max(x, 0.0), (self,), lambda: (1.0 if x > 0 else 0.0,), "relu")

    # --- the backward pass
    # -----------------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its parents, ``self`` last.

        Iterative depth-first search with an explicit stack, so graphs of any depth
        work: a node is pushed once to expand its parents and once more to be emitted
        after them."""
        order: list[Value] = []
        visited: set[Value] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents if p not in visited)
        return order

    def backward(self, seed: float = 1.0) -> None:
        """Reverse-mode sweep: add d(self)/d(node) to ``node.grad`` for every node of
        the graph.

        Adjoints are propagated in reverse topological order,
        ``adjoint[parent] += adjoint[node] * d node / d parent``, starting from
        ``adjoint[self] = seed``; the results are then *added* to the ``.grad`` of every
        node.
        """
        order = self.topological_order()
        adjoint: dict[Value, float] = dict.fromkeys(order, 0.0)
        adjoint[self] = _real(seed, "seed")
        for node in reversed(order):
            a = adjoint[node]
            if node.local_grads is None or a == 0.0:
                continue
            for parent, d in zip(node.parents, node.local_grads()):
                adjoint[parent] += a * d
        for node in order:
            node.grad += adjoint[node]

    def zero_grad(self) -> None:
        """Set ``.grad = 0`` on this node and every node it depends on."""
        for node in self.topological_order():
            node.grad = 0.0


def graph_edges(value: Value) -> tuple[list[Value], list[tuple[int, int]]]:
    """The graph behind ``value`` as plain data: ``nodes`` in topological order
    (``value`` last)
    and ``edges`` as index pairs ``(parent, child)`` into ``nodes``, one per operand (an
    operand
    used twice, as in ``x * x``, gives two edges). Used by ``draw_graph`` and by the
    tests."""
    if not isinstance(value, Value):
        raise ValueError(f"value must be a Value; got {type(value).__name__}")
    nodes = value.topological_order()
    index = {id(n): i for i, n in enumerate(nodes)}
    edges = [(index[id(p)], index[id(n)]) for n in nodes for p in n.parents]
    return nodes, edges


def _node_text(n: Value, show_grad: bool) -> str:
    head = n.label or (n.op if n.op else "const")
    text = f"{head}\n{n.data:.3g}"
    return text + (f"\ng={n.grad:.3g}" if show_grad else "")


def draw_graph(value: Value, ax: Any = None, show_grad: bool = True) -> Any:
    """Draw the expression graph of ``value`` with matplotlib: one column per
    topological depth
    (leaves on the left, ``value`` on the right), each node showing its label or
    operation, its
    data and, with ``show_grad``, its gradient. Returns the axes. Layout by
    ``networkx.multipartite_layout``; no graphviz needed. Meant for graphs of a few
    dozen nodes."""
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.patches import FancyArrowPatch

    from ..viz.plotting import PALETTE

    nodes, edges = graph_edges(value)
    depth = [0] * len(nodes)
    for p, c in edges:  # edges are listed in topological order of the child
        depth[c] = max(depth[c], depth[p] + 1)
    G = nx.MultiDiGraph()
    for i in range(len(nodes)):
        G.add_node(i, layer=depth[i])
    G.add_edges_from(edges)
    pos = nx.multipartite_layout(G, subset_key="layer")
    if ax is None:
        _, ax = plt.subplots(
            figsize=(
                1.6 * (max(depth) + 1),
                0.9 * max(2, max(depth.count(d) for d in set(depth))),
            )
        )
    boxes = []
    for i, n in enumerate(nodes):
        colour = (
            PALETTE[1]
            if not n.parents
            else (PALETTE[2] if i == len(nodes) - 1 else PALETTE[0])
        )
        boxes.append(
            ax.text(
                *pos[i],
                _node_text(n, show_grad),
                ha="center",
                va="center",
                fontsize=8,
                zorder=3,
                bbox={
                    "boxstyle": "round,pad=0.35",
                    "fc": "white",
                    "ec": colour,
                    "lw": 1.5,
                },
            )
        )
    # arrows are drawn after (above) the boxes, whose outlines are placed when they are
    # drawn and
    # clip the arrows; an edge that skips columns bends, to pass around the boxes
    # between
    for p, c in sorted(set(edges)):
        bend = 0.0 if depth[c] - depth[p] == 1 else -0.3
        ax.add_patch(
            FancyArrowPatch(
                pos[p],
                pos[c],
                arrowstyle="-|>",
                mutation_scale=12,
                color="0.45",
                lw=1.0,
                shrinkA=1,
                shrinkB=2,
                zorder=4,
                connectionstyle=f"arc3,rad={bend}",
                patchA=boxes[p].get_bbox_patch(),
                patchB=boxes[c].get_bbox_patch(),
            )
        )
    xs = np.array([pos[i][0] for i in range(len(nodes))])
    ys = np.array([pos[i][1] for i in range(len(nodes))])
    padx = 0.1 * (np.ptp(xs) + 1e-9) + 0.08
    pady = 0.12 * (np.ptp(ys) + 1e-9) + 0.08
    ax.set_xlim(xs.min() - padx, xs.max() + padx)
    ax.set_ylim(ys.min() - pady, ys.max() + pady)
    ax.set_axis_off()
    return ax


# --- a tiny network made of Values
# ---------------------------------------------------------------

_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


class ScalarNeuron:
    """One unit phi(sum_i w_i x_i + b) built from Values: ``n_in`` weights drawn from
    N(0, 1/n_in) with ``rng``, bias 0, ``activation`` in tanh / relu / sigmoid / linear.
    Call it on a sequence of ``n_in`` Values or floats; it returns one Value."""

    def __init__(
        self, n_in: int, rng: np.random.Generator, activation: str = "tanh"
    ) -> None:
        check_rng(rng)
        n_in = check_int(n_in, "n_in")
        check_type(activation, str, "activation")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {_ACTIVATIONS}; got {activation!r}"
            )
        self.w = [
            Value(float(v), label="w")
            for v in rng.normal(0.0, 1.0 / math.sqrt(n_in), size=int(n_in))
        ]
        self.b = Value(0.0, label="b")
        self.activation = activation

    def __call__(self, x: Sequence[Any]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"x must hold {len(self.w)} inputs; got {len(x)}")
        z = self.b
        for wi, xi in zip(self.w, x):
            z = z + wi * xi
        return z if self.activation == "linear" else getattr(z, self.activation)()

    def parameters(self) -> list[Value]:
        """The weights, then the bias."""
        return [*self.w, self.b]


class ScalarMLP:
    """A multilayer perceptron of ``ScalarNeuron`` s: ``sizes = [n_in, h_1, ...,
    n_out]``,
    ``activation`` on the hidden layers and a linear output layer. ``mlp(x)`` maps one
    example
    (a sequence of ``n_in`` numbers) to a list of ``n_out`` Values; ``forward_array(X)``
    computes
    the same function for a batch ``X: (batch, n_in)`` with NumPy, returning (batch,
    n_out).
    Gradients accumulate in the parameters' ``.grad``; ``zero_grad()`` resets them."""

    def __init__(
        self, sizes: Sequence[int], rng: np.random.Generator, activation: str = "tanh"
    ) -> None:
        check_type(sizes, (list, tuple), "sizes")
        sizes = [check_int(s, "sizes") for s in sizes]
        check_type(activation, str, "activation")
        if len(sizes) < 2:
            raise ValueError(
                f"sizes must list at least two positive layer widths; got {sizes}"
            )
        self.sizes = sizes
        self.activation = activation
        self.layers = [
            [
                ScalarNeuron(
                    sizes[k], rng, activation if k < len(sizes) - 2 else "linear"
                )
                for _ in range(sizes[k + 1])
            ]
            for k in range(len(sizes) - 1)
        ]

    def __call__(self, x: Sequence[Any]) -> list[Value]:
        h: list[Any] = list(x)
        for layer in self.layers:
            h = [neuron(h) for neuron in layer]
        return h

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer."""
        return [
            p for layer in self.layers for neuron in layer for p in neuron.parameters()
        ]

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def step(self, lr: float) -> None:
        """One gradient-descent step on every parameter: p <- p - lr * p.grad."""
        lr = check_positive(lr, "lr")
        for p in self.parameters():
            p.data -= lr * p.grad

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The parameters as arrays: one ``(W, b)`` per layer, ``W: (n_in, n_out)``,
        ``b: (n_out,)``."""
        return [
            (
                np.array([[w.data for w in n.w] for n in layer]).T,
                np.array([n.b.data for n in layer]),
            )
            for layer in self.layers
        ]

    def forward_array(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs for a batch, vectorized: ``X: (batch, n_in)`` ->
        (batch, n_out)."""
        X = as_float_array(X, "X", ndim=2, shape_hint="(batch, n_in)")
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have {self.sizes[0]} columns; got {X.shape[1]}")
        activations: dict[str, Callable[[np.ndarray], np.ndarray]] = {
            "tanh": np.tanh,
            "relu": lambda z: np.maximum(z, 0.0),
            "sigmoid": sigmoid,
            "linear": lambda z: z,
        }
        phi = activations[self.activation]
        H = X
        params = self.weights()
        for k, (W, b) in enumerate(params):
            H = H @ W + b
            if k < len(params) - 1:
                H = phi(H)
        return H


# --- forward mode
# ------------------------------------------------------------------------------


class Dual:
    """A dual number ``val + dot * eps`` with eps^2 = 0: the value of an expression and
    its
    derivative along one direction, carried forward together.

    The rules follow from eps^2 = 0: (a + a' eps)(b + b' eps) = ab + (a'b + ab') eps,
    and
    f(a + a' eps) = f(a) + f'(a) a' eps for a smooth f. Supports the same operations as
    ``Value``.
    """

    __slots__ = ("val", "dot")

    def __init__(self, val: float, dot: float = 0.0) -> None:
        self.val = _real(val, "val")
        self.dot = _real(dot, "dot")

    def __repr__(self) -> str:
        return f"Dual({self.val:.6g}, dot={self.dot:.6g})"

    @staticmethod
    def _lift(other: Any) -> Dual:
        return other if isinstance(other, Dual) else Dual(_real(other, "operand"))

    def __add__(self, other: Any) -> Dual:
        o = Dual._lift(other)
        return Dual(self.val + o.val, self.dot + o.dot)

    def __mul__(self, other: Any) -> Dual:
        o = Dual._lift(other)
        return Dual(self.val * o.val, self.dot * o.val + self.val * o.dot)

    def __neg__(self) -> Dual:
        return Dual(-self.val, -self.dot)

    def __sub__(self, other: Any) -> Dual:
        o = Dual._lift(other)
        return Dual(self.val - o.val, self.dot - o.dot)

    def __truediv__(self, other: Any) -> Dual:
        o = Dual._lift(other)
        if o.val == 0.0:
            raise ValueError("division by zero: the divisor Dual has value 0.0")
        return Dual(
            self.val / o.val, (self.dot * o.val - self.val * o.dot) / (o.val * o.val)
        )

    def __pow__(self, c: Any) -> Dual:
        if isinstance(c, Dual):
            raise ValueError("the exponent must be a constant real number; got a Dual")
        c = _real(c, "exponent")
        if self.val == 0.0 and c < 0:
            raise ValueError(
                f"0 ** {c} is undefined: the base is 0.0 and the exponent negative"
            )
        if self.val < 0 and not float(c).is_integer():
            raise ValueError(
                f"a negative base ({self.val}) needs an integer exponent; got {c}"
            )
        return Dual(
            self.val**c, (c * self.val ** (c - 1) if c != 0 else 0.0) * self.dot
        )

    def __radd__(self, other: Any) -> Dual:
        return self + other

    def __rmul__(self, other: Any) -> Dual:
        return self * other

    def __rsub__(self, other: Any) -> Dual:
        return Dual._lift(other) - self

    def __rtruediv__(self, other: Any) -> Dual:
        return Dual._lift(other) / self

    def exp(self) -> Dual:
        """e^a + e^a a' eps."""
        e = math.exp(self.val)
        return Dual(e, e * self.dot)

    def log(self) -> Dual:
        """log a + (a'/a) eps, for a > 0."""
        if self.val <= 0.0:
            raise ValueError(f"log needs a positive argument; got {self.val}")
        return Dual(math.log(self.val), self.dot / self.val)

    def tanh(self) -> Dual:
        """tanh a + (1 - tanh^2 a) a' eps."""
        t = math.tanh(self.val)
        return Dual(t, (1.0 - t * t) * self.dot)

    def sigmoid(self) -> Dual:
        """s + s (1 - s) a' eps with s = sigma(a)."""
        x = self.val
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Dual(s, s * (1.0 - s) * self.dot)

    def relu(self) -> Dual:
        """max(a, 0) + 1[a > 0] a' eps."""
        return Dual(max(self.val, 0.0), self.dot if self.val > 0 else 0.0)


def grad_forward_mode(
    f: Callable[..., Any], x: Iterable[float]
) -> tuple[float, np.ndarray]:
    """Value and gradient of a scalar ``f(x_1, ..., x_n)`` by forward mode: n passes,
    pass j
    seeding ``dot = 1`` on x_j and 0 elsewhere. ``x``: n numbers; returns (f(x), (n,)
    gradient)."""
    xs = [_real(v, "x") for v in x]
    if not xs:
        raise ValueError("x must hold at least one number; got none")
    grad = np.empty(len(xs))
    val = 0.0
    for j in range(len(xs)):  # one forward pass per input: the cost of forward mode
        out = f(*[Dual(v, 1.0 if i == j else 0.0) for i, v in enumerate(xs)])
        val, grad[j] = out.val, out.dot
    return val, grad


def grad_reverse_mode(
    f: Callable[..., Any], x: Iterable[float]
) -> tuple[float, np.ndarray]:
    """Value and gradient of a scalar ``f(x_1, ..., x_n)`` by reverse mode: one forward
    pass that records the graph and one backward pass. ``x``: n numbers; returns (f(x),
    (n,) gradient)."""
    xs = [Value(_real(v, "x")) for v in x]
    if not xs:
        raise ValueError("x must hold at least one number; got none")
    out = f(*xs)
    out.backward()
    return out.data, np.array([v.grad for v in xs])
