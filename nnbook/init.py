"""Weight initialization schemes. Derived in :doc:`/book/mlp/initialization`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
