"""Layers with forward/backward. Derived in :doc:`/book/mlp/multilayer-perceptron`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
