"""Sphinx extension: re-execute a chapter whenever the nnbook code it runs has changed.

MyST-NB's execution cache keys a notebook on its own code cells only, so by itself a change in
``nnbook/`` would leave every chapter showing outputs of the old code (MyST-NB issues #299 and
#621). This extension closes that hole:

1. For every chapter it finds the package modules its code cells import, closes that set under
   the package's own imports, and hashes their source (``tools/chapters.py``).
2. It keeps the hashes of the last successful build in ``<cache>/nnbook-deps.json``. A chapter
   whose hash changed has its cached execution deleted and is marked outdated, so Sphinx re-reads
   it and MyST-NB executes it again. Chapters whose dependencies did not change keep their cache.
3. ``NNBOOK_EXECUTE=force`` executes every chapter regardless of the cache.

It also serves the reader:

4. ``{nnbook-api}`` renders the API reference from the package's docstrings, one entry per
   public name, each linking back to the chapter that derives it.
5. Every chapter that imports nnbook gets a box listing the nnbook names it uses, each linked
   to its API entry.
6. MathJax is served from the site itself (``sphinx-mathjax-offline``'s copy), so the book
   renders its mathematics without any network.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import shutil
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
        for pattern in app.config.nnbook_extra_dependencies.get(docname, []):
            files += sorted(p for p in Path(app.srcdir).glob(pattern) if p.is_file())
        if files:
            new[str(path)] = dependency_hash(files, pkg_dir)
    app.env.nnbook_dep_hashes = new
    stale = [p for p, h in new.items() if old.get(p) != h]
    if not stale:
        return []
    _forget_executions(app, {p: new[p] for p in stale})
    docnames = [env.path2doc(p) for p in stale]
    reread = [d for d in docnames if d and d not in added and d not in changed]
    if reread:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "nnbook: package code changed, re-executing: %s", ", ".join(sorted(reread))
        )
    return reread


def _forget_executions(app: Any, paths: dict[str, str]) -> None:
    """Delete cached executions of these source files from the jupyter cache, except those
    made with the current package code: ``tools/execute_chapters.py`` (the parallel
    pre-execution) stores the dependency hash it executed with in the record's data."""
    cache_dir = Path(app.env.mystnb_config.execution_cache_path)
    if not cache_dir.exists():
        return
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    for record in cache.list_cache_records():
        if record.uri in paths:
            if (record.data or {}).get("nnbook_dep_hash") == paths[record.uri]:
                continue
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


# --- offline MathJax ------------------------------------------------------------------------------


def _mathjax_dir() -> Path | None:
    try:
        from importlib.metadata import distribution

        path = Path(str(distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax")))
    except Exception:
        return None
    return path if (path / "tex-chtml.js").exists() else None


def _offline_mathjax(app: Any, config: Any) -> None:
    if _mathjax_dir() is not None:
        config.mathjax_path = "mathjax/tex-chtml.js"


def _copy_mathjax(app: Any, exception: Exception | None) -> None:
    src = _mathjax_dir()
    if exception is None and src is not None and getattr(app.builder, "format", "") == "html":
        dest = Path(app.outdir) / "_static" / "mathjax"
        if not (dest / "tex-chtml.js").exists():
            shutil.copytree(src, dest, dirs_exist_ok=True)


# --- the API reference ----------------------------------------------------------------------------

_ROLE = re.compile(r":(?:doc|math|func|class|meth|ref):`([^`]+)`")


def _api_modules(pkg_dir: Path, pkg_name: str) -> list[Any]:
    """The modules with public names, in the order of the package's star imports, subpackages
    expanded into their modules (``nnbook.nn`` -> ``nnbook.nn.module``, ``nnbook.nn.layers``...)."""
    def walk(folder: Path, dotted: str) -> list[Any]:
        order = re.findall(r"^from \.(\w+) import \*", (folder / "__init__.py").read_text(), re.M)
        found: list[Any] = []
        for m in order:
            if (folder / m / "__init__.py").exists():
                found += walk(folder / m, f"{dotted}.{m}")
            else:
                found.append(importlib.import_module(f"{dotted}.{m}"))
        return found

    return [m for m in walk(pkg_dir, pkg_name) if getattr(m, "__all__", None)]


def _signature(obj: Any, drop_self: bool = False) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "()"
    parts = []
    for i, p in enumerate(sig.parameters.values()):
        if drop_self and i == 0:
            continue
        text = str(p).replace("'", "")
        text = re.sub(r"<class (\S+)>", r"\1", text)
        text = re.sub(r"<[^>]*>", "...", text)
        parts.append(text)
    ret = "" if sig.return_annotation is inspect.Signature.empty else " -> " + str(sig.return_annotation).replace("'", "")
    return f"({', '.join(parts)}){ret}"


def _doc_block(obj: Any) -> list[str]:
    """The docstring as preformatted text (docstrings are plain text, not markup), followed by
    links to the chapters it names."""
    doc = inspect.getdoc(obj) or ""
    chapters = list(dict.fromkeys(re.findall(r":doc:`([^`]+)`", doc)))
    body = _ROLE.sub(r"\1", doc).replace("`" * 3, "'" * 3).splitlines()
    out = ["```text", *body, "```", ""]
    if chapters:
        out += ["Derived in " + ", ".join(f"{{doc}}`{c}`" for c in chapters) + ".", ""]
    return out


def _api_markdown(pkg_dir: Path, pkg_name: str) -> list[str]:
    """MyST source for the API reference: a section per module, an entry per public name."""
    lines: list[str] = []
    for mod in _api_modules(pkg_dir, pkg_name):
        short = mod.__name__.split(".", 1)[-1]
        summary = (inspect.getdoc(mod) or "").split("\n\n")[0]
        lines += [f"(api-{short.replace('.', '-')})=", f"## `{pkg_name}.{short}`", "", _ROLE.sub(r"\1", summary).replace("*", "\\*"), ""]
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj):
                lines += [f"````{{py:class}} {name}{_signature(obj.__init__, drop_self=True)}", f":module: {pkg_name}", ""]
                lines += _doc_block(obj)
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not callable(member) or not inspect.getdoc(member):
                        continue
                    lines += [f"```{{py:method}} {attr}{_signature(member, drop_self=True)}", "```", ""]
                    lines += _doc_block(member)
                lines += ["````", ""]
            elif callable(obj):
                lines += [f"````{{py:function}} {name}{_signature(obj)}", f":module: {pkg_name}", ""]
                lines += _doc_block(obj) + ["````", ""]
            else:
                lines += [f"````{{py:data}} {name}", f":module: {pkg_name}", "", f"Value: `{obj!r}`", "````", ""]
    return lines


def _make_api_directive() -> Any:
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles
    from docutils import nodes

    class NnbookApi(SphinxDirective):
        """Render every public name of the package from its docstring."""

        has_content = False

        def run(self) -> list[Any]:
            pkg_dir, pkg_name = _package(self.env.app)
            for path in pkg_dir.glob("*.py"):
                self.env.note_dependency(str(path))
            node = nodes.section()
            node.document = self.state.document
            rst = StringList(_api_markdown(pkg_dir, pkg_name), source="nnbook-api")
            nested_parse_with_titles(self.state, rst, node)
            return node.children

    return NnbookApi


# --- "nnbook in this chapter" --------------------------------------------------------------------


def _names_used(code: str, pkg_name: str, exported: set[str]) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found: list[str] = []
    aliases = {pkg_name}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == pkg_name:
            found += [a.name for a in node.names if a.name in exported]
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.name == pkg_name and a.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if node.attr in exported:
                found.append(node.attr)
    return list(dict.fromkeys(found))


def _add_used_box(app: Any, doctree: Any) -> None:
    from docutils import nodes
    from sphinx.addnodes import pending_xref

    env = app.env
    api_doc = app.config.nnbook_api_docname
    if not api_doc or api_doc not in env.found_docs or env.docname in (api_doc, app.config.root_doc):
        return  # the landing page is not a chapter
    path = Path(env.doc2path(env.docname))
    if path.suffix != ".md":
        return
    pkg_dir, pkg_name = _package(app)
    try:
        pkg = importlib.import_module(pkg_name)
    except ImportError:
        return
    from tools.chapters import read_chapter

    names = _names_used(read_chapter(path).code, pkg_name, set(getattr(pkg, "__all__", [])))
    if not names:
        return
    para = nodes.paragraph()
    for i, name in enumerate(names):
        if i:
            para += nodes.Text(", ")
        ref = pending_xref("", refdomain="py", reftype="obj", reftarget=f"{pkg_name}.{name}",
                           refexplicit=True, refwarn=True)
        ref += nodes.literal(name, name)
        para += ref
    box = nodes.admonition(classes=["nnbook-used", "tip"])
    box += nodes.title("", f"{pkg_name} in this chapter")
    box += para
    sections = list(doctree.findall(nodes.section))
    if sections:
        first = sections[0]
        title_index = next((i for i, c in enumerate(first.children) if isinstance(c, nodes.title)), -1)
        first.insert(title_index + 1, box)


# --- Colab: open the generated notebook, not the Markdown source -----------------------------------


def _colab_to_notebooks_branch(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Colab opens only .ipynb files. The publishing workflow converts every chapter with jupytext
    (``tools/make_notebooks.py``, which also prepends ``%pip install`` of this repository) and
    pushes them to the ``nnbook_notebooks_branch``; point the Colab button there."""
    branch = app.config.nnbook_notebooks_branch
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab" and button.get("url", "").endswith(".md"):
                url = re.sub(r"/blob/[^/]+/", f"/blob/{branch}/", button["url"], count=1)
                button["url"] = url[: -len(".md")] + ".ipynb"


_INLINE_SCRIPT = re.compile(r"^\s*<script>.*</script>\s*$")


def _dedupe_inline_scripts(app: Any, exception: Exception | None) -> None:
    """Remove repeated identical inline <script> lines from every page. The theme's templates
    emit sphinx-thebe's and sphinx-togglebutton's configuration scripts twice, and a page that
    declares ``const THEBE_JS_URL`` twice throws a SyntaxError in the browser."""
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
        seen: set[str] = set()
        out = []
        for line in lines:
            if _INLINE_SCRIPT.match(line):
                if line.strip() in seen:
                    continue
                seen.add(line.strip())
            out.append(line)
        if len(out) != len(lines):
            page.write_text("".join(out), encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("nnbook_notebooks_branch", "notebooks", "html")
    app.connect("html-page-context", _colab_to_notebooks_branch, priority=900)
    app.connect("build-finished", _dedupe_inline_scripts)
    app.add_config_value("nnbook_package_dir", "", "env")
    app.add_config_value("nnbook_package_name", "", "env")
    app.add_config_value("nnbook_api_docname", "book/appendix/api", "env")
    # Files outside the package that a chapter's outputs depend on (globs from the book root).
    app.add_config_value("nnbook_extra_dependencies", {}, "env")
    app.connect("config-inited", _override_execution)
    app.connect("config-inited", _offline_mathjax)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-read", _add_used_box)
    app.connect("build-finished", _save)
    app.connect("build-finished", _copy_mathjax)
    app.add_directive("nnbook-api", _make_api_directive())
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
