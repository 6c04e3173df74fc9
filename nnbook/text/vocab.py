"""Character vocabularies and batching of token streams."""

from __future__ import annotations

__all__: list[str] = []
