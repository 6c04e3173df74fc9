"""The PDF as a reader prints it: run after ``make pdf`` (``.ci/run`` does).

Checks the page count is in a sane range, every chapter title of ``_toc.yml`` is in the
text, there is a bibliography and an index, LaTeX reported no missing glyphs, and
renders a few pages to PNG in ``_build/screenshots/`` for a person to look at. Skipped
when the PDF is not built or poppler-utils is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tools.chapters import ROOT, toc_files

PDF = ROOT / "_build" / "latex" / "book.pdf"
LOG = ROOT / "_build" / "latex" / "book.log"

pytestmark = [
    pytest.mark.pdf,
    pytest.mark.skipif(
        not PDF.exists(), reason="the PDF is not built: run `make pdf` first"
    ),
    pytest.mark.skipif(
        shutil.which("pdftotext") is None, reason="poppler-utils is not installed"
    ),
]


def _title(page: str) -> str:
    text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    m = re.search(r"^# (.+)$", text, re.M)
    assert m, f"{page}.md has no title"
    return re.sub(r"[*_`]", "", m.group(1)).strip()


def _normalise(s: str) -> str:
    return re.sub(
        r"\s+",
        " ",
        s.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-"),
    ).lower()


def test_page_count_and_titles() -> None:
    info = subprocess.run(
        ["pdfinfo", str(PDF)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert 40 <= pages <= 1500, pages
    text = _normalise(
        subprocess.run(
            ["pdftotext", str(PDF), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    missing = [
        p
        for p in toc_files()
        if p != "book/intro" and _normalise(_title(p)) not in text
    ]
    assert not missing, f"chapter titles not found in the PDF text: {missing}"
    assert "index" in text


def test_no_missing_glyphs() -> None:
    log = LOG.read_text(encoding="utf-8", errors="replace")
    missing = sorted(
        set(re.findall(r"Missing character: There is no (.+?) in font", log))
    )
    assert not missing, f"glyphs missing from the PDF fonts: {missing[:20]}"


def test_every_reference_resolves_in_the_pdf() -> None:
    """LaTeX resolves cross-references itself; one that works in HTML can still fail
    here."""
    log = LOG.read_text(encoding="utf-8", errors="replace")
    undefined = sorted(
        set(re.findall(r"Reference `([^']+)' on page \d+ undefined", log))
    )
    assert not undefined, f"unresolved references in the PDF: {undefined[:20]}"


def test_pages_render_to_images() -> None:
    out = ROOT / "_build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "6",
            str(PDF),
            str(out / "pdf"),
        ],
        check=True,
    )
    pngs = sorted(out.glob("pdf-*.png"))
    assert len(pngs) >= 6 and all(p.stat().st_size > 2_000 for p in pngs)


def test_title_page_shows_the_version() -> None:
    """The edition is the package version (pyproject.toml), on the title page."""
    version = re.search(
        r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M
    )
    assert version, "no version in pyproject.toml"
    first = subprocess.run(
        ["pdftotext", "-l", "2", str(PDF), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Release {version.group(1)}" in first, first[:300]
