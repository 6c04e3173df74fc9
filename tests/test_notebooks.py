"""Every reader notebook runs where readers run it: a plain kernel with only
``nnbook[data]``.

``make test-notebooks`` (in ``.ci/run``) makes the reader notebooks (``make
notebooks``), builds the wheel, installs it with its ``data`` extra into a fresh virtual
environment together with a bare Jupyter kernel (ipykernel, nbclient) and nothing of the
book stack, checks that myst-nb, jupyter-book and Sphinx are absent there, and executes
every notebook top to bottom in that environment: two at a time, each in its own folder,
with a per-notebook time limit. A failing notebook reports its last traceback lines.

Slow (several minutes): not part of ``make test``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = Path(os.environ.get("NNBOOK_NOTEBOOKS", ROOT / "_build" / "notebooks"))
WORK = ROOT / "_build" / "notebook-test"
JOBS = int(os.environ.get("NNBOOK_JOBS", "2"))
NB_TIMEOUT = int(
    os.environ.get("NNBOOK_NOTEBOOK_TIMEOUT", "420")
)  # per notebook, seconds
# A bare kernel: the same versions the book uses, nothing else.
KERNEL_PINS = ["ipykernel==7.4.0", "nbclient==0.11.0", "nbformat==5.11.1"]
ABSENT = ["myst_nb", "jupyter_book", "sphinx", "jupytext"]

pytestmark = pytest.mark.slow

RUNNER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient

path, cwd, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
ABSENT = json.loads(sys.argv[4])
nb = nbformat.read(path, as_version=4)
check = nbformat.v4.new_code_cell(
    "import importlib.util, sys\n"
    f"assert not any(importlib.util.find_spec(m) for m in {ABSENT!r}), 'book stack present'\n"
    "import nnbook\n"
    f"assert nnbook.__file__.startswith({sys.prefix!r}), nnbook.__file__\n"
)
nb.cells.insert(0, check)
t0 = time.perf_counter()
NotebookClient(nb, timeout=timeout, kernel_name="python3",
               resources={"metadata": {"path": cwd}}).execute()
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    # type: ignore[call-overload]
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


@pytest.fixture(scope="module")
def notebooks() -> list[Path]:
    if not any(NOTEBOOKS.rglob("*.ipynb")):
        _run(
            [sys.executable, str(ROOT / "tools" / "make_notebooks.py"), str(NOTEBOOKS)]
        )
    found = sorted(NOTEBOOKS.rglob("*.ipynb"))
    assert found, f"no reader notebooks in {NOTEBOOKS}"
    return found


@pytest.fixture(scope="module")
def reader_python() -> Path:
    """A fresh venv with the wheel's ``[data]`` install and a bare kernel (reused while
    the wheel's content is unchanged)."""
    dist = WORK / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(dist),
            str(ROOT),
        ]
    )
    wheel = next(dist.glob("nnbook-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()[:16]
    env_dir = WORK / "venv"
    py = env_dir / "bin" / "python"
    stamp = env_dir / ".wheel"
    if not (py.exists() and stamp.exists() and stamp.read_text() == digest):
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        _run(
            [
                str(py),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                f"{wheel}[data]",
                *KERNEL_PINS,
            ]
        )
        stamp.write_text(digest)
    found = _run(
        [
            str(py),
            "-c",
            f"import importlib.util as u; print([m for m in {ABSENT!r} "
            "if u.find_spec(m)])",
        ]
    ).stdout.strip()
    assert found == "[]", f"the reader environment has the book stack: {found}"
    return py


def _execute(py: Path, nb: Path, data_dir: Path) -> tuple[Path, float, str | None]:
    rel = nb.relative_to(NOTEBOOKS)
    cwd = WORK / "run" / rel.parent / rel.stem
    shutil.rmtree(cwd, ignore_errors=True)
    cwd.mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))
    }
    env.update(
        {
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
            "NNBOOK_DATA_DIR": str(data_dir),
            "NNBOOK_CACHE_DIR": str(data_dir / "computed"),  # not the book's cache
            "NNBOOK_QUIET": "1",
            # Only the venv's own kernel: no user or system kernelspec can stand in for
            # it.
            "JUPYTER_DATA_DIR": str(WORK / "jupyter-data"),
            "JUPYTER_PATH": str(py.parents[1] / "share" / "jupyter"),
            "PATH": f"{py.parent}:{env.get('PATH', '')}",
        }
    )
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [
                str(py),
                "-c",
                RUNNER,
                str(nb),
                str(cwd),
                str(NB_TIMEOUT),
                json.dumps(ABSENT),
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=NB_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return rel, time.perf_counter() - t0, f"timed out after {NB_TIMEOUT} s"
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        return rel, seconds, tail
    try:
        seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    except (ValueError, IndexError, KeyError):
        pass
    return rel, seconds, None


def test_every_reader_notebook_runs_without_the_book_stack(
    notebooks: list[Path], reader_python: Path
) -> None:
    data_dir = WORK / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, JOBS)) as pool:
        results = list(
            pool.map(lambda nb: _execute(reader_python, nb, data_dir), notebooks)
        )
    print(
        f"\n{len(results)} reader notebooks, {JOBS} at a time, {time.perf_counter() - t0:.0f} s wall"
    )
    for rel, seconds, err in sorted(results, key=lambda r: -r[1]):
        print(f"  {str(rel):<55} {seconds:6.1f} s  {'FAILED' if err else 'ok'}")
    failures = [f"{rel}:\n{err}" for rel, _, err in results if err]
    assert not failures, "\n\n".join(failures)


def test_reader_notebooks_have_no_myst_syntax(notebooks: list[Path]) -> None:
    """Plain Jupyter and Colab show MyST directives and roles as raw text; code needs no
    myst-nb. (Code may build MyST text in strings for the book: only Markdown is checked.)"""
    import re

    import nbformat

    myst = re.compile(r"\{[\w:.-]+\}`|^\s*(```|:::)\{|^\([\w:.-]+\)=\s*$", re.M)
    bad = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            pattern = (
                myst if cell.cell_type == "markdown" else re.compile(r"\bmyst_nb\b")
            )
            m = pattern.search(cell.source)
            if m:
                bad.append(f"{path.relative_to(NOTEBOOKS)} cell {i}: {m.group(0)!r}")
    assert not bad, "\n".join(bad[:30])


def test_first_cell_installs_the_pinned_package(notebooks: list[Path]) -> None:
    import nbformat

    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        install = nb.cells[1]
        assert (
            install.cell_type == "code" and "nnbook[data] @ git+" in install.source
        ), path
        ref = nb.metadata["nnbook"]["ref"]
        assert f"@{ref}'" in install.source, (path, ref)
