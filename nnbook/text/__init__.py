"""Text: character vocabularies, n-gram models, a character LSTM language model and
byte-pair encoding (Parts V and VI)."""

from .vocab import *
from .ngram import *
from .charlm import *
from .bpe import *
from . import bpe, charlm, ngram, vocab

__all__ = [
    *vocab.__all__,
    *ngram.__all__,
    *charlm.__all__,
    *bpe.__all__,
]
