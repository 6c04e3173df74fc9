"""Plotting helpers and network diagrams shared by the chapters."""

from .plotting import *
from .diagrams import *
from . import plotting, diagrams

__all__ = [
    *plotting.__all__,
    *diagrams.__all__,
]
