"""Show that parallel execution gives the same outputs as serial execution.

    python tools/compare_executions.py [--jobs 2] [pages ...]

Executes the chapters twice from empty caches with ``tools/execute_chapters.py``: once
with one worker (serial, as MyST-NB would) and once with ``--jobs`` workers, then
compares every cell's outputs (text, HTML, glued values, images byte for byte) between
the two runs. Lines that contain wall-clock measurements (``... s``, ``ms``, ``µs``,
``it/s``) and glued timings (names with second/ratio/time/speed) are masked. Prints the
chapters whose outputs differ and exits 1 if any do.

To compare while others edit the tree, run it from a snapshot: copy the repository to a
temporary folder and run that copy's script with ``PYTHONPATH`` set to it (the kernels
then import the snapshot's nnbook).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import execute_chapters as ex  # noqa: E402

_TIMING = re.compile(r"\d[\d.,]*\s*(?:s|ms|µs|us|ns|it/s|s/it|sec|seconds)\b")


# Glued values that are wall-clock measurements (by name): compared as present only.
TIMED_GLUE = re.compile(r"second|ratio|time|speed|_s$|_ms$")


def _outputs(nb: object) -> list[str]:
    out: list[str] = []
    for i, cell in enumerate(nb.cells):  # type: ignore[attr-defined]
        for o in cell.get("outputs", []):
            glued = ((o.get("metadata") or {}).get("scrapbook") or {}).get("name", "")
            if glued and TIMED_GLUE.search(glued):
                out.append(f"{i} glue {glued} <timed>")
                continue
            if o.get("output_type") == "stream":
                out.append(f"{i} stream {_TIMING.sub('<t>', o.get('text', ''))}")
            for mime, value in sorted((o.get("data") or {}).items()):
                text = value if isinstance(value, str) else "".join(value)
                out.append(f"{i} {mime} {_TIMING.sub('<t>', text)}")
    return out


def run(pages: list[str], jobs: int, cache: Path) -> dict[str, list[str]]:
    from jupyter_cache import get_cache

    items = ex.plan(pages, cache, force=True)
    timeout = (ex.book_config().get("execute") or {}).get("timeout", 30)
    ex.execute(items, cache, jobs, timeout)
    c = get_cache(str(cache))
    result = {}
    for item in items:
        try:
            record = c.match_cache_notebook(item["nb"])
        except KeyError:  # failed: not cached
            result[item["page"]] = ["<failed>"]
            continue
        result[item["page"]] = _outputs(c.get_cache_bundle(record.pk).nb)
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("pages", nargs="+")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    pages = [
        str(Path(p).resolve().relative_to(ROOT).with_suffix("")) for p in args.pages
    ]
    with tempfile.TemporaryDirectory() as tmp:
        serial = run(pages, 1, Path(tmp) / "serial")
        parallel = run(pages, args.jobs, Path(tmp) / "parallel")
    bad = []
    for page in pages:
        if page not in serial:
            continue
        if serial[page] == ["<failed>"] or parallel.get(page) == ["<failed>"]:
            print(f"{page:<50} failed to execute (serial or parallel)")
            bad.append(page)
            continue
        same = serial[page] == parallel.get(page)
        n = len(serial[page])
        print(f"{page:<50} {n:4d} outputs  {'identical' if same else 'DIFFERENT'}")
        if not same:
            bad.append(page)
            for a, b in zip(serial[page], parallel.get(page, [])):
                if a != b:
                    print(f"   serial:   {a[:150]!r}\n   parallel: {b[:150]!r}")
                    break
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
