"""Data: generated and shipped datasets (nothing is downloaded) and augmentation."""

from .datasets import *  # noqa: F403
from .augment import *  # noqa: F403
from .text import *  # noqa: F403
from . import datasets, augment, text

__all__ = [
    *datasets.__all__,
    *augment.__all__,
    *text.__all__,
]
