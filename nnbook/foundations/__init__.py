"""Part I: the perceptron, automatic differentiation, approximation, descent and the history of the field."""

from .perceptron import *  # noqa: F403
from .autodiff import *  # noqa: F403
from .approximation import *  # noqa: F403
from .descent import *  # noqa: F403
from .history import *  # noqa: F403
from . import perceptron, autodiff, approximation, descent, history

__all__ = [
    *perceptron.__all__,
    *autodiff.__all__,
    *approximation.__all__,
    *descent.__all__,
    *history.__all__,
]
