"""Code fits the page: at most 88 characters a line in the package and in every chapter's code
cells, so that code reads without scrolling on the site and without wrapping in the PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.chapters import ROOT, chapter_files, read_chapter

LIMIT = 88


def _long_lines(lines: list[str]) -> list[str]:
    return [f"{i}: ({len(line)}) {line[:60]}..." for i, line in enumerate(lines, 1)
            if len(line) > LIMIT]


@pytest.mark.parametrize("path", sorted((ROOT / "nnbook").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_package_lines_fit_the_page(path: Path) -> None:
    long = _long_lines(path.read_text(encoding="utf-8").splitlines())
    assert not long, f"{path.relative_to(ROOT)} has lines over {LIMIT} characters:\n" + \
        "\n".join(long)


@pytest.mark.parametrize("path", chapter_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_chapter_code_cells_fit_the_page(path: Path) -> None:
    long = []
    for cell in read_chapter(path).code_cells:
        long += [f"cell at line {cell.line}: {m}" for m in _long_lines(cell.body.splitlines())]
    assert not long, f"{path.relative_to(ROOT)} has code lines over {LIMIT} characters:\n" + \
        "\n".join(long)
