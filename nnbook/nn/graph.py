"""Graph neural-network layers. Derived in :doc:`/book/graphs/graph-neural-networks`."""

from __future__ import annotations

__all__: list[str] = []
