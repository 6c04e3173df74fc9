"""nnbook: neural networks from first principles, in NumPy.

The tested library behind the book *Neural Networks from First Principles*. Every public
name is re-exported here; each lives in the module of the chapter that derives it.
"""

from __future__ import annotations

from . import (
    gradcheck,
    data,
    plotting,
    activations,
    losses,
    perceptron,
    diagrams,
    history,
    descent,
    autodiff,
    approximation,
    linear,
    layers,
    model,
    init,
    clipping,
    optim,
    schedules,
    regularization,
    augment,
    normalization,
    metrics,
    selection,
)

from .gradcheck import *  # noqa: F401,F403

from .data import *  # noqa: F401,F403

from .plotting import *  # noqa: F401,F403

from .activations import *  # noqa: F401,F403

from .losses import *  # noqa: F401,F403

from .perceptron import *  # noqa: F401,F403

from .diagrams import *  # noqa: F401,F403

from .history import *  # noqa: F401,F403

from .descent import *  # noqa: F401,F403

from .autodiff import *  # noqa: F401,F403

from .approximation import *  # noqa: F401,F403

from .linear import *  # noqa: F401,F403

from .layers import *  # noqa: F401,F403

from .model import *  # noqa: F401,F403

from .init import *  # noqa: F401,F403

from .clipping import *  # noqa: F401,F403

from .optim import *  # noqa: F401,F403

from .schedules import *  # noqa: F401,F403

from .regularization import *  # noqa: F401,F403

from .augment import *  # noqa: F401,F403

from .normalization import *  # noqa: F401,F403

from .metrics import *  # noqa: F401,F403

from .selection import *  # noqa: F401,F403


__version__ = "0.1.0"

__all__ = [
    *gradcheck.__all__,
    *data.__all__,
    *plotting.__all__,
    *activations.__all__,
    *losses.__all__,
    *perceptron.__all__,
    *diagrams.__all__,
    *history.__all__,
    *descent.__all__,
    *autodiff.__all__,
    *approximation.__all__,
    *linear.__all__,
    *layers.__all__,
    *model.__all__,
    *init.__all__,
    *clipping.__all__,
    *optim.__all__,
    *schedules.__all__,
    *regularization.__all__,
    *augment.__all__,
    *normalization.__all__,
    *metrics.__all__,
    *selection.__all__,
]
