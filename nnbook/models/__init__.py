"""Models assembled from the building blocks: linear classifiers (Part II)."""

from .linear import *  # noqa: F403
from .cnn import *  # noqa: F403
from .transformer import *  # noqa: F403
from .autoencoder import *  # noqa: F403
from .vae import *  # noqa: F403
from .gan import *  # noqa: F403
from .diffusion import *  # noqa: F403
from .gnn import *  # noqa: F403
from . import linear, cnn, transformer, autoencoder, vae, gan, diffusion, gnn

__all__ = [
    *linear.__all__,
    *cnn.__all__,
    *transformer.__all__,
    *autoencoder.__all__,
    *vae.__all__,
    *gan.__all__,
    *diffusion.__all__,
    *gnn.__all__,
]
