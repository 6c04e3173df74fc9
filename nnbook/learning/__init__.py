"""Learning to learn (Part VIII): architecture search, meta-learning, transfer and self-supervision."""

from .nas import *  # noqa: F403
from .meta import *  # noqa: F403
from .contrastive import *  # noqa: F403
from .transfer import *  # noqa: F403
from . import nas, meta, contrastive, transfer

__all__ = [
    *nas.__all__,
    *meta.__all__,
    *contrastive.__all__,
    *transfer.__all__,
]
