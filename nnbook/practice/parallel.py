"""Data parallelism over MPI (mpi4py), the ring all-reduce, pipeline timelines."""

from __future__ import annotations

__all__: list[str] = []
