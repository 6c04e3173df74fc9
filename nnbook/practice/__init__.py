"""Neural networks in practice (Part IX): explaining, attacking, compressing and scaling them."""

from .explain import *  # noqa: F403
from .adversarial import *  # noqa: F403
from .compress import *  # noqa: F403
from .precision import *  # noqa: F403
from .parallel import *  # noqa: F403
from . import explain, adversarial, compress, precision, parallel

__all__ = [
    *explain.__all__,
    *adversarial.__all__,
    *compress.__all__,
    *precision.__all__,
    *parallel.__all__,
]
