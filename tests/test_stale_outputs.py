"""No stale outputs: a change in the package re-executes exactly the chapters that run
it.

Builds a two-chapter book in a temporary folder with the real build extension
(``tools/sphinx_nnbook.py``) and a toy package laid out like nnbook, in subpackages:
``alpha.md`` prints ``answer()`` from the nested module ``toypkg/nn/alpha.py`` (as a
chapter uses ``nnbook/nn/conv.py``), ``beta.md`` prints a fresh random token from
``toypkg.beta``.
After a first build we change what ``answer()`` returns and rebuild *incrementally, with
the execution cache on*: the page must show the new value, and ``beta.md``, whose code
did not change, must not have been re-executed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).with_name("jupyter-book")

CONFIG = """\
title: stale-output check
only_build_toc_files: true
exclude_patterns: [".*", "**/.*", "_build", "toypkg"]
execute:
  execute_notebooks: cache
  raise_on_error: true
sphinx:
  local_extensions:
    sphinx_nnbook: {tools}
  config:
    nnbook_package_dir: {pkg}
"""

TOC = """\
format: jb-book
root: intro
chapters:
  - file: alpha
  - file: beta
"""

CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# {title}

```{{code-cell}} ipython3
{code}
```
"""


def _build(book: Path, parallel: bool = False) -> str:
    """Build the toy book; with ``parallel``, first as ``make book`` does: stale chapters
    executed two at a time by ``tools/execute_chapters.py`` into the build's cache."""
    env = {**os.environ, "PYTHONPATH": str(book), "NNBOOK_EXECUTE": ""}
    log = ""
    if parallel:
        pre = subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "execute_chapters.py"),
                "--root",
                str(book),
                "--jobs",
                "2",
            ],
            cwd=book,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert pre.returncode == 0, pre.stdout[-3000:] + pre.stderr[-3000:]
        log += pre.stdout
    proc = subprocess.run(
        [str(JB), "build", ".", "-W", "-n", "--keep-going"],
        cwd=book,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return log + proc.stdout


def _page(book: Path, name: str) -> str:
    return (book / "_build" / "html" / f"{name}.html").read_text()


@pytest.mark.slow
@pytest.mark.skipif(
    not JB.exists(), reason="jupyter-book is not installed in this environment"
)
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_changing_the_package_reexecutes_only_dependent_chapters(
    tmp_path: Path, parallel: bool
) -> None:
    book = tmp_path / "book"
    pkg = book / "toypkg"
    pkg.mkdir(parents=True)
    (pkg / "nn").mkdir()
    (pkg / "__init__.py").write_text("from .nn import *\nfrom .beta import *\n")
    (pkg / "nn" / "__init__.py").write_text("from .alpha import *\n")
    (pkg / "nn" / "alpha.py").write_text(
        '__all__ = ["answer"]\n\ndef answer():\n    return "value-one"\n'
    )
    (pkg / "beta.py").write_text(
        '__all__ = ["token"]\nimport uuid\n\ndef token():\n    return "token-" + uuid.uuid4().hex\n'
    )
    (book / "_config.yml").write_text(CONFIG.format(tools=ROOT / "tools", pkg=pkg))
    (book / "_toc.yml").write_text(TOC)
    (book / "intro.md").write_text("# Intro\n\nA stale-output check.\n")
    (book / "alpha.md").write_text(
        CHAPTER.format(title="Alpha", code="from toypkg import answer\nprint(answer())")
    )
    (book / "beta.md").write_text(
        CHAPTER.format(title="Beta", code="from toypkg import token\nprint(token())")
    )

    log = _build(book, parallel)
    assert "value-one" in _page(book, "alpha")
    if parallel:  # executed beforehand: the build only reads the cache
        assert "2 to execute" in log and "Executing notebook" not in log
    beta_before = _page(book, "beta")

    # Change what the package function returns; the chapter text stays exactly the same.
    (pkg / "nn" / "alpha.py").write_text(
        '__all__ = ["answer"]\n\ndef answer():\n    return "value-two"\n'
    )
    log = _build(book, parallel)

    assert "value-two" in _page(book, "alpha"), (
        "the chapter still shows the old package output"
    )
    assert "value-one" not in _page(book, "alpha")
    assert "re-executing: alpha" in log
    if parallel:  # only alpha was stale, and the build re-used its fresh execution
        assert "1 to execute" in log and "Executing notebook" not in log
    token = beta_before.split("token-")[1][:32]
    assert token in _page(book, "beta"), "an unaffected chapter was re-executed"

    # A third build with nothing changed executes nothing.
    log = _build(book, parallel)
    assert "re-executing" not in log
    if parallel:
        assert "0 to execute" in log
    shutil.rmtree(book / "_build")
