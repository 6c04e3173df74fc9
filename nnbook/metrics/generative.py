"""Metrics for generative models: FID, Inception Score, precision and recall."""

from __future__ import annotations

__all__: list[str] = []
