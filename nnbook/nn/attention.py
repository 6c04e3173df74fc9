"""Attention, multi-head attention, masks and positional encodings. Derived in :doc:`/book/transformers/attention`."""

from __future__ import annotations

__all__: list[str] = []
