"""Batch and layer normalization. Derived in :doc:`/book/training/normalization`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
