"""Read the book's MyST chapters the way the build and the tests need to.

Used by ``tools/sphinx_nnbook.py`` (to know which package modules a chapter runs, so that a
change in them re-executes the chapter) and by ``tests/test_literate_contract.py`` (to enforce
that chapters import the package instead of redefining it). Standard library plus PyYAML only.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")


@dataclass
class Directive:
    """One fenced MyST directive: ``{name} arg``, its ``:key: value`` options and body."""

    name: str
    arg: str
    options: dict[str, str]
    body: str
    line: int  # 1-based line of the opening fence


@dataclass
class Chapter:
    path: Path
    text: str
    directives: list[Directive] = field(default_factory=list)

    @property
    def code_cells(self) -> list[Directive]:
        return [d for d in self.directives if d.name == "code-cell"]

    @property
    def code(self) -> str:
        """All code cells joined, IPython magics and shell escapes removed."""
        return "\n".join(strip_magics(c.body) for c in self.code_cells)


def parse_directives(text: str) -> list[Directive]:
    """Every fenced directive in a MyST document, nested ones included."""
    lines = text.splitlines()
    out: list[Directive] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i].strip())
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        start = i
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        block = lines[i + 1 : j]
        options: dict[str, str] = {}
        k = 0
        if block and block[0].strip() == "---":  # YAML option block
            k = 1
            while k < len(block) and block[k].strip() != "---":
                key, _, value = block[k].partition(":")
                options[key.strip()] = value.strip()
                k += 1
            k += 1
        else:
            while k < len(block) and re.match(r"^\s*:[\w-]+:", block[k]):
                key, _, value = block[k].strip()[1:].partition(":")
                options[key.strip()] = value.strip()
                k += 1
        body = "\n".join(block[k:])
        out.append(
            Directive(m.group("name"), m.group("arg").strip(), options, body, start + 1)
        )
        if m.group("name") != "code-cell":  # directives may nest, code cannot
            out.extend(_shift(parse_directives(body), start + 1 + k))
        i = j + 1
    return out


def _shift(ds: list[Directive], offset: int) -> list[Directive]:
    for d in ds:
        d.line += offset
    return ds


def strip_magics(code: str) -> str:
    """Drop IPython magics (``%x``, ``%%x``) and shell escapes (``!x``) so ``ast`` can parse."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in code.splitlines()
    )


def read_chapter(path: Path) -> Chapter:
    text = path.read_text(encoding="utf-8")
    return Chapter(path, text, parse_directives(text))


def chapter_files(root: Path = ROOT) -> list[Path]:
    """Every MyST page under ``book/``."""
    return sorted(
        p
        for p in (root / "book").rglob("*.md")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts)
    )


def toc_files(root: Path = ROOT) -> list[str]:
    """Every page named in ``_toc.yml``, as a path from the root without suffix."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found: list[str] = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


# --- which package code a chapter runs ----------------------------------------------------


def _module_files(pkg_dir: Path) -> dict[str, Path]:
    """Every module of the package by dotted name relative to it: "nn.conv" for
    ``nn/conv.py``, "nn" for ``nn/__init__.py``; the top ``__init__.py`` is left out."""
    found: dict[str, Path] = {}
    for path in sorted(pkg_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(pkg_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found[".".join(parts)] = path
    return found


def module_exports(pkg_dir: Path) -> dict[str, str]:
    """Map every name in the package's ``__all__`` lists to the (dotted) module that
    defines it; subpackage ``__init__`` files only re-export, so they are skipped."""
    exports: dict[str, str] = {}
    for dotted, path in _module_files(pkg_dir).items():
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = (
                    node.targets if isinstance(node, ast.Assign) else [node.target]
                )
                if (
                    any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
                    and node.value is not None
                ):
                    for elt in getattr(node.value, "elts", []):
                        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                            exports[elt.value] = dotted
    return exports


def _under(prefix: str, all_modules: set[str]) -> set[str]:
    """A module and, for a subpackage, every module inside it."""
    return {m for m in all_modules if m == prefix or m.startswith(prefix + ".")}


def _imported_modules(
    tree: ast.AST,
    pkg_name: str,
    exports: dict[str, str],
    all_modules: set[str],
    current: str | None,
) -> set[str]:
    """Package modules (dotted, relative to the package) that the code in ``tree`` imports.

    ``current`` is the dotted name of the module the code belongs to (None for chapter
    code), which resolves relative imports. Importing a subpackage, or a name that a
    subpackage re-exports, counts as importing the module that defines the name."""
    found: set[str] = set()
    cur_pkg: list[str] = []
    if current is not None:
        cur_pkg = current.split(".")
        if not (current in all_modules and _is_package(current, all_modules)):
            cur_pkg = cur_pkg[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == pkg_name:
                    found |= (
                        _under(".".join(parts[1:]), all_modules)
                        if len(parts) > 1
                        else set(all_modules)
                    )
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level > 0:
                if current is None:
                    continue
                base = (
                    cur_pkg[: len(cur_pkg) - (node.level - 1)]
                    if node.level > 1
                    else cur_pkg
                )
                parts = base + (mod.split(".") if mod else [])
            else:
                parts = mod.split(".")
                if parts[0] != pkg_name:
                    continue
                parts = parts[1:]
            prefix = ".".join(parts)
            for alias in node.names:
                sub = f"{prefix}.{alias.name}" if prefix else alias.name
                if sub in all_modules:  # from pkg.nn import conv
                    found |= _under(sub, all_modules)
                elif alias.name in exports and (
                    not prefix or exports[alias.name].startswith(prefix)
                ):
                    found.add(exports[alias.name])
                elif prefix in all_modules and not _is_package(prefix, all_modules):
                    found.add(prefix)
                else:  # star import or an unknown name: everything below the prefix
                    found |= _under(prefix, all_modules) if prefix else set(all_modules)
    return found & all_modules


def _is_package(dotted: str, all_modules: set[str]) -> bool:
    return any(m.startswith(dotted + ".") for m in all_modules)


def chapter_dependencies(
    code: str, pkg_dir: Path, pkg_name: str | None = None
) -> list[Path]:
    """Source files of the package that ``code`` runs: what it imports, closed under the
    package's own imports, plus every ``__init__.py`` on the way and every data file
    shipped in the package."""
    pkg_name = pkg_name or pkg_dir.name
    files_by_module = _module_files(pkg_dir)
    all_modules = set(files_by_module)
    exports = module_exports(pkg_dir)
    try:
        tree = ast.parse(code)
    except SyntaxError:  # cannot tell: depend on everything
        return sorted(pkg_dir.rglob("*.py"))
    todo = _imported_modules(tree, pkg_name, exports, all_modules, current=None)
    if not todo:
        return []
    seen: set[str] = set()
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        if (
            files_by_module[mod].name == "__init__.py"
        ):  # re-exports only: not a dependency
            continue
        sub = ast.parse(files_by_module[mod].read_text(encoding="utf-8"))
        todo |= (
            _imported_modules(sub, pkg_name, exports, all_modules, current=mod) - seen
        )
    files = {
        files_by_module[m] for m in seen if files_by_module[m].name != "__init__.py"
    }
    for m in list(files):  # the __init__ files of the packages on the way
        for parent in m.relative_to(pkg_dir).parents:
            init = pkg_dir / parent / "__init__.py"
            if init.exists():
                files.add(init)
    files |= {
        p
        for p in pkg_dir.rglob("*")
        if p.is_file()
        and p.suffix not in {".py", ".pyc"}
        and "__pycache__" not in p.parts
    }
    return sorted(files)


def dependency_hash(files: list[Path], pkg_dir: Path) -> str:
    """A digest of the content of ``files`` (paths relative to the package's parent folder, so
    clones agree)."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.resolve().relative_to(pkg_dir.resolve().parent)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


# --- the literate contract -------------------------------------------------------------------


def redefinitions(code: str, exported: set[str]) -> list[tuple[int, str]]:
    """Names in ``exported`` that ``code`` defines itself: ``def``/``class`` or an assignment
    of a ``lambda``. Returns ``(line, name)`` pairs."""
    tree = ast.parse(code)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name in exported
        ):
            found.append((node.lineno, node.name))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(
            node.value, ast.Lambda
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [
                (node.lineno, t.id)
                for t in targets
                if isinstance(t, ast.Name) and t.id in exported
            ]
    return found


def pyobject_exists(source: str, dotted: str) -> bool:
    """Whether ``Class.method`` or ``function`` is defined at the top of ``source``."""
    body: list[ast.stmt] = ast.parse(source).body
    for part in dotted.split("."):
        match = [
            n
            for n in body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.name == part
        ]
        if not match:
            return False
        body = match[0].body
    return True
