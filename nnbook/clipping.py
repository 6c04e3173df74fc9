"""Gradient clipping. Derived in :doc:`/book/mlp/vanishing-gradients`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
