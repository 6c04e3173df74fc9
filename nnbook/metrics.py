"""Evaluation metrics. Derived in :doc:`/book/training/evaluation`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
