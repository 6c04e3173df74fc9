"""Model selection: cross-validation, grid and random search. In :doc:`/book/training/evaluation`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
