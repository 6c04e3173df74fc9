"""Data: generated and shipped datasets (nothing is downloaded) and augmentation."""

from .datasets import *
from .augment import *
from .text import *
from . import augment, cache, datasets, text

__all__ = [
    *datasets.__all__,
    *augment.__all__,
    *text.__all__,
]
