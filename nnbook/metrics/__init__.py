"""Metrics for classification, regression and calibration."""

from .classification import *  # noqa: F403
from .generative import *  # noqa: F403
from .text import *  # noqa: F403
from .ranking import *  # noqa: F403
from . import classification, generative, text, ranking

__all__ = [
    *classification.__all__,
    *generative.__all__,
    *text.__all__,
    *ranking.__all__,
]
