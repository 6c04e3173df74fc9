"""Training: the loop, callbacks, checkpoints, model selection, repeated-seed runs."""

from .loop import *
from .callbacks import *
from .checkpoint import *
from .selection import *
from .seeds import *
from .plateau import *
from . import callbacks, checkpoint, loop, plateau, seeds, selection

__all__ = [
    *loop.__all__,
    *callbacks.__all__,
    *checkpoint.__all__,
    *selection.__all__,
    *seeds.__all__,
    *plateau.__all__,
]
