"""Repeated-seed experiments: a claim that one method beats another rests on several
seeds.

:func:`run_seeds` runs an experiment once per seed and collects what it returns;
:class:`SeedRuns` gives the mean and the standard error of the mean of each quantity, so
a chapter can glue "91.2% ± 0.4" and assert no more than the spread allows. Introduced
in :doc:`/book/training/schedules`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._checks import ArgumentTypeError, as_float_array, check_callable, check_int

__all__ = ["SeedRuns", "run_seeds", "mean_and_se"]


def mean_and_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the mean, s / sqrt(n), with s the sample standard
    deviation (ddof = 1). ``values``: (n,) with n >= 2, finite."""
    v = as_float_array(values, "values", ndim=1, shape_hint="(n,)")
    if v.size < 2:
        raise ValueError(
            f"values must be a 1-D array of at least 2 numbers; got shape {v.shape}"
        )
    if not np.isfinite(v).all():
        raise ValueError("values must be finite; got NaN or infinite values")
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


@dataclass
class SeedRuns:
    """The results of one experiment repeated over ``seeds``: ``values[name]`` holds one
    number per seed, in the order of the seeds."""

    seeds: tuple[int, ...]
    values: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.values:
            raise KeyError(f"name must be one of {sorted(self.values)}; got {name!r}")
        return self.values[name]

    def mean(self, name: str) -> float:
        """Mean over the seeds."""
        return mean_and_se(self[name])[0]

    def se(self, name: str) -> float:
        """Standard error of the mean over the seeds."""
        return mean_and_se(self[name])[1]

    def text(self, name: str, fmt: str = ".3f") -> str:
        """ "mean ± se" formatted with ``fmt`` (e.g. ".1%")."""
        m, s = mean_and_se(self[name])
        return f"{m:{fmt}} ± {s:{fmt}}"


def run_seeds(
    run: Callable[[int], float | Mapping[str, float]], seeds: Sequence[int]
) -> SeedRuns:
    """Call ``run(seed)`` for every seed; it returns a number or a dict of numbers (the
    same keys every time). Returns a :class:`SeedRuns`. At least two seeds."""
    check_callable(run, "run")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise ArgumentTypeError(
            f"seeds must be a sequence of integers; got {type(seeds).__name__}"
        )
    seeds = tuple(check_int(s, "seeds[i]", minimum=0) for s in seeds)
    if len(seeds) < 2:
        raise ValueError(
            f"seeds must hold at least 2 seeds for a standard error; got {len(seeds)}"
        )
    rows: list[dict[str, float]] = []
    for seed in seeds:
        out = run(seed)
        row = dict(out) if isinstance(out, Mapping) else {"value": out}
        if rows and set(row) != set(rows[0]):
            raise ValueError(
                f"run must return the same keys for every seed; got {sorted(row)} "
                f"after {sorted(rows[0])}"
            )
        rows.append({k: float(v) for k, v in row.items()})
    return SeedRuns(seeds, {k: np.array([r[k] for r in rows]) for k in rows[0]})
