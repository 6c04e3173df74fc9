"""The built site as a reader meets it: headless Chromium, no network, every page.

Run after the build (``make book`` then ``make browser-test``; ``.ci/run`` does both).
Skipped, with the reason, when the site has not been built or Chromium / Playwright is
missing, except in CI (``CI`` or ``NNBOOK_REQUIRE_BROWSER`` set), where a missing
browser or site fails. Every launch and download button must point at a file the build
produced (the reader notebook, the PDF, the chapter source), and pages without a reader
notebook have no launch button. On every page: no console errors, no failed requests,
nothing fetched from another host, no broken internal links, anchors or images, every
image with alt text, and all mathematics typeset by MathJax (no raw TeX left). The
search page must find a chapter by a word from its body. Screenshots of the landing page
and a chapter, at desktop and phone widths, are written to ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(
    os.environ.get("NNBOOK_SITE", ROOT / "_build" / "html")
)  # or a partial build
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REQUIRED = bool(os.environ.get("NNBOOK_REQUIRE_BROWSER") or os.environ.get("CI"))


def _missing(reason: str) -> None:
    """Skip locally; fail in CI, where a skipped browser test would hide a broken site."""
    if REQUIRED:
        pytest.fail(f"{reason} (CI requires it: NNBOOK_REQUIRE_BROWSER/CI is set)")
    pytest.skip(reason)


pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def _site_built() -> None:
    if not (SITE / "index.html").exists():
        _missing("the site is not built: run `make book` first")


def _pages() -> list[Path]:
    """Every content page (the root index.html only redirects to the landing page)."""
    skip = {"genindex.html", "search.html", "py-modindex.html"}
    return sorted(
        p
        for p in SITE.rglob("*.html")
        if p.name not in skip
        and "_static" not in p.parts
        and "_sources" not in p.parts
        and p != SITE / "index.html"
    )


# --- links, anchors and images, from the HTML alone (no browser needed)
# ----------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[tuple[str, str | None]] = []
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
            self.anchors.append(a)
        if tag == "img":
            self.images.append((a.get("src") or "", a.get("alt")))


@functools.cache
def _parsed(path: Path) -> _Collector:
    c = _Collector()
    c.feed(path.read_text(encoding="utf-8"))
    return c


def test_internal_links_anchors_and_images_resolve() -> None:
    problems: list[str] = []
    for page in _pages():
        info = _parsed(page)
        for href in info.links:
            if urlparse(href).scheme in {
                "http",
                "https",
                "mailto",
                "javascript",
            } or href.startswith("//"):
                continue
            target, frag = urldefrag(href)
            dest = (page.parent / unquote(target)).resolve() if target else page
            if dest.is_dir():
                dest = dest / "index.html"
            if not dest.exists():
                problems.append(f"{page.relative_to(SITE)}: broken link {href}")
            elif frag and dest.suffix == ".html" and frag not in _parsed(dest).ids:
                problems.append(f"{page.relative_to(SITE)}: missing anchor {href}")
        for src, alt in info.images:
            if not urlparse(src).scheme and not (page.parent / unquote(src)).exists():
                problems.append(f"{page.relative_to(SITE)}: missing image {src}")
            if not alt and "_static" not in src:
                problems.append(
                    f"{page.relative_to(SITE)}: image without alt text {src}"
                )
    assert not problems, "\n".join(problems[:50])


def _button_links(page: Path, kind: str) -> list[dict[str, str | None]]:
    return [a for a in _parsed(page).anchors if f"btn-{kind}" in (a.get("class") or "")]


def test_every_launch_and_download_button_points_at_a_built_file() -> None:
    """Download buttons name files in the site (with ``download``, so a browser saves
    them); the Colab button opens the reader notebook the site also publishes (the
    workflow pushes the same files to the notebooks branch); the Binder button opens a
    chapter that exists and has a reader notebook; a page without a reader notebook has
    no launch button."""
    import re

    problems: list[str] = []
    for page in _pages():
        rel = page.relative_to(SITE)
        name = rel.with_suffix("").as_posix()
        reader_nb = SITE / "_notebooks" / f"{name}.ipynb"
        for a in _button_links(page, "download-"):
            href = a.get("href") or ""
            if urlparse(href).scheme:
                problems.append(f"{rel}: download link off-site: {href}")
                continue
            dest = (page.parent / unquote(href)).resolve()
            if not dest.is_file():
                problems.append(f"{rel}: download link to a missing file: {href}")
            if href.endswith((".ipynb", ".pdf")) and "download" not in a:
                problems.append(f"{rel}: {href} has no download attribute")
            if href.endswith(".ipynb") and dest != reader_nb.resolve():
                problems.append(
                    f"{rel}: .ipynb download is not the reader notebook: {href}"
                )
        launch = [
            a.get("href") or ""
            for a in _parsed(page).anchors
            if re.search(
                r"mybinder|colab\.research|/hub/user-redirect", a.get("href") or ""
            )
        ]
        if launch and not reader_nb.is_file():
            problems.append(f"{rel}: launch buttons but no reader notebook: {launch}")
        for url in launch:
            if "colab.research" in url:
                m = re.search(r"/blob/[^/]+/(.+\.ipynb)$", url)
                if not m or not (SITE / "_notebooks" / m.group(1)).is_file():
                    problems.append(
                        f"{rel}: Colab opens a notebook the build did not make: {url}"
                    )
            elif "mybinder" in url:
                m = re.search(r"urlpath=(?:lab/tree|tree|notebooks)/([^&]+)", url)
                if not m or not (ROOT / unquote(m.group(1))).is_file():
                    problems.append(
                        f"{rel}: Binder opens a file that does not exist: {url}"
                    )
    assert not problems, "\n".join(problems[:50])


def test_no_unresolved_citations_or_references() -> None:
    """Docutils marks what it could not resolve as "problematic"; -n catches most of it
    at build time, this catches the rest (e.g. a reference produced after the warning
    phase)."""
    bad = [
        f"{p.relative_to(SITE)}"
        for p in _pages()
        if 'class="problematic"' in p.read_text(encoding="utf-8")
    ]
    assert not bad, f"unresolved references or citations in: {bad}"


def test_headings_are_in_order() -> None:
    """One h1 per page, and no level skipped on the way down (screen readers navigate by
    them)."""
    import re

    bad = []
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        start = text.find('<article class="bd-article"')
        article = text[start : text.find("</article>", start)] if start >= 0 else ""
        levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", article)]
        if not levels:
            continue
        if levels[0] != 1 or levels.count(1) != 1:
            bad.append(
                f"{page.relative_to(SITE)}: expected exactly one h1 first, got levels {levels[:8]}"
            )
        for a, b in zip(levels, levels[1:]):
            if b > a + 1:
                bad.append(f"{page.relative_to(SITE)}: heading jumps from h{a} to h{b}")
                break
    assert not bad, "\n".join(bad)


def test_mathjax_is_served_locally() -> None:
    assert (SITE / "_static" / "mathjax" / "tex-chtml.js").exists()
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "mathjax@" not in text, (
            f"{page}: MathJax from a CDN"
        )


# --- in a real browser
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        _missing("Chromium is not installed (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        _missing("playwright (Python) is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _open(
    browser: object, url: str, width: int = 1280, height: int = 900
) -> tuple[object, list[str]]:
    """A page with every console error, failed request and off-site request recorded."""
    # type: ignore[attr-defined]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    host = urlparse(url).netloc

    def on_request(route: object) -> None:
        req_url = route.request.url  # type: ignore[attr-defined]
        if urlparse(req_url).netloc not in {host, ""} and not req_url.startswith(
            "data:"
        ):
            problems.append(f"off-site request {req_url}")
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    page.route("**/*", on_request)
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "requestfailed",
        lambda r: (
            problems.append(f"request failed: {r.url}")
            if urlparse(r.url).netloc == host
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
        ),
    )
    page.goto(url, wait_until="load")
    return page, problems


_WAIT_FOR_MATH = """async () => {
  if (!window.MathJax || !window.MathJax.startup) { return document.querySelectorAll('.math').length === 0; }
  await window.MathJax.startup.promise;
  return true;
}"""

_RAW_MATH = """() => Array.from(document.querySelectorAll('.math'))
  .filter(el => !el.querySelector('mjx-container') && !el.closest('mjx-container'))
  .map(el => el.textContent.slice(0, 60))"""


def test_every_page_loads_cleanly_with_typeset_math(
    browser: object, server: str
) -> None:
    failures: list[str] = []
    for path in _pages():
        rel = path.relative_to(SITE).as_posix()
        page, problems = _open(browser, urljoin(server, rel))
        ok = page.evaluate(_WAIT_FOR_MATH)  # type: ignore[attr-defined]
        raw = page.evaluate(_RAW_MATH)  # type: ignore[attr-defined]
        if not ok:
            problems.append("MathJax did not load although the page has math")
        problems += [f"raw TeX left: {t!r}" for t in raw]
        failures += [f"{rel}: {p}" for p in problems]
        page.context.close()  # type: ignore[attr-defined]
    assert not failures, "\n".join(failures[:60])


def test_search_finds_a_chapter_by_a_word_from_its_body(
    browser: object, server: str
) -> None:
    # "Novikoff" appears in the body of the perceptron chapter (his convergence
    # theorem), not in titles.
    page, problems = _open(browser, urljoin(server, "search.html?q=Novikoff"))
    # type: ignore[attr-defined]
    page.wait_for_selector("#search-results li, .search li", timeout=20000)
    links = page.eval_on_selector_all(
        "#search-results li a, .search li a", "els => els.map(e => e.href)"
    )  # type: ignore[attr-defined]
    assert any("perceptron" in href for href in links), links
    assert not problems, problems


@pytest.mark.parametrize(
    "name, width, height", [("desktop", 1280, 900), ("phone", 390, 844)]
)
def test_screenshots(
    browser: object, server: str, name: str, width: int, height: int
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, rel in [
        ("landing", "book/intro.html"),
        ("chapter", "book/foundations/perceptron.html"),
    ]:
        if not (SITE / rel).exists():
            continue
        page, problems = _open(browser, urljoin(server, rel), width, height)
        page.evaluate(_WAIT_FOR_MATH)  # type: ignore[attr-defined]
        out = SHOTS / f"{label}-{name}.png"
        page.screenshot(path=str(out), full_page=False)  # type: ignore[attr-defined]
        assert out.stat().st_size > 10_000, f"{out} looks empty"
        assert not problems, problems
        page.context.close()  # type: ignore[attr-defined]
