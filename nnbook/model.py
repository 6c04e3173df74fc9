"""A sequential model and its training loop. Built in :doc:`/book/mlp/multilayer-perceptron`.

(Not written yet.)
"""

from __future__ import annotations

__all__: list[str] = []
