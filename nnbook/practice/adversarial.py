"""Adversarial examples: FGSM, PGD, adversarial training."""

from __future__ import annotations

__all__: list[str] = []
