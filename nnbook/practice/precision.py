"""Mixed precision, loss scaling and gradient checkpointing."""

from __future__ import annotations

__all__: list[str] = []
