"""Convert every chapter to a Jupyter notebook for Colab (run by the publishing workflow).

    python tools/make_notebooks.py OUTDIR [--repo https://github.com/nnbook/nnbook]

Writes ``OUTDIR/book/<part>/<chapter>.ipynb`` for every page in ``_toc.yml`` that has code, with
a first cell that installs this repository (so ``import nnbook`` works on Colab; it is skipped
where nnbook is already importable, e.g. on Binder or locally). Outputs are not included: the
reader runs the notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.chapters import read_chapter, toc_files  # noqa: E402

INSTALL = """# Colab: install nnbook (the package this book is built on) if it is not here yet.
import importlib.util, subprocess, sys
if importlib.util.find_spec("nnbook") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+{repo}"], check=True)"""


def main() -> int:
    import jupytext
    import nbformat

    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--repo", default="https://github.com/nnbook/nnbook")
    args = ap.parse_args()
    n = 0
    for page in toc_files():
        src = ROOT / f"{page}.md"
        if not read_chapter(src).code_cells:
            continue
        nb = jupytext.read(src)
        nb.cells.insert(0, nbformat.v4.new_code_cell(INSTALL.format(repo=args.repo)))
        out = args.outdir / f"{page}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        n += 1
    print(f"wrote {n} notebooks to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
