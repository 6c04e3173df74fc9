"""Linear state-space layers and the selective scan. Derived in :doc:`/book/transformers/state-space-models`."""

from __future__ import annotations

__all__: list[str] = []
