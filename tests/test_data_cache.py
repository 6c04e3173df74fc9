"""nnbook.data.cache: shared computations cached on disk, keyed on the producing code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnbook.data import cache as dc

CALLS: list[tuple] = []


def _square(x: np.ndarray, scale: float = 1.0) -> np.ndarray:
    CALLS.append((x.tobytes(), scale))
    return scale * x**2


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NNBOOK_CACHE", raising=False)
    CALLS.clear()


def test_second_call_comes_from_disk_and_is_a_fresh_copy() -> None:
    f = dc.cached("square")(_square)
    a = f(np.arange(3.0))
    b = f(np.arange(3.0))
    assert len(CALLS) == 1
    np.testing.assert_array_equal(a, b)
    b[0] = 99.0
    assert f(np.arange(3.0))[0] == 0.0  # a chapter cannot change what another gets
    assert len(list(dc.cache_dir().glob("square-*.pkl"))) == 1


def test_arguments_dtype_and_defaults_are_part_of_the_key() -> None:
    f = dc.cached("square")(_square)
    f(np.arange(3.0))
    f(np.arange(3.0), 1.0)  # the default, spelled out: same key
    assert len(CALLS) == 1
    f(np.arange(3.0), scale=2.0)
    f(np.arange(3, dtype=np.float32))
    f(np.arange(4.0))
    assert len(CALLS) == 4


def test_key_covers_the_producing_module_and_its_package_imports() -> None:
    from nnbook.data.datasets import load_digits

    modules = dict(dc._closure(load_digits.__module__))
    assert "nnbook.data.datasets" in modules
    assert (
        "nnbook.data" in modules and "nnbook" in modules
    )  # the __init__ files it runs
    assert len(dc.code_hash(load_digits)) == 64


def test_key_changes_when_the_code_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from nnbook.data.datasets import load_digits

    before = dc.cache_key(load_digits)
    real = dc._closure.__wrapped__
    monkeypatch.setattr(
        dc, "_closure", lambda name: (*real(name), ("nnbook.edited", "x"))
    )
    monkeypatch.setattr(dc._closure, "cache_clear", lambda: None, raising=False)
    assert dc.cache_key(load_digits) != before


def test_generators_are_keyed_by_state() -> None:
    def draw(rng: np.random.Generator) -> float:
        return float(rng.random())

    assert dc.cache_key(draw, np.random.default_rng(0)) == dc.cache_key(
        draw, np.random.default_rng(0)
    )
    assert dc.cache_key(draw, np.random.default_rng(0)) != dc.cache_key(
        draw, np.random.default_rng(1)
    )


def test_bad_arguments_and_names() -> None:
    f = dc.cached("square")(_square)
    with pytest.raises(TypeError, match="cannot key an argument of type object"):
        f(object())
    with pytest.raises(ValueError, match="name must be"):
        dc.cached_call("a/b", _square, np.zeros(1))


def test_cache_off_and_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    f = dc.cached("square")(_square)
    f(np.ones(2))
    assert dc.clear_cache("square") == 1
    monkeypatch.setenv("NNBOOK_CACHE", "off")
    f(np.ones(2))
    f(np.ones(2))
    assert len(CALLS) == 3 and dc.clear_cache() == 0
