"""Neural networks in practice (Part IX): explaining, attacking, compressing and scaling
them."""

from .explain import *
from .adversarial import *
from .compress import *
from .precision import *
from .parallel import *
from .multimodal import *
from . import adversarial, compress, explain, multimodal, parallel, precision

__all__ = [
    *explain.__all__,
    *adversarial.__all__,
    *compress.__all__,
    *precision.__all__,
    *parallel.__all__,
    *multimodal.__all__,
]
