"""Training: the loop, callbacks, checkpoints and model selection (Parts II and III)."""

from .loop import *  # noqa: F403
from .callbacks import *  # noqa: F403
from .checkpoint import *  # noqa: F403
from .selection import *  # noqa: F403
from . import callbacks, checkpoint, loop, selection

__all__ = [*loop.__all__, *callbacks.__all__, *checkpoint.__all__, *selection.__all__]
