"""Graph networks assembled from the layers of :mod:`nnbook.nn.graph`."""

from __future__ import annotations

__all__: list[str] = []
