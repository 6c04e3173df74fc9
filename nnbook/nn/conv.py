"""Convolution: conv1d/conv2d and their backward passes, as functions and layers.

Derived in :doc:`/book/cnn/convolution`.

Every convolution here is a *cross-correlation* (the kernel is not flipped), as in every
deep-learning library. The forward pass is im2col plus one matrix product:

* the padded input ``Xp`` (N, C, Hp, Wp) is viewed, without copying, as the column array
  ``cols[c, i, j, n, p, q] = Xp[n, c, p*s + i*d, q*s + j*d]`` of shape
  (C, KH, KW, N, OH, OW) with :func:`numpy.lib.stride_tricks.as_strided`;
* one copy makes it a (C*KH*KW, N*OH*OW) matrix, and Y = W_r @ cols with
  ``W_r``: (O, C*KH*KW) (per group: a batch of G products).

The backward pass reuses the cached columns: dW = dY_r @ cols^T, and dX is the adjoint
of
im2col (col2im) applied to W_r^T @ dY_r, a loop over the KH*KW kernel offsets of strided
slice-adds. Above :data:`COLS_BYTES_LIMIT` bytes of columns the batch is processed in
chunks and the columns are recomputed in the backward pass instead of cached.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._checks import (
    as_float_array,
    check_float,
    check_int,
    check_positive,
    check_rng,
    check_type,
)
from .module import Module

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "im2col",
    "col2im",
    "conv2d",
    "conv2d_backward",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "DepthwiseConv2d",
    "SpatialBatchNorm",
]

#: Column arrays larger than this many bytes are built one chunk of the batch at a time.
COLS_BYTES_LIMIT = 256 * 2**20

Pair = tuple[int, int]


# --- sizes and argument checks --------------------------------------------------------


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a convolution along one axis:

        O = floor((W + 2P - D (F - 1) - 1) / S) + 1,

    which is floor((W - F + 2P) / S) + 1 for D = 1. ``size`` W, ``kernel`` F, ``stride``
    S, ``padding`` P, ``dilation`` D. Raises ``ValueError`` when the dilated kernel
    D (F - 1) + 1 is larger than the padded input. Derived in
    :doc:`/book/cnn/convolution`.
    """
    size = check_int(size, "size")
    kernel = check_int(kernel, "kernel_size")
    stride = check_int(stride, "stride")
    padding = check_int(padding, "padding", minimum=0)
    dilation = check_int(dilation, "dilation")
    return _out_size(size, kernel, stride, padding, dilation)


def _out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """:func:`conv_output_size` for already validated integers."""
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(
            f"the kernel (size {kernel}, dilation {dilation}: span {span}) is larger "
            "than "
            f"the padded input (size {size} + 2*{padding} = {size + 2 * padding})"
        )
    return (size + 2 * padding - span) // stride + 1


def conv_transpose_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    output_padding: int = 0,
) -> int:
    """Output length of a transposed convolution along one axis:

        O = (W - 1) S - 2P + D (F - 1) + 1 + output_padding,

    the input length of the convolution it is the adjoint of. Derived in
    :doc:`/book/cnn/convolution`.
    """
    size = check_int(size, "size")
    kernel = check_int(kernel, "kernel_size")
    stride = check_int(stride, "stride")
    padding = check_int(padding, "padding", minimum=0)
    dilation = check_int(dilation, "dilation")
    output_padding = check_int(output_padding, "output_padding", minimum=0)
    if output_padding >= stride:
        raise ValueError(
            f"output_padding must be smaller than the stride; "
            f"got {output_padding} with stride {stride}"
        )
    out = (
        (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + output_padding
    )
    if out < 1:
        raise ValueError(
            f"the transposed convolution's output would have size {out}; "
            "reduce the padding"
        )
    return out


def _pair(value: Any, name: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints, as a pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}")
        return (
            check_int(value[0], name, minimum=minimum),
            check_int(value[1], name, minimum=minimum),
        )
    v = check_int(value, name, minimum=minimum)
    return (v, v)


def _check_conv_args(
    X: Any, W: Any, b: Any, groups: int, name_x: str = "X"
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    X = as_float_array(X, name_x, ndim=4, shape_hint="(batch, channels, height, width)")
    W = as_float_array(W, "W", ndim=4, shape_hint="(out, in/groups, KH, KW)")
    groups = check_int(groups, "groups")
    if b is not None:
        b = as_float_array(b, "b", ndim=1, shape_hint="(out,)")
    return X, W, b, groups


def _chunks(n: int, bytes_per_sample: int) -> list[slice]:
    """Slices of the batch so that each chunk's columns stay under the byte limit."""
    per = max(1, COLS_BYTES_LIMIT // max(1, bytes_per_sample))
    return [slice(i, min(n, i + per)) for i in range(0, n, per)]


# --- im2col and col2im ----------------------------------------------------------------


def _pad(X: np.ndarray, padding: Pair) -> np.ndarray:
    """X (N, C, H, W) with P zeros on both sides of H and W (a contiguous copy)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return np.ascontiguousarray(X)
    N, C, H, W = X.shape
    Xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=X.dtype)
    Xp[:, :, ph : ph + H, pw : pw + W] = X
    return Xp


def _windows(
    Xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair
) -> np.ndarray:
    """The (C, KH, KW, N, OH, OW) strided view of ``Xp`` (N, C, Hp, Wp): no copy."""
    sN, sC, sH, sW = Xp.strides
    return as_strided(
        Xp,
        shape=(Xp.shape[1], kernel[0], kernel[1], Xp.shape[0], out[0], out[1]),
        strides=(
            sC,
            sH * dilation[0],
            sW * dilation[1],
            sN,
            sH * stride[0],
            sW * stride[1],
        ),
        writeable=False,
    )


def im2col(
    Xp: np.ndarray, kernel: Pair, stride: Pair = (1, 1), dilation: Pair = (1, 1)
) -> np.ndarray:
    """The columns of an already padded input ``Xp`` (N, C, Hp, Wp):

        cols[c, i, j, n, p, q] = Xp[n, c, p S_h + i D_h, q S_w + j D_w],

    returned as a contiguous (C*KH*KW, N*OH*OW) matrix (one copy of a strided view), so
    that a convolution is the product W_r @ cols. Derived in
    :doc:`/book/cnn/convolution`.
    """
    Xp = np.ascontiguousarray(Xp)
    N, C, Hp, Wp = Xp.shape
    out = (
        (Hp - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1,
        (Wp - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1,
    )
    view = _windows(Xp, kernel, stride, dilation, out)
    return np.ascontiguousarray(view).reshape(
        C * kernel[0] * kernel[1], N * out[0] * out[1]
    )


def col2im(
    dcols: np.ndarray,
    padded_shape: tuple[int, int, int, int],
    kernel: Pair,
    stride: Pair = (1, 1),
    dilation: Pair = (1, 1),
) -> np.ndarray:
    """The adjoint of :func:`im2col`: scatter-add columns back onto the padded input.

    ``dcols``: (C*KH*KW, N*OH*OW) or (C, KH, KW, N, OH, OW) -> (N, C, Hp, Wp). One
    strided slice-add per kernel offset (i, j):

        dXp[:, :, i D_h : ... : S_h, j D_w : ... : S_w] += dcols[:, i, j]

    (KH*KW vectorized adds; never ``np.add.at``). Derived in
    :doc:`/book/cnn/convolution`.
    """
    N, C, Hp, Wp = padded_shape
    KH, KW = kernel
    OH = (Hp - dilation[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (Wp - dilation[1] * (KW - 1) - 1) // stride[1] + 1
    d6 = dcols.reshape(C, KH, KW, N, OH, OW)
    dXp = np.zeros((C, N, Hp, Wp), dtype=dcols.dtype)  # channel-major, like the columns
    hspan, wspan = stride[0] * (OH - 1) + 1, stride[1] * (OW - 1) + 1
    for i in range(KH):
        h0 = i * dilation[0]
        for j in range(KW):
            w0 = j * dilation[1]
            dXp[:, :, h0 : h0 + hspan : stride[0], w0 : w0 + wspan : stride[1]] += d6[
                :, i, j
            ]
    return dXp.transpose(1, 0, 2, 3)


def _gemm(W_r: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(G, Og, K) @ (G, K, M) -> (G, Og, M); a broadcast product when K = 1."""
    if W_r.shape[-1] == 1:
        return W_r * cols  # (G, Og, 1) * (G, 1, M): no K=1 GEMM
    if W_r.shape[0] == 1:
        return (W_r[0] @ cols[0])[None]
    return np.matmul(W_r, cols)


def _gemm_tn(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(G, Og, K)^T @ (G, Og, M) -> (G, K, M)."""
    if A.shape[0] == 1:
        return (A[0].T @ B[0])[None]
    return np.matmul(A.transpose(0, 2, 1), B)


def _gemm_nt(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(G, Og, M) @ (G, K, M)^T -> (G, Og, K)."""
    if A.shape[0] == 1:
        return (A[0] @ B[0].T)[None]
    return np.matmul(A, B.transpose(0, 2, 1))


def _depthwise(
    Xp: np.ndarray, W: np.ndarray, s: Pair, d: Pair, out: Pair
) -> np.ndarray:
    """Depthwise convolution (one filter per channel, W: (C, 1, KH, KW)) as a sum over
    the kernel offsets of shifted, strided views of Xp scaled per channel."""
    N, C = Xp.shape[:2]
    KH, KW = W.shape[2:]
    hs, ws = s[0] * (out[0] - 1) + 1, s[1] * (out[1] - 1) + 1
    Y = np.zeros((N, C) + out, dtype=W.dtype)
    for i in range(KH):
        for j in range(KW):
            h0, w0 = i * d[0], j * d[1]
            win = Xp[:, :, h0 : h0 + hs : s[0], w0 : w0 + ws : s[1]]
            Y += win * W[:, 0, i, j][:, None, None]
    return Y


def _depthwise_backward(
    dY: np.ndarray, Xp: np.ndarray, W: np.ndarray, s: Pair, d: Pair, input_grad: bool
) -> tuple[np.ndarray | None, np.ndarray]:
    """dW[c, 0, i, j] = sum dY * window(i, j);  dXp[window(i, j)] += dY * W[c, 0, i, j]
    (the depthwise case of :func:`conv2d_backward`)."""
    KH, KW = W.shape[2:]
    OH, OW = dY.shape[2:]
    hs, ws = s[0] * (OH - 1) + 1, s[1] * (OW - 1) + 1
    dW = np.empty_like(W)
    dXp = np.zeros(Xp.shape, dtype=W.dtype) if input_grad else None
    for i in range(KH):
        for j in range(KW):
            h0, w0 = i * d[0], j * d[1]
            idx = (
                slice(None),
                slice(None),
                slice(h0, h0 + hs, s[0]),
                slice(w0, w0 + ws, s[1]),
            )
            dW[:, 0, i, j] = np.einsum("nchw,nchw->c", dY, Xp[idx])
            if dXp is not None:
                dXp[idx] += dY * W[:, 0, i, j][:, None, None]
    return dXp, dW


# --- conv2d ---------------------------------------------------------------------------


def conv2d(
    X: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[np.ndarray, dict[str, Any]]:
    """2-D convolution (cross-correlation) with channels, stride, padding, dilation and
    groups:

        Y[n, o, p, q] = b[o] + sum_{c in group(o), i, j}
                        W[o, c, i, j] Xp[n, c, p S + i D, q S + j D].

    Shapes: ``X``: (N, C, H, W); ``W``: (O, C/groups, KH, KW); ``b``: (O,) or None;
    ``Y``: (N, O, OH, OW) with OH, OW from :func:`conv_output_size`. Returns ``(Y,
    cache)``; the cache holds the im2col columns for :func:`conv2d_backward`. Derived in
    :doc:`/book/cnn/convolution`.
    """
    X, W, b, groups = _check_conv_args(X, W, b, groups)
    s, p, d = (
        _pair(stride, "stride"),
        _pair(padding, "padding", 0),
        _pair(dilation, "dilation"),
    )
    return _conv2d(X, W, b, s, p, d, groups)


def _conv2d(
    X: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None,
    s: Pair,
    p: Pair,
    d: Pair,
    groups: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    """:func:`conv2d` on validated arrays (the layers check their input once)."""
    N, C, H, Wd = X.shape
    O, Cg, KH, KW = W.shape
    if C % groups or O % groups:
        raise ValueError(
            f"in_channels {C} and out_channels {O} must be divisible by groups {groups}"
        )
    if Cg != C // groups:
        raise ValueError(
            f"W must have shape (out, {C // groups}, KH, KW) for {C} input "
            f"channels in {groups} group(s); got {W.shape}"
        )
    if b is not None and b.shape != (O,):
        raise ValueError(f"b must have shape ({O},); got {b.shape}")
    OH = _out_size(H, KH, s[0], p[0], d[0])
    OW = _out_size(Wd, KW, s[1], p[1], d[1])
    X = X.astype(W.dtype, copy=False)
    Xp = _pad(X, p)
    W_r = W.reshape(groups, O // groups, Cg * KH * KW)
    kernel = (KH, KW)
    per_sample = C * KH * KW * OH * OW * X.itemsize
    chunks = _chunks(N, per_sample)
    if Cg == 1 and O == C:  # depthwise: KH*KW shifted products, no columns at all
        Y = _depthwise(Xp, W, s, d, (OH, OW))
        chunks = []
    else:
        Y = np.empty((N, O, OH, OW), dtype=W.dtype)
    cols = None
    for sl in chunks:
        n = sl.stop - sl.start
        cols = im2col(Xp[sl], kernel, s, d).reshape(groups, Cg * KH * KW, n * OH * OW)
        Yc = _gemm(W_r, cols).reshape(O, n, OH, OW)
        Y[sl] = Yc.transpose(1, 0, 2, 3)
    if b is not None:
        Y += b[:, None, None]
    cache = {
        "depthwise": not chunks,
        "cols": cols if len(chunks) == 1 else None,
        "Xp": Xp,
        "W": W,
        "stride": s,
        "padding": p,
        "dilation": d,
        "groups": groups,
        "x_shape": X.shape,
        "has_bias": b is not None,
    }
    return Y, cache


def conv2d_backward(
    dY: np.ndarray, cache: dict[str, Any], input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv2d`, for dY = dL/dY of shape (N, O, OH, OW):

        db[o]          = sum_{n,p,q} dY[n, o, p, q]
        dW_r           = dY_r @ cols^T          (a correlation of X with dY)
        dX             = col2im(W_r^T @ dY_r)   (a full convolution of dY with the
                                                 flipped kernel), cropped by the
                                                 padding.

    Returns ``(dX, dW, db)``; ``dX`` is None when ``input_grad`` is False, ``db`` None
    without bias. Derived in :doc:`/book/cnn/convolution`.
    """
    W, Xp, groups = cache["W"], cache["Xp"], cache["groups"]
    s, p, d = cache["stride"], cache["padding"], cache["dilation"]
    N, C, H, Wd = cache["x_shape"]
    O, Cg, KH, KW = W.shape
    OH, OW = dY.shape[2], dY.shape[3]
    dY = dY.astype(W.dtype, copy=False)
    W_r = W.reshape(groups, O // groups, Cg * KH * KW)
    db = None
    if cache["depthwise"]:
        if cache["has_bias"]:
            db = dY.sum(axis=(0, 2, 3))
        dX_dw, dW = _depthwise_backward(dY, Xp, W, s, d, input_grad)
        if dX_dw is None:
            return None, dW, db
        return (
            np.ascontiguousarray(dX_dw[:, :, p[0] : p[0] + H, p[1] : p[1] + Wd]),
            dW,
            db,
        )
    dW_r = np.zeros_like(W_r)
    single = cache["cols"] is not None
    per_sample = C * KH * KW * OH * OW * Xp.itemsize
    chunks = [slice(0, N)] if single else _chunks(N, per_sample)
    dXp: np.ndarray | None = None
    if input_grad and not single:
        dXp = np.empty(Xp.shape, dtype=W.dtype)
    for sl in chunks:
        n = sl.stop - sl.start
        cols = cache["cols"]
        if cols is None:
            cols = im2col(Xp[sl], (KH, KW), s, d).reshape(groups, Cg * KH * KW, -1)
        dY_r = np.ascontiguousarray(dY[sl].transpose(1, 0, 2, 3)).reshape(
            groups, O // groups, n * OH * OW
        )
        dW_r += _gemm_nt(dY_r, cols)
        if cache["has_bias"]:  # a sum along contiguous rows of (O, n OH OW)
            db_chunk = dY_r.reshape(O, -1).sum(axis=1)
            db = db_chunk if db is None else db + db_chunk
        if input_grad:
            dcols = _gemm_tn(W_r, dY_r)
            block = col2im(dcols, (n,) + Xp.shape[1:], (KH, KW), s, d)
            if single:
                dXp = block  # a transposed view: cropped and copied once below
            else:
                assert dXp is not None
                dXp[sl] = block
    dW = dW_r.reshape(W.shape)
    if dXp is None:
        return None, dW, db
    dX = dXp[:, :, p[0] : p[0] + H, p[1] : p[1] + Wd]
    return np.ascontiguousarray(dX), dW, db


# --- the transposed convolution: the adjoint ------------------------------------------


def conv_transpose2d(
    X: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Transposed convolution: the adjoint of :func:`conv2d` with the same weight,

        <conv2d(Z, W), X> = <Z, conv_transpose2d(X, W)>   for every Z, X (no bias),

    computed as col2im(W_r^T @ X_r), the input-gradient half of the conv's backward
    pass.
    Shapes: ``X``: (N, C_in, H, W); ``W``: (C_in, C_out/groups, KH, KW) (the conv it
    transposes maps C_out channels to C_in); ``b``: (C_out,); ``Y``: (N, C_out, OH, OW)
    with OH from :func:`conv_transpose_output_size`. Derived in
    :doc:`/book/cnn/convolution`.
    """
    X, W, b, groups = _check_conv_args(X, W, b, groups)
    s, p, d = (
        _pair(stride, "stride"),
        _pair(padding, "padding", 0),
        _pair(dilation, "dilation"),
    )
    op = _pair(output_padding, "output_padding", 0)
    N, Cin, H, Wd = X.shape
    if W.shape[0] != Cin or Cin % groups:
        raise ValueError(
            f"W must have shape ({Cin}, out/groups, KH, KW) for {Cin} input "
            f"channels divisible by groups {groups}; got {W.shape}"
        )
    _, Cog, KH, KW = W.shape
    Cout = Cog * groups
    if b is not None and b.shape != (Cout,):
        raise ValueError(f"b must have shape ({Cout},); got {b.shape}")
    OH = conv_transpose_output_size(H, KH, s[0], p[0], d[0], op[0])
    OW = conv_transpose_output_size(Wd, KW, s[1], p[1], d[1], op[1])
    X = X.astype(W.dtype, copy=False)
    W_r = W.reshape(groups, Cin // groups, Cog * KH * KW)
    X_r = np.ascontiguousarray(X.transpose(1, 0, 2, 3)).reshape(
        groups, Cin // groups, N * H * Wd
    )
    dcols = _gemm_tn(W_r, X_r)
    padded = (N, Cout, OH + 2 * p[0], OW + 2 * p[1])
    Yp = col2im(dcols, padded, (KH, KW), s, d)
    Y = np.ascontiguousarray(Yp[:, :, p[0] : p[0] + OH, p[1] : p[1] + OW])
    if b is not None:
        Y += b[:, None, None]
    cache = {
        "X_r": X_r,
        "W": W,
        "stride": s,
        "padding": p,
        "dilation": d,
        "groups": groups,
        "x_shape": X.shape,
        "has_bias": b is not None,
    }
    return Y, cache


def conv_transpose2d_backward(
    dY: np.ndarray, cache: dict[str, Any], input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv_transpose2d` for dY (N, C_out, OH, OW): the adjoint of
    the adjoint is the convolution, so

        dX = conv2d(dY, W)   (no bias),   dW_r = X_r @ cols(dY)^T,   db = sum dY.

    Returns ``(dX, dW, db)``. Derived in :doc:`/book/cnn/convolution`.
    """
    W, X_r, groups = cache["W"], cache["X_r"], cache["groups"]
    s, p, d = cache["stride"], cache["padding"], cache["dilation"]
    N, Cin, H, Wd = cache["x_shape"]
    _, Cog, KH, KW = W.shape
    dY = dY.astype(W.dtype, copy=False)
    cols = im2col(_pad(dY, p), (KH, KW), s, d)
    cols = cols.reshape(groups, Cog * KH * KW, N * H * Wd)
    W_r = W.reshape(groups, Cin // groups, Cog * KH * KW)
    dW = _gemm_nt(X_r, cols).reshape(W.shape)
    db = dY.sum(axis=(0, 2, 3)) if cache["has_bias"] else None
    if not input_grad:
        return None, dW, db
    dX = _gemm(W_r, cols).reshape(Cin, N, H, Wd).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dX), dW, db


# --- layers ---------------------------------------------------------------------------


def _init_weight(
    shape: tuple[int, ...], fan_in: int, rng: np.random.Generator, dtype: Any
) -> np.ndarray:
    """He (Kaiming) normal initialization: N(0, 2 / fan_in)."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


class Conv2d(Module):
    """2-D convolution layer: Y = conv2d(X, W) + b (see :func:`conv2d`).

    ``X``: (N, in_channels, H, W) -> ``Y``: (N, out_channels, OH, OW). Parameters ``W``:
    (out_channels, in_channels/groups, KH, KW), He-normal initialized with fan-in
    in_channels/groups * KH * KW, and ``b``: (out_channels,) (zeros; absent with
    ``bias=False``). The arguments follow ``torch.nn.Conv2d``. Derived in
    :doc:`/book/cnn/convolution`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        rng: np.random.Generator,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        check_rng(rng)
        check_type(bias, bool, "bias")
        self.in_channels = check_int(in_channels, "in_channels")
        self.out_channels = check_int(out_channels, "out_channels")
        self.groups = check_int(groups, "groups")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"in_channels {in_channels} and out_channels {out_channels} "
                f"must be divisible by groups {groups}"
            )
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding", 0)
        self.dilation = _pair(dilation, "dilation")
        cg = self.in_channels // self.groups
        shape = (self.out_channels, cg) + self.kernel_size
        fan_in = cg * self.kernel_size[0] * self.kernel_size[1]
        self.add_param("W", _init_weight(shape, fan_in, rng, dtype))
        if bias:
            self.add_param("b", np.zeros(self.out_channels, dtype=dtype))

    def _conv(self, X: np.ndarray) -> np.ndarray:
        Y, cache = _conv2d(
            X,
            self.params["W"],
            self.params.get("b"),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
        self._save(cache)
        return Y

    def _check_X(self, X: Any, ndim: int, hint: str) -> np.ndarray:
        X = as_float_array(X, "X", ndim=ndim, shape_hint=hint)
        if X.shape[1] != self.in_channels:
            raise ValueError(
                f"X must have {self.in_channels} channels on axis 1, shape "
                f"{hint}; got shape {X.shape}"
            )
        return X

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = conv2d(X, W) + b; caches the columns. (N, C, H, W) -> (N, O, OH, OW)."""
        return self._conv(self._check_X(X, 4, f"(batch, {self.in_channels}, H, W)"))

    def _backward(self, dY: np.ndarray, input_grad: bool) -> np.ndarray | None:
        cache = self._saved()
        N = cache["x_shape"][0]
        OH = (
            cache["Xp"].shape[2] - self.dilation[0] * (self.kernel_size[0] - 1) - 1
        ) // self.stride[0] + 1
        OW = (
            cache["Xp"].shape[3] - self.dilation[1] * (self.kernel_size[1] - 1) - 1
        ) // self.stride[1] + 1
        dY = self._check_dY(dY, (N, self.out_channels, OH, OW))
        dX, dW, db = conv2d_backward(dY, cache, input_grad)
        self.grads["W"] += dW
        if db is not None:
            self.grads["b"] += db
        return dX

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dW, db added into ``grads``; returns dX (N, C, H, W) (see
        :func:`conv2d_backward`)."""
        return self._backward(dY, input_grad)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size},"
            f" stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, groups={self.groups}"
        )


class Conv1d(Conv2d):
    """1-D convolution layer over sequences: ``X``: (N, in_channels, L) -> ``Y``:
    (N, out_channels, OL), computed as a :class:`Conv2d` with height 1. ``W``:
    (out_channels, in_channels/groups, K). Derived in :doc:`/book/cnn/convolution`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        rng: np.random.Generator,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        k = check_int(kernel_size, "kernel_size")
        super().__init__(
            in_channels,
            out_channels,
            (1, k),
            rng,
            stride=(1, check_int(stride, "stride")),
            padding=(0, check_int(padding, "padding", minimum=0)),
            dilation=(1, check_int(dilation, "dilation")),
            groups=groups,
            bias=bias,
            dtype=dtype,
        )
        # store the 1-D kernel as (O, C/g, K): the (O, C/g, 1, K) view is taken per call
        self.params["W"] = np.ascontiguousarray(self.params["W"][:, :, 0, :])
        self.grads["W"] = np.zeros_like(self.params["W"])

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, C, L) -> (N, O, OL)."""
        X = self._check_X(X, 3, f"(batch, {self.in_channels}, length)")
        W1 = self.params["W"]
        Y, cache = _conv2d(
            X[:, :, None, :],
            W1[:, :, None, :],
            self.params.get("b"),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
        self._save(cache)
        return Y[:, :, 0, :]

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dW, db added into ``grads``; returns dX (N, C, L)."""
        cache = self._saved()
        N = cache["x_shape"][0]
        OL = (
            cache["Xp"].shape[3] - self.dilation[1] * (self.kernel_size[1] - 1) - 1
        ) // self.stride[1] + 1
        dY = self._check_dY(dY, (N, self.out_channels, OL))
        dX, dW, db = conv2d_backward(dY[:, :, None, :], cache, input_grad)
        self.grads["W"] += dW[:, :, 0, :]
        if db is not None:
            self.grads["b"] += db
        return None if dX is None else dX[:, :, 0, :]

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size="
            f"{self.kernel_size[1]}, stride={self.stride[1]}, "
            f"padding={self.padding[1]}, dilation={self.dilation[1]}, "
            f"groups={self.groups}"
        )


class DepthwiseConv2d(Conv2d):
    """Depthwise convolution: one KH x KW filter per input channel (``groups =
    channels``), ``depth_multiplier`` output channels per input channel. Followed by a
    1x1 :class:`Conv2d` it is the depthwise separable convolution of MobileNet.
    ``X``: (N, C, H, W) -> (N, C * depth_multiplier, OH, OW). Derived in
    :doc:`/book/cnn/convolution`.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        rng: np.random.Generator,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        depth_multiplier: int = 1,
        bias: bool = True,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        channels = check_int(channels, "channels")
        m = check_int(depth_multiplier, "depth_multiplier")
        super().__init__(
            channels,
            channels * m,
            kernel_size,
            rng,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=channels,
            bias=bias,
            dtype=dtype,
        )


class ConvTranspose2d(Module):
    """Transposed convolution layer, the adjoint of :class:`Conv2d` (see
    :func:`conv_transpose2d`): it maps (N, in_channels, H, W) to (N, out_channels, OH,
    OW) with OH = (H - 1) S - 2P + D (KH - 1) + 1 + output_padding, upsampling by the
    stride. ``W``: (in_channels, out_channels/groups, KH, KW) as in
    ``torch.nn.ConvTranspose2d``; ``b``: (out_channels,). Derived in
    :doc:`/book/cnn/convolution`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        rng: np.random.Generator,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        check_rng(rng)
        check_type(bias, bool, "bias")
        self.in_channels = check_int(in_channels, "in_channels")
        self.out_channels = check_int(out_channels, "out_channels")
        self.groups = check_int(groups, "groups")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"in_channels {in_channels} and out_channels {out_channels} "
                f"must be divisible by groups {groups}"
            )
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding", 0)
        self.output_padding = _pair(output_padding, "output_padding", 0)
        self.dilation = _pair(dilation, "dilation")
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        # each output pixel sums about (in/groups) * KH * KW / (S_h S_w) terms
        fan_in = max(
            1,
            (self.in_channels // self.groups)
            * self.kernel_size[0]
            * self.kernel_size[1]
            // (self.stride[0] * self.stride[1]),
        )
        self.add_param("W", _init_weight(shape, fan_in, rng, dtype))
        if bias:
            self.add_param("b", np.zeros(self.out_channels, dtype=dtype))

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, in_channels, H, W) -> (N, out_channels, OH, OW); caches X."""
        X = as_float_array(
            X, "X", ndim=4, shape_hint=f"(batch, {self.in_channels}, H, W)"
        )
        if X.shape[1] != self.in_channels:
            raise ValueError(
                f"X must have {self.in_channels} channels on axis 1; "
                f"got shape {X.shape}"
            )
        Y, cache = conv_transpose2d(
            X,
            self.params["W"],
            self.params.get("b"),
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
            self.groups,
        )
        cache["y_shape"] = Y.shape
        self._save(cache)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dW, db added into ``grads``; returns dX = conv2d(dY, W)."""
        cache = self._saved()
        dY = self._check_dY(dY, cache["y_shape"])
        dX, dW, db = conv_transpose2d_backward(dY, cache, input_grad)
        self.grads["W"] += dW
        if db is not None:
            self.grads["b"] += db
        return dX

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size},"
            f" stride={self.stride}, padding={self.padding}"
        )


class SpatialBatchNorm(Module):
    """Batch normalization of a feature map (N, C, *spatial) per channel: the statistics
    of channel c are taken over the batch *and* every position (m = N * positions
    values), so the normalization is shared across space like the convolution's weights:

        x_hat = (x - mu_c) / sqrt(sigma_c^2 + eps),   y = gamma_c x_hat + beta_c.

    Params ``gamma`` (ones) and ``beta`` (zeros), shape (C,); buffers ``running_mean``
    and ``running_var`` as in :class:`~nnbook.nn.normalization.BatchNorm`, used in
    evaluation mode. Backward (training mode), sums over the m values of a channel:

        dx = inv_std / m * (m dx_hat - sum dx_hat - x_hat * sum(dx_hat * x_hat)),
        dx_hat = gamma dy.

    Used in :doc:`/book/cnn/residual-cnn` and :doc:`/book/cnn/classic-architectures`.
    """

    def __init__(
        self,
        channels: int,
        momentum: float = 0.9,
        eps: float = 1e-5,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        self.channels = check_int(channels, "channels")
        self.momentum = check_float(
            momentum, "momentum", low=0.0, high=1.0, high_open=True
        )
        self.eps = check_positive(eps, "eps")
        dt = np.dtype(dtype)
        self.add_param("gamma", np.ones(self.channels, dtype=dt))
        self.add_param("beta", np.zeros(self.channels, dtype=dt))
        self.add_buffer("running_mean", np.zeros(self.channels, dtype=dt))
        self.add_buffer("running_var", np.ones(self.channels, dtype=dt))

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, C, ...) -> (N, C, ...), normalized per channel."""
        X = as_float_array(X, "X", shape_hint=f"(batch, {self.channels}, ...)")
        if X.ndim < 3 or X.shape[1] != self.channels:
            raise ValueError(
                f"X must have shape (batch, {self.channels}, ...) with at "
                f"least one spatial axis; got shape {X.shape}"
            )
        gamma, beta = self.params["gamma"], self.params["beta"]
        Xr = X.astype(gamma.dtype, copy=False).reshape(X.shape[0], self.channels, -1)
        if self.training:
            m = Xr.shape[0] * Xr.shape[2]
            mean = Xr.mean(axis=(0, 2))
            Xc = Xr - mean[:, None]
            var = np.einsum("ncp,ncp->c", Xc, Xc) / m
            inv_std = 1.0 / np.sqrt(var + self.eps)
            X_hat = Xc * inv_std[:, None]
            rm, rv, mom = (
                self.buffers["running_mean"],
                self.buffers["running_var"],
                self.momentum,
            )
            rm *= mom
            rm += (1.0 - mom) * mean
            rv *= mom
            rv += (1.0 - mom) * var * (m / (m - 1) if m > 1 else 1.0)
        else:
            inv_std = 1.0 / np.sqrt(self.buffers["running_var"] + self.eps)
            X_hat = (Xr - self.buffers["running_mean"][:, None]) * inv_std[:, None]
        self._save(X_hat, inv_std, self.training, X.shape)
        return (X_hat * gamma[:, None] + beta[:, None]).reshape(X.shape)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dgamma = sum dY x_hat, dbeta = sum dY (per channel); returns dX."""
        X_hat, inv_std, training, shape = self._saved()
        gamma = self.params["gamma"]
        dY = self._check_dY(dY, shape).astype(gamma.dtype, copy=False)
        dYr = dY.reshape(X_hat.shape)
        self.grads["gamma"] += np.einsum("ncp,ncp->c", dYr, X_hat)
        sum_dY = dYr.sum(axis=(0, 2))
        self.grads["beta"] += sum_dY
        if not input_grad:
            return None
        scale = (gamma * inv_std)[:, None]
        if not training:
            return (dYr * scale).reshape(shape)
        m = X_hat.shape[0] * X_hat.shape[2]
        # dx_hat = gamma dy: the sums of dx_hat and dx_hat * x_hat are gamma times
        # those of dy
        mean_dY = (sum_dY / m)[:, None]
        mean_dY_xhat = (np.einsum("ncp,ncp->c", dYr, X_hat) / m)[:, None]
        dX = scale * (dYr - mean_dY - X_hat * mean_dY_xhat)
        return dX.reshape(shape)

    def extra_repr(self) -> str:
        return f"{self.channels}"
