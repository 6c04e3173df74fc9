"""Import heavy optional modules on first use, so that ``import nnbook`` stays fast."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """A stand-in for a module that imports it the first time an attribute is read."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._target = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._target)
        return getattr(module, attr)


def lazy_import(name: str) -> Any:
    """``lazy_import("scipy.sparse")`` acts as the module, imported on first use."""
    return LazyModule(name)
