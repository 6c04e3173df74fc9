"""nnbook: neural networks from first principles, in NumPy.

The tested library behind the book *Neural Networks from First Principles*. Every public
name is re-exported here (``from nnbook import Dense``); each lives in the module of the
chapter that derives it, grouped in subpackages:

* :mod:`nnbook.nn`: the module system, layers, activations, losses, normalization ...
* :mod:`nnbook.optim`: optimizers, schedules, clipping;
* :mod:`nnbook.train`: the training loop, callbacks, checkpoints, model selection;
* :mod:`nnbook.data`, :mod:`nnbook.metrics`, :mod:`nnbook.models`;
* :mod:`nnbook.foundations`: Part I (perceptron, autodiff, approximation, history);
* :mod:`nnbook.text` (Parts V-VI), :mod:`nnbook.learning` (Part VIII),
  :mod:`nnbook.practice` (Part IX);
* :mod:`nnbook.viz`: plots and diagrams; :mod:`nnbook.gradcheck`: gradient checking.
"""

from __future__ import annotations

from . import (
    data,
    foundations,
    gradcheck,
    learning,
    metrics,
    models,
    nn,
    notebook,
    optim,
    practice,
    text,
    train,
    viz,
)
from .data import *
from .foundations import *
from .gradcheck import *
from .metrics import *
from .models import *
from .nn import *
from .optim import *
from .train import *
from .text import *
from .learning import *
from .practice import *
from .viz import *
from .notebook import *

__version__ = "0.2.0"

__all__ = [
    *gradcheck.__all__,
    *nn.__all__,
    *optim.__all__,
    *train.__all__,
    *data.__all__,
    *metrics.__all__,
    *models.__all__,
    *foundations.__all__,
    *viz.__all__,
    *text.__all__,
    *learning.__all__,
    *practice.__all__,
    *notebook.__all__,
]
