"""Learning to learn (Part VIII): architecture search, meta-learning, transfer and
self-supervision."""

from .nas import *
from .meta import *
from .contrastive import *
from .transfer import *
from . import nas, meta, contrastive, transfer

__all__ = [
    *nas.__all__,
    *meta.__all__,
    *contrastive.__all__,
    *transfer.__all__,
]
