"""Pooling layers and their backward passes. Derived in :doc:`/book/cnn/pooling-and-cnns`."""

from __future__ import annotations

__all__: list[str] = []
