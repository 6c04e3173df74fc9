"""Learning-rate schedules. Derived in :doc:`/book/training/schedules`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
