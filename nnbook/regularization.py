"""Regularization: weight penalties, dropout and early stopping.

* Penalty factories ``l2_penalty(lam)``, ``l1_penalty(lam)``, ``elastic_net_penalty(lam,
  l1_ratio)`` return a function ``penalty(params) -> (value, grads)`` that the training loop
  adds to the data loss and its gradients. They penalise the **weights only**: every parameter
  array with two or more axes (a dense layer's ``W``, a convolution's kernel). One-axis arrays
  (biases ``b``, normalization's ``gamma``/``beta``) are left alone: they do not multiply the
  input, so shrinking them does not make the function smoother, and pulling ``gamma`` to 0
  would switch units off. ``grads`` holds an entry for each penalised array only (the training
  loop adds ``grads[k]`` to the model's gradient of ``k`` where it is present).
* :class:`Dropout`, inverted dropout (Hinton et al., 2012; Srivastava et al., 2014).
* :class:`EarlyStopping`, a callback for :func:`nnbook.model.fit` that stops after
  ``patience`` epochs without improvement and puts the best weights back.

Derived in :doc:`/book/training/regularization`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

from ._checks import as_float_array, check_positive, check_rng
from .layers import Layer

__all__ = ["l2_penalty", "l1_penalty", "elastic_net_penalty", "Dropout", "EarlyStopping"]

Penalty = Callable[[Mapping[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]]


def _is_weight(p: np.ndarray) -> bool:
    """The penalties act on arrays with two or more axes (weights), not on 1-D biases/scales."""
    return np.ndim(p) >= 2


def _check_params(params: Mapping[str, np.ndarray]) -> None:
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict mapping names to arrays; got {type(params).__name__}")
    for name, p in params.items():
        as_float_array(p, f"params[{name!r}]", allow_empty=True)


def _elastic(lam: float, l1_ratio: float) -> Penalty:
    """lam * sum_W [l1_ratio * ||W||_1 + (1 - l1_ratio) / 2 * ||W||_2^2] and its (sub)gradient."""
    a1, a2 = lam * l1_ratio, lam * (1.0 - l1_ratio)

    def penalty(params: Mapping[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        _check_params(params)
        value = 0.0
        grads: dict[str, np.ndarray] = {}
        for name, W in params.items():
            if not _is_weight(W):
                continue  # biases, gamma, beta: not penalised
            g = np.zeros_like(W)
            if a1:
                value += a1 * float(np.sum(np.abs(W)))
                g += a1 * np.sign(W)            # subgradient: sign(w), and 0 at w = 0
            if a2:
                value += 0.5 * a2 * float(np.sum(W * W))
                g += a2 * W                     # d/dW of (a2 / 2) ||W||^2
            grads[name] = g
        return value, grads

    return penalty


def l2_penalty(lam: float) -> Penalty:
    """Return penalty(params) -> (value, grads) for (lam / 2) sum_W ||W||_2^2, grads lam * W.

    Summed over every weight array (2 or more axes); biases and other 1-D arrays are skipped
    (``grads`` has no entry for them). Adding it to the loss makes an SGD step shrink every weight by the factor
    (1 - lr * lam): weight decay. ``lam`` >= 0. Derived in :doc:`/book/training/regularization`.
    """
    lam = check_positive(lam, "lam", strict=False)
    return _elastic(lam, 0.0)


def l1_penalty(lam: float) -> Penalty:
    """Return penalty(params) -> (value, grads) for lam sum_W ||W||_1, grads lam * sign(W).

    ``sign`` is the subgradient of |w| that is 0 at w = 0. Weights only (2 or more axes), as for
    :func:`l2_penalty`. Derived in :doc:`/book/training/regularization`.
    """
    lam = check_positive(lam, "lam", strict=False)
    return _elastic(lam, 1.0)


def elastic_net_penalty(lam: float, l1_ratio: float) -> Penalty:
    """Return penalty(params) -> (value, grads) for the elastic net (Zou and Hastie, 2005),

    lam * sum_W [ l1_ratio ||W||_1 + (1 - l1_ratio) / 2 ||W||_2^2 ],
    grads lam * (l1_ratio sign(W) + (1 - l1_ratio) W).

    ``l1_ratio`` in [0, 1]: 1 is :func:`l1_penalty`, 0 is :func:`l2_penalty`. Weights only.
    Derived in :doc:`/book/training/regularization`.
    """
    lam = check_positive(lam, "lam", strict=False)
    r = float(l1_ratio)
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1]; got {l1_ratio!r}")
    return _elastic(lam, r)


class Dropout(Layer):
    """Inverted dropout: in training Y = X * M / (1 - p) with M_ij ~ Bernoulli(1 - p), a fresh
    mask on every forward call; in evaluation Y = X.

    Because E[M_ij / (1 - p)] = 1, the expected output in training equals the input, so nothing
    has to be rescaled at evaluation time. ``backward`` multiplies dY by the same mask / (1 - p)
    that ``forward`` drew. ``p`` in [0, 1) is the probability of *dropping* a unit;
    ``rng`` draws the masks. ``X``: any shape. Derived in :doc:`/book/training/regularization`.
    """

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        super().__init__()
        p_ = float(p)
        if not (0.0 <= p_ < 1.0) or math.isnan(p_):
            raise ValueError(f"p must be a drop probability in [0, 1); got {p!r}")
        self.p = p_
        self.rng = check_rng(rng)
        self._mask: np.ndarray | None = None
        self._shape: tuple[int, ...] | None = None

    def forward(self, X: np.ndarray) -> np.ndarray:
        """X * mask / (1 - p) in training (mask drawn now and cached), X in evaluation."""
        X = as_float_array(X, "X")
        self._shape = X.shape
        if not self.training or self.p == 0.0:
            self._mask = None
            return X
        # uniforms in X's precision (half the work for float32); the array is reused as the mask
        u = self.rng.random(X.shape, dtype=X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
        keep = u >= self.p                                   # m_ij ~ Bernoulli(1 - p)
        np.multiply(keep, 1.0 / (1.0 - self.p), out=u)       # mask = m / (1 - p)
        self._mask = u.astype(X.dtype, copy=False)
        return X * self._mask

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dX = dY * mask / (1 - p) with the mask of the last forward (dY itself in evaluation)."""
        dY = self._check_dY(dY, self._shape)
        return dY if self._mask is None else dY * self._mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


def _model_params(model: Any) -> dict[str, np.ndarray]:
    params = model.parameters() if callable(getattr(model, "parameters", None)) else model
    if not isinstance(params, Mapping):
        raise ValueError("model must have a parameters() method returning a dict of arrays; "
                         f"got {type(params).__name__}")
    return dict(params)


class EarlyStopping:
    """Callback ``cb(epoch, history, model) -> bool`` that stops training when the monitored
    quantity has not improved by more than ``min_delta`` for ``patience`` epochs in a row.

    ``monitor`` is a key of ``history.history`` (``"val_loss"`` by default; names containing
    ``"acc"`` are maximised, the rest minimised). Every time the quantity improves, the
    callback records ``best_epoch``, ``best_value`` and a copy of every parameter array. With
    ``restore_best=True`` it copies those arrays back *in place* into the model's parameters
    when it stops training, and :meth:`restore` (also called by :meth:`on_train_end`) does the
    same when training ran to the last epoch without stopping. ``stopped_epoch`` is the epoch at
    which it stopped (None if it never did). Derived in :doc:`/book/training/regularization`.
    """

    def __init__(self, patience: int, min_delta: float = 0.0, monitor: str = "val_loss",
                 restore_best: bool = True) -> None:
        if int(patience) != patience or patience < 1:
            raise ValueError(f"patience must be a positive integer; got {patience!r}")
        self.patience = int(patience)
        self.min_delta = check_positive(min_delta, "min_delta", strict=False)
        self.monitor = str(monitor)
        self.mode = "max" if "acc" in self.monitor else "min"
        self.restore_best = bool(restore_best)
        self.best_value: float = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self._best_params: dict[str, np.ndarray] | None = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def __call__(self, epoch: int, history: Any, model: Any) -> bool:
        """Record the monitored value of this epoch; return True to stop training."""
        record = getattr(history, "history", history)
        if self.monitor not in record or len(record[self.monitor]) == 0:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which the history does not "
                             f"record; got keys {sorted(record)} (pass validation_data to fit?)")
        value = float(record[self.monitor][-1])
        if math.isnan(value):
            raise ValueError(f"{self.monitor} is NaN at epoch {epoch}: training diverged")
        if self._improved(value):
            self.best_value, self.best_epoch, self.wait = value, int(epoch), 0
            self._best_params = {k: np.array(v, copy=True) for k, v in _model_params(model).items()}
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = int(epoch)
            if self.restore_best:
                self.restore(model)
            return True
        return False

    def restore(self, model: Any) -> None:
        """Copy the best parameters back into ``model`` in place (a no-op before the first epoch)."""
        if self._best_params is None:
            return
        params = _model_params(model)
        for k, v in self._best_params.items():
            params[k][...] = v

    def on_train_end(self, model: Any) -> None:
        """End-of-training hook: restore the best weights if ``restore_best``."""
        if self.restore_best:
            self.restore(model)

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, monitor={self.monitor!r})"
