"""Recurrent cells and sequence layers. Derived in :doc:`/book/rnn/recurrent-networks`."""

from __future__ import annotations

__all__: list[str] = []
