"""Autoencoders: undercomplete, denoising, sparse and contractive."""

from __future__ import annotations

__all__: list[str] = []
