"""A scalar reverse-mode automatic differentiation engine. Built in :doc:`/book/foundations/autodiff`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
