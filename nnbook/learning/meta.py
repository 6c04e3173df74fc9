"""Meta-learning: MAML, first-order MAML, Reptile, prototypical and matching networks."""

from __future__ import annotations

__all__: list[str] = []
