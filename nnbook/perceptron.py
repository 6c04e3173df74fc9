"""Rosenblatt's perceptron and its learning rule. Derived in :doc:`/book/foundations/perceptron`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
