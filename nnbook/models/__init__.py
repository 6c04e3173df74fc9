"""Models assembled from the building blocks: linear classifiers (Part II)."""

from .linear import *
from .cnn import *
from .transformer import *
from .autoencoder import *
from .vae import *
from .gan import *
from .diffusion import *
from .gnn import *
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
