"""Mixed precision (float16 compute, float32 master weights, loss scaling) and gradient
checkpointing.

Derived in :doc:`/book/practice/hardware-and-scale`.
"""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import (
    NonFiniteError,
    as_float_array,
    check_float,
    check_int,
    check_positive,
    check_type,
)
from ..nn.losses import CrossEntropyLoss
from ..nn.module import Module, Sequential, no_grad
from ..train.loop import LossFn

__all__ = [
    "underflow_fraction", "LossScaler", "half_copy", "mixed_precision_step",
    "CheckpointedSequential", "sqrt_segments", "peak_memory",
]

#: Smallest positive float16 (a subnormal), 2^-24.
FLOAT16_TINY = float(np.finfo(np.float16).smallest_subnormal)


def underflow_fraction(grads: dict[str, np.ndarray] | np.ndarray,
                       scale: float = 1.0) -> float:
    """Fraction of the non-zero entries of ``grads`` that become 0 when ``scale * g`` is
    rounded to float16: the gradient information lost without (or with) loss scaling."""
    scale = check_positive(scale, "scale")
    check_type(grads, (dict, np.ndarray), "grads")
    arrays = list(grads.values()) if isinstance(grads, dict) else [grads]
    g = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    nz = g != 0
    if not nz.any():
        return 0.0
    with np.errstate(over="ignore"):
        lost = (g[nz] * scale).astype(np.float16) == 0
    return float(lost.mean())


class LossScaler:
    """Dynamic loss scaling (Micikevicius et al., 2018).

    The loss (hence every gradient) is multiplied by ``scale`` before the float16
    backward pass, so that small gradients do not underflow, and the float32
    gradients are divided by it before the update. If any gradient overflowed
    (inf or NaN) the step
    is skipped and the scale multiplied by ``backoff``; after ``growth_interval``
    consecutive good steps it is multiplied by ``growth``. ``dynamic=False`` keeps it
    fixed.
    """

    def __init__(self, scale: float = 2.0**15, growth: float = 2.0,
                 backoff: float = 0.5, growth_interval: int = 100,
                 dynamic: bool = True) -> None:
        self.scale = check_positive(scale, "scale")
        self.growth = check_float(growth, "growth", low=1.0)
        self.backoff = check_float(backoff, "backoff", low=0.0, high=1.0,
                                   low_open=True)
        self.growth_interval = check_int(growth_interval, "growth_interval")
        self.dynamic = check_type(dynamic, bool, "dynamic")
        self.good_steps = 0
        self.skipped = 0

    def unscale(self, grads: dict[str, np.ndarray]
                ) -> tuple[dict[str, np.ndarray], bool]:
        """float32 copies of grads / scale, and whether any was not finite."""
        check_type(grads, dict, "grads")
        s = np.float32(self.scale)
        out = {k: g.astype(np.float32) / s for k, g in grads.items()}
        finite = all(bool(np.isfinite(g).all()) for g in out.values())
        return out, not finite

    def update(self, found_inf: bool) -> None:
        """Back off after an overflow, grow after ``growth_interval`` good steps."""
        if found_inf:
            self.skipped += 1
            self.good_steps = 0
            if self.dynamic:
                self.scale *= self.backoff
            return
        self.good_steps += 1
        if self.dynamic and self.good_steps % self.growth_interval == 0:
            self.scale *= self.growth


def half_copy(master: Module, half: Module) -> None:
    """Copy the float32 master weights into the float16 model, rounding each."""
    hp = half.parameters()
    for name, p in master.parameters().items():
        hp[name][...] = p.astype(np.float16)


def mixed_precision_step(master: Module, half: Module, X: np.ndarray, y: Any,
                         optimizer: Any, scaler: LossScaler,
                         loss_fn: LossFn | None = None) -> tuple[float, bool]:
    """One mixed-precision training step.

    1. round the float32 master weights into the float16 model; 2. forward in
    float16; 3. the loss in float32 on the float32-cast logits; 4. dL/dZ * scale, cast
    to float16, and the backward pass in float16; 5. unscale the gradients in
    float32; 6. on overflow
    skip the update, else ``optimizer.step`` on the master weights; 7. update the scale.
    ``half`` must have the master's architecture with float16 parameters.
    Returns (loss, skipped).
    """
    check_type(master, Module, "master")
    check_type(half, Module, "half")
    loss_fn = CrossEntropyLoss() if loss_fn is None else loss_fn
    half_copy(master, half)
    half.zero_grad()
    X16 = as_float_array(X, "X").astype(np.float16)
    with np.errstate(over="ignore", invalid="ignore"):
        Z = half(X16)
        value, dZ = loss_fn(np.asarray(Z, dtype=np.float32), y)
        try:            # an overflow inside the float16 backward is an inf in some dY
            half.backward((np.asarray(dZ) * scaler.scale).astype(np.float16),
                          input_grad=False)
            overflow = False
        except NonFiniteError:
            half.clear_cache()
            overflow = True
    grads, found_inf = scaler.unscale(half.gradients())
    found_inf = found_inf or overflow
    if not found_inf:
        optimizer.step(master.parameters(), grads)
    scaler.update(found_inf)
    return float(value), found_inf


# --- gradient checkpointing --------------------------------------------------------


def sqrt_segments(n_layers: int) -> int:
    """The number of segments that minimises the memory n/k + k of checkpointing:
    k = round(sqrt(n)), giving about 2 sqrt(n) stored activations instead of n."""
    n = check_int(n_layers, "n_layers")
    return max(1, round(math.sqrt(n)))


class CheckpointedSequential(Sequential):
    """A Sequential that stores only the inputs of ``segments`` segments in the forward
    pass and recomputes each segment's activations during the backward pass
    (Chen et al., 2016).

    Forward: the layers run under :func:`~nnbook.nn.module.no_grad`; only the input of
    each segment is kept. Backward, for each segment from the last: re-run its forward
    with caching from the stored input, then its backward. Memory: O(n/k + k) layer
    activations instead of O(n), at the price of one extra forward pass. The
    gradients are bit-for-bit those of the plain :class:`Sequential` (same
    operations, same order).
    Derived in :doc:`/book/practice/hardware-and-scale`.
    """

    def __init__(self, layers: list[Module], segments: int | None = None) -> None:
        super().__init__(layers)
        n = len(self.layers)
        k = sqrt_segments(n) if segments is None else check_int(segments, "segments",
                                                                 maximum=n)
        edges = np.linspace(0, n, k + 1).round().astype(int)
        self.bounds = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
        self._inputs: list[list[np.ndarray]] = []

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Run every layer without caching; keep only the segment inputs."""
        saved = []
        with no_grad():
            for a, b in self.bounds:
                saved.append(X)
                for layer in self.layers[a:b]:
                    X = layer(X)
        if self._grad_enabled():
            self._inputs.append(saved)
        return X

    @staticmethod
    def _grad_enabled() -> bool:
        from ..nn.module import is_grad_enabled
        return is_grad_enabled()

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Recompute each segment (last first) with caching, then backpropagate it."""
        if not self._inputs:
            raise ValueError("CheckpointedSequential.backward has no forward pass left "
                             "to consume: call forward first (outside no_grad)")
        saved = self._inputs.pop()
        out: Any = dY
        for (a, b), X in zip(reversed(self.bounds), reversed(saved)):
            H = X
            for layer in self.layers[a:b]:                  # recompute, caching
                H = layer(H)
            for i in range(b - 1, a - 1, -1):
                out = self.layers[i].backward(out, input_grad=input_grad or i > 0)
        return out

    def clear_cache(self) -> None:
        """Drop stored segment inputs and every child's caches."""
        self._inputs.clear()
        super().clear_cache()


def peak_memory(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``fn()`` under :mod:`tracemalloc` and return (its result, the peak bytes
    allocated during the call). NumPy reports its array buffers to tracemalloc."""
    check_type(fn, Callable, "fn")  # type: ignore[arg-type]
    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was:
            tracemalloc.stop()
    return out, int(peak - base)
