"""n-gram language models with smoothing; perplexity and bits per character."""

from __future__ import annotations

__all__: list[str] = []
