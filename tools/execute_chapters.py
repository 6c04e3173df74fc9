"""Execute the book's stale chapters in parallel, into the build's execution cache.

    python tools/execute_chapters.py [--jobs 2] [--toc _toc.yml] [--cache
    _build/.jupyter_cache]
                                     [--timeout 300] [--force] [--list] [pages ...]

``make book`` runs this before ``jupyter-book build``. MyST-NB executes chapters one
after the other while Sphinx reads them; this script executes them ``--jobs`` at a time,
each in its own kernel, and stores each executed notebook in the same jupyter-cache
under the same key MyST-NB computes. The build then finds every chapter in the cache and
executes nothing.

Freshness is the build's, unchanged (``tools/sphinx_nnbook.py``): a chapter counts as
fresh only if the cache holds an execution of its current code cells *and* that
execution was made with the current source of every ``nnbook`` module the chapter
imports (the dependency hash of ``tools/chapters.py``, stored with the record as
``nnbook_dep_hash``, or recorded in ``nnbook-deps.json`` by the last successful build).
Everything else is executed again. Nothing is decided here that the build does not check
again: a chapter that fails here is not cached, so the build executes it itself and
reports the error with its traceback under ``-W``.

Each notebook is executed exactly as MyST-NB would (``jupyter_cache``'s
``single_nb_execution``, the kernel in the chapter's folder, the configured timeout,
errors not allowed), so outputs are the same as a serial build's; ``--jobs 1`` is the
serial run. Longest chapters (by their last recorded time) start first. Prints one line
per chapter and a table of times; exits 1 if any chapter failed (``--keep-going`` for
0), which the Makefile ignores so that the build reports the failure in full.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.chapters import (  # noqa: E402
    chapter_dependencies,
    dependency_hash,
    read_chapter,
    toc_files,
)

STORE = "nnbook-deps.json"
HASH_KEY = "nnbook_dep_hash"


def book_config(root: Path = ROOT) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}


def _md_config(config: dict[str, Any]) -> Any:
    from myst_parser.config.main import MdParserConfig

    exts = (config.get("parse") or {}).get("myst_enable_extensions") or []
    return MdParserConfig(enable_extensions=set(exts))


def read_notebook(path: Path, md_config: Any) -> Any:
    """The notebook MyST-NB builds from a chapter (same reader: same cache key)."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.read import create_nb_reader

    text = path.read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), md_config, NbParserConfig(), text)
    if reader is None:
        raise ValueError(f"{path} is not a MyST notebook")
    return reader.read(text)


def package_dir(config: dict[str, Any], root: Path = ROOT) -> Path:
    """The package the chapters import (``nnbook_package_dir``, as the extension)."""
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    return Path(sphinx_config.get("nnbook_package_dir") or root / "nnbook").resolve()


def dep_hash(
    page: str,
    path: Path,
    extra: dict[str, list[str]],
    root: Path = ROOT,
    pkg_dir: Path | None = None,
) -> str | None:
    """The same digest ``tools/sphinx_nnbook.py`` computes for this chapter (None: no
    deps)."""
    pkg_dir = pkg_dir or root / "nnbook"
    files = chapter_dependencies(read_chapter(path).code, pkg_dir, pkg_dir.name)
    for pattern in extra.get(page, []):
        files += sorted(p for p in root.glob(pattern) if p.is_file())
    return dependency_hash(files, pkg_dir) if files else None


def _execute(
    path: str, nb: Any, timeout: int | None
) -> tuple[str, Any, float, str | None]:
    """Run in a worker process: execute one notebook as MyST-NB's cache mode does."""
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(
        nb,
        cwd=str(Path(path).parent),
        timeout=timeout,
        allow_errors=False,
        meta_override=True,
    )
    err = None
    if result.err is not None:
        err = f"{result.err.__class__.__name__}\n{result.exc_string or ''}"
    return path, result.nb, result.time, err


def plan(
    pages: list[str],
    cache_dir: Path,
    force: bool,
    root: Path = ROOT,
    config: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every chapter with code, with its notebook, dependency hash, whether the cache
    holds a fresh execution, and its last known run time."""
    from jupyter_cache import get_cache

    config = config if config is not None else book_config(root)
    extra = ((config.get("sphinx") or {}).get("config") or {}).get(
        "nnbook_extra_dependencies"
    ) or {}
    md_config = _md_config(config)
    pkg_dir = package_dir(config, root)
    cache = get_cache(str(cache_dir))
    try:
        stored: dict[str, str] = json.loads((cache_dir / STORE).read_text())
    except (OSError, ValueError):
        stored = {}
    last_time: dict[str, float] = {}
    for record in cache.list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is not None:
            last_time[record.uri] = max(last_time.get(record.uri, 0.0), float(seconds))
    items = []
    for page in pages:
        path = (root / f"{page}.md").resolve()
        if not path.exists():
            continue
        try:  # every MyST notebook (jupytext front matter), with or without code cells
            nb = read_notebook(path, md_config)
        except ValueError:
            continue
        digest = dep_hash(page, path, extra, root, pkg_dir)
        fresh = False
        if not force:
            try:
                record = cache.match_cache_notebook(nb)
            except KeyError:
                record = None
            if record is not None:
                fresh = (
                    digest is None
                    or stored.get(str(path)) == digest
                    or ((record.data or {}).get(HASH_KEY) == digest)
                )
        items.append(
            {
                "page": page,
                "path": str(path),
                "nb": nb,
                "hash": digest,
                "fresh": fresh,
                "last": last_time.get(str(path), 0.0),
            }
        )
    return items


def execute(
    items: list[dict[str, Any]],
    cache_dir: Path,
    jobs: int,
    timeout: int | None,
    log: Any = print,
) -> dict[str, dict[str, Any]]:
    """Execute the stale items, ``jobs`` at a time; cache every success."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    todo = sorted((i for i in items if not i["fresh"]), key=lambda i: -i["last"])
    results: dict[str, dict[str, Any]] = {}
    if not todo:
        return results
    cache = get_cache(str(cache_dir))
    by_path = {i["path"]: i for i in todo}
    t0 = time.perf_counter()
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no forked sqlite handles or threads
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx) as pool:
        futures = [pool.submit(_execute, i["path"], i["nb"], timeout) for i in todo]
        for fut in as_completed(futures):
            path, nb, seconds, err = fut.result()
            item = by_path[path]
            results[item["page"]] = {"seconds": seconds, "error": err}
            if err is None:
                data: dict[str, Any] = {"execution_seconds": seconds}
                if item["hash"] is not None:
                    data[HASH_KEY] = item["hash"]
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, path, data=data),
                    check_validity=False,
                    overwrite=True,
                )
                log(f"  executed {item['page']:<50} {seconds:6.1f} s")
            else:
                log(
                    f"  FAILED   {item['page']:<50} {seconds:6.1f} s "
                    f"(not cached; the build will re-run it and report)\n"
                    + "\n".join("    " + line for line in err.splitlines()[-15:])
                )
    log(
        f"executed {len(todo)} chapter(s) with {jobs} worker(s) in "
        f"{time.perf_counter() - t0:.1f} s wall"
    )
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "pages", nargs="*", help="chapters (book/part/name[.md]); default: the toc"
    )
    ap.add_argument(
        "--jobs", "-j", type=int, default=int(os.environ.get("NNBOOK_JOBS", "2"))
    )
    ap.add_argument(
        "--toc", type=Path, default=None, help="a _toc.yml (default: the book's)"
    )
    ap.add_argument(
        "--root", type=Path, default=ROOT, help="the book (default: this one)"
    )
    ap.add_argument("--cache", type=Path, default=None, help="default: ROOT/_build/...")
    ap.add_argument(
        "--timeout", type=int, default=None, help="cell timeout (default: _config.yml)"
    )
    ap.add_argument("--force", action="store_true", help="execute every chapter")
    ap.add_argument(
        "--list", action="store_true", help="only list what would be executed"
    )
    ap.add_argument(
        "--keep-going", action="store_true", help="exit 0 even if a chapter failed"
    )
    args = ap.parse_args(argv)

    root = args.root.resolve()
    cache = args.cache or root / "_build" / ".jupyter_cache"
    config = book_config(root)
    timeout = args.timeout or (config.get("execute") or {}).get("timeout", 30)
    if args.pages:
        pages = [
            str(Path(p).resolve().relative_to(root).with_suffix("")) for p in args.pages
        ]
    elif args.toc is not None:
        pages = _toc_pages(args.toc)
    else:
        pages = toc_files(root)
    force = args.force or os.environ.get("NNBOOK_EXECUTE") == "force"
    cache.mkdir(parents=True, exist_ok=True)
    items = plan(pages, cache, force, root=root, config=config)
    stale = [i for i in items if not i["fresh"]]
    print(
        f"execute_chapters: {len(items)} notebook(s), {len(stale)} to execute, "
        f"{len(items) - len(stale)} fresh in the cache"
    )
    if args.list:
        for i in stale:
            print(f"  stale {i['page']}")
        return 0
    results = execute(items, cache, args.jobs, timeout)
    failed = [p for p, r in results.items() if r["error"]]
    if failed:
        print(f"execute_chapters: {len(failed)} chapter(s) failed: {', '.join(failed)}")
    return 1 if failed and not args.keep_going else 0


def _toc_pages(toc: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    found = [str(data["root"])]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in data.items() if k != "root"})
    return found


if __name__ == "__main__":
    sys.exit(main())
