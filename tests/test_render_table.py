"""The terminal table: fits the console, keeps ids readable, highlights shared and changed words."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from dedup import Article, Detector, Report
from dedup.io.readers import read_corpus
from dedup.io.records import ReadOptions
from dedup.io.render import CHANGED_STYLE, SHARED_STYLE, render_table, snippet

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "news"

MT = "an important step in strengthening ties between Moscow and Islamabad"
TASS = "an important step towards strengthening ties between Moscow and Islamabad"


@pytest.fixture(scope="module")
def examples_report() -> Report:
    corpus = read_corpus([str(EXAMPLES)], ReadOptions())
    return Detector().report(corpus.articles)


def _render(report: Report, width: int, **kwargs: Any) -> str:
    out = io.StringIO()
    render_table(report, Console(file=out, width=width, force_terminal=False, color_system=None), **kwargs)
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 100, 160])
def test_ids_are_whole_and_lines_fit(examples_report: Report, width: int) -> None:
    text = _render(examples_report, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    table = lines[: lines.index(next(line for line in lines if line.startswith("Passages")))]
    for pair in examples_report.pairs:
        for ident in (pair.a, pair.b):
            assert any(ident in line for line in table), f"{ident} not whole in the table at width {width}"


def test_wide_console_puts_ids_side_by_side(examples_report: Report) -> None:
    rows = [line for line in _render(examples_report, 160).splitlines() if "near-duplicate" in line]
    pair = examples_report.pairs[0]
    assert any(pair.a in row and pair.b in row for row in rows)


def test_narrow_console_shortens_ids_in_the_middle(examples_report: Report) -> None:
    text = _render(examples_report, 60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "harbour-bri…" in text
    # the pair headings keep the ids in full
    assert "a: harbour-bridge-reprint.txt" in text.replace("\n", " ")


def test_limit(examples_report: Report) -> None:
    text = _render(examples_report, 100, limit=1)
    assert "1. near-duplicate" in text
    assert "2. containment" not in text
    assert "2 more pairs not shown (--limit)" in text


def test_snippet_styles_shared_and_changed_words() -> None:
    text = snippet(TASS, MT, width=200)
    assert text.plain == TASS
    styles = {text.plain[s.start : s.end]: str(s.style) for s in text.spans}
    assert styles["towards"] == CHANGED_STYLE
    assert styles["strengthening"] == SHARED_STYLE
    assert styles["Islamabad"] == SHARED_STYLE


def test_snippet_is_shortened_at_word_boundaries() -> None:
    long = " ".join(f"word{n}" for n in range(60))
    text = snippet(long, long, width=50)
    assert len(text.plain) <= 50
    head, tail = text.plain.split(" … ")
    assert head.startswith("word0 ")
    assert tail.endswith(" word59")
    assert all(w.startswith("word") and w[4:].isdigit() for w in (head + " " + tail).split())
    words = [text.plain[s.start : s.end] for s in text.spans if str(s.style) == SHARED_STYLE]
    assert words == (head + " " + tail).split()


def test_snippet_collapses_white_space() -> None:
    assert snippet("one\n\n  two\tthree", "one two three").plain == "one two three"


def test_markup_in_ids_is_printed_as_text() -> None:
    shared = "The regional council voted on Tuesday to extend free school meals to every primary pupil. " * 3
    articles = [Article("[bold]a[/]", shared + "First."), Article("[red]b", shared + "Second.")]
    report = Detector().report(articles)
    assert report.pairs
    text = _render(report, 100)
    assert "[bold]a[/]" in text
    assert "[red]b" in text


def test_cli_table_fits_an_80_column_terminal() -> None:
    env = {**os.environ, "COLUMNS": "80", "LINES": "25"}
    out = subprocess.run(
        [sys.executable, "-m", "dedup", "report", str(EXAMPLES), "-q", "--limit", "2"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parent,
    ).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    # the pair table (after the summary and the shared passages) shows the ids whole
    start = next(n for n, line in enumerate(lines) if line.startswith("Pairs, strongest first"))
    end = next(n for n, line in enumerate(lines) if line.startswith("Passages (similarity"))
    assert any("harbour-bridge-reprint.txt" in line for line in lines[start:end])
    assert "1 more pairs not shown (--limit)" in out
