"""Benchmark cases of Part IV (convolutional networks), in the style of ``cases.py``.

Every case compares nnbook with PyTorch on the CPU, both with one thread (the process is
expected to start with ``OPENBLAS_NUM_THREADS=1``, as ``python -m benchmarks``
does), and
reports the ratio of median times of interleaved repetitions, nnbook / PyTorch:

* :func:`case_conv2d_small`: conv2d forward + backward, (64, 1, 28, 28) -> 6
  channels 5x5,
  float32 (target <= 1.0x);
* :func:`case_conv2d_medium`: (64, 32, 16, 16) -> 64 channels 3x3 padding 1, float32
  (target <= 2.0x), plus the layer's main GEMM against bare ``np.matmul`` at the same
  shape (target >= 55%);
* :func:`case_mnist1d_cnn_step`: one training step (forward, backward, Adam) of the
  MNIST-1D CNN, batch 100 (target <= 0.8x);
* :func:`case_depthwise`: depthwise 3x3 forward + backward (target <= 5x);
* :func:`case_conv2d_float64`: the medium convolution in float64 (target <= 1.2x).

Explained in :doc:`/book/appendix/performance`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.cases import (
    _set_torch_threads,
    make_target,
    summarize,
    time_interleaved,
)

__all__ = [
    "case_conv2d_small",
    "case_conv2d_medium",
    "case_mnist1d_cnn_step",
    "case_depthwise",
    "case_conv2d_float64",
    "CNN_CASES",
]


def _conv_contenders(
    x_shape: tuple[int, int, int, int],
    out: int,
    k: int,
    padding: int,
    groups: int,
    dtype: type,
    seed: int = 0,
) -> tuple[dict[str, Callable[[], Any]], list[str], Any]:
    """nnbook's Conv2d and torch's conv2d, forward + backward (input and weights)."""
    from nnbook import Conv2d

    rng = np.random.default_rng(seed)
    layer = Conv2d(x_shape[1], out, k, rng, padding=padding, groups=groups, dtype=dtype)
    X = rng.standard_normal(x_shape).astype(dtype)
    with_grad = layer(X)
    dY = rng.standard_normal(with_grad.shape).astype(dtype)
    layer.backward(dY)

    def nnbook_step() -> None:
        layer(X)
        layer.backward(dY)

    fns: dict[str, Callable[[], Any]] = {"nnbook": nnbook_step}
    notes: list[str] = []
    torch = _set_torch_threads()
    if torch is None:
        notes.append("PyTorch is not installed: its row is skipped.")
        return fns, notes, layer
    tconv = torch.nn.Conv2d(x_shape[1], out, k, padding=padding, groups=groups)
    tconv = tconv.to(torch.float32 if dtype == np.float32 else torch.float64)
    Xt = torch.from_numpy(X).requires_grad_(True)
    dYt = torch.from_numpy(dY)

    def torch_step() -> None:
        Xt.grad = None
        tconv.zero_grad(set_to_none=True)
        tconv(Xt).backward(dYt)

    fns["pytorch"] = torch_step
    return fns, notes, layer


def _ratio_case(
    title: str,
    fns: dict[str, Callable[[], Any]],
    notes: list[str],
    target: float,
    target_name: str,
    repeats: int,
    settings: dict[str, Any],
) -> dict[str, Any]:
    times = time_interleaved(fns, repeats)
    rows = [{"contender": c, **summarize(t, "step")} for c, t in times.items()]
    targets = []
    if "pytorch" in times:
        ratio = float(np.median(times["nnbook"]) / np.median(times["pytorch"]))
        targets.append(make_target(target_name, ratio, target, "<="))
    return {
        "title": title,
        "rows": rows,
        "targets": targets,
        "notes": notes,
        "settings": settings,
    }


def case_conv2d_small(repeats: int = 20) -> dict[str, Any]:
    """conv2d forward + backward, (64, 1, 28, 28) -> 6 channels, 5x5, float32."""
    fns, notes, _ = _conv_contenders((64, 1, 28, 28), 6, 5, 0, 1, np.float32)
    return _ratio_case(
        "conv2d forward+backward, (64,1,28,28) -> 6 ch 5x5, float32",
        fns,
        notes,
        1.0,
        "conv2d 1->6 5x5, nnbook / PyTorch",
        repeats,
        {"x": [64, 1, 28, 28], "out": 6, "k": 5, "dtype": "float32"},
    )


def _main_gemm(
    layer: Any, X: np.ndarray
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The forward GEMM W_r @ cols as the layer runs it, and bare np.matmul on fresh
    contiguous operands of the same shape."""
    from nnbook.nn.conv import im2col

    W = layer.params["W"]
    O = W.shape[0]
    p = layer.padding
    Xp = np.pad(X, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    cols = im2col(Xp, layer.kernel_size, layer.stride, layer.dilation)
    W_r = W.reshape(O, -1)
    A = np.ascontiguousarray(
        np.random.default_rng(1).standard_normal(W_r.shape), dtype=W.dtype
    )
    B = np.ascontiguousarray(
        np.random.default_rng(2).standard_normal(cols.shape), dtype=W.dtype
    )
    out = np.empty((O, cols.shape[1]), dtype=W.dtype)

    def layer_gemm() -> None:
        np.matmul(W_r, cols)

    def bare() -> None:
        np.matmul(A, B, out=out)

    return layer_gemm, bare


def case_conv2d_medium(repeats: int = 10, dtype: type = np.float32) -> dict[str, Any]:
    """conv2d forward + backward, (64, 32, 16, 16) -> 64 channels, 3x3, padding 1; and
    the layer's main GEMM against bare np.matmul at the same shape."""
    fns, notes, layer = _conv_contenders((64, 32, 16, 16), 64, 3, 1, 1, dtype)
    X = np.random.default_rng(0).standard_normal((64, 32, 16, 16)).astype(dtype)
    name = np.dtype(dtype).name
    target = 2.0 if dtype == np.float32 else 1.2
    result = _ratio_case(
        f"conv2d forward+backward, (64,32,16,16) -> 64 ch 3x3 pad 1, {name}",
        fns,
        notes,
        target,
        f"conv2d 32->64 3x3 {name}, nnbook / PyTorch",
        repeats,
        {"x": [64, 32, 16, 16], "out": 64, "k": 3, "dtype": name},
    )
    if dtype == np.float32:
        layer_gemm, bare = _main_gemm(layer, X)
        t = time_interleaved(
            {"layer GEMM": layer_gemm, "bare np.matmul": bare}, repeats
        )
        eff = float(np.median(t["bare np.matmul"]) / np.median(t["layer GEMM"]))
        result["rows"] += [
            {"contender": c, **summarize(v, "gemm")} for c, v in t.items()
        ]
        result["targets"].append(
            make_target("conv2d main GEMM speed / bare np.matmul", eff, 0.55, ">=")
        )
    return result


def case_conv2d_float64(repeats: int = 10) -> dict[str, Any]:
    """The medium convolution in float64 (target <= 1.2x PyTorch)."""
    return case_conv2d_medium(repeats, dtype=np.float64)


def case_depthwise(repeats: int = 20) -> dict[str, Any]:
    """Depthwise 3x3 forward + backward, (64, 32, 16, 16), groups = 32, float32."""
    fns, notes, _ = _conv_contenders((64, 32, 16, 16), 32, 3, 1, 32, np.float32)
    return _ratio_case(
        "depthwise conv2d 3x3 forward+backward, (64,32,16,16), float32",
        fns,
        notes,
        5.0,
        "depthwise 3x3, nnbook / PyTorch",
        repeats,
        {"x": [64, 32, 16, 16], "k": 3, "groups": 32, "dtype": "float32"},
    )


def case_mnist1d_cnn_step(repeats: int = 30) -> dict[str, Any]:
    """One training step (forward, backward, Adam) of the MNIST-1D CNN (ConvBase),
    batch 100, float32."""
    from nnbook import Adam, CrossEntropyLoss, MNIST1DConvNet, load_mnist1d, train_step

    d = load_mnist1d()
    X = d["x"][:100].astype(np.float32)
    y = d["y"][:100]
    model = MNIST1DConvNet(np.random.default_rng(0), dtype=np.float32)
    opt = Adam(1e-2)
    loss = CrossEntropyLoss()
    fns: dict[str, Callable[[], Any]] = {
        "nnbook": lambda: train_step(model, X, y, loss, opt)
    }
    notes: list[str] = []
    torch = _set_torch_threads()
    if torch is None:
        notes.append("PyTorch is not installed: its row is skipped.")
    else:
        nn = torch.nn
        tmodel = nn.Sequential(
            nn.Unflatten(1, (1, 40)),
            nn.Conv1d(1, 25, 5, 2, 1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, 2, 1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, 2, 1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(125, 10),
        )
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-2)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        loss_fn = nn.CrossEntropyLoss()

        def torch_step() -> None:
            topt.zero_grad(set_to_none=True)
            loss_fn(tmodel(Xt), yt).backward()
            topt.step()

        fns["pytorch"] = torch_step
    return _ratio_case(
        "MNIST-1D CNN training step (forward, backward, Adam), batch 100, float32",
        fns,
        notes,
        0.8,
        "MNIST-1D CNN step, nnbook / PyTorch",
        repeats,
        {"batch": 100, "channels": 25, "dtype": "float32"},
    )


#: name -> case function, for the lead to merge into ``benchmarks.cases.CASES``.
CNN_CASES: dict[str, Callable[[], dict[str, Any]]] = {
    "conv2d_small": case_conv2d_small,
    "conv2d_medium": case_conv2d_medium,
    "mnist1d_cnn_step": case_mnist1d_cnn_step,
    "depthwise": case_depthwise,
    "conv2d_float64": case_conv2d_float64,
}
