"""Sphinx extension: re-execute a chapter whenever the nnbook code it runs has changed.

MyST-NB's execution cache keys a notebook on its own code cells only, so by itself a change in
``nnbook/`` would leave every chapter showing outputs of the old code (MyST-NB issues #299 and
#621). This extension closes that hole:

1. For every chapter it finds the package modules its code cells import, closes that set under
   the package's own imports, and hashes their source (``tools/chapters.py``).
2. It keeps the hashes of the last successful build in ``<cache>/nnbook-deps.json``. A chapter
   whose hash changed has its cached execution deleted and is marked outdated, so Sphinx re-reads
   it and MyST-NB executes it again. Chapters whose dependencies did not change keep their cache.
3. ``NNBOOK_EXECUTE=force`` (used by ``make book-all`` and CI) executes every chapter.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.chapters import chapter_dependencies, dependency_hash, read_chapter  # noqa: E402

STORE = "nnbook-deps.json"


def _override_execution(app: Any, config: Any) -> None:
    mode = os.environ.get("NNBOOK_EXECUTE")
    if mode:
        config.nb_execution_mode = mode


def _package(app: Any) -> tuple[Path, str]:
    pkg_dir = Path(app.config.nnbook_package_dir or Path(app.srcdir) / "nnbook").resolve()
    return pkg_dir, app.config.nnbook_package_name or pkg_dir.name


def _store_path(app: Any) -> Path:
    return Path(app.env.mystnb_config.execution_cache_path) / STORE


def _outdated(app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    pkg_dir, pkg_name = _package(app)
    try:
        old: dict[str, str] = json.loads(_store_path(app).read_text())
    except (OSError, ValueError):
        old = {}
    new: dict[str, str] = {}
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        if path.suffix != ".md":
            continue
        files = chapter_dependencies(read_chapter(path).code, pkg_dir, pkg_name)
        if files:
            new[str(path)] = dependency_hash(files, pkg_dir)
    app.env.nnbook_dep_hashes = new
    stale = [p for p, h in new.items() if old.get(p) != h]
    if not stale:
        return []
    _forget_executions(app, set(stale))
    docnames = [env.path2doc(p) for p in stale]
    reread = [d for d in docnames if d and d not in added and d not in changed]
    if reread:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "nnbook: package code changed, re-executing: %s", ", ".join(sorted(reread))
        )
    return reread


def _forget_executions(app: Any, paths: set[str]) -> None:
    """Delete cached executions of these source files from the jupyter cache."""
    cache_dir = Path(app.env.mystnb_config.execution_cache_path)
    if not cache_dir.exists():
        return
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    for record in cache.list_cache_records():
        if record.uri in paths:
            try:
                cache.remove_cache(record.pk)
            except KeyError:
                pass


def _save(app: Any, exception: Exception | None) -> None:
    hashes = getattr(app.env, "nnbook_dep_hashes", None)
    if exception is not None or hashes is None or app.statuscode:
        return
    store = _store_path(app)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(hashes, indent=1, sort_keys=True))


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("nnbook_package_dir", "", "env")
    app.add_config_value("nnbook_package_name", "", "env")
    app.connect("config-inited", _override_execution)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _save)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
