"""Graph networks assembled from the layers of :mod:`nnbook.nn.graph`, with the data
plumbing graphs need: batching several graphs into one block-diagonal graph, generated
graph families, and training loops for node and graph classification.
Used in :doc:`/book/graphs/graph-neural-networks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import as_float_array, check_int, check_labels, check_rng, check_type
from .._lazy import lazy_import
from ..nn.graph import GlobalPool, as_adjacency
from ..nn.layers import Dense, ReLU
from ..nn.losses import cross_entropy, cross_entropy_backward
from ..nn.module import Module, no_grad

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_import("scipy.sparse")  # loaded on first use: import nnbook stays fast

__all__ = [
    "GNN", "batch_graphs", "make_graph_families", "karate_club",
    "train_node_classifier", "train_graph_classifier", "predict_graphs",
]

ConvFactory = Callable[..., Module]


class GNN(Module):
    """A stack of graph convolutions with ReLUs between, and an optional readout.

    ``conv`` is a layer class (or any factory ``conv(n_in, n_out, rng, dtype=...)``):
    :class:`~nnbook.nn.graph.GCNConv`, ``SAGEConv``, ``GATConv`` or ``GINConv``.
    Dimensions n_in -> n_hidden -> ... -> n_hidden (``n_layers`` convolutions).

    * Node tasks (``readout=None``): the last convolution outputs ``n_out`` logits per
      node; ``forward(X, A)`` -> (n, n_out).
    * Graph tasks (``readout`` "sum", "mean" or "max"): every convolution outputs
      ``n_hidden``; the readout pools each graph and a dense head gives the logits;
      ``forward(X, A, batch)`` -> (n_graphs, n_out).
    """

    def __init__(self, n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator,
                 conv: ConvFactory, n_layers: int = 2, readout: str | None = None,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        n_in, n_hidden = check_int(n_in, "n_in"), check_int(n_hidden, "n_hidden")
        n_out, n_layers = check_int(n_out, "n_out"), check_int(n_layers, "n_layers")
        self.readout = readout
        last = n_out if readout is None else n_hidden
        dims = [n_in] + [n_hidden] * (n_layers - 1) + [last]
        self.convs = [conv(dims[i], dims[i + 1], rng, dtype=dtype)
                      for i in range(n_layers)]
        n_act = n_layers - 1 if readout is None else n_layers
        self.acts = [ReLU() for _ in range(n_act)]
        if readout is not None:
            self.pool = GlobalPool(readout)
            self.head = Dense(n_hidden, n_out, rng, init="xavier", dtype=dtype)

    def embed(self, X: np.ndarray, A: Any) -> list[np.ndarray]:
        """The node features after each convolution (with its ReLU), without caching."""
        out = []
        with no_grad():
            H = X
            for i, c in enumerate(self.convs):
                H = c(H, A)
                H = self.acts[i](H) if i < len(self.acts) else H
                out.append(H)
        return out

    def forward(self, X: np.ndarray, A: Any, batch: np.ndarray | None = None
                ) -> np.ndarray:
        """Logits per node (n, n_out), or per graph (n_graphs, n_out) with a readout."""
        A = as_adjacency(A, np.shape(X)[0])
        H = X
        for i, c in enumerate(self.convs):
            H = c(H, A)
            if i < len(self.acts):
                H = self.acts[i](H)
        if self.readout is None:
            return H
        if batch is None:
            batch = np.zeros(H.shape[0], dtype=np.int64)
        return self.head(self.pool(H, batch))

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Back through head, readout and convolutions; returns (dX, None[, None])."""
        d: Any = dY
        if self.readout is not None:
            d = self.pool.backward(np.asarray(self.head.backward(d)))[0]
        for i in range(len(self.convs) - 1, -1, -1):
            if i < len(self.acts):
                d = self.acts[i].backward(d)
            res = self.convs[i].backward(d, input_grad=input_grad or i > 0)
            d = None if res is None else res[0]
        if not input_grad:
            return None
        return (d, None) if self.readout is None else (d, None, None)


def batch_graphs(graphs: Sequence[tuple[Any, np.ndarray]]
                 ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Many graphs as one: a block-diagonal sparse adjacency, the stacked features, and
    ``batch`` (n_nodes,), the graph index of every node. No edge crosses two graphs, so
    a message-passing layer on the union is the layer on each graph.

    ``graphs``: a sequence of ``(A_k, X_k)``, ``A_k``: (n_k, n_k), ``X_k``: (n_k, d).
    """
    check_type(graphs, (list, tuple), "graphs")
    if not graphs:
        raise ValueError("graphs must hold at least one (A, X) pair; got none")
    As = [A if isinstance(A, sp.csr_matrix) and A.dtype == np.float64
          else sp.csr_matrix(as_adjacency(A, np.shape(X)[0], f"graphs[{k}][0]"))
          for k, (A, X) in enumerate(graphs)]
    Xs = [as_float_array(X, f"graphs[{k}][1]", ndim=2)
          for k, (_, X) in enumerate(graphs)]
    sizes = np.array([x.shape[0] for x in Xs])
    for k, (M, x) in enumerate(zip(As, Xs)):
        if M.shape != (x.shape[0], x.shape[0]):
            raise ValueError(f"graphs[{k}][0] must have one row per node of X "
                             f"({x.shape[0]}); got shape {M.shape}")
    # The block-diagonal CSR built directly: shift each graph's column indices by the
    # nodes before it, and its row pointers by the edges before it.
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    nnz = np.concatenate([[0], np.cumsum([M.nnz for M in As])])
    indptr = np.concatenate([[0]] + [M.indptr[1:] + nnz[k] for k, M in enumerate(As)])
    indices = np.concatenate([M.indices + offsets[k] for k, M in enumerate(As)])
    data = np.concatenate([M.data for M in As])
    n = int(offsets[-1])
    A = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    batch = np.repeat(np.arange(len(Xs)), sizes)
    return A, np.concatenate(Xs), batch


def karate_club() -> tuple[sp.csr_matrix, np.ndarray]:
    """Zachary's karate club (34 members, 78 friendships), from networkx.

    Returns the sparse adjacency (34, 34) and the faction of each member, (34,) int64:
    0 for "Mr. Hi" (node 0, the instructor), 1 for "Officer" (node 33, the president).
    """
    import networkx as nx

    G = nx.karate_club_graph()
    A = sp.csr_matrix(nx.to_scipy_sparse_array(G, nodelist=range(34), weight=None),
                      dtype=np.float64)
    y = np.array([G.nodes[v]["club"] != "Mr. Hi" for v in range(34)], dtype=np.int64)
    return A, y


def make_graph_families(n_per_class: int, rng: np.random.Generator,
                        n_nodes: tuple[int, int] = (20, 40)
                        ) -> tuple[list[tuple[sp.csr_matrix, np.ndarray]], np.ndarray]:
    """A graph-classification data set: three random-graph families with the same mean
    degree (about 4), told apart only by structure.

    Class 0: Erdos-Renyi G(n, 4/(n-1)); class 1: Barabasi-Albert with m = 2 (hubs);
    class 2: Watts-Strogatz, k = 4, rewiring 0.1 (a ring lattice: triangles, no hubs).
    Each graph has n ~ U{n_nodes} nodes and the node degree as its one feature
    (scaled by 1/10). Returns the list of ``(A, X)`` pairs and labels (3 n_per_class,).
    """
    import networkx as nx

    n_per_class = check_int(n_per_class, "n_per_class")
    check_rng(rng)
    lo, hi = n_nodes
    graphs, labels = [], []
    for label in range(3):
        for _ in range(n_per_class):
            n = int(rng.integers(lo, hi + 1))
            seed = int(rng.integers(2**31))
            if label == 0:
                G = nx.gnp_random_graph(n, 4.0 / (n - 1), seed=seed)
            elif label == 1:
                G = nx.barabasi_albert_graph(n, 2, seed=seed)
            else:
                G = nx.watts_strogatz_graph(n, 4, 0.1, seed=seed)
            A = sp.csr_matrix(
                nx.to_scipy_sparse_array(G, nodelist=range(n), weight=None),
                dtype=np.float64)
            deg = np.asarray(A.sum(axis=1)).reshape(-1, 1) / 10.0
            graphs.append((A, deg))
            labels.append(label)
    order = rng.permutation(len(labels))
    return [graphs[i] for i in order], np.asarray(labels, dtype=np.int64)[order]


def train_node_classifier(model: Module, X: np.ndarray, A: Any, y: np.ndarray,
                          train_idx: np.ndarray, optimizer: Any, epochs: int = 200
                          ) -> list[float]:
    """Semi-supervised node classification: full-graph steps, with the cross-entropy on
    the labelled nodes ``train_idx`` only (every node still passes messages).

    The gradient of the logits is zero on unlabelled rows. Returns the loss per epoch.
    """
    X = as_float_array(X, "X", ndim=2)
    y = check_labels(y, X.shape[0])
    idx = np.asarray(train_idx, dtype=np.int64)
    epochs = check_int(epochs, "epochs")
    losses = []
    for _ in range(epochs):
        model.zero_grad()
        Z = model(X, A)
        dZ = np.zeros_like(Z)
        losses.append(float(cross_entropy(Z[idx], y[idx])))
        dZ[idx] = cross_entropy_backward(Z[idx], y[idx])
        model.backward(dZ, input_grad=False)
        optimizer.step(model.parameters(), model.gradients())
    return losses


def predict_graphs(model: Module, graphs: Sequence[tuple[Any, np.ndarray]]
                   ) -> np.ndarray:
    """Logits (n_graphs, n_out) of a graph-level model, all graphs in one batch."""
    A, X, batch = batch_graphs(graphs)
    with no_grad():
        out: np.ndarray = model(X, A, batch)
    return out


def train_graph_classifier(model: Module, graphs: Sequence[tuple[Any, np.ndarray]],
                           y: np.ndarray, optimizer: Any, rng: np.random.Generator,
                           epochs: int = 50, batch_size: int = 32) -> list[float]:
    """Mini-batches of whole graphs, each batch one block-diagonal graph
    (:func:`batch_graphs`); cross-entropy on the graph logits. Returns the mean loss of
    each epoch."""
    y = check_labels(y, len(graphs))
    check_rng(rng)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    losses = []
    for _ in range(epochs):
        total = 0.0
        order = rng.permutation(len(graphs))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            A, X, batch = batch_graphs([graphs[i] for i in idx])
            model.zero_grad()
            Z = model(X, A, batch)
            total += float(cross_entropy(Z, y[idx])) * len(idx)
            model.backward(cross_entropy_backward(Z, y[idx]), input_grad=False)
            optimizer.step(model.parameters(), model.gradients())
        losses.append(total / len(graphs))
    return losses
