"""Sphinx extension: re-execute a chapter whenever the nnbook code it runs has changed.

MyST-NB's execution cache keys a notebook on its own code cells only, so by itself a
change in ``nnbook/`` would leave every chapter showing outputs of the old code (MyST-NB
issues #299 and #621). This extension closes that hole:

1. For every chapter it finds the package modules its code cells import, closes that set
   under the package's own imports, and hashes their source (``tools/chapters.py``).
2. It keeps the hashes of the last successful build in ``<cache>/nnbook-deps.json``. A
   chapter whose hash changed has its cached execution deleted and is marked outdated,
   so Sphinx re-reads it and MyST-NB executes it again. Chapters whose dependencies did
   not change keep their cache. An execution made by ``tools/execute_chapters.py`` (the
   parallel pre-execution) with the current hash is kept.
3. ``NNBOOK_EXECUTE=force`` executes every chapter regardless of the cache.

It also serves the reader:

4. ``{nnbook-api}`` renders the API reference from the package's docstrings, one entry
   per public name, each linking back to the chapter that derives it.
5. Every chapter that imports nnbook gets a box listing the nnbook names it uses, each
   linked to its API entry.
6. MathJax is served from the site itself (``sphinx-mathjax-offline``'s copy), so the
   book renders its mathematics without any network.
7. Launch and download buttons point only at files that exist: the reader notebooks
   (``tools/reader_notebooks.py``, published in ``_notebooks/``, downloaded with a
   ``download`` attribute), Colab on the ``notebooks`` branch, the PDF.
8. ``{nb-exec-table}`` shows each chapter's execution time against its budget.
9. The package version in the footer and on the PDF title page; OpenGraph tags and a
   sitemap when ``sphinxext-opengraph`` and ``sphinx-sitemap`` are installed.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
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

from tools.chapters import chapter_dependencies, dependency_hash, read_chapter

STORE = "nnbook-deps.json"


def _override_execution(app: Any, config: Any) -> None:
    mode = os.environ.get("NNBOOK_EXECUTE")
    if mode:
        config.nb_execution_mode = mode


def _package(app: Any) -> tuple[Path, str]:
    pkg_dir = Path(
        app.config.nnbook_package_dir or Path(app.srcdir) / "nnbook"
    ).resolve()
    return pkg_dir, app.config.nnbook_package_name or pkg_dir.name


def _store_path(app: Any) -> Path:
    return Path(app.env.mystnb_config.execution_cache_path) / STORE


def _outdated(
    app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
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
    """Delete cached executions of these source files from the jupyter cache, except
    those made with the current package code: ``tools/execute_chapters.py`` (the
    parallel pre-execution) stores the dependency hash it executed with in the record's
    data."""
    cache_dir = Path(app.env.mystnb_config.execution_cache_path)
    if not cache_dir.exists():
        return
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    for record in cache.list_cache_records():
        if record.uri in paths:
            if (record.data or {}).get("nnbook_dep_hash") == paths[record.uri]:
                continue
            with contextlib.suppress(KeyError):
                cache.remove_cache(record.pk)


def _save(app: Any, exception: Exception | None) -> None:
    hashes = getattr(app.env, "nnbook_dep_hashes", None)
    if exception is not None or hashes is None or app.statuscode:
        return
    store = _store_path(app)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(hashes, indent=1, sort_keys=True))


# --- offline MathJax
# ------------------------------------------------------------------------------


def _mathjax_dir() -> Path | None:
    try:
        from importlib.metadata import distribution

        path = Path(
            str(
                distribution("sphinx-mathjax-offline").locate_file(
                    "sphinx-mathjax-offline/static/mathjax"
                )
            )
        )
    except Exception:
        return None
    return path if (path / "tex-chtml.js").exists() else None


def _offline_mathjax(app: Any, config: Any) -> None:
    if _mathjax_dir() is not None:
        config.mathjax_path = "mathjax/tex-chtml.js"


def _copy_mathjax(app: Any, exception: Exception | None) -> None:
    src = _mathjax_dir()
    if (
        exception is None
        and src is not None
        and getattr(app.builder, "format", "") == "html"
    ):
        dest = Path(app.outdir) / "_static" / "mathjax"
        if not (dest / "tex-chtml.js").exists():
            shutil.copytree(src, dest, dirs_exist_ok=True)


# --- the API reference
# ----------------------------------------------------------------------------

_ROLE = re.compile(r":(?:doc|math|func|class|meth|ref):`([^`]+)`")


def _api_modules(pkg_dir: Path, pkg_name: str) -> list[Any]:
    """The modules with public names, in the order of the package's star imports,
    subpackages expanded into their modules (``nnbook.nn`` -> ``nnbook.nn.module``,
    ``nnbook.nn.layers``...)."""

    def walk(folder: Path, dotted: str) -> list[Any]:
        order = re.findall(
            r"^from \.(\w+) import \*", (folder / "__init__.py").read_text(), re.M
        )
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
    ret = (
        ""
        if sig.return_annotation is inspect.Signature.empty
        else " -> " + str(sig.return_annotation).replace("'", "")
    )
    return f"({', '.join(parts)}){ret}"


def _doc_block(obj: Any) -> list[str]:
    """The docstring as preformatted text (docstrings are plain text, not markup),
    followed by links to the chapters it names."""
    doc = inspect.getdoc(obj) or ""
    chapters = list(dict.fromkeys(re.findall(r":doc:`([^`]+)`", doc)))
    body = _ROLE.sub(r"\1", doc).replace("`" * 3, "'" * 3).splitlines()
    out = ["```text", *body, "```", ""]
    if chapters:
        out += ["Derived in " + ", ".join(f"{{doc}}`{c}`" for c in chapters) + ".", ""]
    return out


def _api_markdown(pkg_dir: Path, pkg_name: str) -> list[str]:
    """MyST source for the API reference: a section per module, an entry per public
    name."""
    lines: list[str] = []
    for mod in _api_modules(pkg_dir, pkg_name):
        short = mod.__name__.split(".", 1)[-1]
        summary = (inspect.getdoc(mod) or "").split("\n\n")[0]
        lines += [
            f"(api-{short.replace('.', '-')})=",
            f"## `{pkg_name}.{short}`",
            "",
            _ROLE.sub(r"\1", summary).replace("*", "\\*"),
            "",
        ]
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj):
                lines += [
                    f"````{{py:class}} {name}"
                    f"{_signature(obj.__init__, drop_self=True)}",
                    f":module: {pkg_name}",
                    "",
                ]
                lines += _doc_block(obj)
                for attr, member in vars(obj).items():
                    if (
                        attr.startswith("_")
                        or not callable(member)
                        or not inspect.getdoc(member)
                    ):
                        continue
                    lines += [
                        f"```{{py:method}} {attr}{_signature(member, drop_self=True)}",
                        "```",
                        "",
                    ]
                    lines += _doc_block(member)
                lines += ["````", ""]
            elif callable(obj):
                lines += [
                    f"````{{py:function}} {name}{_signature(obj)}",
                    f":module: {pkg_name}",
                    "",
                ]
                lines += _doc_block(obj) + ["````", ""]
            else:
                lines += [
                    f"````{{py:data}} {name}",
                    f":module: {pkg_name}",
                    "",
                    f"Value: `{obj!r}`",
                    "````",
                    "",
                ]
    return lines


def _make_api_directive() -> Any:
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles

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


# --- "nnbook in this chapter"
# --------------------------------------------------------------------


def _names_used(code: str, pkg_name: str, exported: set[str]) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found: list[str] = []
    aliases = {pkg_name}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] == pkg_name
        ):
            found += [a.name for a in node.names if a.name in exported]
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.name == pkg_name and a.asname}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr in exported
        ):
            found.append(node.attr)
    return list(dict.fromkeys(found))


def _add_used_box(app: Any, doctree: Any) -> None:
    from docutils import nodes
    from sphinx.addnodes import pending_xref

    env = app.env
    api_doc = app.config.nnbook_api_docname
    if (
        not api_doc
        or api_doc not in env.found_docs
        or env.docname in (api_doc, app.config.root_doc)
    ):
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

    names = _names_used(
        read_chapter(path).code, pkg_name, set(getattr(pkg, "__all__", []))
    )
    if not names:
        return
    para = nodes.paragraph()
    for i, name in enumerate(names):
        if i:
            para += nodes.Text(", ")
        ref = pending_xref(
            "",
            refdomain="py",
            reftype="obj",
            reftarget=f"{pkg_name}.{name}",
            refexplicit=True,
            refwarn=True,
        )
        ref += nodes.literal(name, name)
        para += ref
    box = nodes.admonition(classes=["nnbook-used", "tip"])
    box += nodes.title("", f"{pkg_name} in this chapter")
    box += para
    sections = list(doctree.findall(nodes.section))
    if sections:
        first = sections[0]
        title_index = next(
            (i for i, c in enumerate(first.children) if isinstance(c, nodes.title)), -1
        )
        first.insert(title_index + 1, box)


# --- launch and download buttons: only to notebooks that exist
# -----------------------------------


def _reader_notebook_for(app: Any, pagename: str) -> bool:
    from tools.reader_notebooks import has_reader_notebook

    try:
        path = Path(app.env.doc2path(pagename))
    except Exception:
        return False
    return has_reader_notebook(path)


def _buttons(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Point every launch and download button at a file that exists.

    - A page with a reader notebook (``tools/reader_notebooks.py``): Colab opens that
      notebook on the ``nnbook_notebooks_branch`` (the workflow pushes them there),
      Binder opens the chapter (jupytext opens ``.md`` as a notebook there, see
      ``postBuild``), and the ``.ipynb`` download is the reader notebook the site
      publishes in ``_notebooks/``.
    - A page without one (no code, or code that needs the repository): no launch
      buttons and no ``.ipynb`` download.
    - The ``.pdf`` entry downloads the book's PDF (``nnbook_pdf``) instead of printing
      the page.
    """
    from tools.reader_notebooks import NB_DIR

    has_nb = _reader_notebook_for(app, pagename)
    pathto = context.get("pathto")
    branch = app.config.nnbook_notebooks_branch
    groups = context.get("header_buttons", [])
    for group in list(groups):
        if not isinstance(group, dict):
            continue
        if group.get("label") == "launch-buttons":
            if not has_nb:
                groups.remove(group)
                continue
            for button in group.get("buttons", []):
                if button.get("text") == "Colab":
                    url = re.sub(
                        r"/blob/[^/]+/",
                        f"/blob/{branch}/",
                        button.get("url", ""),
                        count=1,
                    )
                    button["url"] = re.sub(r"\.(md|ipynb)$", "", url) + ".ipynb"
        if group.get("label") == "download-buttons":
            kept = []
            for button in group.get("buttons", []):
                label = button.get("label")
                if label == "download-notebook-button":
                    continue
                if label == "download-pdf-button" and app.config.nnbook_pdf and pathto:
                    button = {
                        "type": "link",
                        "url": pathto(app.config.nnbook_pdf, 1),
                        "text": ".pdf",
                        "tooltip": "Download the book as a PDF",
                        "icon": "fas fa-file-pdf",
                        "label": "download-pdf-link",
                    }
                kept.append(button)
            if has_nb and pathto:
                kept.insert(
                    0,
                    {
                        "type": "link",
                        "url": pathto(f"{NB_DIR}/{pagename}.ipynb", 1),
                        "text": ".ipynb",
                        "icon": "fas fa-code",
                        "tooltip": "Download this chapter as a notebook",
                        "label": "download-notebook-button",
                    },
                )
            group["buttons"] = kept


_DOWNLOAD_LINK = re.compile(
    r'<a href="([^"]+)" target="_blank"'
    r'(\s+class="btn btn-sm btn-download-(?:notebook-button|pdf-link))'
)


def _publish_notebooks(app: Any, exception: Exception | None) -> None:
    """Write the reader notebooks into the site, add ``download`` to their links (a
    browser then saves the file instead of showing JSON), and copy the PDF when it was
    built."""
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    from tools.reader_notebooks import NB_DIR, load_book, write_all

    out = Path(app.outdir)
    pages = [d for d in sorted(app.env.found_docs) if _reader_notebook_for(app, d)]
    # Everything a reader notebook is made from: skip the work when none of it changed
    # (a rebuild with nothing changed stays fast).
    root = Path(app.srcdir)
    h = hashlib.sha256()
    sources = [
        root / "_toc.yml",
        root / "_config.yml",
        Path(__file__).parent / "reader_notebooks.py",
    ]
    sources += sorted(root.glob("book/**/*.md"))
    sources += [root / "references.bib", *sorted(root.glob("book/*/references.bib"))]
    for path in sources:
        if path.is_file() and "_build" not in path.parts:
            h.update(str(path).encode() + b"\0" + path.read_bytes())
    from tools.reader_notebooks import git_commit

    h.update(f"{git_commit(root)}|{pages}".encode())
    stamp = out / NB_DIR / ".sources"
    present = all((out / NB_DIR / f"{p}.ipynb").exists() for p in pages)
    if not (present and stamp.exists() and stamp.read_text() == h.hexdigest()):
        write_all(out / NB_DIR, load_book(root), pages)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(h.hexdigest())
    pdf_src = Path(app.outdir).parent / "latex" / "book.pdf"
    if app.config.nnbook_pdf and pdf_src.exists():
        shutil.copy2(pdf_src, out / app.config.nnbook_pdf)
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _DOWNLOAD_LINK.sub(r'<a href="\1" download\2', text)
        if new != text:
            page.write_text(new, encoding="utf-8")


# --- version, OpenGraph, sitemap
# ------------------------------------------------------------------


def _project_version(root: Path) -> str:
    m = re.search(
        r'^version\s*=\s*"([^"]+)"', (root / "pyproject.toml").read_text(), re.M
    )
    return m.group(1) if m else ""


def _edition(app: Any, config: Any) -> None:
    """The package version is the book's version: in the footer, the PDF title page, the
    OpenGraph tags; plus the sitemap's URL scheme (the site has no language/version
    folders)."""
    version = (
        _project_version(Path(app.srcdir))
        if (Path(app.srcdir) / "pyproject.toml").exists()
        else ""
    )
    if version:
        config.version = config.release = version
        opts = dict(config.html_theme_options or {})
        footer = f'<p class="nnbook-version">Version {version}</p>'
        if footer not in str(opts.get("extra_footer", "")):
            opts["extra_footer"] = str(opts.get("extra_footer") or "") + footer
        config.html_theme_options = opts
    baseurl = config.html_baseurl or ""
    if "sphinxext.opengraph" in app.extensions:
        config.ogp_site_url = baseurl
        config.ogp_site_name = config.project
        config.ogp_description_length = 200
        if config.html_logo and baseurl:
            config.ogp_image = (
                baseurl.rstrip("/") + "/_static/" + Path(config.html_logo).name
            )
    if "sphinx_sitemap" in app.extensions:
        config.sitemap_url_scheme = "{link}"


_INLINE_SCRIPT = re.compile(r"^\s*<script>.*</script>\s*$")


def _dedupe_inline_scripts(app: Any, exception: Exception | None) -> None:
    """Remove repeated identical inline <script> lines from every page. The theme's
    templates emit sphinx-thebe's and sphinx-togglebutton's configuration scripts twice,
    and a page that declares ``const THEBE_JS_URL`` twice throws a SyntaxError in the
    browser."""
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


# --- execution times against their budgets --------------------------------------

from datetime import UTC  # noqa: E402

from docutils import nodes as _nodes  # noqa: E402


class BudgetTableNode(_nodes.General, _nodes.Element):
    """Placeholder for the execution-time table (module level: doctrees are pickled)."""


def budget_for(budgets: dict[str, float], docname: str) -> float:
    return float(budgets.get(docname, budgets.get("default", 60)))


def _setup_budgets(app: Any) -> None:
    """``{nb-exec-table}`` with a budget column: MyST-NB's directive is replaced (same
    name, same placeholder bookkeeping, so the page is refreshed whenever a chapter
    executes) by one whose table also shows each chapter's budget
    (``nnbook_execution_budgets``) and whether its last execution kept to it. Budgets
    are checked in the benchmark suite, not here: the page reports, it does not fail the
    build."""
    import posixpath

    from docutils import nodes
    from myst_nb.ext.execution_tables import METADATA_KEY
    from myst_nb.sphinx_ import NbMetadataCollector
    from sphinx.addnodes import pending_xref
    from sphinx.transforms.post_transforms import SphinxPostTransform
    from sphinx.util.docutils import SphinxDirective

    class BudgetTable(SphinxDirective):
        has_content = True
        final_argument_whitespace = True

        def run(self) -> list[Any]:
            NbMetadataCollector.set_doc_data(
                self.env, self.env.docname, METADATA_KEY, True
            )
            return [BudgetTableNode()]

    def table(env: Any, parent: str) -> Any:
        from datetime import datetime

        budgets = env.app.config.nnbook_execution_budgets
        headers = [
            "Chapter",
            "Executed",
            "Method",
            "Run time (s)",
            "Budget (s)",
            "Status",
        ]
        tbl = nodes.table(classes=["colwidths-auto", "nnbook-budgets"])
        group = nodes.tgroup(cols=len(headers))
        tbl += group
        for _ in headers:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        group += head
        row = nodes.row()
        head += row
        for h in headers:
            row += nodes.entry("", nodes.paragraph(text=h))
        body = nodes.tbody()
        group += body
        data = NbMetadataCollector.get_doc_data(env)
        for docname in sorted(data):
            exec_data = data[docname].get("exec_data")
            if not exec_data:
                continue
            runtime = exec_data.get("runtime")
            budget = budget_for(budgets, docname)
            if not exec_data.get("succeeded"):
                status = "failed"
            elif runtime is None:
                status = "-"
            else:
                status = "within budget" if runtime <= budget else "OVER BUDGET"
            row = nodes.row()
            body += row
            link = pending_xref(
                refdoc=parent,
                reftarget=posixpath.relpath(docname, posixpath.dirname(parent)),
                reftype="doc",
                refdomain="std",
                refexplicit=True,
                refwarn=True,
            )
            link += nodes.inline(text=docname)
            row += nodes.entry("", nodes.paragraph("", "", link))
            mtime = datetime.fromtimestamp(exec_data["mtime"], UTC).strftime(
                "%Y-%m-%d %H:%M"
            )
            for text in [
                mtime,
                str(exec_data.get("method")),
                "-" if runtime is None else f"{runtime:.1f}",
                f"{budget:.0f}",
                status,
            ]:
                row += nodes.entry("", nodes.paragraph(text=text))
        return tbl

    class BudgetTransform(SphinxPostTransform):
        default_priority = 8

        def run(self, **kwargs: Any) -> None:
            for node in list(self.document.findall(BudgetTableNode)):
                node.replace_self(table(self.env, self.env.docname))

    app.add_node(BudgetTableNode)
    app.add_directive("nb-exec-table", BudgetTable, override=True)
    app.add_post_transform(BudgetTransform)


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension(
        "myst_nb"
    )  # first, so that nb-exec-table can be overridden below
    app.add_config_value("nnbook_notebooks_branch", "notebooks", "html")
    app.add_config_value("nnbook_pdf", "book.pdf", "html")  # "" for no PDF link
    app.add_config_value("nnbook_changelog_docname", "book/front/changelog", "html")
    # Execution-time budgets in seconds: {"default": 60, "book/transformers/gpt": 120}.
    app.add_config_value("nnbook_execution_budgets", {"default": 60}, "env")
    app.connect("html-page-context", _buttons, priority=900)
    app.connect("build-finished", _publish_notebooks)
    # optional: OpenGraph tags and a sitemap when the packages are installed and the
    # site has a base URL (both need absolute URLs; without one the sitemap warns)
    raw = {
        **getattr(app.config, "_raw_config", {}),
        **getattr(app.config, "overrides", {}),
    }
    if raw.get("html_baseurl"):
        for ext in ("sphinxext.opengraph", "sphinx_sitemap"):
            with contextlib.suppress(Exception):
                app.setup_extension(ext)
    app.connect("config-inited", _edition)
    _setup_budgets(app)
    app.connect("build-finished", _dedupe_inline_scripts)
    app.add_config_value("nnbook_package_dir", "", "env")
    app.add_config_value("nnbook_package_name", "", "env")
    app.add_config_value("nnbook_api_docname", "book/appendix/api", "env")
    # Files outside the package that a chapter's outputs depend on (globs from the book
    # root).
    app.add_config_value("nnbook_extra_dependencies", {}, "env")
    app.connect("config-inited", _override_execution)
    app.connect("config-inited", _offline_mathjax)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-read", _add_used_box)
    app.connect("build-finished", _save)
    app.connect("build-finished", _copy_mathjax)
    app.add_directive("nnbook-api", _make_api_directive())
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
