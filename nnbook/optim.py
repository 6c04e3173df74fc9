"""Optimization algorithms. Derived in :doc:`/book/training/optimizers`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
