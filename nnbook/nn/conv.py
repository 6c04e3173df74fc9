"""Convolution: conv1d/conv2d and their backward passes, as functions and layers. Derived in :doc:`/book/cnn/convolution`."""

from __future__ import annotations

__all__: list[str] = []
