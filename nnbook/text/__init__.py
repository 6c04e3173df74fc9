"""Text: character vocabularies, n-gram models, byte-pair encoding (Parts V and VI)."""

from .vocab import *
from .ngram import *
from .bpe import *
from . import vocab, ngram, bpe

__all__ = [
    *vocab.__all__,
    *ngram.__all__,
    *bpe.__all__,
]
