"""Callbacks for :func:`nnbook.train.fit`: functions ``cb(epoch, history, model) ->
bool``
called after every epoch; returning True stops training. Derived in
:doc:`/book/training/regularization`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    check_choice,
    check_int,
    check_positive,
    check_type,
)

__all__ = ["EarlyStopping"]


def _model_params(model: Any) -> dict[str, np.ndarray]:
    params = (
        model.parameters() if callable(getattr(model, "parameters", None)) else model
    )
    if not isinstance(params, Mapping):
        raise ArgumentTypeError(
            "model must be a Module (or a dict of parameter arrays); "
            f"got {type(params).__name__}"
        )
    return dict(params)


class EarlyStopping:
    """Callback ``cb(epoch, history, model) -> bool`` that stops training when the
    monitored quantity has not improved by more than ``min_delta`` for ``patience``
    epochs in a row.

    ``monitor`` is a key of ``history.history`` (``"val_loss"`` by default) and ``mode``
    says whether smaller ("min", for losses) or larger ("max", for accuracies) is
    better. Every time the quantity improves, the callback records ``best_epoch``,
    ``best_value`` and a copy of every parameter array. With ``restore_best=True`` it
    copies those arrays back *in place* into the model's parameters when it stops
    training, and :meth:`restore` (also called by :meth:`on_train_end`) does the same
    when training ran to the last epoch without stopping. ``stopped_epoch`` is the epoch
    at which it stopped (None if it never did). Derived in
    :doc:`/book/training/regularization`.
    """

    def __init__(
        self,
        patience: int,
        min_delta: float = 0.0,
        monitor: str = "val_loss",
        mode: str = "min",
        restore_best: bool = True,
    ) -> None:
        self.patience = check_int(patience, "patience")
        self.min_delta = check_positive(min_delta, "min_delta", strict=False)
        self.monitor = check_type(monitor, str, "monitor")
        check_choice(mode, ("min", "max"), "mode")
        self.mode = mode
        self.restore_best = check_type(restore_best, bool, "restore_best")
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
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which the history does not "
                f"record; got keys {sorted(record)} (pass validation_data to fit?)"
            )
        value = float(record[self.monitor][-1])
        if math.isnan(value):
            raise ValueError(
                f"{self.monitor} is NaN at epoch {epoch}: training diverged"
            )
        if self._improved(value):
            self.best_value, self.best_epoch, self.wait = value, int(epoch), 0
            self._best_params = {
                k: np.array(v, copy=True) for k, v in _model_params(model).items()
            }
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = int(epoch)
            if self.restore_best:
                self.restore(model)
            return True
        return False

    def restore(self, model: Any) -> None:
        """Copy the best parameters back into ``model`` in place (a no-op before the
        first epoch)."""
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
        return (
            f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
            f"monitor={self.monitor!r}, mode={self.mode!r})"
        )
