"""A sequential model and its training loop. Built in :doc:`/book/mlp/multilayer-perceptron`.

* :class:`Sequential` chains layers: the forward pass runs them in order, the backward pass runs
  their ``backward`` in reverse (the chain rule, one layer at a time);
* :func:`fit` is mini-batch gradient descent with the hooks Parts II and III need (learning-rate
  schedules, regularization penalties, data augmentation, gradient clipping, callbacks);
* :func:`evaluate`, :func:`save_params` and :func:`load_params` complete the loop.

An *optimizer* is any object with an attribute ``lr`` and a method ``step(params, grads)`` that
updates the arrays of ``params`` in place (:mod:`nnbook.optim`).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import losses as L
from ._checks import as_float_array, check_labels, check_positive, check_rng
from .clipping import clip_by_global_norm, global_norm
from .layers import Dense, Layer

__all__ = ["Sequential", "History", "train_step", "fit", "evaluate", "save_params", "load_params"]


class _Optimizer(Protocol):
    lr: float

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None: ...


def _dense_layers(layers: Iterable[Layer]) -> list[Dense]:
    """The Dense layers, looking inside blocks (such as Residual) that hold a ``block`` list."""
    found: list[Dense] = []
    for layer in layers:
        if isinstance(layer, Dense):
            found.append(layer)
        found.extend(_dense_layers(getattr(layer, "block", [])))
    return found


class Sequential:
    """A stack of layers applied in order: Y = f_L(... f_2(f_1(X))).

    ``parameters()`` and ``gradients()`` expose every layer's arrays under the keys
    ``"<index>.<name>"`` ("0.W", "0.b", "2.W", ...). They are the *same* array objects the layers
    hold, so an optimizer that updates them in place updates the model.
    Derived in :doc:`/book/mlp/multilayer-perceptron`.
    """

    def __init__(self, layers: list[Layer]) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("layers must hold at least one Layer; got an empty list")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"layers[{i}] must be an nnbook Layer; got {type(layer).__name__}")
        self.layers = layers

    # --- the two passes -----------------------------------------------------------------------

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Run every layer in order; each caches what its backward pass needs.
        ``X``: (batch, n_in) -> output (batch, n_out)."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagation: hand dL/dY to the last layer, its dL/dX to the one before, and so on.
        Every layer overwrites its ``grads``. Returns dL/dX for the input of the model.

        ``input_grad=False`` (used by training) skips that last product when the first layer is
        :class:`~nnbook.layers.Dense`, and returns None: no parameter needs dL/dX of the data."""
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and isinstance(layer, Dense):
                layer.backward(dY, input_grad=False)
                return None
            dY = layer.backward(dY)
        return dY

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    # --- parameters -----------------------------------------------------------------------------

    def parameters(self) -> dict[str, np.ndarray]:
        """All trainable arrays, keyed "<layer index>.<name>": the layers' own arrays, not copies."""
        return {f"{i}.{k}": p for i, layer in enumerate(self.layers) for k, p in layer.params.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradients left by the last ``backward``, with the keys of :meth:`parameters`."""
        return {f"{i}.{k}": layer.grads[k] for i, layer in enumerate(self.layers) for k in layer.params}

    @property
    def n_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.parameters().values()))

    @property
    def dtype(self) -> np.dtype:
        """The floating dtype of the parameters (float64 for a model without parameters)."""
        for p in self.parameters().values():
            return p.dtype
        return np.dtype(np.float64)

    def flops_per_example(self) -> int:
        """Multiply-adds of one example's forward pass through the dense layers: sum of n_in n_out.

        The backward pass costs about twice as much (dX = dY W^T and dW = X^T dY are each a
        product of the same size), so a training step costs about 3x this per example, i.e.
        about 6 floating-point operations per weight per example (activations and biases add only
        O(units) work). Derived in :doc:`/book/mlp/multilayer-perceptron`.
        """
        return int(sum(layer.n_in * layer.n_out for layer in _dense_layers(self.layers)))

    # --- modes and prediction -----------------------------------------------------------------

    def train(self) -> "Sequential":
        """Set ``training = True`` on every layer (dropout drops, batch norm uses batch statistics)."""
        for layer in self.layers:
            layer.training = True
        return self

    def eval(self) -> "Sequential":
        """Set ``training = False`` on every layer (deterministic inference)."""
        for layer in self.layers:
            layer.training = False
        return self

    @property
    def training(self) -> bool:
        """True when every layer is in training mode."""
        return all(layer.training for layer in self.layers)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels for ``X`` (batch, n_in), computed in evaluation mode: the argmax of the
        logits for several outputs, 1[logit > 0] for a single output. Returns (batch,) int64."""
        Z = self._eval_forward(X)
        if Z.ndim == 2 and Z.shape[1] > 1:
            return np.argmax(Z, axis=1).astype(np.int64)
        return (Z.reshape(Z.shape[0]) > 0).astype(np.int64)

    def _eval_forward(self, X: np.ndarray) -> np.ndarray:
        modes = [layer.training for layer in self.layers]
        self.eval()
        try:
            return self.forward(X)
        finally:
            for layer, m in zip(self.layers, modes):
                layer.training = m

    def summary(self) -> str:
        """A table of the layers, their output widths and parameter counts."""
        rows = [("#", "layer", "parameters")]
        for i, layer in enumerate(self.layers):
            rows.append((str(i), repr(layer), f"{layer.n_params:,}"))
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        w2 = max(len(r[2]) for r in rows)
        lines = [f"{a:>{w0}}  {b:<{w1}}  {c:>{w2}}" for a, b, c in rows]
        rule = "-" * len(lines[0])
        lines.insert(1, rule)
        lines.append(rule)
        lines.append(f"total parameters: {self.n_params:,}; forward multiply-adds per example: "
                     f"{self.flops_per_example():,}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(repr(layer) for layer in self.layers) + "])"


# --- the training loop ------------------------------------------------------------------------


class History:
    """What :func:`fit` records, one entry per epoch, in ``history``: "loss" (mean training loss
    over the epoch's mini-batches), "acc" (classification), "val_loss", "val_acc" (with
    validation data), "lr" (the learning rate at the end of the epoch), "grad_norm" (the mean
    over the epoch's steps of the global gradient norm, before clipping) and "penalty" (with a penalty).

    ``diverged`` is True when the loss or the parameters became non-finite (training stopped);
    ``stopped_early`` is True when a callback stopped training.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.diverged: bool = False
        self.stopped_early: bool = False

    def append(self, **values: float) -> None:
        """Record one value per key for the current epoch."""
        for k, v in values.items():
            self.history.setdefault(k, []).append(float(v))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.history.get("loss", []))

    def best_epoch(self, key: str = "val_loss", mode: str = "min") -> int:
        """Index (0-based) of the epoch with the smallest (mode="min") or largest ("max") ``key``."""
        if key not in self.history or not self.history[key]:
            raise ValueError(f"key must be one of the recorded series {sorted(self.history)}; got {key!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}")
        v = np.asarray(self.history[key], dtype=np.float64)
        v = np.where(np.isfinite(v), v, np.inf if mode == "min" else -np.inf)
        return int(np.argmin(v) if mode == "min" else np.argmax(v))

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History(epochs={self.epochs}, last={last})"


_LOSSES: dict[str, tuple[Callable[..., float], Callable[..., np.ndarray]]] = {
    "cross_entropy": (L.cross_entropy, L.cross_entropy_backward),
    "binary_cross_entropy": (L.binary_cross_entropy, L.binary_cross_entropy_backward),
    "mse": (L.mse, L.mse_backward),
}


def _check_loss(loss: str) -> str:
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {sorted(_LOSSES)}; got {loss!r}")
    return loss


def _check_data(X: np.ndarray, y: np.ndarray, loss: str, dtype: np.dtype, name: str = "X") -> tuple[np.ndarray, np.ndarray]:
    """Cast X once to the model's dtype; labels to int64 for cross-entropy, targets to float otherwise."""
    X = as_float_array(X, name, shape_hint="(n, n_in)")
    if X.ndim < 2:
        raise ValueError(f"{name} must have shape (n, n_in); got shape {X.shape}")
    X = X.astype(dtype, copy=False)
    yname = "y" if name == "X" else "y_" + name.split("_", 1)[-1]
    if loss == "cross_entropy":
        y = check_labels(y, X.shape[0], name=yname)
    else:
        y = as_float_array(y, yname)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"{name} and {yname} must have the same number of rows; got {X.shape[0]} and {y.shape[0]}")
        y = y.astype(dtype, copy=False)
    return X, y


def _loss_and_grad(Z: np.ndarray, y: np.ndarray, loss: str) -> tuple[float, np.ndarray, float]:
    """Loss value, dL/dZ (shape of Z) and the number of correct predictions (nan for mse)."""
    f, f_backward = _LOSSES[loss]
    if loss == "cross_entropy":
        if Z.ndim != 2:
            raise ValueError(f"cross_entropy needs logits of shape (batch, n_classes); the model returned {Z.shape}")
        return f(Z, y), f_backward(Z, y), float(np.sum(np.argmax(Z, axis=1) == y))
    t = y.reshape(Z.shape) if y.size == Z.size else y
    if t.shape != Z.shape:
        raise ValueError(f"targets must match the model output {Z.shape}; got {y.shape}")
    value, grad = f(Z, t), f_backward(Z, t)
    if loss == "binary_cross_entropy":
        return value, grad, float(np.sum((Z > 0) == (t > 0.5)) / max(1, Z.size // Z.shape[0]))
    return value, grad, math.nan


def _all_finite(params: Mapping[str, np.ndarray]) -> bool:
    return all(np.isfinite(p).all() for p in params.values())


def evaluate(model: Sequential, X: np.ndarray, y: np.ndarray, loss: str = "cross_entropy",
             batch_size: int | None = None) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on (X, y), in evaluation mode (the mode is restored).

    ``X``: (n, n_in); ``y``: (n,) labels for "cross_entropy", targets of the output's shape (or
    (n,)) otherwise. Accuracy is nan for "mse". ``batch_size`` splits a large set into chunks.
    """
    loss = _check_loss(loss)
    X, y = _check_data(X, y, loss, model.dtype)
    n = X.shape[0]
    bs = n if batch_size is None else int(batch_size)
    if bs < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    total, correct = 0.0, 0.0
    modes = [layer.training for layer in model.layers]
    model.eval()
    try:
        for start in range(0, n, bs):
            Z = model.forward(X[start:start + bs])
            value, _, c = _loss_and_grad(Z, y[start:start + bs], loss)
            total += value * Z.shape[0]
            correct += c
    finally:
        for layer, m in zip(model.layers, modes):
            layer.training = m
    return total / n, correct / n


def _show_progress(verbose: bool | None) -> bool:
    if verbose is not None:
        return bool(verbose)
    return os.environ.get("NNBOOK_QUIET") != "1" and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def train_step(model: Sequential, X_batch: np.ndarray, y_batch: np.ndarray, optimizer: _Optimizer, *,
               loss: str = "cross_entropy",
               penalty: Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]] | None = None,
               clip_norm: float | None = None) -> tuple[float, float, float, float]:
    """One step of mini-batch gradient descent on (X_batch, y_batch): forward pass, loss, backward
    pass, optional penalty and global-norm clipping, and the optimizer's in-place update.

    ``X_batch``: (batch, n_in) in the model's dtype; ``y_batch``: (batch,) labels or targets.
    Returns (batch loss, number of correct predictions (nan for mse), penalty value, global
    gradient norm before clipping). Raises ``ValueError`` mentioning
    "finite" when the loss is not finite. Derived in :doc:`/book/mlp/multilayer-perceptron`.
    """
    Z = model.forward(X_batch)                          # forward pass: every layer caches
    value, dZ, correct = _loss_and_grad(Z, y_batch, loss)
    if not math.isfinite(value):
        raise ValueError(f"the loss must be finite; got {value} (the run has diverged)")
    model.backward(dZ, input_grad=False)                # backward pass: every layer fills grads
    grads = model.gradients()
    params = model.parameters()
    pen = 0.0
    if penalty is not None:                             # regularization: L + R(params)
        pen, pgrads = penalty(params)
        grads = {k: (g + pgrads[k] if k in pgrads else g) for k, g in grads.items()}
    if clip_norm is not None:                           # g <- g min(1, clip_norm / ||g||)
        grads, norm = clip_by_global_norm(grads, clip_norm)
    else:
        norm = global_norm(grads)
    optimizer.step(params, grads)                       # p <- p - lr g (or Adam, ...)
    return value, correct, float(pen), norm


def fit(model: Sequential, X: np.ndarray, y: np.ndarray, optimizer: _Optimizer, *, loss: str = "cross_entropy",
        epochs: int = 10, batch_size: int = 32, rng: np.random.Generator,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        schedule: Callable[[int], float] | None = None,
        penalty: Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]] | None = None,
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        clip_norm: float | None = None,
        callbacks: Iterable[Callable[[int, History, Sequential], Any]] = (),
        verbose: bool | None = None) -> History:
    """Train ``model`` by mini-batch gradient descent and return its :class:`History`.

    Each epoch visits the training set in a fresh random order (from ``rng``) in batches of
    ``batch_size``. For every batch (X_b, y_b):

    1. ``X_b <- augment(X_b, rng)`` if given;
    2. forward pass Z = model(X_b), loss L = loss(Z, y_b) and dL/dZ;
    3. backward pass (fills every layer's ``grads``);
    4. ``value, g = penalty(params)`` if given: L += value, grads += g;
    5. clip the global gradient norm to ``clip_norm`` if given (:func:`nnbook.clipping.clip_by_global_norm`);
    6. ``optimizer.lr = schedule(step)`` if given (``step`` counts updates from 0);
    7. ``optimizer.step(params, grads)`` updates the parameters in place.

    After each epoch the validation loss/accuracy are computed (evaluation mode) and every
    ``callback(epoch, history, model)`` is called; any of them returning True stops training.
    When training ends, for whatever reason, each callback's ``on_train_end(model)`` is called if it
    has one (:class:`nnbook.regularization.EarlyStopping` restores the best weights there).
    Training also stops, with ``history.diverged = True``, when the loss or the parameters stop
    being finite. ``X``: (n, n_in), cast once to the parameters' dtype; ``y``: (n,) integer labels
    for ``loss="cross_entropy"``, targets for "mse" and "binary_cross_entropy".
    ``verbose=None`` shows a progress bar only on a terminal and when ``NNBOOK_QUIET`` is not "1".
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"model must be a Sequential; got {type(model).__name__}")
    check_rng(rng)
    loss = _check_loss(loss)
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "lr")):
        raise ValueError(f"optimizer must have an lr attribute and a step(params, grads) method; got {type(optimizer).__name__}")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer; got {epochs!r}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if clip_norm is not None:
        clip_norm = check_positive(clip_norm, "clip_norm")
    X, y = _check_data(X, y, loss, model.dtype)
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val, y_val = _check_data(validation_data[0], validation_data[1], loss, model.dtype, name="X_val")
    callbacks = list(callbacks)
    params = model.parameters()
    n = X.shape[0]
    history = History()
    step = 0
    bar = None
    epoch_iter: Iterable[int] = range(int(epochs))
    if _show_progress(verbose):
        from tqdm.auto import tqdm

        bar = tqdm(epoch_iter, desc="fit", unit="epoch", leave=False)
        epoch_iter = bar

    model.train()
    # Overflow is not an error here: a diverging run is detected below and reported in history.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in epoch_iter:
            order = rng.permutation(n)
            total = correct = pen_total = norm_total = 0.0
            n_batches = 0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                Xb, yb = X[idx], y[idx]
                if augment is not None:  # checked here, so that a NaN it makes is not taken for divergence
                    Xb = as_float_array(augment(Xb, rng), "augment(X_batch, rng)").astype(X.dtype, copy=False)
                if schedule is not None:
                    optimizer.lr = float(schedule(step))
                try:
                    value, c, pen, norm = train_step(model, Xb, yb, optimizer, loss=loss, penalty=penalty,
                                                     clip_norm=clip_norm)
                except ValueError as err:  # inf/NaN met on the way: has the run blown up?
                    if _all_finite(params) and "finite" not in str(err):
                        raise
                    history.diverged = True
                    break
                pen_total += pen * len(idx)
                norm_total += norm
                step += 1
                n_batches += 1
                total += value * len(idx)
                correct += c
            seen = max(1, min(n, n_batches * batch_size))
            record: dict[str, float] = {"loss": total / seen if not history.diverged else math.nan}
            if loss != "mse":
                record["acc"] = correct / seen if not history.diverged else math.nan
            if validation_data is not None:
                if history.diverged:
                    record["val_loss"], record["val_acc"] = math.nan, math.nan
                else:
                    record["val_loss"], record["val_acc"] = evaluate(model, X_val, y_val, loss)
                if loss == "mse":
                    record.pop("val_acc")
            if penalty is not None:
                record["penalty"] = pen_total / seen
            record["grad_norm"] = norm_total / max(1, n_batches) if not history.diverged else math.nan
            record["lr"] = float(optimizer.lr)
            history.append(**record)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k != "lr"})
            if history.diverged:
                break
            stop = False
            for cb in callbacks:
                if cb(epoch, history, model):
                    stop = True
            if stop:
                history.stopped_early = True
                break
    if bar is not None:
        bar.close()
    for cb in callbacks:  # e.g. EarlyStopping puts the best weights back, however training ended
        on_end = getattr(cb, "on_train_end", None)
        if callable(on_end):
            on_end(model)
    return history


# --- saving ---------------------------------------------------------------------------------


def save_params(model: Sequential, path: str | os.PathLike[str]) -> None:
    """Write every parameter array to an .npz file under its key ("0.W", "0.b", ...)."""
    np.savez(Path(path), **model.parameters())


def load_params(model: Sequential, path: str | os.PathLike[str]) -> None:
    """Read an .npz written by :func:`save_params` into ``model``'s arrays *in place* (so an
    optimizer holding them sees the new values). The keys and shapes must match exactly."""
    params = model.parameters()
    with np.load(Path(path)) as f:
        keys = set(f.files)
        if keys != set(params):
            raise ValueError(f"the file must hold the parameters {sorted(params)}; got {sorted(keys)}")
        for k, p in params.items():
            a = f[k]
            if a.shape != p.shape:
                raise ValueError(f"parameter {k!r} must have shape {p.shape}; the file has {a.shape}")
            if not np.isfinite(a).all():
                raise ValueError(f"parameter {k!r} in the file must be finite; got NaN or infinite values")
            p[...] = a
