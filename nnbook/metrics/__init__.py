"""Metrics for classification, regression and calibration."""

from .classification import *
from .generative import *
from .text import *
from .ranking import *
from . import classification, generative, text, ranking

__all__ = [
    *classification.__all__,
    *generative.__all__,
    *text.__all__,
    *ranking.__all__,
]
