"""Text: character vocabularies, n-gram models, byte-pair encoding (Parts V and VI)."""

from .vocab import *  # noqa: F403
from .ngram import *  # noqa: F403
from .bpe import *  # noqa: F403
from . import vocab, ngram, bpe

__all__ = [
    *vocab.__all__,
    *ngram.__all__,
    *bpe.__all__,
]
