"""Project rules for the GitHub workflows beyond their schema (``make lint-workflow``).

    python tools/check_workflow.py .github/workflows/*.yml

- every action from ``actions/`` is at a major version that runs on Node 24;
- no ``secrets.`` in a ``run:`` script (tokens stay out of command lines and logs);
- the workflow grants no permissions by default; ``pages``/``id-token`` only in a job
that
  does not run for pull requests, and no job that runs for pull requests can write;
- a run on ``main`` is never cancelled by a newer one (``cancel-in-progress`` is not
plainly
  true).
Exits 1 and lists the problems if any rule is broken.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

NODE24 = {
    "checkout": 5,
    "setup-python": 6,
    "cache": 5,
    "upload-pages-artifact": 5,
    "deploy-pages": 5,
    "upload-artifact": 6,
    "download-artifact": 7,
    "configure-pages": 6,
}


def _main_only(job: dict[str, Any]) -> bool:
    cond = str(job.get("if", ""))
    return "refs/heads/main" in cond and "==" in cond


def check(path: Path) -> list[str]:
    wf = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    top = wf.get("permissions")
    if top not in ({}, "read-all", None) and not (
        isinstance(top, dict) and set(top.values()) <= {"read", "none"}
    ):
        problems.append(f"top-level permissions grant writes: {top}")
    if top is None:
        problems.append("no top-level `permissions:` (the default token may write)")
    cancel = (wf.get("concurrency") or {}).get("cancel-in-progress")
    if cancel is True:
        problems.append(
            "concurrency cancels runs on main too (make it conditional on the ref)"
        )
    triggers = wf.get(True, wf.get("on")) or {}
    has_pr = "pull_request" in triggers or "pull_request_target" in triggers
    for name, job in (wf.get("jobs") or {}).items():
        perms = job.get("permissions") or {}
        writes = (
            {k for k, v in perms.items() if v == "write"}
            if isinstance(perms, dict)
            else set()
        )
        if has_pr and writes and not _main_only(job):
            problems.append(
                f"job {name} can write ({sorted(writes)}) and runs for pull requests"
            )
        if {"pages", "id-token"} & writes and "deploy" not in name:
            problems.append(
                f"job {name} has pages/id-token write but is not the deploy job"
            )
        for step in job.get("steps") or []:
            uses = str(step.get("uses", ""))
            m = re.match(r"actions/([\w-]+)@v(\d+)", uses)
            if m and m.group(1) in NODE24 and int(m.group(2)) < NODE24[m.group(1)]:
                problems.append(
                    f"job {name}: {uses} runs on Node 20 (need v{NODE24[m.group(1)]}+)"
                )
            if "secrets." in str(step.get("run", "")):
                problems.append(f"job {name}: a secret is expanded into a run script")
    return [f"{path}: {p}" for p in problems]


def main(argv: list[str]) -> int:
    problems = [p for arg in argv for p in check(Path(arg))]
    print("\n".join(problems) or f"workflow rules: ok ({len(argv)} file(s))")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
