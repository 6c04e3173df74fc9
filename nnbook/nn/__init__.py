"""Neural-network building blocks: the module system, layers, activations, losses, initialization, normalization and regularization."""

from .module import *  # noqa: F403
from .layers import *  # noqa: F403
from .activations import *  # noqa: F403
from .losses import *  # noqa: F403
from .init import *  # noqa: F403
from .normalization import *  # noqa: F403
from .regularization import *  # noqa: F403
from .embedding import *  # noqa: F403
from .conv import *  # noqa: F403
from .pooling import *  # noqa: F403
from .recurrent import *  # noqa: F403
from .attention import *  # noqa: F403
from .ssm import *  # noqa: F403
from .graph import *  # noqa: F403
from . import module, layers, activations, losses, init, normalization, regularization, embedding, conv, pooling, recurrent, attention, ssm, graph

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
