"""Chapter execution times against their budgets, for the benchmark suite (case 4).

    python tools/budgets.py [--cache _build/.jupyter_cache] [--strict]

Reads the latest execution time of every chapter from the execution cache (MyST-NB and
``tools/execute_chapters.py`` both record ``execution_seconds``) and the budgets from
``_config.yml`` (``sphinx.config.nnbook_execution_budgets``: a ``default`` of 60 s and
documented exceptions up to 120 s). The benchmark suite calls :func:`budget_table` and
reports the rows; budgets are never asserted in a timed test. ``--strict`` exits 1 when
a chapter is over budget. Times measured while two chapters execute at once (the default
build) run a little slower than a chapter alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def budgets(root: Path = ROOT) -> dict[str, float]:
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    found = sphinx_config.get("nnbook_execution_budgets") or {}
    return {str(k): float(v) for k, v in found.items()} | {
        "default": float(found.get("default", 60))
    }


def budget_table(
    cache: Path = ROOT / "_build" / ".jupyter_cache", root: Path = ROOT
) -> list[dict[str, Any]]:
    """One row per chapter in the cache: page, seconds, budget, ok (newest record)."""
    from jupyter_cache import get_cache

    limits = budgets(root)
    latest: dict[str, Any] = {}
    for record in get_cache(str(cache)).list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is None:
            continue
        old = latest.get(record.uri)
        if old is None or record.created > old.created:
            latest[record.uri] = record
    rows = []
    for uri, record in sorted(latest.items()):
        path = Path(uri)
        try:
            page = str(path.resolve().relative_to(root.resolve()).with_suffix(""))
        except ValueError:
            page = str(path.with_suffix(""))
        limit = limits.get(page, limits["default"])
        seconds = float(record.data["execution_seconds"])
        rows.append(
            {"page": page, "seconds": seconds, "budget": limit, "ok": seconds <= limit}
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=ROOT / "_build" / ".jupyter_cache")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args(argv)
    rows = budget_table(args.cache)
    for r in sorted(rows, key=lambda r: -r["seconds"]):
        flag = "ok" if r["ok"] else "OVER BUDGET"
        print(f"{r['page']:<50} {r['seconds']:7.1f} s / {r['budget']:4.0f} s  {flag}")
    total = sum(r["seconds"] for r in rows)
    over = [r["page"] for r in rows if not r["ok"]]
    print(f"{len(rows)} chapters, {total:.0f} s of execution, {len(over)} over budget")
    return 1 if over and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
