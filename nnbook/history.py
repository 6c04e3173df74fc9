"""The timeline of neural-network research. Shown in :doc:`/book/foundations/history`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
