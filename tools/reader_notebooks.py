"""Turn a MyST chapter into a reader notebook: plain Jupyter or Colab, no book stack.

Used by ``tools/make_notebooks.py`` (``make notebooks``) and by
``tools/sphinx_nnbook.py`` (which publishes the same notebooks with the site and points
the download and Colab buttons at them). What the conversion does:

- a first code cell installs ``nnbook[data]`` pinned to the book's commit (or version)
when
  nnbook is not importable (Colab); a first Markdown cell says where the chapter comes
  from;
- ``from myst_nb import glue`` becomes ``from nnbook.notebook import glue`` (a fallback
that
  shows the value); hidden assert cells stay, with their tags;
- admonitions, ``prf:`` blocks, exercises and solutions become headed blocks (numbered
within
  the chapter), dropdowns and tables become plain Markdown;
- ``{eq}``, ``{numref}``, ``{ref}``, ``{prf:ref}`` and ``{doc}`` become links, to the
same
  notebook when the target is in it, otherwise to the page on the website;
- ``{cite}`` becomes author-year text and ``{bibliography}`` the chapter's reference
list;
- ``{math}`` blocks and ``$$ (label)`` become ``$$`` blocks; inline math stays;
- ``{literalinclude}`` shows the included source (the ``:pyobject:`` only) as a code
block;
- glued values in the prose become ``⟨name⟩``: the code cell that computes one prints
it;
- figure captions stored in code-cell metadata follow the cell as text.

A chapter whose code needs files that are not in ``nnbook[data]`` (the repository's
``benchmarks`` or ``tools``) gets no reader notebook (:func:`has_reader_notebook`).
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

LOCAL_ONLY = ("benchmarks", "tools")  # importable only in a clone of the repository
NB_DIR = "_notebooks"  # where the site publishes the reader notebooks

_FENCE = re.compile(
    r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<name>[\w:.-]+)\}\s*(?P<arg>.*)$"
)
_PLAIN_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(?![`~{])")
_ROLE = re.compile(r"\{(?P<role>[\w:.-]+)\}`(?P<text>[^`]*)`")
_LABEL = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
_DOLLAR_LABEL = re.compile(r"^(?P<pre>.*)\$\$\s*\((?P<label>[^()\s]+)\)\s*$")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)

PRF_KINDS = {
    "definition",
    "theorem",
    "lemma",
    "corollary",
    "proposition",
    "algorithm",
    "example",
    "remark",
    "axiom",
    "conjecture",
    "criterion",
    "observation",
    "property",
    "assumption",
    "notation",
    "problem",
    "condition",
}
ADMONITIONS = {
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
    "margin",
    "sidebar",
    "epigraph",
    "pull-quote",
    "topic",
}
DROP = {
    "bibliography",
    "toctree",
    "tableofcontents",
    "index",
    "nb-exec-table",
    "nnbook-api",
    "only",
    "raw",
}


# --- the book: labels, titles, bibliography
# --------------------------------------------------


@dataclass
class Target:
    page: str  # book/part/chapter
    anchor: str
    kind: str  # section, equation, figure, table, exercise, theorem, ...
    title: str = ""


@dataclass
class Book:
    root: Path
    baseurl: str
    repo: str
    ref: str  # the commit (or branch) the notebooks come from
    version: str
    pages: list[str]
    targets: dict[str, Target] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    bib: dict[str, dict[str, Any]] = field(default_factory=dict)

    def page_url(self, page: str, anchor: str = "") -> str:
        return f"{self.baseurl.rstrip('/')}/{page}.html" + (
            f"#{anchor}" if anchor else ""
        )

    def install_spec(self) -> str:
        return f"nnbook[data] @ git+{self.repo}@{self.ref}"


def _config(root: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}


def _version(root: Path) -> str:
    if not (root / "pyproject.toml").exists():
        return "0"
    m = re.search(
        r'^version\s*=\s*"([^"]+)"', (root / "pyproject.toml").read_text(), re.M
    )
    return m.group(1) if m else "0"


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out or None


def load_book(
    root: Path = ROOT, ref: str | None = None, repo: str | None = None
) -> Book:
    from tools.chapters import toc_files

    config = _config(root)
    repo = repo or (config.get("repository") or {}).get(
        "url", "https://github.com/nnbook/nnbook"
    )
    baseurl = (config.get("html") or {}).get(
        "baseurl"
    ) or "https://nnbook.github.io/nnbook/"
    version = _version(root)
    ref = ref or git_commit(root) or f"v{version}"
    pages = toc_files(root)
    book = Book(root, baseurl, repo, ref, version, pages)
    for page in pages:
        path = root / f"{page}.md"
        if path.exists():
            _index(book, page, path.read_text(encoding="utf-8"))
    book.bib = _bibliography(root, config.get("bibtex_bibfiles") or ["references.bib"])
    return book


def _index(book: Book, page: str, text: str) -> None:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _LABEL.match(line.strip())
        if m:
            title = next(
                (
                    l.lstrip("#").strip()
                    for l in lines[i + 1 : i + 4]
                    if l.startswith("#")
                ),
                "",
            )
            book.targets[m.group("label")] = Target(
                page, m.group("label"), "section", _plain(title)
            )
        m = re.match(r"^# (.+)$", line)
        if m and page not in book.titles:
            book.titles[page] = _plain(m.group(1))
        m = _DOLLAR_LABEL.match(line)
        if m:
            book.targets[m.group("label")] = Target(
                page, f"equation-{m.group('label')}", "equation"
            )
        m = _FENCE.match(line)
        if m:
            name, arg = m.group("name"), m.group("arg")
            for j in range(i + 1, min(i + 40, len(lines))):
                o = re.match(r"^\s*:?(label|name):\s*(\S+)\s*$", lines[j])
                if o:
                    kind = {
                        "math": "equation",
                        "code-cell": "figure",
                        "table": "table",
                        "exercise": "exercise",
                        "figure": "figure",
                    }.get(name, name.split(":")[-1])
                    label = o.group(2)
                    anchor = f"equation-{label}" if kind == "equation" else label
                    book.targets.setdefault(
                        label, Target(page, anchor, kind, _plain(arg))
                    )
                    break
                if lines[j].strip().startswith(("```", ":::")) or (
                    name != "code-cell"
                    and j > i + 1
                    and not lines[j].strip().startswith((":", "---"))
                    and lines[j].strip()
                ):
                    break


def _plain(text: str) -> str:
    return re.sub(r"[*_`]", "", _ROLE.sub(lambda m: m.group("text"), text)).strip()


_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    '"': "\u0308",
    "^": "\u0302",
    "~": "\u0303",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "=": "\u0304",
    ".": "\u0307",
}


def _untex(text: str) -> str:
    """BibTeX accents and braces to Unicode text: ``M\\'ethode`` -> ``Méthode``."""
    import unicodedata

    def accent(m: re.Match[str]) -> str:
        return unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)])

    text = re.sub(r"\\([`'\"^~=.]|[cvu](?=[\s{]))\s*\{?([A-Za-z])\}?", accent, text)
    text = text.replace("\\ss", "ß").replace("\\&", "&").replace("--", "–")
    return text.replace("{", "").replace("}", "")


def _bibliography(root: Path, files: list[str]) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    try:
        from pybtex.database import parse_file
    except ImportError:
        return entries
    for name in files:
        path = root / name
        if not path.exists():
            continue
        try:
            import pybtex.errors

            pybtex.errors.set_strict_mode(False)  # a duplicate is the build's to report
            data = parse_file(str(path))
        except Exception as exc:
            print(f"reader notebooks: skipping {name}: {exc}", file=sys.stderr)
            continue
        for key, entry in data.entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [_untex(" ".join(p.last_names)) for p in people]
            full = [
                _untex(
                    ", ".join(
                        [
                            " ".join(p.last_names),
                            " ".join(p.first_names + p.middle_names),
                        ]
                    )
                ).strip(", ")
                for p in people
            ]
            f = {k.lower(): _untex(v) for k, v in entry.fields.items()}
            entries[key] = {
                "last": last,
                "full": full,
                "year": f.get("year", "n.d."),
                **f,
            }
    return entries


# --- citations
# ---------------------------------------------------------------------------------


def _authors_short(e: dict[str, Any]) -> str:
    last = e.get("last") or ["Anon."]
    if len(last) == 1:
        return last[0]
    if len(last) == 2:
        return f"{last[0]} and {last[1]}"
    return f"{last[0]} et al."


def cite(book: Book, role: str, keys: str) -> str:
    entries = [
        (k.strip(), book.bib.get(k.strip())) for k in keys.split(",") if k.strip()
    ]
    parts = []
    for key, e in entries:
        if e is None:
            parts.append((key, "n.d."))
        else:
            parts.append((_authors_short(e), e["year"]))
    if role in {"cite:t", "cite:ts", "cite:author"}:
        return " and ".join(
            f"{a} ({y})" if role != "cite:author" else a for a, y in parts
        )
    if role == "cite:year":
        return ", ".join(y for _, y in parts)
    return "(" + "; ".join(f"{a} {y}" for a, y in parts) + ")"


def reference_list(book: Book, keys: list[str]) -> str:
    out = []
    for key in sorted(
        dict.fromkeys(keys), key=lambda k: (_authors_short(book.bib.get(k, {})), k)
    ):
        e = book.bib.get(key)
        if e is None:
            continue
        authors = "; ".join(e.get("full") or []) or "Anon."
        venue = (
            e.get("journal")
            or e.get("booktitle")
            or e.get("publisher")
            or e.get("school")
            or ""
        )
        link = e.get("url") or (f"https://doi.org/{e['doi']}" if e.get("doi") else "")
        line = f"- {authors} ({e['year']}). *{e.get('title', key)}*."
        if venue:
            line += f" {venue}."
        if link:
            line += f" <{link}>"
        out.append(line)
    return "\n".join(out)


# --- one chapter
# -------------------------------------------------------------------------------


@dataclass
class _State:
    book: Book
    page: str
    path: Path
    counters: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # label -> "Theorem 2"
    cited: list[str] = field(default_factory=list)
    equations: dict[str, int] = field(default_factory=dict)  # label -> number

    def number(self, kind: str, label: str | None) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        text = f"{kind.capitalize()} {self.counters[kind]}"
        if label:
            self.numbers[label] = text
        return text


def _link(st: _State, label: str, text: str | None) -> str:
    target = st.book.targets.get(label)
    if target is None:
        return text or label
    if text is None:
        text = (
            st.numbers.get(label)
            or target.title
            or {
                "equation": "this equation",
                "figure": "this figure",
                "table": "this table",
                "section": "this section",
                "exercise": "this exercise",
            }.get(target.kind, target.kind)
        )
    if target.page == st.page:
        return f"[{text}](#{target.anchor})"
    return f"[{text}]({st.book.page_url(target.page, target.anchor)})"


def _doc_link(st: _State, target: str, text: str | None) -> str:
    page = target
    if not target.startswith("book/"):
        page = str(
            (st.path.parent / target)
            .resolve()
            .relative_to(st.book.root)
            .with_suffix("")
        )
    page = page.removesuffix(".md")
    return f"[{text or st.book.titles.get(page, page)}]({st.book.page_url(page)})"


def _roles(st: _State, line: str) -> str:
    def repl(m: re.Match[str]) -> str:
        role, text = m.group("role"), m.group("text")
        explicit = _EXPLICIT.match(text)
        label, shown = (
            (explicit.group("target"), explicit.group("text"))
            if explicit
            else (text, None)
        )
        if role.startswith("cite"):
            st.cited += [k.strip() for k in text.split(",")]
            return cite(st.book, role, text)
        if role == "eq" and text in st.equations:
            return f"[({st.equations[text]})](#equation-{text})"
        if role == "eq":
            t = st.book.targets.get(text)
            return (
                _link(st, text, "equation" if t and t.page != st.page else None)
                if t
                else text
            )
        if role in {"ref", "numref", "prf:ref", "numref:"}:
            if shown is not None:
                shown = shown.replace("%s", "").replace("{number}", "").strip() or None
            return _link(st, label, shown)
        if role == "doc":
            return _doc_link(st, label, shown)
        if role == "math":
            return f"${text}$"
        if role.startswith("glue"):
            return f"⟨{text.split(':')[0].split('::')[-1]}⟩"
        if role in {"sub", "sup"}:
            return f"<{role}>{text}</{role}>"
        if role == "kbd":
            return f"<kbd>{text}</kbd>"
        if role in {"download", "term", "abbr", "guilabel", "code", "file", "command"}:
            return (
                shown or re.sub(r"\s*\(.*\)$", "", text)
                if role == "abbr"
                else (shown or text)
            )
        return shown or text

    return _ROLE.sub(repl, line)


def _parse_options(block: list[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    k = 0
    if block and block[0].strip() == "---":
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
    return options, block[k:]


def convert_markdown(st: _State, text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    in_code: str | None = None
    while i < len(lines):
        line = lines[i]
        if in_code is not None:
            out.append(line)
            if line.strip() == in_code:
                in_code = None
            i += 1
            continue
        plain = _PLAIN_FENCE.match(line)
        if plain:
            in_code = plain.group(1)
            out.append(line)
            i += 1
            continue
        m = _FENCE.match(line)
        if m:
            fence = m.group("fence")
            j = i + 1
            depth = 0
            while j < len(lines):
                s = lines[j].strip()
                if s == fence and depth == 0:
                    break
                if s.startswith(fence + "{") and fence.startswith(":"):
                    depth += 1
                elif s == fence:
                    depth -= 1
                j += 1
            options, body = _parse_options(lines[i + 1 : j])
            out += _directive(
                st, m.group("name"), m.group("arg").strip(), options, "\n".join(body)
            ).splitlines()
            i = j + 1
            continue
        lab = _LABEL.match(line.strip())
        if lab:
            out.append(f'<a id="{lab.group("label")}"></a>')
            i += 1
            continue
        dl = _DOLLAR_LABEL.match(line)
        if dl:
            number = st.equations.get(dl.group("label"))
            if number is not None:
                out.append(f"\\tag{{{number}}}")
            out.append(f"{dl.group('pre')}$$")
            out.append(f'<a id="equation-{dl.group("label")}"></a>')
            i += 1
            continue
        out.append(_roles(st, line))
        i += 1
    return "\n".join(out)


def _quote(text: str) -> str:
    return "\n".join(("> " + l) if l.strip() else ">" for l in text.splitlines())


def _anchor(label: str | None, prefix: str = "") -> str:
    return f'<a id="{prefix}{label}"></a>' if label else ""


def number_equations(text: str) -> dict[str, int]:
    """Labelled equations of a chapter numbered in order, (1), (2), ..."""
    found: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _DOLLAR_LABEL.match(line)
        if m:
            found.append(m.group("label"))
            continue
        if re.match(r"^\s*(`{3,}|:{3,})\{math\}", line):
            for follow in lines[i + 1 : i + 6]:
                o = re.match(r"^\s*:label:\s*(\S+)", follow)
                if o:
                    found.append(o.group(1))
                    break
    return {label: n for n, label in enumerate(dict.fromkeys(found), start=1)}


def _math(body: str, options: dict[str, str], number: int | None = None) -> str:
    body = body.strip("\n")
    if "nowrap" not in options and "\\\\" in body and "\\begin" not in body:
        body = "\\begin{aligned}\n" + body + "\n\\end{aligned}"
    if number is not None and not re.search(r"\\begin\{(align|gather|equation)", body):
        body += f"\n\\tag{{{number}}}"
    return f"{_anchor(options.get('label'), 'equation-')}\n$$\n{body}\n$$".lstrip("\n")


def _literalinclude(st: _State, arg: str, options: dict[str, str]) -> str:
    src = (st.path.parent / arg).resolve()
    try:
        source = src.read_text(encoding="utf-8")
    except OSError:
        return f"(See `{arg}`.)"
    obj = options.get("pyobject")
    if obj:
        source = _pyobject(source, obj) or source
    rel = src.relative_to(st.book.root) if src.is_relative_to(st.book.root) else src
    lang = options.get("language", "python")
    where = f"`{rel}`" + (f", `{obj}`" if obj else "")
    return f"From {where}:\n\n```{lang}\n{source.rstrip()}\n```"


def _pyobject(source: str, dotted: str) -> str | None:
    lines = source.splitlines()
    body: list[ast.stmt] = ast.parse(source).body
    node: ast.AST | None = None
    for part in dotted.split("."):
        match = [
            n
            for n in body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.name == part
        ]
        if not match:
            return None
        node = match[0]
        body = match[0].body
    assert node is not None
    # type: ignore[attr-defined]
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    text = "\n".join(lines[start - 1 : node.end_lineno])  # type: ignore[attr-defined]
    indent = len(text) - len(text.lstrip(" "))
    return "\n".join(l[indent:] for l in text.splitlines())


def _directive(
    st: _State, name: str, arg: str, options: dict[str, str], body: str
) -> str:
    kind = name.split(":")[-1]
    label = options.get("label") or options.get("name")
    if name == "math":
        return _math(body, options, st.equations.get(options.get("label", "")))
    if name == "literalinclude":
        return _literalinclude(st, arg, options)
    if name in {"code-block", "code", "sourcecode"}:
        return f"```{arg or 'python'}\n{body}\n```"
    if name == "bibliography":
        return reference_list(st.book, st.cited) or ""
    if name in DROP:
        return ""
    if name.startswith("glue"):
        key = arg.split("::")[-1]
        return f"*(⟨{key}⟩ is shown by the code cell that computes it.)*"
    if name.startswith("prf:") and kind == "proof":
        return f"*Proof.* {convert_markdown(st, body).strip()} $\\blacksquare$"
    if name.startswith("prf:") and kind in PRF_KINDS:
        head = st.number(kind, label) + (f" ({_plain(_roles(st, arg))})" if arg else "")
        return _quote(
            f"{_anchor(label)}**{head}.**\n\n{convert_markdown(st, body).strip()}"
        )
    if name == "exercise":
        head = st.number("exercise", label) + (f" ({_plain(arg)})" if arg else "")
        return (
            f"{_anchor(label)}\n#### {head}\n\n{convert_markdown(st, body).strip()}\n"
        )
    if name in {"solution", "solution-start"}:
        number = st.numbers.get(arg, arg)
        text = f"**Solution to {number}.**"
        return text + (
            "\n\n" + convert_markdown(st, body).strip() if body.strip() else ""
        )
    if name == "solution-end":
        return ""
    if name == "table":
        caption = f"**Table.** {_roles(st, arg)}" if arg else ""
        inner = convert_markdown(st, body).strip()
        return f"{_anchor(label)}\n{caption}\n\n{inner}".strip()
    if name == "figure":
        src = (st.path.parent / arg).resolve()
        rel = src.relative_to(st.book.root) if src.is_relative_to(st.book.root) else arg
        raw = st.book.repo.replace("github.com", "raw.githubusercontent.com")
        url = f"{raw}/{st.book.ref}/{rel}"
        caption = convert_markdown(st, body).strip()
        return f"{_anchor(label)}\n![{_plain(caption)}]({url})\n\n*{caption}*"
    if (
        name in {"dropdown", "details"}
        or name in ADMONITIONS
        or name.startswith("admonition")
    ):
        title = (
            _roles(st, arg)
            if arg
            else ("" if name in {"epigraph", "pull-quote"} else kind.capitalize())
        )
        head = f"**{title}**\n\n" if title else ""
        return _quote(f"{_anchor(label)}{head}{convert_markdown(st, body).strip()}")
    # Anything else: keep its content, headed by the directive's argument.
    inner = convert_markdown(st, body).strip()
    return (f"**{_roles(st, arg)}**\n\n" if arg else "") + inner


# --- notebooks
# ---------------------------------------------------------------------------------


def imports_local_only(code: str) -> bool:
    """Whether chapter code imports something only a clone of the repository has."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] in LOCAL_ONLY for a in node.names
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] in LOCAL_ONLY
        ):
            return True
    return False


@functools.cache
def _has_reader_notebook(path: str, mtime: float) -> bool:
    from tools.chapters import read_chapter

    chapter = read_chapter(Path(path))
    return bool(chapter.code_cells) and not imports_local_only(chapter.code)


def has_reader_notebook(path: Path) -> bool:
    """A chapter gets a reader notebook when it has code and needs only nnbook[data]."""
    return (
        path.suffix == ".md"
        and path.exists()
        and _has_reader_notebook(str(path), path.stat().st_mtime)
    )


INSTALL = """# Install nnbook, the library this book is built on, with its data extra,
# pinned to the commit this notebook was made from. Skipped where nnbook is
# already installed.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("nnbook") is None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", {spec!r}], check=True
    )"""

HEADER = """*{title}* is a chapter of **{book}** (version {version}),
converted to a plain notebook. Read it with its figures, numbered equations and
cross-references at <{url}>.

Run the cells from top to bottom. Numbers written ⟨like-this⟩ in the text are
computed by the code: the cell that computes one prints it. Links to other
chapters open the website."""


def reader_notebook(book: Book, page: str) -> Any:
    """The reader notebook of one chapter, as an ``nbformat`` notebook."""
    import jupytext
    import nbformat

    path = book.root / f"{page}.md"
    nb = jupytext.read(path)
    st = _State(book, page, path)
    st.equations = number_equations(path.read_text(encoding="utf-8"))
    cells = [
        nbformat.v4.new_markdown_cell(
            HEADER.format(
                title=book.titles.get(page, page),
                book=_config(book.root).get("title", "nnbook"),
                version=book.version,
                url=book.page_url(page),
            )
        ),
        nbformat.v4.new_code_cell(
            INSTALL.format(spec=book.install_spec()),
            metadata={"tags": ["nnbook-install"]},
        ),
    ]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = convert_markdown(st, cell.source).strip()
            if text:
                cells.append(
                    nbformat.v4.new_markdown_cell(re.sub(r"\n{3,}", "\n\n", text))
                )
        elif cell.cell_type == "code":
            source = re.sub(
                r"^(\s*)from myst_nb import glue\b",
                r"\1from nnbook.notebook import glue",
                cell.source,
                flags=re.M,
            )
            source = re.sub(
                r"^(\s*)import myst_nb\b",
                r"\1import nnbook.notebook as myst_nb",
                source,
                flags=re.M,
            )
            meta = {k: v for k, v in cell.metadata.items() if k in {"tags", "mystnb"}}
            cells.append(nbformat.v4.new_code_cell(source, metadata=meta))
            fig = (cell.metadata.get("mystnb") or {}).get("figure") or {}
            if fig.get("caption"):
                head = st.number("figure", fig.get("name"))
                caption = convert_markdown(st, str(fig["caption"])).strip()
                cells.append(
                    nbformat.v4.new_markdown_cell(
                        f"{_anchor(fig.get('name'))}*{head}.* {caption}"
                    )
                )
        else:
            cells.append(cell)
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {
        "kernelspec": {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
        "nnbook": {"page": page, "version": book.version, "ref": book.ref},
        "colab": {"provenance": []},
    }
    return out


def write_all(
    outdir: Path, book: Book | None = None, pages: list[str] | None = None
) -> list[Path]:
    import nbformat

    book = book or load_book()
    written = []
    for page in pages or book.pages:
        path = book.root / f"{page}.md"
        if not has_reader_notebook(path):
            continue
        nb = reader_notebook(book, page)
        out = outdir / f"{page}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        written.append(out)
    return written
