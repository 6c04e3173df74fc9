"""Tests for nnbook.train.plateau: the rate is cut after `patience` bad epochs, inside fit too."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import SGD, Dense, ReduceLROnPlateau, Sequential, fit


class _H:
    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {"val_loss": []}


def test_cuts_after_patience_and_respects_min_lr_and_cooldown() -> None:
    opt = SGD(1.0)
    cb = ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    h = _H()
    for epoch, v in enumerate([1.0, 0.9, 0.95, 0.92, 0.93, 0.94, 0.99, 0.98, 0.97, 0.96]):
        h.history["val_loss"].append(v)
        assert cb(epoch, h, None) is False
    # bad epochs 2, 3 -> cut at 3; cooldown epoch 4; bad 5, 6 -> cut at 6; cooldown 7; 8, 9
    assert cb.reductions == [3, 6, 9]
    assert opt.lr == pytest.approx(0.2)  # 1 -> 0.5 -> 0.25 -> max(0.125, 0.2)


def test_mode_max_and_inside_fit(rng) -> None:
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    opt = SGD(0.5)
    cb = ReduceLROnPlateau(opt, patience=1, monitor="val_acc", mode="max")
    fit(Sequential([Dense(2, 2, rng)]), X, y, opt, epochs=6, rng=rng,
        validation_data=(X, y), callbacks=[cb])
    assert opt.lr == pytest.approx(0.5 * 0.5 ** len(cb.reductions))


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="optimizer must have an lr"):
        ReduceLROnPlateau(object())
    with pytest.raises(ValueError, match=r"factor must be in \(0.0, 1.0\)"):
        ReduceLROnPlateau(SGD(1.0), factor=1.0)
    with pytest.raises(TypeError, match="patience must be a positive integer; got float"):
        ReduceLROnPlateau(SGD(1.0), patience=2.5)
    with pytest.raises(ValueError, match="mode must be one of"):
        ReduceLROnPlateau(SGD(1.0), mode="down")
    with pytest.raises(ValueError, match="does not record"):
        ReduceLROnPlateau(SGD(1.0))(0, {"loss": [1.0]}, None)
