"""Neural architecture search: random search, regularized evolution, DARTS."""

from __future__ import annotations

__all__: list[str] = []
