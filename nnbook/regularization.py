"""Regularization: penalties, dropout, early stopping. Derived in :doc:`/book/training/regularization`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
