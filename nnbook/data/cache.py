"""Shared computations cached on disk, keyed on the code that produces them.

Several chapters need the same expensive object (a trained digits classifier for FID, a
generated dataset, ...). Computing it in every chapter wastes the build; caching it by
name alone risks showing results of old code. :func:`cached` does neither: the cache key
is a hash of

- the source of the module that defines the function **and every nnbook module it
imports**,
  transitively (so a change anywhere in the code that produces the value invalidates
  it),
- the function's qualified name and its arguments (arrays by dtype, shape and bytes),
- the NumPy and Python versions,

so a cached value is always the value the current code would compute. Entries are
pickles in ``$NNBOOK_CACHE_DIR`` (``make`` sets ``_build/.nnbook_cache``; default
``~/.cache/nnbook/computed``), written atomically; a file lock makes concurrent builds
(chapters executing in parallel) compute each entry once.

Usage, in package code (never in a chapter, so that the key covers the code)::

    from nnbook.data.cache import cached

    @cached("digits-classifier")
    def digits_classifier(seed: int = 0) -> Sequential:
        ...  # train and return the model

and chapters just call ``digits_classifier(seed=0)``. Each call returns a fresh
unpickled copy, so a chapter cannot change what another chapter gets.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.util
import inspect
import os
import pickle
import platform
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "cached",
    "cached_call",
    "cache_key",
    "cache_dir",
    "code_hash",
    "clear_cache",
]

F = TypeVar("F", bound=Callable[..., Any])
PACKAGE = __name__.split(".")[0]


def cache_dir() -> Path:
    """Where entries live: ``$NNBOOK_CACHE_DIR`` or ``~/.cache/nnbook/computed``."""
    env = os.environ.get("NNBOOK_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "nnbook" / "computed"


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules that module ``name`` (source at ``path``) imports."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            try:
                base = importlib.util.resolve_name(
                    "." * node.level + (node.module or ""), package
                )
            except (ImportError, ValueError):
                continue
            if base.split(".")[0] != PACKAGE:
                continue
            found.add(base)
            for alias in node.names:  # `from . import module`
                if _module_file(f"{base}.{alias.name}") is not None:
                    found.add(f"{base}.{alias.name}")
    return {m for m in found if _module_file(m) is not None}


@functools.lru_cache(maxsize=256)
def _closure(name: str) -> tuple[tuple[str, str], ...]:
    todo, seen = [name], {}
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        path = _module_file(mod)
        if path is None:
            continue
        seen[mod] = hashlib.sha256(path.read_bytes()).hexdigest()
        todo += sorted(_imports(mod, path) - set(seen))
        parent = mod.rpartition(".")[0]  # importing a.b runs a/__init__.py too
        if parent:
            todo.append(parent)
    return tuple(sorted(seen.items()))


def code_hash(fn: Callable[..., Any]) -> str:
    """Hash of the source of ``fn``'s module and every package module it imports."""
    module = getattr(fn, "__module__", None) or ""
    h = hashlib.sha256()
    if module.split(".")[0] == PACKAGE:
        _closure.cache_clear()  # sources may change while a process lives (a kernel)
        for mod, digest in _closure(module):
            h.update(f"{mod}:{digest}\n".encode())
    else:  # defined elsewhere: its own source and the whole package
        with contextlib.suppress(OSError, TypeError):
            h.update(inspect.getsource(fn).encode())
        root = Path(__file__).resolve().parents[1]
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return h.hexdigest()


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        h.update(f"ndarray{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.random.Generator):
        h.update(b"Generator")
        _feed(h, value.bit_generator.state)
    elif isinstance(value, dict):
        h.update(b"{")
        for k in sorted(value, key=repr):
            _feed(h, k)
            _feed(h, value[k])
        h.update(b"}")
    elif isinstance(value, (list, tuple)):
        h.update(type(value).__name__.encode() + b"[")
        for v in value:
            _feed(h, v)
        h.update(b"]")
    elif value is None or isinstance(
        value, (bool, int, float, complex, str, bytes, np.generic)
    ):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    else:
        raise TypeError(
            f"cached: cannot key an argument of type {type(value).__name__}; "
            "pass numbers, "
            "strings, arrays, tuples/lists/dicts of them, or a numpy Generator"
        )


def cache_key(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The key of ``fn(*args, **kwargs)``: code, name, arguments, NumPy and Python
    versions."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    h = hashlib.sha256()
    h.update(code_hash(fn).encode())
    h.update(
        f"{fn.__module__}.{fn.__qualname__}|numpy {np.__version__}|"
        f"python {platform.python_version()}".encode()
    )
    _feed(h, dict(bound.arguments))
    return h.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except (
        ImportError
    ):  # not POSIX: no lock, still correct (atomic writes), maybe computed twice
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_call(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, from the disk cache when the same code and arguments
    already computed it. ``name`` labels the file (``<name>-<key>.pkl``)."""
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(
            f"cached: name must be a non-empty file-name-safe str, got {name!r}"
        )
    key = cache_key(fn, *args, **kwargs)[:24]
    path = cache_dir() / f"{name}-{key}.pkl"
    with _locked(path.with_suffix(".lock")):
        if path.exists():
            try:
                with open(path, "rb") as handle:
                    return pickle.load(handle)
            except (OSError, EOFError, pickle.UnpicklingError):
                pass  # damaged: compute again
        value = fn(*args, **kwargs)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    return value


def cached(name: str) -> Callable[[F], F]:
    """Decorator: cache the results on disk under ``name`` (see the module)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if os.environ.get("NNBOOK_CACHE") == "off":
                return fn(*args, **kwargs)
            return cached_call(name, fn, *args, **kwargs)

        wrapper.__wrapped__ = fn
        return wrapper  # type: ignore[return-value]

    return decorate


def clear_cache(name: str | None = None) -> int:
    """Delete cached entries (all, or those under ``name``); returns how many."""
    n = 0
    directory = cache_dir()
    if not directory.exists():
        return 0
    for path in directory.glob(f"{name}-*.pkl" if name else "*.pkl"):
        path.unlink(missing_ok=True)
        n += 1
    return n
