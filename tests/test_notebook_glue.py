"""nnbook.notebook.glue: MyST-NB's glue in the build, a visible fallback elsewhere."""

from __future__ import annotations

import builtins
import importlib.util

import pytest

from nnbook import notebook


def test_without_myst_nb_display_false_prints_the_placeholder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(notebook, "_myst_glue", lambda: None)
    notebook.glue("cnn-acc", 0.953125, display=False)
    assert capsys.readouterr().out.strip() == "⟨cnn-acc⟩ = 0.953125"


def test_without_myst_nb_display_true_shows_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = []
    monkeypatch.setattr(notebook, "_myst_glue", lambda: None)
    monkeypatch.setattr(notebook, "_show", shown.append)
    notebook.glue("table", [1, 2])
    assert shown == [[1, 2]]


def test_without_ipython_it_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def no_ipython(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("IPython"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipython)
    notebook._show("hello")
    assert capsys.readouterr().out.strip() == "hello"


def test_with_myst_nb_it_delegates(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(
        notebook, "_myst_glue", lambda: lambda *a, **k: calls.append((a, k))
    )
    notebook.glue("x", 1.0, display=False)
    assert calls == [(("x", 1.0), {"display": False})]


@pytest.mark.skipif(
    importlib.util.find_spec("myst_nb") is None, reason="myst-nb not installed"
)
def test_the_real_myst_glue_is_found() -> None:
    from myst_nb import glue as myst_glue

    assert notebook._myst_glue() is myst_glue


def test_bad_name() -> None:
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        notebook.glue("", 1.0)


def test_without_myst_nb_objects_are_shown_even_if_hidden(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = []
    monkeypatch.setattr(notebook, "_myst_glue", lambda: None)
    monkeypatch.setattr(notebook, "_show", shown.append)
    table = object()
    notebook.glue("history-table", table, display=False)
    assert shown == [table] and capsys.readouterr().out.strip() == "⟨history-table⟩:"
    import numpy as np

    notebook.glue("n", np.int64(3), display=False)
    assert capsys.readouterr().out.strip() == "⟨n⟩ = 3"
