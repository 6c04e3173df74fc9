"""Convolutional architectures and the parameter/multiply-add counting walk."""

from __future__ import annotations

__all__: list[str] = []
