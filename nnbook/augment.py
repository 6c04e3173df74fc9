"""Data augmentation for MNIST-1D. Used in :doc:`/book/training/regularization`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
