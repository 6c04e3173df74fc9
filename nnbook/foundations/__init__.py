"""Part I: the perceptron, automatic differentiation, approximation, descent and the
history of the field."""

from .perceptron import *
from .autodiff import *
from .approximation import *
from .descent import *
from .history import *
from . import perceptron, autodiff, approximation, descent, history

__all__ = [
    *perceptron.__all__,
    *autodiff.__all__,
    *approximation.__all__,
    *descent.__all__,
    *history.__all__,
]
