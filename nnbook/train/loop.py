"""The training loop for any model. Built in :doc:`/book/mlp/multilayer-perceptron`.

* :func:`train_step` is one step of gradient descent on one batch, for any
  :class:`~nnbook.nn.module.Module` and any loss ``loss_fn(outputs, targets) -> (value,
  dL/doutputs)`` (:class:`~nnbook.nn.losses.CrossEntropyLoss` and its relatives);
* :func:`fit` repeats it over epochs of shuffled mini-batches, with the hooks Parts II
and
  III need (schedules, penalties, augmentation, clipping, validation, callbacks);
* :func:`evaluate` measures a model without touching its gradients or caches.

A model with several inputs takes them as a tuple: ``fit(model, (X_a, X_b), y, ...)``
calls ``model(X_a_batch, X_b_batch)``. An *optimizer* is any object with an attribute
``lr`` and a method ``step(params, grads)`` (:mod:`nnbook.optim`).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .._checks import (
    ArgumentTypeError,
    NonFiniteError,
    as_float_array,
    check_callable,
    check_int,
    check_positive,
    check_rng,
    check_type,
)
from ..data.datasets import minibatches
from ..nn.losses import CrossEntropyLoss
from ..nn.module import Module, no_grad
from ..optim.clipping import clip_by_global_norm, global_norm

__all__ = ["History", "StepResult", "train_step", "fit", "evaluate"]

LossFn = Callable[[Any, Any], tuple[float, Any]]
Penalty = Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]]


class _Optimizer(Protocol):
    lr: float

    def step(
        self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
    ) -> None: ...


class History:
    """What :func:`fit` records, one entry per epoch: "loss" (mean training loss over
    the
    epoch's batches), "acc" (when the loss counts correct predictions), "val_loss" and
    "val_acc" (with validation data), "lr" (at the end of the epoch), "grad_norm" (mean
    global gradient norm before clipping) and "penalty" (with a penalty).

    ``diverged`` is True when the loss or the parameters stopped being finite (training
    stopped); ``stopped_early`` is True when a callback stopped training.
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
        """Index (0-based) of the epoch with the smallest (mode="min") or largest
        ("max")
        ``key``."""
        if key not in self.history or not self.history[key]:
            raise ValueError(
                f"key must be one of the recorded series {sorted(self.history)}; got "
                f"{key!r}"
            )
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}")
        v = np.asarray(self.history[key], dtype=np.float64)
        v = np.where(np.isfinite(v), v, np.inf if mode == "min" else -np.inf)
        return int(np.argmin(v) if mode == "min" else np.argmax(v))

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History(epochs={self.epochs}, last={last})"


@dataclass
class StepResult:
    """What :func:`train_step` returns: the batch loss (without the penalty), the number
    of correct predictions (NaN for a regression loss), the penalty and the global
    gradient norm before clipping."""

    loss: float
    correct: float
    penalty: float
    grad_norm: float

    def __iter__(self) -> Any:  # unpacks as (loss, correct, penalty, grad_norm)
        return iter((self.loss, self.correct, self.penalty, self.grad_norm))

    def __getitem__(self, i: int) -> float:
        return (self.loss, self.correct, self.penalty, self.grad_norm)[i]


def _as_inputs(inputs: Any) -> tuple[Any, ...]:
    return tuple(inputs) if isinstance(inputs, tuple) else (inputs,)


def _correct(loss_fn: Any, outputs: Any, targets: Any) -> float:
    count = getattr(loss_fn, "correct", None)
    return float(count(outputs, targets)) if callable(count) else math.nan


def _all_finite(params: Mapping[str, np.ndarray]) -> bool:
    return all(math.isfinite(float(p.sum(dtype=np.float64))) for p in params.values())


def train_step(
    model: Module,
    inputs: Any,
    targets: Any,
    loss_fn: LossFn,
    optimizer: _Optimizer,
    *,
    penalty: Penalty | None = None,
    clip_norm: float | None = None,
) -> StepResult:
    """One step of gradient descent on one batch.

    1. ``model.zero_grad()``; 2. ``outputs = model(*inputs)``; 3. ``value, dZ =
    loss_fn(outputs, targets)``; 4. ``model.backward(dZ, input_grad=False)`` (no
    parameter
    needs the gradient with respect to the data); 5. the penalty's value and gradient
    added, if given; 6. the global gradient norm clipped to ``clip_norm``, if given;
    7. ``optimizer.step(params, grads)``.

    ``inputs``: an array, or a tuple of arrays for a model with several inputs. Returns
    a :class:`StepResult`; raises :class:`~nnbook._checks.NonFiniteError` (a
    ``ValueError``) when the loss is not finite. Derived in
    :doc:`/book/mlp/multilayer-perceptron`.
    """
    check_type(model, Module, "model")
    check_callable(loss_fn, "loss_fn")
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "lr")):
        raise ArgumentTypeError(
            "optimizer must have an lr attribute and a step(params, grads) "
            f"method; got {type(optimizer).__name__}"
        )
    if clip_norm is not None:
        clip_norm = check_positive(clip_norm, "clip_norm")
    if penalty is not None:
        check_callable(penalty, "penalty")
    _, n = _check_inputs(inputs, "inputs")
    _check_targets(targets, n, "targets")
    return _step(model, inputs, targets, loss_fn, optimizer, penalty, clip_norm)


def _step(model: Module, inputs: Any, targets: Any, loss_fn: LossFn, optimizer: Any,
          penalty: Penalty | None, clip_norm: float | None) -> StepResult:
    """The step of :func:`train_step` on arguments already checked (:func:`fit` checks
    the whole data set once instead of every batch)."""
    # one walk of the module tree per step: (name, parameter, owning module, key)
    entries = list(model._named("params"))
    for _, _, owner, key in entries:
        owner.grads[key].fill(0)  # model.zero_grad(), without a second walk
    outputs = model(*_as_inputs(inputs))  # forward: every module caches
    value, dZ = loss_fn(outputs, targets)
    value = float(value)
    if not math.isfinite(value):
        model.clear_cache()
        raise NonFiniteError(
            f"the loss must be finite; got {value} (the run has diverged)"
        )
    model.backward(dZ, input_grad=False)  # backward: gradients accumulate
    params = {name: p for name, p, _, _ in entries}
    grads = {name: owner.grads[key] for name, _, owner, key in entries}
    pen = 0.0
    if penalty is not None:  # regularization: L + R(params)
        pen, pgrads = penalty(params)
        grads = {k: (g + pgrads[k] if k in pgrads else g) for k, g in grads.items()}
    if clip_norm is not None:  # g <- g min(1, clip_norm / ||g||)
        grads, norm = clip_by_global_norm(grads, clip_norm)
    else:
        norm = global_norm(grads)
    optimizer.step(params, grads)  # p <- p - lr g (or Adam, ...)
    return StepResult(
        value, _correct(loss_fn, outputs, targets), float(pen), float(norm)
    )


def _check_inputs(inputs: Any, name: str) -> tuple[tuple[np.ndarray, ...], int]:
    """Inputs as a tuple of arrays with one common first axis; float arrays checked
    finite,
    integer arrays (token ids, node indices) kept as they are."""
    arrays = []
    for i, a in enumerate(_as_inputs(inputs)):
        label = name if not isinstance(inputs, tuple) else f"{name}[{i}]"
        arr = np.asarray(a) if not isinstance(a, np.ndarray) else a
        if arr.dtype.kind not in "iu":
            arr = as_float_array(arr, label)
        if arr.ndim < 1 or arr.shape[0] == 0:
            raise ValueError(
                f"{label} must have at least one example; got shape {arr.shape}"
            )
        arrays.append(arr)
    n = arrays[0].shape[0]
    for i, arr in enumerate(arrays):
        if arr.shape[0] != n:
            raise ValueError(
                f"every input must have {n} rows; {name}[{i}] has {arr.shape[0]}"
            )
    return tuple(arrays), n


def _check_targets(targets: Any, n: int, name: str) -> tuple[np.ndarray, ...]:
    out = []
    for i, t in enumerate(_as_inputs(targets)):
        arr = np.asarray(t)
        if arr.dtype.kind not in "biuf" or arr.ndim < 1 or arr.shape[0] != n:
            raise ValueError(
                f"{name} must be an array (or tuple of arrays) with {n} rows, one per "
                f"row of the inputs X; got {arr.dtype} of shape {arr.shape} at "
                f"position {i}"
            )
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise NonFiniteError(f"{name} must be finite; got NaN or infinite values")
        out.append(arr)
    return tuple(out)


def _cast(arrays: tuple[np.ndarray, ...], dtype: np.dtype) -> tuple[np.ndarray, ...]:
    return tuple(
        a.astype(dtype, copy=False) if a.dtype.kind == "f" else a for a in arrays
    )


def _pack(arrays: tuple[np.ndarray, ...], like: Any) -> Any:
    return arrays if isinstance(like, tuple) else arrays[0]


def evaluate(
    model: Module,
    X: Any,
    y: Any,
    loss_fn: LossFn | None = None,
    batch_size: int | None = None,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on (X, y), in evaluation mode and without
    caching (the modes are restored). Accuracy is NaN when the loss does not count
    correct predictions. ``batch_size`` splits a large set into chunks.

    ``loss_fn`` defaults to :class:`~nnbook.nn.losses.CrossEntropyLoss`.
    """
    check_type(model, Module, "model")
    loss_fn = (
        CrossEntropyLoss() if loss_fn is None else check_callable(loss_fn, "loss_fn")
    )
    Xs, n = _check_inputs(X, "X")
    Xs, ys = _cast(Xs, model.dtype), _check_targets(y, n, "y")
    bs = n if batch_size is None else check_int(batch_size, "batch_size")
    total, correct = 0.0, 0.0
    modes = [(m, m.training) for _, m in model.named_modules()]
    model.eval()
    try:
        with no_grad():
            for idx in minibatches(n, bs):
                t = _pack(tuple(a[idx] for a in ys), y)
                Z = model(*(a[idx] for a in Xs))
                value, _ = loss_fn(Z, t)
                total += float(value) * len(idx)
                correct += _correct(loss_fn, Z, t)
    finally:
        for m, mode in modes:
            m.training = mode
    return total / n, correct / n


def _show_progress(verbose: bool | None) -> bool:
    if verbose is not None:
        return bool(verbose)
    quiet = os.environ.get("NNBOOK_QUIET") == "1"
    return not quiet and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def fit(
    model: Module,
    X: Any,
    y: Any,
    optimizer: _Optimizer,
    *,
    loss: LossFn | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    rng: np.random.Generator,
    validation_data: tuple[Any, Any] | None = None,
    schedule: Callable[[int], float] | None = None,
    penalty: Penalty | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    clip_norm: float | None = None,
    callbacks: Iterable[Callable[[int, History, Module], Any]] = (),
    verbose: bool | None = None,
) -> History:
    """Train ``model`` by mini-batch gradient descent and return its :class:`History`.

    Each epoch draws one seed from ``rng`` and derives two independent streams from it:
    one orders the training set, the other feeds ``augment``. The batch order therefore
    does not depend on whether (or how) the data are augmented, and a run resumed from a
    saved ``rng`` state continues exactly. For every batch:

    1. ``X_b <- augment(X_b, aug_rng)`` if given (on the first input);
    2. ``optimizer.lr = schedule(step)`` if given (``step`` counts updates from 0);
    3. :func:`train_step`: forward, ``loss(outputs, y_b)``, backward, penalty, clipping,
       the optimizer's update.

    After each epoch the validation loss and accuracy are computed and every
    ``callback(epoch, history, model)`` is called; any returning True stops training.
    When training ends, each callback's ``on_train_end(model)`` runs if it has one.
    Training stops with ``history.diverged = True`` when a loss, an activation or a
    parameter stops being finite: a :class:`~nnbook._checks.NonFiniteError` met during a
    step, or a non-finite parameter after it.

    ``X``: (n, ...) or a tuple of such arrays (one per model input); ``y``: (n,) labels
    or (n, ...) targets, or a tuple. ``loss`` defaults to
    :class:`~nnbook.nn.losses.CrossEntropyLoss`. ``verbose=None`` shows a progress bar
    only on a terminal and when ``NNBOOK_QUIET`` is not "1".
    """
    check_type(model, Module, "model")
    check_rng(rng)
    loss_fn = CrossEntropyLoss() if loss is None else check_callable(loss, "loss")
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "lr")):
        raise ArgumentTypeError(
            "optimizer must have an lr attribute and a step(params, grads) "
            f"method; got {type(optimizer).__name__}"
        )
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    for name, fn in (
        ("schedule", schedule),
        ("penalty", penalty),
        ("augment", augment),
    ):
        if fn is not None:
            check_callable(fn, name)
    if clip_norm is not None:
        clip_norm = check_positive(clip_norm, "clip_norm")
    Xs, n = _check_inputs(X, "X")
    Xs, ys = _cast(Xs, model.dtype), _check_targets(y, n, "y")
    if validation_data is not None:
        if not isinstance(validation_data, tuple) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        Xv, nv = _check_inputs(validation_data[0], "X_val")
        _check_targets(validation_data[1], nv, "y_val")
    if not isinstance(callbacks, (list, tuple)):
        raise ArgumentTypeError(
            f"callbacks must be a list of callables; got {type(callbacks).__name__}"
        )
    callbacks = [
        check_callable(cb, f"callbacks[{i}]") for i, cb in enumerate(callbacks)
    ]
    if verbose is not None:
        check_type(verbose, bool, "verbose")
    params = model.parameters()
    history = History()
    step = 0
    epoch_iter: Iterable[int] = range(epochs)
    bar = None
    if _show_progress(verbose):
        from tqdm.auto import tqdm

        bar = tqdm(epoch_iter, desc="fit", unit="epoch", leave=False)
        epoch_iter = bar

    model.train()
    # Overflow is not an error here: a diverging run is detected and reported in
    # history.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in epoch_iter:
            seed = int(rng.integers(2**63))
            order_rng = np.random.default_rng([seed, 0])
            aug_rng = np.random.default_rng([seed, 1])
            sums = {"loss": 0.0, "correct": 0.0, "penalty": 0.0, "grad_norm": 0.0}
            seen = n_batches = 0
            for idx in minibatches(n, batch_size, order_rng):
                Xb = [a[idx] for a in Xs]
                if augment is not None:
                    Xb[0] = as_float_array(
                        augment(Xb[0], aug_rng), "augment(X_batch, rng)"
                    ).astype(Xb[0].dtype, copy=False)
                if schedule is not None:
                    optimizer.lr = float(schedule(step))
                try:
                    r = _step(
                        model,
                        _pack(tuple(Xb), X),
                        _pack(tuple(a[idx] for a in ys), y),
                        loss_fn,
                        optimizer,
                        penalty,
                        clip_norm,
                    )
                except NonFiniteError:  # a value stopped being finite: diverged
                    model.clear_cache()
                    history.diverged = True
                    break
                if not _all_finite(params):
                    history.diverged = True
                    break
                step += 1
                n_batches += 1
                seen += len(idx)
                sums["loss"] += r.loss * len(idx)
                sums["correct"] += r.correct
                sums["penalty"] += r.penalty * len(idx)
                sums["grad_norm"] += r.grad_norm
            history.append(
                **_epoch_record(
                    history.diverged,
                    sums,
                    seen,
                    n_batches,
                    penalty is not None,
                    optimizer.lr,
                )
            )
            if validation_data is not None:
                if history.diverged:
                    vl, va = math.nan, math.nan
                else:
                    vl, va = evaluate(
                        model, validation_data[0], validation_data[1], loss_fn
                    )
                history.append(val_loss=vl)
                if "acc" in history:
                    history.append(val_acc=va)
            if bar is not None:
                bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.history.items()})
            if history.diverged:
                break
            stops = [bool(cb(epoch, history, model)) for cb in callbacks]  # run all
            if any(stops):
                history.stopped_early = True
                break
    if bar is not None:
        bar.close()
    for cb in callbacks:  # e.g. EarlyStopping puts the best weights back
        on_end = getattr(cb, "on_train_end", None)
        if callable(on_end):
            on_end(model)
    return history


def _epoch_record(
    diverged: bool,
    sums: dict[str, float],
    seen: int,
    n_batches: int,
    with_penalty: bool,
    lr: float,
) -> dict[str, float]:
    """One epoch's row of the history (NaN everywhere once the run has diverged)."""

    def mean(total: float, count: int) -> float:
        return math.nan if diverged or count == 0 else total / count

    record = {"loss": mean(sums["loss"], seen)}
    if not math.isnan(sums["correct"]):
        record["acc"] = mean(sums["correct"], seen)
    if with_penalty:
        record["penalty"] = mean(sums["penalty"], seen)
    record["grad_norm"] = mean(sums["grad_norm"], n_batches)
    record["lr"] = float(lr)
    return record
