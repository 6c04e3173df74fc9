"""Token embeddings (a lookup table whose backward scatters into the table)."""

from __future__ import annotations

__all__: list[str] = []
