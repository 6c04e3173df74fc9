"""Point every ``literalinclude`` of a chapter at the nnbook file that defines its
``:pyobject:`` (used once, when the package moved into subpackages).

    python tools/fix_literalincludes.py book/**/*.md
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def definitions() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((ROOT / "nnbook").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found.setdefault(node.name, path)
    return found


def main(files: list[str]) -> None:
    defs = definitions()
    pat = re.compile(r"(```\{literalinclude\} )(\S*nnbook/\S+\.py)\n((?::\w+:.*\n)*)")
    for f in files:
        chapter = Path(f).resolve()
        text = chapter.read_text(encoding="utf-8")

        def fix(m: re.Match[str]) -> str:
            obj = re.search(r":pyobject: *([\w.]+)", m.group(3))
            if not obj:
                return m.group(0)
            target = defs.get(obj.group(1).split(".")[0])
            if target is None:
                return m.group(0)
            rel = Path(*[".."] * (len(chapter.relative_to(ROOT).parts) - 1)) / target.relative_to(ROOT)
            return f"{m.group(1)}{rel.as_posix()}\n{m.group(3)}"

        new = pat.sub(fix, text)
        if new != text:
            chapter.write_text(new, encoding="utf-8")
            print("fixed", f)


if __name__ == "__main__":
    main(sys.argv[1:])
