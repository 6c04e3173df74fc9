"""Plotting helpers and network diagrams shared by the chapters."""

from .plotting import *
from .diagrams import *
from .architectures import *
from . import architectures, diagrams, plotting

__all__ = [
    *plotting.__all__,
    *diagrams.__all__,
    *architectures.__all__,
]
