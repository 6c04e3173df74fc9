"""Graph neural-network layers: GCN, GraphSAGE, GAT and GIN, dense or sparse adjacency.

A graph with n nodes is given by its adjacency ``A``, either a dense (n, n) array or a
``scipy.sparse`` matrix, and node features ``X``: (n, n_in). Every layer here is a
message-passing step: a node's new feature is a function of its own feature and of the
multiset of its neighbours' features. The adjacency is *structure*, not a trainable
input: ``forward(X, A)`` and ``backward(dY)`` returns ``(dX, None)``.

Every propagation is a product ``P @ H`` with a fixed (n, n) operator P, so its backward
is ``P^T @ dY``; the products work unchanged for dense arrays and sparse matrices.
Derived in :doc:`/book/graphs/graph-neural-networks`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import as_float_array, check_float, check_int, check_rng, check_type
from .._lazy import lazy_import
from .layers import Dense, ReLU
from .module import Module, Sequential

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_import("scipy.sparse")  # loaded on first use: import nnbook stays fast

__all__ = [
    "as_adjacency", "gcn_norm", "mean_norm", "graph_laplacian", "sample_neighbors",
    "propagate", "gat_attention", "global_pool", "global_pool_backward",
    "dirichlet_energy", "wl_colors", "wl_test",
    "GCNConv", "SAGEConv", "GATConv", "GINConv", "GlobalPool",
]

Adjacency = Any  # a dense (n, n) ndarray or a scipy.sparse matrix


# --- the adjacency and its normalizations ---------------------------------------------


def as_adjacency(A: Adjacency, n: int | None = None, name: str = "A") -> Adjacency:
    """Validate an adjacency: a square dense array (float64) or sparse matrix (CSR).

    ``n``, when given, is the number of nodes it must have (the rows of ``X``).
    Entries must be finite and non-negative (weighted graphs are allowed).
    """
    if sp.issparse(A):
        M = sp.csr_matrix(A, dtype=np.float64)
        data = M.data
    else:
        M = as_float_array(A, name, ndim=2, shape_hint="(n, n)").astype(np.float64)
        data = M
    if M.shape[0] != M.shape[1]:
        raise ValueError(
            f"{name} must be a square (n, n) adjacency; got shape {M.shape}")
    if n is not None and M.shape[0] != n:
        raise ValueError(
            f"{name} must have one row per node of X ({n}); got shape {M.shape}"
        )
    if not np.all(np.isfinite(data)) or np.any(data < 0):
        raise ValueError(f"{name} must hold finite, non-negative edge weights")
    return M


def _degrees(A: Adjacency) -> np.ndarray:
    return np.asarray(A.sum(axis=1), dtype=np.float64).reshape(-1)


def _plus_identity(A: Adjacency) -> Adjacency:
    n = A.shape[0]
    if sp.issparse(A):
        return (A + sp.identity(n, format="csr")).tocsr()
    return A + np.eye(n)


def _scale(A: Adjacency, left: np.ndarray, right: np.ndarray | None) -> Adjacency:
    """diag(left) A diag(right), for dense or sparse A."""
    if sp.issparse(A):
        out = sp.diags(left) @ A
        return (out @ sp.diags(right) if right is not None else out).tocsr()
    out = left[:, None] * A
    return out * right[None, :] if right is not None else out


def _inv(d: np.ndarray, power: float) -> np.ndarray:
    out = np.zeros_like(d)
    pos = d > 0
    out[pos] = d[pos] ** (-power)  # an isolated node keeps a zero row, not inf
    return out


def gcn_norm(A: Adjacency, add_self_loops: bool = True) -> Adjacency:
    """Kipf and Welling's propagation operator D~^(-1/2) A~ D~^(-1/2), A~ = A + I.

    With ``add_self_loops=False`` it is D^(-1/2) A D^(-1/2). For symmetric A the result
    is symmetric, and its eigenvalues lie in (-1, 1] (the renormalization trick).
    ``A``: (n, n) dense or sparse -> the same kind, float64.
    """
    A = as_adjacency(A)
    check_type(add_self_loops, bool, "add_self_loops")
    At = _plus_identity(A) if add_self_loops else A
    s = _inv(_degrees(At), 0.5)
    return _scale(At, s, s)


def mean_norm(A: Adjacency) -> Adjacency:
    """The mean aggregator D^(-1) A: row i averages node i's neighbours (a zero row for
    an isolated node). ``A``: (n, n) dense or sparse -> the same kind."""
    A = as_adjacency(A)
    return _scale(A, _inv(_degrees(A), 1.0), None)


def graph_laplacian(A: Adjacency, normalized: bool = True) -> np.ndarray:
    """The Laplacian L = D - A, or L = I - D^(-1/2) A D^(-1/2) when ``normalized``.

    Returned dense, (n, n): it is used for spectra and small examples.
    """
    A = as_adjacency(A)
    Ad = A.toarray() if sp.issparse(A) else A
    if normalized:
        s = _inv(_degrees(Ad), 0.5)
        return np.eye(Ad.shape[0]) - s[:, None] * Ad * s[None, :]
    return np.diag(_degrees(Ad)) - Ad


def sample_neighbors(A: Adjacency, k: int, rng: np.random.Generator) -> sp.csr_matrix:
    """GraphSAGE's neighbour sampling: keep at most ``k`` neighbours per node.

    Each edge gets a random key; within a row the ``k`` smallest keys survive (a uniform
    sample without replacement). Vectorized with one ``lexsort``. ``A``: (n, n) ->
    sparse (n, n) with the kept entries of A.
    """
    A = sp.csr_matrix(as_adjacency(A))
    k = check_int(k, "k")
    check_rng(rng)
    C = A.tocoo()
    keys = rng.random(C.nnz)
    order = np.lexsort((keys, C.row))
    rows = C.row[order]
    starts = np.searchsorted(rows, rows, side="left")  # first edge of each row
    keep = order[np.arange(C.nnz) - starts < k]
    return sp.csr_matrix((C.data[keep], (C.row[keep], C.col[keep])), shape=A.shape)


def propagate(P: Adjacency, H: np.ndarray) -> np.ndarray:
    """P @ H in the dtype of H. ``P``: (n, n) dense or sparse, ``H``: (n, d) -> (n, d).

    Its backward pass is ``propagate(P.T, dY)``."""
    return np.asarray(P @ H).astype(H.dtype, copy=False)


def dirichlet_energy(X: np.ndarray, A: Adjacency) -> float:
    """How far features vary across edges, normalized by their size:

        E(X) = trace(X^T L X) / ||X||_F^2,   L = I - D^(-1/2) A D^(-1/2),

    i.e. (1/2) sum_ij a_ij ||x_i/sqrt(d_i) - x_j/sqrt(d_j)||^2 / ||X||^2. It lies in
    [0, 2]; it tends to 0 as repeated averaging makes the rows alike (over-smoothing).
    ``X``: (n, d).
    """
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)").astype(np.float64)
    A = as_adjacency(A, X.shape[0])
    s = _inv(_degrees(A), 0.5)
    LX = X - s[:, None] * np.asarray(A @ (s[:, None] * X))
    return float(np.sum(X * LX) / max(float(np.sum(X * X)), 1e-300))


# --- the Weisfeiler-Lehman test -------------------------------------------------------


def wl_colors(A: Adjacency, n_iter: int | None = None,
              colors: np.ndarray | None = None) -> np.ndarray:
    """1-WL colour refinement: c_v <- HASH(c_v, {{c_u : u in N(v)}}), repeated.

    Colours are small integers, relabelled each round in order of first appearance of a
    signature, so two graphs are comparable only when refined *together* (see
    :func:`wl_test`). Stops when the partition no longer splits, or after ``n_iter``
    rounds. Returns the (n,) int64 colours. A loop over nodes: a test, not a layer.
    """
    A = sp.csr_matrix(as_adjacency(A))
    n = A.shape[0]
    c = np.zeros(n, dtype=np.int64) if colors is None else np.asarray(colors, np.int64)
    if c.shape != (n,):
        raise ValueError(f"colors must have shape ({n},); got {c.shape}")
    rounds = n if n_iter is None else check_int(n_iter, "n_iter", minimum=0)
    for _ in range(rounds):
        sigs = [
            (int(c[v]), tuple(sorted(c[A.indices[A.indptr[v]:A.indptr[v + 1]]])))
            for v in range(n)
        ]
        table: dict[tuple[int, tuple[int, ...]], int] = {}
        new = np.array([table.setdefault(s, len(table)) for s in sigs], dtype=np.int64)
        stable = len(table) == len(np.unique(c))
        c = new
        if stable:
            break
    return c


def wl_test(A1: Adjacency, A2: Adjacency, n_iter: int | None = None) -> bool:
    """True when 1-WL *cannot* tell the two graphs apart (they may be isomorphic):
    both are refined as one disjoint union, then their colour histograms compared."""
    G1, G2 = sp.csr_matrix(as_adjacency(A1, name="A1")), sp.csr_matrix(
        as_adjacency(A2, name="A2"))
    if G1.shape != G2.shape:
        return False
    c = wl_colors(sp.block_diag([G1, G2]).tocsr(), n_iter)
    n1 = G1.shape[0]
    k = int(c.max()) + 1
    return bool(np.array_equal(np.bincount(c[:n1], minlength=k),
                               np.bincount(c[n1:], minlength=k)))


# --- graph attention ------------------------------------------------------------------


def _edges(A: Adjacency) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the nonzeros of A + I, sorted by row: node i attends to j."""
    M = sp.csr_matrix(A, dtype=np.float64) + sp.identity(A.shape[0], format="csr")
    C = M.tocoo()
    order = np.lexsort((C.col, C.row))
    return C.row[order].astype(np.int64), C.col[order].astype(np.int64)


def _leaky(z: np.ndarray, slope: float) -> np.ndarray:
    return np.where(z > 0, z, slope * z)


def gat_attention(H: np.ndarray, a_src: np.ndarray, a_dst: np.ndarray,
                  rows: np.ndarray, cols: np.ndarray, negative_slope: float = 0.2
                  ) -> tuple[np.ndarray, np.ndarray]:
    """GAT's coefficients on the edges (i, j) = (rows[e], cols[e]):

        e_ij = LeakyReLU(a_src . h_i + a_dst . h_j),
        alpha_ij = exp(e_ij) / sum_{k in N(i)} exp(e_ik).

    ``H``: (n, d); ``a_src``, ``a_dst``: (d,); ``rows``, ``cols``: (n_edges,).
    Returns ``(alpha, z)``, both (n_edges,), z the pre-activation scores. The softmax
    over each neighbourhood is vectorized with ``np.maximum.at`` and ``np.bincount``.
    """
    n = H.shape[0]
    z = (H @ a_src)[rows] + (H @ a_dst)[cols]
    e = _leaky(z, negative_slope)
    m = np.full(n, -np.inf, dtype=e.dtype)
    np.maximum.at(m, rows, e)  # subtract each row's max: a stable softmax
    w = np.exp(e - m[rows])
    alpha = w / np.bincount(rows, weights=w, minlength=n)[rows]
    return alpha.astype(H.dtype, copy=False), z


# --- readouts -------------------------------------------------------------------------


def global_pool(X: np.ndarray, batch: np.ndarray, n_graphs: int, mode: str = "sum"
                ) -> np.ndarray:
    """Readout of each graph's node features: the sum, mean or max over its nodes.

    ``X``: (n_nodes, d); ``batch``: (n_nodes,) int graph index of each node;
    returns (n_graphs, d). Invariant to any permutation of the nodes (and of ``batch``
    with them): sums, means and maxima do not depend on the order.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode must be 'sum', 'mean' or 'max'; got {mode!r}")
    out = np.zeros((n_graphs, X.shape[1]), dtype=X.dtype)
    if mode == "max":
        out.fill(-np.inf)
        np.maximum.at(out, batch, X)
        return out
    np.add.at(out, batch, X)
    if mode == "mean":
        out /= np.maximum(np.bincount(batch, minlength=n_graphs), 1)[:, None]
    return out


def global_pool_backward(X: np.ndarray, batch: np.ndarray, out: np.ndarray,
                         dY: np.ndarray, mode: str = "sum") -> np.ndarray:
    """dL/dX of :func:`global_pool`: dY of the node's graph (divided by its size for the
    mean; for the max, shared among the nodes that attain it). Returns (n_nodes, d)."""
    dX = dY[batch]
    if mode == "mean":
        counts = np.bincount(batch, minlength=out.shape[0])
        dX = dX / counts[batch][:, None]
    elif mode == "max":
        hit = (out[batch] == X).astype(X.dtype)
        ties = np.zeros_like(out)
        np.add.at(ties, batch, hit)
        dX = dX * hit / ties[batch]
    return dX.astype(X.dtype, copy=False)


# --- the layers -----------------------------------------------------------------------


def _features(X: np.ndarray, n_in: int, dtype: np.dtype) -> np.ndarray:
    X = as_float_array(X, "X", ndim=2, shape_hint=f"(n_nodes, {n_in})")
    if X.shape[1] != n_in:
        raise ValueError(f"X must have shape (n_nodes, {n_in}); got shape {X.shape}")
    return X.astype(dtype, copy=False)


def _glorot(n_in: int, n_out: int, rng: np.random.Generator, dtype: Any) -> np.ndarray:
    lim = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-lim, lim, size=(n_in, n_out)).astype(dtype)


class GCNConv(Module):
    """Graph convolution (Kipf and Welling, 2017): Y = A_hat X W + b,
    A_hat = D~^(-1/2) (A + I) D~^(-1/2) from :func:`gcn_norm`.

    Shapes: ``X``: (n, n_in), ``A``: (n, n) dense or sparse, ``W``: (n_in, n_out),
    ``b``: (n_out,), ``Y``: (n, n_out). Backward: with M = A_hat X,
    dW += M^T dY, db += sum_rows dY, dX = A_hat^T dY W^T.
    Derived in :doc:`/book/graphs/graph-neural-networks`.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.n_in, self.n_out = check_int(n_in, "n_in"), check_int(n_out, "n_out")
        self.add_param("W", _glorot(self.n_in, self.n_out, rng, dtype))
        self.add_param("b", np.zeros(self.n_out, dtype=dtype))

    def forward(self, X: np.ndarray, A: Adjacency) -> np.ndarray:
        """Y = A_hat X W + b. ``X``: (n, n_in), ``A``: (n, n) -> (n, n_out)."""
        W = self.params["W"]
        X = _features(X, self.n_in, W.dtype)
        P = gcn_norm(as_adjacency(A, X.shape[0]))
        M = propagate(P, X)
        self._save(P, M)
        return M @ W + self.params["b"]

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """dW += (A_hat X)^T dY, db += sum dY, dX = A_hat^T dY W^T -> (dX, None)."""
        P, M = self._saved()
        dY = self._check_dY(dY, (M.shape[0], self.n_out)).astype(M.dtype, copy=False)
        self.grads["W"] += M.T @ dY
        self.grads["b"] += dY.sum(axis=0)
        if not input_grad:
            return None
        return propagate(P.T, dY @ self.params["W"].T), None

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_out}"


class SAGEConv(Module):
    """GraphSAGE with the mean aggregator (Hamilton et al., 2017):

        Y = X W_self + (D^(-1) A X) W_neigh + b.

    Pass a sampled adjacency (:func:`sample_neighbors`) to aggregate over at most k
    neighbours. Shapes: ``X``: (n, n_in), ``A``: (n, n), ``W_self``, ``W_neigh``:
    (n_in, n_out), ``Y``: (n, n_out). Backward: with M = D^(-1) A X,
    dW_self += X^T dY, dW_neigh += M^T dY, dX = dY W_self^T + (D^(-1) A)^T dY W_neigh^T.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.n_in, self.n_out = check_int(n_in, "n_in"), check_int(n_out, "n_out")
        self.add_param("W_self", _glorot(self.n_in, self.n_out, rng, dtype))
        self.add_param("W_neigh", _glorot(self.n_in, self.n_out, rng, dtype))
        self.add_param("b", np.zeros(self.n_out, dtype=dtype))

    def forward(self, X: np.ndarray, A: Adjacency) -> np.ndarray:
        """Y = X W_self + mean-of-neighbours(X) W_neigh + b."""
        p = self.params
        X = _features(X, self.n_in, p["W_self"].dtype)
        P = mean_norm(as_adjacency(A, X.shape[0]))
        M = propagate(P, X)
        self._save(P, X, M)
        return X @ p["W_self"] + M @ p["W_neigh"] + p["b"]

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """The two linear paths' gradients, summed; returns (dX, None)."""
        P, X, M = self._saved()
        p = self.params
        dY = self._check_dY(dY, (X.shape[0], self.n_out)).astype(X.dtype, copy=False)
        self.grads["W_self"] += X.T @ dY
        self.grads["W_neigh"] += M.T @ dY
        self.grads["b"] += dY.sum(axis=0)
        if not input_grad:
            return None
        return dY @ p["W_self"].T + propagate(P.T, dY @ p["W_neigh"].T), None

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_out}"


class GATConv(Module):
    """Graph attention, one head (Velickovic et al., 2018): with H = X W,

        Y_i = sum_{j in N(i) u {i}} alpha_ij h_j + b,  alpha from :func:`gat_attention`.

    Works on the edge list of A + I, so its cost is O(n_edges d), dense or sparse.
    Shapes: ``X``: (n, n_in), ``W``: (n_in, n_out), ``a_src``, ``a_dst``: (n_out,),
    ``Y``: (n, n_out). The backward pass goes back through the weighted sum, the
    neighbourhood softmax, the LeakyReLU and the two score vectors.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator,
                 negative_slope: float = 0.2, dtype: Any = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.n_in, self.n_out = check_int(n_in, "n_in"), check_int(n_out, "n_out")
        self.negative_slope = check_float(negative_slope, "negative_slope", low=0.0)
        self.add_param("W", _glorot(self.n_in, self.n_out, rng, dtype))
        lim = np.sqrt(6.0 / (self.n_out + 1))
        self.add_param("a_src", rng.uniform(-lim, lim, self.n_out).astype(dtype))
        self.add_param("a_dst", rng.uniform(-lim, lim, self.n_out).astype(dtype))
        self.add_param("b", np.zeros(self.n_out, dtype=dtype))

    def attention(self, X: np.ndarray, A: Adjacency) -> tuple[np.ndarray, ...]:
        """(rows, cols, alpha) of the current weights, without caching anything."""
        p = self.params
        X = _features(X, self.n_in, p["W"].dtype)
        rows, cols = _edges(as_adjacency(A, X.shape[0]))
        alpha, _ = gat_attention(X @ p["W"], p["a_src"], p["a_dst"], rows, cols,
                                 self.negative_slope)
        return rows, cols, alpha

    def forward(self, X: np.ndarray, A: Adjacency) -> np.ndarray:
        """Y = alpha-weighted sum of the transformed neighbours, plus b."""
        p = self.params
        X = _features(X, self.n_in, p["W"].dtype)
        n = X.shape[0]
        rows, cols = _edges(as_adjacency(A, n))
        H = X @ p["W"]
        alpha, z = gat_attention(H, p["a_src"], p["a_dst"], rows, cols,
                                 self.negative_slope)
        S = sp.csr_matrix((alpha, (rows, cols)), shape=(n, n))
        self._save(X, H, rows, cols, alpha, z, S)
        return propagate(S, H) + p["b"]

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Chain rule through Y = S H + b, S_ij = alpha_ij; returns (dX, None)."""
        X, H, rows, cols, alpha, z, S = self._saved()
        p, n = self.params, X.shape[0]
        dY = self._check_dY(dY, (n, self.n_out)).astype(X.dtype, copy=False)
        self.grads["b"] += dY.sum(axis=0)
        dH = propagate(S.T, dY)                              # through the weighted sum
        dalpha = np.sum(dY[rows] * H[cols], axis=1)          # dL/dalpha_ij = dY_i . h_j
        # softmax over each row: de_ij = alpha_ij (dalpha_ij - sum_k alpha_ik dalpha_ik)
        row_sum = np.bincount(rows, weights=alpha * dalpha, minlength=n)
        de = alpha * (dalpha - row_sum[rows])
        dz = de * np.where(z > 0, 1.0, self.negative_slope)  # through the LeakyReLU
        ds = np.bincount(rows, weights=dz, minlength=n)      # z_ij = s_i + t_j
        dt = np.bincount(cols, weights=dz, minlength=n)
        self.grads["a_src"] += H.T @ ds
        self.grads["a_dst"] += H.T @ dt
        dH += np.outer(ds, p["a_src"]) + np.outer(dt, p["a_dst"])
        self.grads["W"] += X.T @ dH
        return (dH @ p["W"].T, None) if input_grad else None

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_out}"


class GINConv(Module):
    """Graph isomorphism network layer (Xu et al., 2019):

        Y = MLP((1 + eps) X + A X),

    a sum aggregator (injective on multisets, with a suitable MLP) and a two-layer MLP
    n_in -> n_hidden -> n_out with a ReLU between. ``eps`` is trained when
    ``train_eps``. Backward: dZ = MLP^T dY; d eps += sum(dZ * X);
    dX = (1 + eps) dZ + A^T dZ.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator,
                 n_hidden: int | None = None, train_eps: bool = True,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.n_in, self.n_out = check_int(n_in, "n_in"), check_int(n_out, "n_out")
        h = self.n_out if n_hidden is None else check_int(n_hidden, "n_hidden")
        self.train_eps = check_type(train_eps, bool, "train_eps")
        self.mlp = Sequential([Dense(self.n_in, h, rng, dtype=dtype), ReLU(),
                               Dense(h, self.n_out, rng, dtype=dtype)])
        if self.train_eps:
            self.add_param("eps", np.zeros(1, dtype=dtype))
        else:
            self.add_buffer("eps", np.zeros(1, dtype=dtype))

    def _eps(self) -> np.ndarray:
        return self.params["eps"] if self.train_eps else self.buffers["eps"]

    def forward(self, X: np.ndarray, A: Adjacency) -> np.ndarray:
        """Y = MLP((1 + eps) X + A X)."""
        eps = self._eps()
        X = _features(X, self.n_in, eps.dtype)
        P = as_adjacency(A, X.shape[0])
        self._save(P, X)
        return self.mlp((1.0 + eps[0]) * X + propagate(P, X))

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Through the MLP, then the sum aggregator; returns (dX, None)."""
        P, X = self._saved()
        dZ = self.mlp.backward(dY)
        if self.train_eps:
            self.grads["eps"] += np.sum(dZ * X)
        if not input_grad:
            return None
        return (1.0 + self._eps()[0]) * dZ + propagate(P.T, np.asarray(dZ)), None

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_out}"


class GlobalPool(Module):
    """Graph readout: ``forward(X, batch, n_graphs)`` -> (n_graphs, d), the sum, mean or
    max of each graph's node features (:func:`global_pool`). ``batch``: (n_nodes,) ints;
    backward returns (dX, None, None)."""

    def __init__(self, mode: str = "sum") -> None:
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"mode must be 'sum', 'mean' or 'max'; got {mode!r}")
        self.mode = mode

    def forward(self, X: np.ndarray, batch: np.ndarray, n_graphs: int | None = None
                ) -> np.ndarray:
        """Pool the rows of X by graph."""
        X = as_float_array(X, "X", ndim=2, shape_hint="(n_nodes, d)")
        b = np.asarray(batch)
        bad = b.shape != (X.shape[0],) or b.dtype.kind not in "iu"
        if bad or (b.size and b.min() < 0):
            raise ValueError(
                f"batch must be ({X.shape[0]},) non-negative integer graph indices; "
                f"got shape {b.shape} and dtype {b.dtype}"
            )
        b = b.astype(np.int64)
        g = int(b.max()) + 1 if n_graphs is None else check_int(n_graphs, "n_graphs")
        if b.size and b.max() >= g:
            raise ValueError(f"batch must hold indices below n_graphs={g}")
        out = global_pool(X, b, g, self.mode)
        self._save(X, b, out)
        return out

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """dX from :func:`global_pool_backward`; returns (dX, None, None)."""
        X, b, out = self._saved()
        dY = self._check_dY(dY, out.shape)
        if not input_grad:
            return None
        return global_pool_backward(X, b, out, dY, self.mode), None, None

    def extra_repr(self) -> str:
        return repr(self.mode)
