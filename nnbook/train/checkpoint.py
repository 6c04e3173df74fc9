"""Saving and restoring models and whole training runs. Used in
:doc:`/book/mlp/multilayer-perceptron`.

* :func:`save_params` / :func:`load_params`: a model's parameters and buffers in an
  ``.npz`` file (the suffix is added when missing, as NumPy does on saving);
* :func:`save_checkpoint` / :func:`load_checkpoint`: everything a run needs to continue
  bit for bit: the model's :meth:`~nnbook.nn.module.Module.state_dict`, the optimizer's
  ``state_dict``, the state of every random generator the model holds (dropout masks)
  and of the training loop's ``rng``.

Files hold arrays only (``allow_pickle=False``), plus one JSON document for the scalars
and the structure, so loading a file runs no code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import ArgumentTypeError, check_rng, check_type
from ..nn.module import Module

__all__ = ["save_params", "load_params", "save_checkpoint", "load_checkpoint"]


def _npz_path(path: str | os.PathLike[str], must_exist: bool = False) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"path must be a str or os.PathLike; got {type(path).__name__}"
        )
    p = Path(path)
    if not p.name:
        raise ValueError(f"path must name a file; got {str(path)!r}")
    if p.suffix != ".npz":
        p = p.with_name(p.name + ".npz")
    if must_exist and not p.exists():
        raise ValueError(
            f"path must name an existing .npz file; {str(p)!r} does not exist"
        )
    return p


def save_params(model: Module, path: str | os.PathLike[str]) -> Path:
    """Write every parameter and buffer of ``model`` to ``path`` (``.npz`` added when
    missing) under its dotted name; returns the path written."""
    check_type(model, Module, "model")
    p = _npz_path(path)
    np.savez(p, allow_pickle=False, **model.state_dict())
    return p


def load_params(model: Module, path: str | os.PathLike[str]) -> None:
    """Read a file written by :func:`save_params` into ``model``'s arrays *in place* (so
    an optimizer holding them sees the new values). Names and shapes must match."""
    check_type(model, Module, "model")
    with np.load(_npz_path(path, must_exist=True), allow_pickle=False) as f:
        model.load_state_dict({k: f[k] for k in f.files})


def _flatten(tree: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Replace every array in a nested dict/list by a reference into ``arrays``."""
    if isinstance(tree, np.ndarray):
        arrays[prefix] = tree
        return {"__array__": prefix}
    if isinstance(tree, dict):
        return {str(k): _flatten(v, f"{prefix}/{k}", arrays) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_flatten(v, f"{prefix}/{i}", arrays) for i, v in enumerate(tree)]
    if isinstance(tree, (np.floating, np.integer, np.bool_)):
        return tree.item()
    return tree


def _unflatten(tree: Any, arrays: Any) -> Any:
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return np.array(arrays[tree["__array__"]], copy=True)
        return {k: _unflatten(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_unflatten(v, arrays) for v in tree]
    return tree


def _generators(model: Module) -> dict[str, np.random.Generator]:
    """Every ``numpy.random.Generator`` held by a module of the tree, by dotted name."""
    found: dict[str, np.random.Generator] = {}
    for mname, m in model.named_modules():
        for attr, value in vars(m).items():
            if isinstance(value, np.random.Generator):
                found[f"{mname}.{attr}" if mname else attr] = value
    return found


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Module,
    optimizer: Any,
    rng: np.random.Generator | None = None,
    **extra: Any,
) -> Path:
    """Save a training run: model state, optimizer state, the generators inside the
    model,
    ``rng`` (the loop's generator) and any JSON-serialisable ``extra`` values (the
    epoch,
    say). Returns the path written (``.npz`` added when missing)."""
    check_type(model, Module, "model")
    if not callable(getattr(optimizer, "state_dict", None)):
        raise ArgumentTypeError(
            f"optimizer must have a state_dict method; got {type(optimizer).__name__}"
        )
    tree = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "generators": {k: g.bit_generator.state for k, g in _generators(model).items()},
        "rng": None if rng is None else check_rng(rng).bit_generator.state,
        "extra": extra,
    }
    arrays: dict[str, np.ndarray] = {}
    meta = _flatten(tree, "", arrays)
    p = _npz_path(path)
    np.savez(p, allow_pickle=False, __meta__=np.array(json.dumps(meta)), **arrays)
    return p


def load_checkpoint(
    path: str | os.PathLike[str],
    model: Module,
    optimizer: Any,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Restore what :func:`save_checkpoint` wrote into ``model``, ``optimizer``, the
    model's generators and ``rng`` (all in place); returns the ``extra`` values."""
    check_type(model, Module, "model")
    with np.load(_npz_path(path, must_exist=True), allow_pickle=False) as f:
        if "__meta__" not in f.files:
            raise ValueError(
                f"path must be a file written by save_checkpoint; {path!r} is not"
            )
        tree = _unflatten(json.loads(str(f["__meta__"])), f)
    model.load_state_dict(tree["model"])
    optimizer.load_state_dict(tree["optimizer"])
    gens = _generators(model)
    if set(gens) != set(tree["generators"]):
        raise ValueError(
            f"the model's generators {sorted(gens)} do not match the "
            f"checkpoint's {sorted(tree['generators'])}"
        )
    for k, g in gens.items():
        g.bit_generator.state = tree["generators"][k]
    if rng is not None:
        if tree["rng"] is None:
            raise ValueError("rng was given, but the checkpoint holds no rng state")
        check_rng(rng).bit_generator.state = tree["rng"]
    extra: dict[str, Any] = tree["extra"]
    return extra
