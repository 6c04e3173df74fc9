"""Tests for nnbook.nn.graph: GCN, GraphSAGE, GAT, GIN, readouts and the WL test."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    GATConv,
    GCNConv,
    GINConv,
    GlobalPool,
    SAGEConv,
    check_module,
    dirichlet_energy,
    gat_attention,
    gcn_norm,
    global_pool,
    graph_laplacian,
    mean_norm,
    sample_neighbors,
    wl_colors,
    wl_test,
)

CONVS = [GCNConv, SAGEConv, GATConv, GINConv]


def random_graph(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    A = np.triu((rng.random((n, n)) < p).astype(np.int64), 1)
    return A + A.T


def cycle(n: int) -> np.ndarray:
    A = np.roll(np.eye(n, dtype=np.int64), 1, axis=1)
    return A + A.T


def adj(G: nx.Graph) -> np.ndarray:
    return nx.to_numpy_array(G, nodelist=sorted(G.nodes)).astype(np.int64)


@pytest.mark.parametrize("conv", CONVS)
@pytest.mark.parametrize("sparse", [False, True])
def test_conv_gradients(conv, sparse):
    rng = np.random.default_rng(0)
    A = random_graph(7, 0.4, rng)
    A[6, :] = A[:, 6] = 0  # an isolated node
    X = rng.standard_normal((7, 3))
    layer = conv(3, 4, np.random.default_rng(1))
    check_module(layer, X, sp.csr_matrix(A) if sparse else A)


def test_gin_with_fixed_eps_and_gat_slope():
    rng = np.random.default_rng(2)
    A, X = random_graph(6, 0.5, rng), rng.standard_normal((6, 2))
    check_module(GINConv(2, 3, rng, n_hidden=5, train_eps=False), X, A)
    check_module(GATConv(2, 3, rng, negative_slope=0.0), X, A)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_pool_gradients(mode):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((7, 3))
    check_module(GlobalPool(mode), X, np.array([0, 0, 1, 1, 1, 2, 2]))


@settings(deadline=None, max_examples=25)
@given(n=st.integers(2, 9), seed=st.integers(0, 10_000), k=st.integers(0, 3))
def test_every_layer_is_permutation_equivariant(n, seed, k):
    rng = np.random.default_rng(seed)
    A, X = random_graph(n, 0.4, rng), rng.standard_normal((n, 3))
    perm = rng.permutation(n)
    conv = CONVS[k](3, 4, np.random.default_rng(seed + 1))
    Y = conv(X, A)
    Yp = conv(X[perm], A[np.ix_(perm, perm)])
    conv.clear_cache()
    np.testing.assert_allclose(Yp, Y[perm], atol=1e-10)


@settings(deadline=None, max_examples=25)
@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4), seed=st.integers(0, 999),
       mode=st.sampled_from(["sum", "mean", "max"]))
def test_readouts_are_permutation_invariant(sizes, seed, mode):
    rng = np.random.default_rng(seed)
    batch = np.repeat(np.arange(len(sizes)), sizes)
    X = rng.standard_normal((batch.size, 3))
    perm = rng.permutation(batch.size)
    out = global_pool(X, batch, len(sizes), mode)
    np.testing.assert_allclose(global_pool(X[perm], batch[perm], len(sizes), mode), out,
                               atol=1e-12)


def test_gcn_norm_hand_computed_and_symmetric():
    # Two nodes, one edge: A + I is all ones, every degree 2, so every entry is 1/2.
    A = np.array([[0, 1], [1, 0]])
    np.testing.assert_allclose(gcn_norm(A), np.full((2, 2), 0.5))
    # A path 0-1-2 without self-loops: D^(-1/2) A D^(-1/2) has 1/sqrt(2) on its edges.
    P = gcn_norm(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]), add_self_loops=False)
    np.testing.assert_allclose(P[0, 1], 1 / np.sqrt(2))
    rng = np.random.default_rng(4)
    A = random_graph(12, 0.3, rng)
    P = gcn_norm(A)
    np.testing.assert_allclose(P, P.T, atol=1e-15)
    np.testing.assert_allclose(gcn_norm(sp.csr_matrix(A)).toarray(), P, atol=1e-15)
    lam = np.linalg.eigvalsh(P)
    assert lam.max() <= 1 + 1e-12 and lam.min() > -1


def test_mean_norm_rows_and_laplacian():
    A = random_graph(8, 0.5, np.random.default_rng(5))
    A[0, :] = A[:, 0] = 0
    M = mean_norm(A)
    deg = A.sum(1)
    np.testing.assert_allclose(M.sum(1), (deg > 0).astype(float))
    L = graph_laplacian(A, normalized=False)
    np.testing.assert_allclose(L.sum(1), 0, atol=1e-12)
    lam = np.linalg.eigvalsh(graph_laplacian(A))
    assert lam.min() > -1e-12 and lam.max() <= 2 + 1e-12


@settings(deadline=None, max_examples=25)
@given(n=st.integers(1, 10), seed=st.integers(0, 10_000))
def test_gat_coefficients_sum_to_one_per_neighbourhood(n, seed):
    rng = np.random.default_rng(seed)
    A, X = random_graph(n, 0.5, rng), 3 * rng.standard_normal((n, 2))
    rows, cols, alpha = GATConv(2, 3, rng).attention(X, A)
    np.testing.assert_allclose(np.bincount(rows, weights=alpha, minlength=n), 1.0)
    assert np.all(alpha > 0)
    assert set(zip(rows.tolist(), cols.tolist())) == set(
        zip(*np.nonzero(A + np.eye(n, dtype=np.int64))))


def test_gat_uniform_attention_is_mean_over_closed_neighbourhood():
    A = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    H = np.arange(6.0).reshape(3, 2)
    rows, cols = np.nonzero(A + np.eye(3))
    alpha, _ = gat_attention(H, np.zeros(2), np.zeros(2), rows, cols)
    np.testing.assert_allclose(alpha, 1.0 / (A.sum(1) + 1)[rows])


def test_wl_on_known_pairs():
    two_triangles = np.kron(np.eye(2, dtype=np.int64), cycle(3))
    assert wl_test(cycle(6), two_triangles)  # both 2-regular: 1-WL is blind
    # decalin and bicyclopentyl: the classic pair of molecules 1-WL cannot separate
    decalin = nx.cycle_graph(10)  # two hexagons sharing the edge 0-5
    decalin.add_edge(0, 5)
    bicyclo = nx.disjoint_union(nx.cycle_graph(5), nx.cycle_graph(5))  # two pentagons
    bicyclo.add_edge(0, 5)  # joined by one bond
    assert not nx.is_isomorphic(decalin, bicyclo)
    assert wl_test(adj(decalin), adj(bicyclo))
    # a path and a star on four nodes differ in degrees: told apart in one round
    assert not wl_test(adj(nx.path_graph(4)), adj(nx.star_graph(3)))
    assert not wl_test(cycle(4), adj(nx.path_graph(4)))
    # an isomorphic relabelling is never told apart
    rng = np.random.default_rng(6)
    A = random_graph(9, 0.4, rng)
    p = rng.permutation(9)
    assert wl_test(A, A[np.ix_(p, p)])
    assert not wl_test(cycle(5), cycle(6))


def test_wl_colors_refine_a_path():
    c = wl_colors(adj(nx.path_graph(5)))
    assert c[0] == c[4] and c[1] == c[3] and len(set(c.tolist())) == 3


def test_sample_neighbors_keeps_at_most_k_existing_edges():
    rng = np.random.default_rng(7)
    A = random_graph(30, 0.5, rng)
    S = sample_neighbors(A, 3, rng)
    deg = np.asarray(S.sum(1)).ravel()
    assert np.all(deg == np.minimum(A.sum(1), 3))
    assert np.all(A[S.nonzero()] == 1)


def test_dirichlet_energy():
    A = cycle(6)
    assert dirichlet_energy(np.ones((6, 2)), A) == pytest.approx(0.0, abs=1e-12)
    x = np.array([[1.0], [-1], [1], [-1], [1], [-1]])  # the highest frequency on C6
    assert dirichlet_energy(x, A) == pytest.approx(2.0)


def test_float32_forward():
    rng = np.random.default_rng(8)
    A, X = random_graph(5, 0.5, rng), rng.standard_normal((5, 3)).astype(np.float32)
    for conv in CONVS:
        layer = conv(3, 2, rng, dtype=np.float32)
        Y = layer(X, A)
        assert Y.dtype == np.float32
        assert layer.backward(np.ones_like(Y))[0].dtype == np.float32


def test_bad_inputs():
    rng = np.random.default_rng(9)
    conv = GCNConv(3, 2, rng)
    with pytest.raises(ValueError, match="square"):
        conv(np.ones((3, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="one row per node"):
        conv(np.ones((4, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="X must have shape"):
        conv(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        gcn_norm(-np.ones((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        GlobalPool("median")
    with pytest.raises(ValueError, match="batch"):
        GlobalPool()(np.ones((3, 2)), np.array([0, 1]))
    with pytest.raises((TypeError, ValueError), match="k"):
        sample_neighbors(np.ones((3, 3)), 0, rng)
    with pytest.raises((TypeError, ValueError), match="n_in"):
        SAGEConv(2.5, 2, rng)


@pytest.mark.slow
def test_torch_parity_gcn():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    A, X = random_graph(6, 0.5, rng), rng.standard_normal((6, 3))
    conv = GCNConv(3, 2, rng)
    P = torch.tensor(gcn_norm(A))
    Xt = torch.tensor(X, requires_grad=True)
    W = torch.tensor(conv.params["W"], requires_grad=True)
    Yt = P @ Xt @ W
    Yt.sum().backward()
    Y = conv(X, A)
    dX, _ = conv.backward(np.ones_like(Y))
    np.testing.assert_allclose(Y, Yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(conv.grads["W"], W.grad.numpy(), atol=1e-12)
