"""Transformer blocks, encoder, decoder, GPT, ViT and BERT-style masking."""

from __future__ import annotations

__all__: list[str] = []
