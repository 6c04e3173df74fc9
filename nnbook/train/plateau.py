"""Reduce the learning rate when a monitored quantity stops improving. Explained in
:doc:`/book/training/schedules`.
"""

from __future__ import annotations

import math
from typing import Any

from .._checks import check_choice, check_float, check_int, check_positive, check_type

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau:
    """Callback for :func:`nnbook.train.fit`: multiply ``optimizer.lr`` by ``factor``
    when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs.

    Unlike the schedules of :mod:`nnbook.optim.schedules`, which are functions of the
    step fixed in advance, this rule reacts to the validation curve: after ``patience``
    epochs without improvement it sets lr <- max(factor * lr, min_lr) and waits
    ``cooldown`` epochs before counting again. ``mode`` says whether smaller ("min", a
    loss) or larger ("max", an accuracy) is better. Use it without ``schedule=`` in
    :func:`fit` (a schedule would overwrite the rate at every step). ``reductions``
    lists the epochs at which the rate was cut.
    """

    def __init__(
        self,
        optimizer: Any,
        factor: float = 0.5,
        patience: int = 3,
        monitor: str = "val_loss",
        mode: str = "min",
        min_delta: float = 0.0,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"optimizer must have an lr attribute; got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.factor = check_float(
            factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True
        )
        self.patience = check_int(patience, "patience", minimum=1)
        self.monitor = check_type(monitor, str, "monitor")
        check_choice(mode, ("min", "max"), "mode")
        self.mode = mode
        self.min_delta = check_positive(min_delta, "min_delta", strict=False)
        self.cooldown = check_int(cooldown, "cooldown", minimum=0)
        self.min_lr = check_positive(min_lr, "min_lr", strict=False)
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0
        self.cooling = 0
        self.reductions: list[int] = []

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def __call__(self, epoch: int, history: Any, model: Any) -> bool:
        """Record this epoch's value; cut the rate after ``patience`` bad epochs. Never
        stops training (returns False)."""
        record = getattr(history, "history", history)
        if self.monitor not in record or not record[self.monitor]:
            raise ValueError(
                f"ReduceLROnPlateau monitors {self.monitor!r}, which the history "
                f"does not record; got keys {sorted(record)}"
            )
        value = float(record[self.monitor][-1])
        if self._improved(value):
            self.best, self.wait = value, 0
        elif self.cooling > 0:
            self.cooling -= 1
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.optimizer.lr = max(self.factor * self.optimizer.lr, self.min_lr)
                self.reductions.append(int(epoch))
                self.wait, self.cooling = 0, self.cooldown
        return False

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(factor={self.factor}, patience={self.patience}, "
            f"monitor={self.monitor!r}, mode={self.mode!r})"
        )
