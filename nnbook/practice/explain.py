"""Explaining predictions: saliency, integrated gradients, permutation importance, LIME, SHAP."""

from __future__ import annotations

__all__: list[str] = []
