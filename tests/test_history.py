"""Tests for nnbook.history: the timeline's data against references.bib, and its figure."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nnbook.history import CATEGORIES, CATEGORY_COLORS, NN_WINTERS, TIMELINE, Event, plot_timeline, timeline  # noqa: E402

BIB = Path(__file__).resolve().parents[1] / "references.bib"


def _bib_entries() -> dict[str, str]:
    """Map each key of references.bib to the text of its entry (a regex parse, no pybtex)."""
    text = BIB.read_text(encoding="utf-8")
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, re.M)]
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return {key: text[s:e] for (s, key), e in zip(starts, ends)}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_every_timeline_key_is_in_references_bib() -> None:
    entries = _bib_entries()
    missing = [e.key for e in TIMELINE if e.key not in entries]
    assert not missing, f"timeline keys missing from references.bib: {missing}"


def test_every_timeline_entry_is_a_real_reference() -> None:
    entries = _bib_entries()
    for e in TIMELINE:
        body = entries[e.key]
        assert re.search(r"\bauthor\s*=", body) and re.search(r"\btitle\s*=", body), e.key
        year = int(re.search(r"\byear\s*=\s*[{\"]?(\d{4})", body).group(1))
        # an event is dated by its first public appearance (a preprint may precede the venue by a year)
        assert e.year <= year <= e.year + 1, (e.key, e.year, year)


def test_years_sorted_and_categories_allowed() -> None:
    years = [e.year for e in TIMELINE]
    assert years == sorted(years)
    assert {e.category for e in TIMELINE} <= set(CATEGORIES)
    assert set(CATEGORY_COLORS) == set(CATEGORIES)
    assert len(set(CATEGORY_COLORS.values())) == len(CATEGORIES)
    assert len({e.key for e in TIMELINE}) == len(TIMELINE)
    assert all(lo <= hi for lo, hi in NN_WINTERS)


def test_the_milestones_the_chapter_names_are_present() -> None:
    by_year = {(e.year, e.key) for e in TIMELINE}
    for pair in [(1943, "mcculloch1943logical"), (1958, "rosenblatt1958perceptron"),
                 (1986, "rumelhart1986learning"), (2012, "krizhevsky2012imagenet"),
                 (2017, "vaswani2017attention"), (2020, "ho2020denoising")]:
        assert pair in by_year


@given(st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True),
       st.integers(1940, 2025), st.integers(0, 90))
def test_filtering(categories: list[str], start: int, span: int) -> None:
    out = timeline(categories, start, start + span)
    assert all(e.category in categories and start <= e.year <= start + span for e in out)
    assert [e.year for e in out] == sorted(e.year for e in out)
    expected = [e for e in TIMELINE if e.category in categories and start <= e.year <= start + span]
    assert list(out) == expected


def test_timeline_default_is_everything() -> None:
    assert timeline() == TIMELINE


def _n_markers(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() == "events")


def test_plot_has_one_marker_per_event() -> None:
    ax = plot_timeline()
    assert _n_markers(ax) == len(TIMELINE)
    assert ax.get_xlabel() == "year"
    assert len(ax.texts) == len(TIMELINE)
    models = timeline(["model"])
    fig, ax2 = plt.subplots()
    assert plot_timeline(ax2, models, winters=(), legend=False) is ax2
    assert _n_markers(ax2) == len(models)


def test_plot_labels_do_not_overlap() -> None:
    ax = plot_timeline()
    fig = ax.figure
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (ax.texts[i].get_text(), ax.texts[j].get_text())


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="categories must be drawn from"):
        timeline(["modle"])
    with pytest.raises(ValueError, match="start must not be after end"):
        timeline(start=2000, end=1990)
    with pytest.raises(ValueError, match="events must not be empty"):
        plot_timeline(events=[])
    with pytest.raises(ValueError, match="event category must be one of"):
        plot_timeline(events=[Event(2000, "x", "y", "z", "gossip")])
    with pytest.raises(ValueError, match="nnbook.Event records"):
        plot_timeline(events=[(2000, "x", "y", "z", "model")])
    with pytest.raises(ValueError, match="first <= last"):
        plot_timeline(winters=[(1990, 1980)])
