"""Tests for nnbook.models.gnn: the GNN model, graph batching, data and training loops."""

import numpy as np
import pytest
import scipy.sparse as sp

from nnbook import (
    GNN,
    Adam,
    GATConv,
    GCNConv,
    GINConv,
    SAGEConv,
    batch_graphs,
    check_module,
    karate_club,
    make_graph_families,
    predict_graphs,
    train_graph_classifier,
    train_node_classifier,
)


def jitter(model: GNN, seed: int = 0) -> GNN:
    """Non-zero biases: a ReLU fed an exact 0 (a dead unit plus a zero bias) has a kink
    that central differences straddle."""
    rng = np.random.default_rng(seed)
    for name, p in model.parameters().items():
        if name.endswith(".b"):
            p[...] = 0.1 * rng.standard_normal(p.shape)
    return model


def ring(n: int) -> np.ndarray:
    A = np.roll(np.eye(n, dtype=np.int64), 1, axis=1)
    return A + A.T


@pytest.mark.parametrize("conv", [GCNConv, SAGEConv, GATConv, GINConv])
def test_node_model_gradients(conv):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    check_module(jitter(GNN(3, 4, 2, rng, conv, n_layers=3)), X, ring(6))


@pytest.mark.parametrize("readout", ["sum", "mean", "max"])
def test_graph_model_gradients(readout):
    rng = np.random.default_rng(1)
    A, X, batch = batch_graphs([(ring(4), rng.standard_normal((4, 2))),
                                (ring(3), rng.standard_normal((3, 2)))])
    check_module(jitter(GNN(2, 3, 2, rng, GINConv, readout=readout)), X, A, batch)


def test_batched_graphs_give_the_per_graph_outputs():
    rng = np.random.default_rng(2)
    graphs = [(ring(n), rng.standard_normal((n, 2))) for n in (3, 5, 4)]
    model = GNN(2, 4, 3, rng, GCNConv, readout="mean")
    together = predict_graphs(model, graphs)
    alone = np.vstack([predict_graphs(model, [g]) for g in graphs])
    np.testing.assert_allclose(together, alone, atol=1e-12)
    A, X, batch = batch_graphs(graphs)
    assert sp.issparse(A) and A.shape == (12, 12) and batch.tolist() == [0] * 3 + [1] * 5 + [2] * 4


def test_karate_club():
    A, y = karate_club()
    assert A.shape == (34, 34) and A.nnz == 2 * 78
    assert y[0] == 0 and y[33] == 1 and np.bincount(y).tolist() == [17, 17]
    assert (A != A.T).nnz == 0


def test_node_training_fits_the_labelled_nodes():
    A, y = karate_club()
    model = GNN(34, 8, 2, np.random.default_rng(3), GCNConv)
    losses = train_node_classifier(model, np.eye(34), A, y, [0, 33], Adam(0.02), 60)
    assert losses[-1] < 0.1 * losses[0]


def test_graph_families_and_training():
    graphs, y = make_graph_families(10, np.random.default_rng(4))
    assert len(graphs) == 30 and np.bincount(y).tolist() == [10, 10, 10]
    for A, X in graphs:
        assert 20 <= A.shape[0] <= 40 and X.shape == (A.shape[0], 1)
    model = GNN(1, 8, 3, np.random.default_rng(5), GINConv, readout="sum")
    losses = train_graph_classifier(model, graphs, y, Adam(0.01), np.random.default_rng(6),
                                    epochs=5, batch_size=8)
    assert len(losses) == 5 and losses[-1] < losses[0]


def test_bad_inputs():
    with pytest.raises(ValueError, match="graphs"):
        batch_graphs([])
    with pytest.raises((TypeError, ValueError), match="n_layers"):
        GNN(2, 2, 2, np.random.default_rng(0), GCNConv, n_layers=0)
    with pytest.raises(ValueError, match="one row per node"):
        batch_graphs([(ring(3), np.ones((4, 2)))])
