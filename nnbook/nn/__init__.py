"""Neural-network building blocks: the module system, layers, activations, losses,
initialization, normalization and regularization."""

from .module import *
from .layers import *
from .activations import *
from .losses import *
from .init import *
from .normalization import *
from .regularization import *
from .embedding import *
from .conv import *
from .pooling import *
from .recurrent import *
from .attention import *
from .ssm import *
from .graph import *
from . import (
    module,
    layers,
    activations,
    losses,
    init,
    normalization,
    regularization,
    embedding,
    conv,
    pooling,
    recurrent,
    attention,
    ssm,
    graph,
)

__all__ = [
    *module.__all__,
    *layers.__all__,
    *activations.__all__,
    *losses.__all__,
    *init.__all__,
    *normalization.__all__,
    *regularization.__all__,
    *embedding.__all__,
    *conv.__all__,
    *pooling.__all__,
    *recurrent.__all__,
    *attention.__all__,
    *ssm.__all__,
    *graph.__all__,
]
