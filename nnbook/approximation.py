"""Hand-built universal approximators. Built in :doc:`/book/foundations/universal-approximation`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
