"""Tests for nnbook.nn.recurrent: cells, sequence layers (BPTT), wrappers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import check_module
from nnbook.nn.module import Module, Sequential
from nnbook.nn.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LastStep,
    LSTMCell,
    RNNCell,
    TimeFlatten,
    gru_step,
    lstm_step,
    rnn_step,
    sigmoid_via_tanh,
    stacked,
)
from nnbook.optim.clipping import clip_by_global_norm, global_norm

CELLS = {RNN: RNNCell, LSTM: LSTMCell, GRU: GRUCell}


class Unrolled(Module):
    """A cell applied T times with shared weights (the naive step-by-step loop)."""

    def __init__(self, cell: Module, lstm: bool) -> None:
        super().__init__()
        self.cell = cell
        self.lstm = lstm

    def forward(self, X: np.ndarray) -> np.ndarray:
        B, T, _ = X.shape
        H = self.cell.hidden_size
        h = np.zeros((B, H))
        c = np.zeros((B, H))
        out = []
        for t in range(T):
            if self.lstm:
                h, c = self.cell(X[:, t], h, c)
            else:
                h = self.cell(X[:, t], h)
            out.append(h)
        self._save(X.shape)
        return np.stack(out, axis=1)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        shape = self._saved()
        B, T, _ = shape
        dX = np.zeros(shape)
        dh = np.zeros((B, self.cell.hidden_size))
        dc = np.zeros_like(dh)
        for t in range(T - 1, -1, -1):
            if self.lstm:
                dX[:, t], dh, dc = self.cell.backward((dY[:, t] + dh, dc))
            else:
                dX[:, t], dh = self.cell.backward(dY[:, t] + dh)
        return dX


# --- values from the equations --------------------------------------------------------


def test_sigmoid_via_tanh_matches_definition() -> None:
    z = np.linspace(-50, 50, 201)
    # relative accuracy is lost only deep in the lower tail, where sigma < 1e-16
    np.testing.assert_allclose(sigmoid_via_tanh(z), 1 / (1 + np.exp(-z)), rtol=1e-12,
                               atol=1e-16)
    z32 = np.array([-1e4, 1e4], dtype=np.float32)
    with np.errstate(all="raise"):
        s = sigmoid_via_tanh(z32)
    assert s.dtype == np.float32 and s[0] == 0.0 and s[1] == 1.0


def test_rnn_step_hand_computed() -> None:
    # H = 1: h_new = tanh(a + h w)
    h_new, _ = rnn_step(np.array([[0.5]]), np.array([[1.0]]), np.array([[0.25]]))
    assert h_new[0, 0] == pytest.approx(np.tanh(0.75))


def test_lstm_step_hand_computed() -> None:
    # H = 1, W_h = 0: every gate from a_x alone
    a = np.array([[0.0, 2.0, 1.0, -1.0]])   # z_i, z_f, z_g, z_o
    s = lambda v: 1 / (1 + np.exp(-v))      # noqa: E731
    h_new, c_new, _ = lstm_step(a, np.zeros((1, 1)), np.array([[3.0]]),
                                np.zeros((1, 4)))
    c = s(2.0) * 3.0 + s(0.0) * np.tanh(1.0)
    assert c_new[0, 0] == pytest.approx(c)
    assert h_new[0, 0] == pytest.approx(s(-1.0) * np.tanh(c))


def test_gru_step_hand_computed() -> None:
    a = np.array([[0.3, -0.2, 0.5]])
    W = np.array([[0.1, 0.2, 0.4]])
    h = np.array([[2.0]])
    b_hn = np.array([0.1])
    s = lambda v: 1 / (1 + np.exp(-v))      # noqa: E731
    r, z = s(0.3 + 0.2), s(-0.2 + 0.4)
    n = np.tanh(0.5 + r * (0.8 + 0.1))
    h_new, _ = gru_step(a, h, W, b_hn)
    assert h_new[0, 0] == pytest.approx((1 - z) * n + z * 2.0)


def test_lstm_forget_gate_one_input_gate_zero_keeps_the_cell() -> None:
    # the constant-error carousel: f = 1, i = 0 copies c unchanged
    a = np.array([[-100.0, 100.0, 0.0, 0.0]])
    _, c_new, _ = lstm_step(a, np.zeros((1, 1)), np.array([[0.7]]), np.zeros((1, 4)))
    assert c_new[0, 0] == pytest.approx(0.7)


# --- gradient checks through time -----------------------------------------------------


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
@pytest.mark.parametrize("T", [1, 5, 20])
def test_sequence_layer_gradcheck(cls: type, T: int) -> None:
    rng = np.random.default_rng(T)
    X = rng.standard_normal((3, T, 2))
    check_module(cls(2, 4, np.random.default_rng(1)), X)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_sequence_layer_gradcheck_with_states(cls: type) -> None:
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 7, 3))
    states = [rng.standard_normal((2, 4)) for _ in range(2 if cls is LSTM else 1)]
    m = cls(3, 4, np.random.default_rng(3))
    errors = check_module(m, X, *states)
    assert "input1" in errors
    # final states as outputs too
    wrapped = _ReturnState(m)
    check_module(wrapped, X, *states)


class _ReturnState(Module):
    def __init__(self, layer: Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, *inputs: np.ndarray) -> Any:
        return self.layer(*inputs, return_state=True)

    def backward(self, dY: Any, input_grad: bool = True) -> Any:
        return self.layer.backward(dY, input_grad)


@pytest.mark.parametrize("cell", [RNNCell, LSTMCell, GRUCell])
def test_cell_gradcheck(cell: type) -> None:
    rng = np.random.default_rng(4)
    x, h = rng.standard_normal((3, 2)), rng.standard_normal((3, 5))
    states = (h, 0.5 * h) if cell is LSTMCell else (h,)
    check_module(cell(2, 5, rng), x, *states)
    check_module(cell(2, 5, rng), x)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_cell_unrolled_gradcheck_T20(cls: type) -> None:
    rng = np.random.default_rng(5)
    model = Unrolled(CELLS[cls](2, 3, rng), lstm=cls is LSTM)
    check_module(model, rng.standard_normal((2, 20, 2)))


def test_bidirectional_and_stacked_gradcheck() -> None:
    rng = np.random.default_rng(6)
    X = rng.standard_normal((2, 6, 2))
    check_module(Bidirectional(GRU(2, 3, rng), LSTM(2, 2, rng)), X)
    check_module(stacked(LSTM, 2, 2, 2, rng, bidirectional=True), X)
    check_module(stacked(RNN, 2, 3, 3, rng), X)


def test_readouts_gradcheck() -> None:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3, 20, 1))
    check_module(Sequential([GRU(1, 3, rng), TimeFlatten()]), X)
    check_module(Sequential([LSTM(1, 3, rng), LastStep()]), X)


# --- the fast layer equals the naive loop ---------------------------------------------


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
@pytest.mark.parametrize("n_in", [1, 3])
def test_fast_layer_equals_step_loop(cls: type, n_in: int) -> None:
    rng = np.random.default_rng(8)
    X = rng.standard_normal((4, 9, n_in))
    layer = cls(n_in, 5, np.random.default_rng(9))
    loop = Unrolled(CELLS[cls](n_in, 5, np.random.default_rng(9)), lstm=cls is LSTM)
    for k in layer.params:
        np.testing.assert_array_equal(layer.params[k], loop.cell.params[k])
    Y1, Y2 = layer(X), loop(X)
    np.testing.assert_allclose(Y1, Y2, rtol=1e-12, atol=1e-14)
    dY = rng.standard_normal(Y1.shape)
    dX1, dX2 = layer.backward(dY), loop.backward(dY)
    np.testing.assert_allclose(dX1, dX2, rtol=1e-10, atol=1e-12)
    for k in layer.grads:
        np.testing.assert_allclose(layer.grads[k], loop.cell.grads[k], rtol=1e-10,
                                   atol=1e-12)


def test_return_state_is_last_output() -> None:
    rng = np.random.default_rng(10)
    X = rng.standard_normal((2, 6, 3))
    lstm = LSTM(3, 4, rng)
    Y, h, c = lstm(X, return_state=True)
    np.testing.assert_array_equal(Y[:, -1], h)
    # continuing from the state equals running the whole sequence
    Y1 = lstm(X[:, :3], return_state=True)
    Y2 = lstm(X[:, 3:], Y1[1], Y1[2])
    np.testing.assert_allclose(np.concatenate([Y1[0], Y2], axis=1), Y, atol=1e-12)
    lstm.clear_cache()


def test_float32_stays_float32() -> None:
    rng = np.random.default_rng(11)
    for cls in (RNN, LSTM, GRU):
        m = cls(1, 6, rng, dtype=np.float32)
        Y = m(rng.standard_normal((5, 8, 1)))
        assert Y.dtype == np.float32
        dX = m.backward(np.ones_like(Y))
        assert dX.dtype == np.float32
        assert all(g.dtype == np.float32 for g in m.grads.values())


# --- properties -----------------------------------------------------------------------


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 4), st.integers(1, 8), st.integers(1, 5), st.integers(0, 10**6))
def test_outputs_bounded(batch: int, T: int, H: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = 10 * rng.standard_normal((batch, T, 2))
    for cls in (RNN, LSTM, GRU):
        Y = cls(2, H, rng)(X)
        assert Y.shape == (batch, T, H)
        assert np.all(np.abs(Y) <= 1.0)


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 6), st.integers(0, 10**6))
def test_causal(T: int, seed: int) -> None:
    # the output at step t does not depend on inputs after t
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, T + 2, 3))
    X2 = X.copy()
    X2[:, T:] += 1.0
    m = GRU(3, 4, rng)
    np.testing.assert_array_equal(m(X)[:, :T], m(X2)[:, :T])


@settings(deadline=None, max_examples=25)
@given(st.floats(0.01, 10.0), st.integers(0, 10**6))
def test_clipping_keeps_direction_and_caps_norm(max_norm: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = LSTM(2, 3, rng)
    Y = m(rng.standard_normal((2, 10, 2)))
    m.backward(5 * rng.standard_normal(Y.shape))
    grads = m.gradients()
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert global_norm(clipped) == pytest.approx(min(norm, max_norm), rel=1e-9)
    k = next(iter(grads))
    np.testing.assert_allclose(clipped[k] * norm / global_norm(clipped), grads[k],
                               rtol=1e-9, atol=1e-12)


# --- parity with PyTorch --------------------------------------------------------------


@pytest.mark.slow
def test_pytorch_parity() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    X = rng.standard_normal((3, 6, 2))
    H = 4
    for cls, tcls in ((LSTM, torch.nn.LSTM), (GRU, torch.nn.GRU), (RNN, torch.nn.RNN)):
        m = cls(2, H, rng)
        t = tcls(2, H, batch_first=True, dtype=torch.float64)
        with torch.no_grad():
            t.weight_ih_l0[:] = torch.tensor(m.params["W_x"].T)
            t.weight_hh_l0[:] = torch.tensor(m.params["W_h"].T)
            t.bias_ih_l0[:] = torch.tensor(m.params["b"])
            t.bias_hh_l0.zero_()
            if cls is GRU:
                t.bias_hh_l0[2 * H:] = torch.tensor(m.params["b_hn"])
        Xt = torch.tensor(X, requires_grad=True)
        out = t(Xt)[0]
        np.testing.assert_allclose(m(X), out.detach().numpy(), atol=1e-12)
        dY = rng.standard_normal(out.shape)
        out.backward(torch.tensor(dY))
        np.testing.assert_allclose(m.backward(dY), Xt.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(m.grads["W_h"], t.weight_hh_l0.grad.numpy().T,
                                   atol=1e-12)


# --- bad input ------------------------------------------------------------------------


def test_bad_input() -> None:
    rng = np.random.default_rng(13)
    m = LSTM(2, 3, rng)
    with pytest.raises(ValueError, match="rectangular"):
        m([[[1.0, 2.0]], [[1.0, 2.0], [3.0, 4.0]]])
    with pytest.raises(ValueError, match="at least one time step"):
        m(np.zeros((2, 0, 2)))
    with pytest.raises(ValueError, match="input_size = 2"):
        m(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="3-D"):
        m(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"h0 must have shape \(batch, hidden_size\)"):
        m(np.zeros((2, 4, 2)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="c0 must have shape"):
        m(np.zeros((2, 4, 2)), np.zeros((2, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="finite"):
        m(np.full((1, 2, 2), np.nan))
    with pytest.raises(TypeError, match="hidden_size must be"):
        GRU(2, 3.5, rng)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hidden_size must be"):
        RNN(2, 0, rng)
    with pytest.raises(TypeError, match="rng"):
        RNN(2, 3, 0)  # type: ignore[arg-type]
    Y = m(np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match="dY must have the shape"):
        m.backward(np.zeros((2, 4, 4)))
    m.clear_cache()
    with pytest.raises(ValueError, match="no forward pass left"):
        m.backward(np.zeros_like(Y))
    with pytest.raises(TypeError, match="layer must be RNN"):
        stacked(Sequential, 2, 3, 2, rng)
    with pytest.raises(ValueError, match="x must have shape"):
        GRUCell(2, 3, rng)(np.zeros((4, 3)))
