"""Training: the loop, callbacks, checkpoints and model selection (Parts II and III)."""

from .loop import *
from .callbacks import *
from .checkpoint import *
from .selection import *
from . import callbacks, checkpoint, loop, selection

__all__ = [*loop.__all__, *callbacks.__all__, *checkpoint.__all__, *selection.__all__]
