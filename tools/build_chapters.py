"""Build a few chapters on their own, with the book's configuration and strictness.

    .venv/bin/python tools/build_chapters.py book/mlp/logistic-regression.md [more.md
    ...]

Writes a table of contents with just these pages (plus the landing page) and builds it
into ``_build/partial/<first-chapter-name>/`` with ``-W -n --keep-going``: a writer
checks a chapter in seconds instead of building the whole book. Cross-references to
chapters that are not in the partial build may warn; the full build (``make book``) is
the judge. Prints each chapter's execution time. Exit status is that of
``jupyter-book``.

The chapters are first executed in parallel (``tools/execute_chapters.py``,
``NNBOOK_JOBS`` workers, default 2) into the partial build's execution cache, as ``make
book`` does; set ``NNBOOK_JOBS=0`` to let the build execute them one by one itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    pages = [str(Path(a).resolve().relative_to(ROOT).with_suffix("")) for a in argv]
    for p in pages:
        if not (ROOT / f"{p}.md").exists():
            print(f"no such chapter: {p}.md")
            return 2
    out = ROOT / "_build" / "partial" / Path(pages[0]).name
    out.mkdir(parents=True, exist_ok=True)
    toc = out / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Partial build\n"
        "    numbered: true\n    chapters:\n"
        + "".join(f"      - file: {p}\n" for p in pages)
    )
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "NNBOOK_QUIET": "1",
    }
    jb = Path(sys.executable).with_name("jupyter-book")
    t0 = time.perf_counter()
    jobs = int(os.environ.get("NNBOOK_JOBS", "2"))
    if jobs > 0:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "execute_chapters.py"),
                "--jobs",
                str(jobs),
                "--cache",
                str(out / "_build" / ".jupyter_cache"),
                "--keep-going",
                *(["--force"] if os.environ.get("ALL") else []),
                *(f"{p}.md" for p in ["book/intro", *pages]),
            ],
            cwd=ROOT,
            env=env,
        )
    proc = subprocess.run(
        [
            str(jb),
            "build",
            ".",
            "--toc",
            str(toc),
            "--path-output",
            str(out),
            "-W",
            "-n",
            "--keep-going",
            *(["--all"] if os.environ.get("ALL") else []),
        ],
        cwd=ROOT,
        env=env,
    )
    print(
        f"built {len(pages)} chapter(s) in {time.perf_counter() - t0:.1f} s "
        f"-> {out}/_build/html"
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
