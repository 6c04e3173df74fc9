"""Gradient descent on explicit functions (quadratics). Derived in :doc:`/book/foundations/mathematics`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
