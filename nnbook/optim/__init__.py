"""Optimizers, learning-rate schedules and gradient clipping (Part III).

Every optimizer takes its parameters one way: ``opt.step(params, grads)``, two dicts
with
the same dotted names, as ``model.parameters()`` and ``model.gradients()`` return them.
"""

from .base import *
from .sgd import *
from .adaptive import *
from .wrappers import *
from .schedules import *
from .clipping import *
from . import adaptive, base, clipping, schedules, sgd, wrappers

__all__ = [
    *base.__all__,
    *sgd.__all__,
    *adaptive.__all__,
    *wrappers.__all__,
    *schedules.__all__,
    *clipping.__all__,
]
