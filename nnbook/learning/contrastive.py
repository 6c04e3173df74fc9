"""Contrastive and self-supervised learning: InfoNCE, SimCLR."""

from __future__ import annotations

__all__: list[str] = []
