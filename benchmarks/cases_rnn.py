"""Benchmark cases of Part V: the LSTM and GRU sequence layers against PyTorch's.

Each case times one forward and one backward pass (backpropagation through time, the
parameter gradients only: neither contender computes dL/dX) of a whole-sequence layer
on a random float32 batch, at one BLAS / PyTorch thread, interleaving the contenders.
PyTorch's ``nn.LSTM`` / ``nn.GRU`` run fused C++ kernels; nnbook's layers are a Python
loop over time steps with one input projection for all steps
(:mod:`nnbook.nn.recurrent`).
Explained in :doc:`/book/rnn/gated-cells`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .cases import _set_torch_threads, make_target, summarize, time_interleaved

__all__ = ["case_lstm_step", "case_gru_step", "case_recurrent", "RNN_TARGETS"]

#: The goal per cell type: nnbook time / PyTorch time, forward + backward.
RNN_TARGETS = {"LSTM": 1.5, "GRU": 0.9}


def _nnbook_pass(kind: str, batch: int, T: int, n_in: int, hidden: int,
                 rng: np.random.Generator, dtype: type) -> Callable[[], None]:
    from nnbook.nn.recurrent import GRU, LSTM

    layer = (LSTM if kind == "LSTM" else GRU)(n_in, hidden, rng, dtype=dtype)
    X = rng.standard_normal((batch, T, n_in)).astype(dtype)
    dY = rng.standard_normal((batch, T, hidden)).astype(dtype)

    def run() -> None:
        layer.zero_grad()
        layer(X)
        layer.backward(dY, input_grad=False)

    return run


def _torch_pass(torch: Any, kind: str, batch: int, T: int, n_in: int, hidden: int,
                rng: np.random.Generator) -> Callable[[], None]:
    cls = torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU
    layer = cls(n_in, hidden, batch_first=True)
    X = torch.from_numpy(rng.standard_normal((batch, T, n_in)).astype(np.float32))
    dY = torch.from_numpy(rng.standard_normal((batch, T, hidden)).astype(np.float32))

    def run() -> None:
        layer.zero_grad(set_to_none=True)
        out, _ = layer(X)
        out.backward(dY)

    return run


def case_recurrent(kind: str = "LSTM", batch: int = 100, T: int = 40, n_in: int = 1,
                   hiddens: Sequence[int] = (6, 128), repeats: int = 20,
                   dtype: type = np.float32) -> dict[str, Any]:
    """Forward + backward of an LSTM or GRU layer, nnbook vs PyTorch, per hidden size.

    Target: nnbook / PyTorch median time <= ``RNN_TARGETS[kind]`` (1.5 for the LSTM,
    whose PyTorch kernel is fused; 0.9 for the GRU).
    """
    if kind not in RNN_TARGETS:
        raise ValueError(f"kind must be one of {sorted(RNN_TARGETS)}; got {kind!r}")
    torch = _set_torch_threads()
    rows: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    notes: list[str] = []
    for H in hiddens:
        rng = np.random.default_rng(0)
        fns: dict[str, Callable[[], Any]] = {
            "nnbook": _nnbook_pass(kind, batch, T, n_in, H, rng, dtype)}
        if torch is not None:
            fns["pytorch"] = _torch_pass(torch, kind, batch, T, n_in, H, rng)
        times = time_interleaved(fns, repeats, warmup=2)
        med = {}
        for name, t in times.items():
            rows.append({"contender": name, "hidden": H, **summarize(t, "pass")})
            med[name] = float(np.median(t))
        if "pytorch" in med:
            targets.append(make_target(
                f"{kind} forward+backward (batch {batch}, T {T}, input {n_in}, "
                f"hidden {H}), nnbook / PyTorch time", med["nnbook"] / med["pytorch"],
                RNN_TARGETS[kind], "<="))
        else:
            notes.append("PyTorch is not installed: no ratio.")
    return {"title": f"{kind} layer forward + backward, batch {batch}, T {T}, "
                     f"input {n_in}, {np.dtype(dtype).name}, "
                     f"hidden sizes {list(hiddens)}",
            "rows": rows, "targets": targets, "notes": notes,
            "settings": {"kind": kind, "batch": batch, "T": T, "n_in": n_in,
                         "hiddens": list(hiddens), "repeats": repeats,
                         "dtype": np.dtype(dtype).name}}


def case_lstm_step(**kwargs: Any) -> dict[str, Any]:
    """The LSTM case of :func:`case_recurrent`."""
    return case_recurrent("LSTM", **kwargs)


def case_gru_step(**kwargs: Any) -> dict[str, Any]:
    """The GRU case of :func:`case_recurrent`."""
    return case_recurrent("GRU", **kwargs)


if __name__ == "__main__":  # python -m benchmarks.cases_rnn
    for case in (case_lstm_step, case_gru_step):
        res = case()
        print(res["title"])
        for row in res["rows"]:
            print(f"  {row['contender']:8s} H={row['hidden']:4d} "
                  f"median {row['pass_median_s'] * 1e3:7.2f} ms")
        for t in res["targets"]:
            print(f"  {t['name']}: {t['value']:.2f} (target {t['op']} {t['target']}) "
                  f"{'met' if t['met'] else 'NOT met'}")
