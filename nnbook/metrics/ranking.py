"""Ranking metrics: NDCG, MAP and MRR."""

from __future__ import annotations

__all__: list[str] = []
