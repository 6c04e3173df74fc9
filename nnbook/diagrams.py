"""Network diagrams drawn from layer sizes. Introduced in :doc:`/book/foundations/what-is-a-neural-network`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
