"""Make the reader notebooks, one plain Jupyter notebook per chapter (make notebooks).

    python tools/make_notebooks.py OUTDIR [--repo URL] [--ref COMMIT] [pages ...]

Writes ``OUTDIR/book/<part>/<chapter>.ipynb`` for every chapter in ``_toc.yml`` that has
code and needs only ``nnbook[data]`` (see ``tools/reader_notebooks.py`` for what the
conversion does). They run in a plain Jupyter kernel or on Colab, without myst-nb or
jupyter-book; their first cell installs ``nnbook[data]`` pinned to ``--ref`` (default:
the current commit). Outputs are not included: the reader runs the notebook. The
publishing workflow pushes them to the ``notebooks`` branch that the Colab buttons open;
the site serves the same files for download.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.reader_notebooks import load_book, write_all  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    ap.add_argument(
        "pages", nargs="*", help="chapters (default: every page of _toc.yml)"
    )
    ap.add_argument(
        "--repo", default=None, help="repository URL (default: _config.yml)"
    )
    ap.add_argument(
        "--ref", default=None, help="commit to pin nnbook to (default: git HEAD)"
    )
    args = ap.parse_args(argv)
    book = load_book(ROOT, ref=args.ref, repo=args.repo)
    pages = [
        str(Path(p).resolve().relative_to(ROOT).with_suffix("")) for p in args.pages
    ] or None
    written = write_all(args.outdir, book, pages)
    print(
        f"wrote {len(written)} reader notebooks to {args.outdir} "
        f"(nnbook pinned to {book.ref})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
