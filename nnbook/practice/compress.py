"""Compression: pruning, quantization, distillation."""

from __future__ import annotations

__all__: list[str] = []
