"""Logistic and softmax regression. Derived in :doc:`/book/mlp/logistic-regression` and :doc:`/book/mlp/softmax-regression`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
