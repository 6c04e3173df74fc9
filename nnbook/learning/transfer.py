"""Transfer, multi-task and curriculum learning helpers."""

from __future__ import annotations

__all__: list[str] = []
