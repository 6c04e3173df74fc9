"""Plotting helpers and network diagrams shared by the chapters."""

from .plotting import *  # noqa: F403
from .diagrams import *  # noqa: F403
from . import plotting, diagrams

__all__ = [
    *plotting.__all__,
    *diagrams.__all__,
]
