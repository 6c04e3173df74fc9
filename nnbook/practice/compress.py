"""Compression: magnitude pruning, uniform affine quantization (post-training and
quantization-aware with the straight-through estimator), float16/bfloat16 rounding, and
knowledge distillation.

Derived in :doc:`/book/practice/compression`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_float,
    check_int,
    check_labels,
    check_positive,
    check_probability,
    check_type,
)
from ..nn.activations import log_softmax, softmax
from ..nn.layers import Dense
from ..nn.module import Module

__all__ = [
    "magnitude_masks", "neuron_masks", "apply_masks", "sparsity", "MaskedOptimizer",
    "affine_qparams", "quantize", "dequantize", "fake_quantize", "QuantDense",
    "quantize_model", "to_float16", "to_bfloat16", "distillation_loss",
    "distillation_loss_backward", "DistillationLoss",
]


# --- pruning ----------------------------------------------------------------------


def _weights(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The prunable arrays: matrices (biases and other 1-D arrays are kept)."""
    return {k: v for k, v in params.items() if np.ndim(v) >= 2}


def magnitude_masks(params: Mapping[str, np.ndarray], sparsity: float,
                    scope: str = "global") -> dict[str, np.ndarray]:
    """Unstructured magnitude pruning: keep the weights of largest |w|.

    A fraction ``sparsity`` of the entries of every matrix in ``params`` (``scope=
    "layer"``) or of all of them together (``"global"``) gets mask 0: those whose |w| is
    below the corresponding quantile. 1-D arrays (biases) are not pruned.
    Returns {name: mask} of float masks (1 keep, 0 prune), same shapes.
    Derived in :doc:`/book/practice/compression`.
    """
    s = check_probability(sparsity, "sparsity")
    if scope not in ("global", "layer"):
        raise ValueError(f"scope must be 'global' or 'layer'; got {scope!r}")
    W = _weights(params)
    if not W:
        raise ValueError("params must hold at least one matrix to prune")
    masks = {}
    if scope == "global":
        mags = np.concatenate([np.abs(w).ravel() for w in W.values()])
        k = int(round(s * mags.size))
        thresh = np.partition(mags, k - 1)[k - 1] if k else -np.inf
        for name, w in W.items():
            masks[name] = (np.abs(w) > thresh).astype(w.dtype)
    else:
        for name, w in W.items():
            k = int(round(s * w.size))
            order = np.argsort(np.abs(w), axis=None, kind="stable")
            m = np.ones(w.size, dtype=w.dtype)
            m[order[:k]] = 0
            masks[name] = m.reshape(w.shape)
    return masks


def neuron_masks(params: Mapping[str, np.ndarray], sparsity: float,
                 keep_last: bool = True) -> dict[str, np.ndarray]:
    """Structured pruning of whole hidden units of a stack of Dense layers.

    For each matrix W (n_in, n_out) in order, the fraction ``sparsity`` of its output
    units (columns) with the smallest L2 norm ||W[:, j]|| is removed: column j of W and
    entry j of the bias "<prefix>.b" get mask 0. The last matrix (the output layer) is
    kept when ``keep_last``. A removed unit has pre-activation 0, so (for activations
    with f(0) = 0) the rows of the next layer that read it contribute nothing and the
    layer can be rebuilt smaller. Returns {name: mask}.
    """
    s = check_probability(sparsity, "sparsity")
    names = list(_weights(params))
    masks: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        w = params[name]
        if keep_last and i == len(names) - 1:
            continue
        if w.ndim != 2:
            raise ValueError(f"neuron_masks expects (n_in, n_out) matrices; {name} "
                             f"has shape {w.shape}")
        k = int(round(s * w.shape[1]))
        order = np.argsort(np.linalg.norm(w, axis=0), kind="stable")
        col = np.ones(w.shape[1], dtype=w.dtype)
        col[order[:k]] = 0
        masks[name] = np.broadcast_to(col, w.shape).copy()
        bias = name.rsplit(".", 1)[0] + ".b" if "." in name else "b"
        if bias in params:
            masks[bias] = col.copy()
    return masks


def apply_masks(params: Mapping[str, np.ndarray],
                masks: Mapping[str, np.ndarray]) -> None:
    """params[name] *= masks[name], in place, for every masked name."""
    for name, m in masks.items():
        if name not in params:
            raise ValueError(f"mask {name!r} names no parameter; have {sorted(params)}")
        if np.shape(m) != params[name].shape:
            raise ValueError(f"mask {name!r} must have shape {params[name].shape}; "
                             f"got {np.shape(m)}")
        params[name] *= m


def sparsity(params: Mapping[str, np.ndarray]) -> float:
    """Fraction of exactly-zero entries among the matrices of ``params``."""
    check_type(params, Mapping, "params")
    W = _weights(params)
    total = sum(w.size for w in W.values())
    return float(sum(np.count_nonzero(w == 0) for w in W.values()) / max(total, 1))


class MaskedOptimizer:
    """An optimizer whose updates keep pruned weights at zero: after every step of the
    wrapped optimizer, params *= masks. ``lr`` reads and sets the wrapped rate, so
    :func:`~nnbook.train.fit` and schedules work unchanged."""

    def __init__(self, base: Any, masks: Mapping[str, np.ndarray]) -> None:
        if not (hasattr(base, "step") and hasattr(base, "lr")):
            raise TypeError("base must be an optimizer with lr and step(params, grads)"
                            "; "
                            f"got {type(base).__name__}")
        self.base = base
        self.masks = dict(masks)

    @property
    def lr(self) -> float:
        """The wrapped optimizer's learning rate."""
        return float(self.base.lr)

    @lr.setter
    def lr(self, value: float) -> None:
        self.base.lr = value

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """The wrapped step, then the masks re-applied."""
        self.base.step(params, grads)
        apply_masks(params, self.masks)


# --- quantization -----------------------------------------------------------------


def _qrange(bits: int) -> tuple[int, int]:
    bits = check_int(bits, "bits", minimum=2, maximum=16)
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def affine_qparams(x: np.ndarray, bits: int = 8,
                   axis: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scale and zero point of uniform affine quantization to signed ``bits``-bit ints.

    The range [lo, hi] = [min(x, 0), max(x, 0)] (always containing 0, so that 0 is
    exactly representable) is mapped onto [q_min, q_max] = [-2^(b-1), 2^(b-1) - 1]:
    scale = (hi - lo) / (q_max - q_min), zero_point = q_min - round(lo / scale).
    Per tensor (``axis=None``: scalars) or per channel (one pair per index of ``axis``,
    shaped to broadcast against ``x``). Derived in :doc:`/book/practice/compression`.
    """
    x = as_float_array(x, "x")
    qmin, qmax = _qrange(bits)
    if axis is not None:
        axis = check_int(axis, "axis", minimum=-x.ndim, maximum=x.ndim - 1)
    red = (None if axis is None
           else tuple(i for i in range(x.ndim) if i != axis % x.ndim))
    lo = np.minimum(x.min(axis=red, keepdims=axis is not None), 0.0)
    hi = np.maximum(x.max(axis=red, keepdims=axis is not None), 0.0)
    scale = np.where(hi > lo, (hi - lo) / (qmax - qmin), 1.0)
    zero_point = qmin - np.round(lo / scale)
    return np.asarray(scale, dtype=np.float64), np.asarray(zero_point, dtype=np.float64)


def quantize(x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray,
             bits: int = 8) -> np.ndarray:
    """q = clip(round(x / scale) + zero_point, q_min, q_max) as int32 (int8 values for
    8 bits). ``scale`` and ``zero_point`` broadcast against ``x``."""
    x = as_float_array(x, "x")
    qmin, qmax = _qrange(bits)
    q = np.clip(np.round(x / scale) + zero_point, qmin, qmax)
    return q.astype(np.int32)


def dequantize(q: np.ndarray, scale: np.ndarray, zero_point: np.ndarray) -> np.ndarray:
    """x_hat = scale * (q - zero_point), in float64."""
    return np.asarray(scale * (np.asarray(q, dtype=np.float64) - zero_point))


def fake_quantize(x: np.ndarray, bits: int = 8, axis: int | None = None) -> np.ndarray:
    """Quantize then dequantize with parameters fitted to ``x`` itself, in x's dtype.

    For every x in the fitted range, |x - x_hat| <= scale / 2 (round to nearest).
    """
    x = as_float_array(x, "x")
    scale, zp = affine_qparams(x, bits, axis)
    return dequantize(quantize(x, scale, zp, bits), scale, zp).astype(x.dtype)


class QuantDense(Dense):
    """A Dense layer whose forward uses fake-quantized weights, for quantization-aware
    training with the straight-through estimator (Bengio et al., 2013).

    Forward: Y = X Q(W) + b, Q = :func:`fake_quantize` (``bits``, per output channel
    when ``per_channel``). Backward: rounding has derivative 0 almost everywhere, so
    the straight-through estimator treats Q as the identity: dW += X^T dY (as if
    Y = X W + b) and dX = dY Q(W)^T. The float weights W keep receiving small updates
    that rounding would otherwise erase. Shapes as :class:`~nnbook.nn.layers.Dense`.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator,
                 bits: int = 8, per_channel: bool = True, init: Any = "he",
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__(n_in, n_out, rng, init=init, dtype=dtype)
        _qrange(bits)
        self.bits = bits
        self.per_channel = check_type(per_channel, bool, "per_channel")

    def quantized_weight(self) -> np.ndarray:
        """Q(W): the weights the forward pass uses."""
        return fake_quantize(self.params["W"], self.bits,
                             axis=1 if self.per_channel else None)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X Q(W) + b; caches X and Q(W)."""
        X = as_float_array(X, "X", shape_hint=f"(batch, {self.n_in})")
        if X.ndim < 2 or X.shape[-1] != self.n_in:
            raise ValueError(f"X must have shape (batch, {self.n_in}); got {X.shape}")
        Wq = self.quantized_weight()
        X = X.astype(Wq.dtype, copy=False)
        self._save(X, Wq)
        return np.asarray(X @ Wq + self.params["b"])

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Straight-through: dW += X^T dY, db += sum dY, dX = dY Q(W)^T."""
        X, Wq = self._saved()
        dY = self._check_dY(dY, X.shape[:-1] + (self.n_out,))
        dY = dY.astype(Wq.dtype, copy=False)
        X2, dY2 = X.reshape(-1, self.n_in), dY.reshape(-1, self.n_out)
        self.grads["W"] += X2.T @ dY2
        self.grads["b"] += dY2.sum(axis=0)
        return dY @ Wq.T if input_grad else None

    def __repr__(self) -> str:
        return f"QuantDense({self.n_in}, {self.n_out}, bits={self.bits})"


def quantize_model(model: Module, bits: int = 8, per_channel: bool = True) -> int:
    """Post-training quantization of the weights, in place: every matrix parameter
    W (n_in, n_out) is replaced by its fake-quantized Q(W) (per output channel, axis 1,
    or per tensor). Biases stay in float (in integer inference they are int32 with scale
    s_x s_W). Returns the number of bytes of the quantized matrices (bits/8 per entry
    plus 8 bytes of scale and zero point per channel)."""
    check_type(model, Module, "model")
    check_type(per_channel, bool, "per_channel")
    total = 0
    for _, W in model.named_parameters():
        if W.ndim != 2:
            continue
        W[...] = fake_quantize(W, bits, axis=1 if per_channel else None)
        total += W.size * bits // 8 + 8 * (W.shape[1] if per_channel else 1)
    return total


def to_float16(x: np.ndarray) -> np.ndarray:
    """x rounded to IEEE half precision (round to nearest even), returned as float32.
    Unit roundoff 2^-11; largest finite 65504 (beyond it: inf); smallest normal 2^-14,
    subnormals down to 2^-24, below that 0."""
    x = as_float_array(x, "x")
    with np.errstate(over="ignore"):                   # overflow to inf is the point
        return np.asarray(x.astype(np.float16), dtype=np.float32)


def to_bfloat16(x: np.ndarray) -> np.ndarray:
    """x rounded to bfloat16 (round to nearest even), returned as float32.

    bfloat16 keeps float32's 8 exponent bits and the top 7 of its 23 mantissa bits, so
    it has float32's range and unit roundoff 2^-8. Emulated on the bits: add
    0x7FFF + (bit 16) to the float32 pattern and clear the low 16 bits.
    """
    x32 = np.ascontiguousarray(as_float_array(x, "x"), dtype=np.float32)
    bits = x32.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return np.asarray(rounded.astype(np.uint32).view(np.float32))


# --- distillation -----------------------------------------------------------------


def _distill_args(z: Any, v: Any, y: Any, T: float, alpha: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    z = as_float_array(z, "student_logits", ndim=2, shape_hint="(batch, n_classes)")
    v = as_float_array(v, "teacher_logits", ndim=2, shape_hint="(batch, n_classes)")
    if v.shape != z.shape:
        raise ValueError(f"teacher_logits must have the student's shape {z.shape}; "
                         f"got {v.shape}")
    y = check_labels(y, z.shape[0], z.shape[1])
    T = check_positive(T, "T")
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0)
    return z, v, y, T, alpha


def distillation_loss(student_logits: np.ndarray, teacher_logits: np.ndarray,
                      y: np.ndarray, T: float = 4.0, alpha: float = 0.9) -> float:
    """Knowledge distillation loss (Hinton et al., 2015), mean over the batch:

        L = alpha T^2 KL(softmax(v / T) || softmax(z / T)) + (1 - alpha) CE(z, y),

    z the student's logits, v the teacher's, both (batch, n_classes); y (batch,).
    The T^2 keeps the soft term's gradient independent of T. Derived in
    :doc:`/book/practice/compression`.
    """
    z, v, y, T, alpha = _distill_args(student_logits, teacher_logits, y, T, alpha)
    log_q, log_p = log_softmax(z / T), log_softmax(v / T)
    kl = np.sum(np.exp(log_p) * (log_p - log_q), axis=1)          # KL(p || q) per row
    ce = -log_softmax(z)[np.arange(len(y)), y]                     # hard-label term
    return float(np.mean(alpha * T**2 * kl + (1 - alpha) * ce))


def distillation_loss_backward(student_logits: np.ndarray, teacher_logits: np.ndarray,
                               y: np.ndarray, T: float = 4.0,
                               alpha: float = 0.9) -> np.ndarray:
    """dL/dz = [alpha T (softmax(z/T) - softmax(v/T)) + (1 - alpha)(softmax(z) -
    onehot(y))] / batch. (batch, n_classes)."""
    z, v, y, T, alpha = _distill_args(student_logits, teacher_logits, y, T, alpha)
    soft = T * (softmax(z / T) - softmax(v / T))
    hard = softmax(z)
    hard[np.arange(len(y)), y] -= 1.0
    return np.asarray((alpha * soft + (1 - alpha) * hard) / len(y))


class DistillationLoss:
    """:func:`distillation_loss` for :func:`~nnbook.train.fit`: targets are the tuple
    (y, teacher_logits), so pass ``fit(student, X, (y, V), ...)`` with V the teacher's
    logits on X. Accuracy counts argmax(z) == y."""

    def __init__(self, T: float = 4.0, alpha: float = 0.9) -> None:
        self.T = check_positive(T, "T")
        self.alpha = check_float(alpha, "alpha", low=0.0, high=1.0)

    def __call__(self, outputs: np.ndarray, targets: Any) -> tuple[float, np.ndarray]:
        y, v = targets
        return (distillation_loss(outputs, v, y, self.T, self.alpha),
                distillation_loss_backward(outputs, v, y, self.T, self.alpha))

    def correct(self, outputs: np.ndarray, targets: Any) -> float:
        """Rows whose largest logit is the label's."""
        return float(np.count_nonzero(np.argmax(outputs, axis=-1) == targets[0]))

