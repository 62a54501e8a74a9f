"""The HTML page without a browser: safe embedding, exact marks, errors, the CLI writing it."""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup import Article, DedupError, Detector, Pair, Passage, Report, Settings
from dedup.io.html import _Span, embed_json, page_data, render_html, side_marks, utf16_offsets
from dedup.model import BadRecord, Notice
from tests.newsgen import stories

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "news"

SHARED = (
    "The regional council voted on Tuesday to extend free school meals to every primary pupil from "
    "September, a measure that will cost about four million a year and reach nine thousand children. "
)
HOSTILE_TEXT = (
    "</script><script>alert(1)</script> <img src=x onerror=alert(2)> </textarea> <!-- ]]> \u2028 & "
)


def _data(page: str) -> dict[str, Any]:
    return page_data(page)


def _hostile() -> tuple[Report, list[Article]]:
    articles = [
        Article(
            '"><img src=x onerror=alert(1)>',
            HOSTILE_TEXT + SHARED * 3 + "One.",
            title="<script>alert('title')</script>",
            source="<b onmouseover=alert(3)>src</b>",
            url="javascript:alert(4)",
        ),
        Article("</textarea><script>alert(5)</script>", "\U0001f600 " + SHARED * 3 + HOSTILE_TEXT + "Two."),
    ]
    return Detector().report(articles), articles


def test_embedded_json_cannot_end_the_script_element() -> None:
    value = {"t": "</script><!-- <script> & \u2028\u2029 </SCRIPT >"}
    text = embed_json(value)
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert json.loads(text) == value


def test_hostile_articles_are_data_not_markup() -> None:
    report, articles = _hostile()
    assert len(report.pairs) == 1
    page = render_html(report, articles)
    assert page.count("<script") == 5  # the data blocks and the page's own script
    assert "<img" not in page
    assert "</textarea>" not in page
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert "onerror" not in markup
    assert "alert" not in markup
    data = _data(page)
    assert [a["id"] for a in data["articles"]] == [a.id for a in articles]
    assert [a["text"] for a in data["articles"]] == [a.text for a in articles]
    assert data["articles"][0]["title"] == articles[0].title


def test_csp_admits_exactly_the_inline_script_and_style() -> None:
    page = render_html(*_hostile())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert script is not None
    assert style is not None

    def digest(source: str) -> str:
        return base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()

    assert f"script-src 'sha256-{digest(script.group(1))}'" in policy
    assert f"style-src 'sha256-{digest(style.group(1))}'" in policy
    assert "default-src 'none'" in policy


def test_marks_cover_each_passage_in_utf16_units() -> None:
    report, articles = _hostile()
    data = _data(render_html(report, articles))
    pair = report.pairs[0]
    texts = {a.id: a.text for a in articles}
    for side, ident in (("a", pair.a), ("b", pair.b)):
        utf16 = texts[ident].encode("utf-16-le")
        marks = data["pairs"][0][f"marks_{side}"]
        for n, passage in enumerate(pair.passages):
            start, end = (passage.a_start, passage.a_end) if side == "a" else (passage.b_start, passage.b_end)
            mine = [m for m in marks if m[2] == n]
            shown = "".join(utf16[2 * m[0] : 2 * m[1]].decode("utf-16-le") for m in mine)
            assert shown == texts[ident][start:end]


def test_utf16_offsets() -> None:
    text = "a\U0001f600b\u00e9\U00010348c"
    to16 = utf16_offsets(text)
    for i in range(len(text) + 1):
        assert to16(i) == len(text[:i].encode("utf-16-le")) // 2
    assert utf16_offsets("plain")(3) == 3


_spans = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 30)), min_size=1, max_size=6)


@given(_spans)
def test_side_marks_are_disjoint_and_cover_every_passage(raw: list[tuple[int, int]]) -> None:
    spans = [_Span(s, s + n, i, ((s, s + 1),)) for i, (s, n) in enumerate(raw)]
    marks, owner = side_marks(spans, lambda i: i)
    covered: set[int] = set()
    for (_s1, e1, *_), (s2, *_rest) in itertools.pairwise(marks):
        assert e1 <= s2
    for s, e, p, _changed in marks:
        assert spans[p].start <= s < e <= spans[p].end
        covered.update(range(s, e))
    assert covered == {c for sp in spans for c in range(sp.start, sp.end)}
    for n, sp in enumerate(spans):
        o = owner[n]
        assert any(m[2] == o for m in marks)
        if o != n:
            assert not any(m[2] == n for m in marks)
            assert spans[o].start < sp.end
            assert sp.start < spans[o].end


def test_changed_words_are_marked() -> None:
    a = "During the meeting we agreed that bilateral military cooperation should take on a more practical"
    b = "During the meeting, we agreed that bilateral military cooperation should have a great practical"
    pair = Pair("x", "y", "overlap", 0.1, 0.5, 0.5, (Passage(0, len(a), 0, len(b), 0.7, a, b, 11),))
    report = Report(documents=2, settings=Settings(), pairs=(pair,), clusters=())
    data = _data(render_html(report, [Article("x", a), Article("y", b)]))
    changed_a = [a[s:e] for s, e, _, c in data["pairs"][0]["marks_a"] if c]
    changed_b = [b[s:e] for s, e, _, c in data["pairs"][0]["marks_b"] if c]
    assert changed_a == ["take on", "more"]
    assert changed_b == ["have", "great"]


def test_missing_or_mismatched_articles_are_errors() -> None:
    report, articles = _hostile()
    with pytest.raises(DedupError, match="not given"):
        render_html(report, articles[:1])
    changed = [articles[0], Article(articles[1].id, "something else entirely " * 40)]
    with pytest.raises(DedupError, match="does not match the report"):
        render_html(report, changed)


def test_limit_keeps_the_strongest_pairs() -> None:
    report = Detector().report(
        [Article(str(p), p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.txt"))]
    )
    assert len(report.pairs) == 3
    page = render_html(
        report, [Article(str(p), p.read_text(encoding="utf-8")) for p in EXAMPLES.glob("*.txt")], limit=1
    )
    data = _data(page)
    assert len(data["pairs"]) == 1
    assert data["total_pairs"] == 3
    assert data["pairs"][0]["relation"] == report.pairs[0].relation
    assert "holds the 1 strongest pairs of 3" in page


@pytest.mark.parametrize("to_file", [True, False])
def test_cli_writes_the_page(tmp_path: Path, to_file: bool) -> None:
    out = tmp_path / "report.html"
    args = [sys.executable, "-m", "dedup", "report", str(EXAMPLES), "--format", "html", "-q"]
    run = subprocess.run(
        args + (["-o", str(out)] if to_file else []), check=True, capture_output=True, text=True
    )
    page = out.read_text(encoding="utf-8") if to_file else run.stdout
    assert page.startswith("<!DOCTYPE html>")
    data = _data(page)
    assert {p["relation"] for p in data["pairs"]} == {"near-duplicate", "containment", "overlap"}
    assert len(data["clusters"]) == 3
    texts = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES.glob("*.txt")}
    assert {a["id"]: a["text"] for a in data["articles"]}.items() <= texts.items()


def test_cli_page_from_stdin() -> None:
    lines = "".join(
        json.dumps({"id": p.stem, "text": p.read_text(encoding="utf-8")}) + "\n"
        for p in sorted(EXAMPLES.glob("*.txt"))
    )
    run = subprocess.run(
        [sys.executable, "-m", "dedup", "report", "-", "--format", "html", "-q", "--workers", "1"],
        input=lines,
        check=True,
        capture_output=True,
        text=True,
    )
    data = _data(run.stdout)
    assert len(data["pairs"]) == 3
    assert {a["id"] for a in data["articles"]} == {
        "harbour-bridge-reprint",
        "harbour-bridge-wire",
        "morning-digest",
        "school-meals-wire",
        "river-flooding-herald",
        "river-flooding-ledger",
    }


# -- the parts of the page written in Python: each place that writes text, one test ----------------------

MARKUP = "<img src=x onerror=alert(1)><script>alert(2)</script></details></ul><b onclick=alert(3)>&amp;"


def _outside_scripts(page: str) -> str:
    return re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)


def _assert_inert(page: str) -> None:
    markup = _outside_scripts(page)
    for raw in ("<img", "<script", "<b ", "</details></ul>"):  # as tags; their text is shown
        assert raw not in markup, raw
    ours = re.findall(r'<script(?: type="application/json" id="dedup-[a-z]+")?>', page)
    assert page.count("<script") == len(ours)  # every script tag is one the page writes itself
    assert ours.count("<script>") == 1  # and one of them runs


def _listed(page: str, label: str) -> list[str]:
    """The items of one of the summary's lists, as the browser will read them."""
    match = re.search(rf"<summary>{label}: [0-9,]+</summary><ul>(.*?)</ul></details>", page, re.S)
    assert match is not None, label
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def _lists_report(**lists: Any) -> Report:
    return Report(documents=1, settings=Settings(), pairs=(), clusters=(), **lists)


def test_a_hostile_page_title_is_text() -> None:
    page = render_html(_lists_report(), [], title=MARKUP)
    _assert_inert(page)
    assert f"<title>{html.escape(MARKUP)}</title>" in page
    assert f"<h1>{html.escape(MARKUP)}</h1>" in page


def test_hostile_notices_are_text() -> None:
    page = render_html(_lists_report(notices=(Notice(MARKUP, source=MARKUP, line=3), Notice(MARKUP))), [])
    _assert_inert(page)
    assert _listed(page, "Notices") == [f"{MARKUP}, line 3: {MARKUP}", MARKUP]


def test_hostile_skipped_records_are_text() -> None:
    bad = (BadRecord(MARKUP, 7, MARKUP, field="id"), BadRecord(MARKUP, None, MARKUP))
    page = render_html(_lists_report(bad_records=bad), [])
    _assert_inert(page)
    assert _listed(page, "Skipped records") == [f"{MARKUP}, line 7: {MARKUP}", f"{MARKUP}: {MARKUP}"]


def test_hostile_boilerplate_lines_are_text() -> None:
    # lines learned from articles are normalised to words, which hold no markup; the page escapes
    # whatever a report holds all the same
    page = render_html(_lists_report(boilerplate=((MARKUP, 12),)), [])
    _assert_inert(page)
    assert _listed(page, "Boilerplate lines ignored") == [f"{MARKUP} (12 articles)"]


def test_hostile_ids_and_records_through_the_cli_are_text(tmp_path: Path) -> None:
    source = tmp_path / "<img src=x onerror=alert(7)>.jsonl"
    footer = '<script>alert("footer")</script> <b onclick=alert(8)>Read more</b> & share'
    lines = [
        json.dumps({"id": f"<i>{n}</i>", "text": f"{a.text}\n{footer}"}) for n, a in enumerate(stories(12))
    ]
    lines += [
        json.dumps({"id": MARKUP, "text": "too short"}),  # a notice naming the id
        json.dumps({"id": "<i>3</i>", "text": "a duplicate id"}),  # a skipped record naming it
        '{"id": "<script>alert(9)</script>", "text": ',  # malformed: a skipped record naming the file
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "page.html"
    subprocess.run([sys.executable, "-m", "dedup", "report", str(source), "--skip-bad", "--format", "html",
                    "-o", str(out), "-q"], check=True, capture_output=True, text=True)  # fmt: skip
    page = out.read_text(encoding="utf-8")
    _assert_inert(page)
    notices = _listed(page, "Notices")
    assert any(MARKUP in n for n in notices), notices
    skipped = _listed(page, "Skipped records")
    assert any("duplicate id '<i>3</i>'" in s for s in skipped), skipped
    assert any(s.startswith(str(source)) and "malformed JSON" in s for s in skipped), skipped
    boilerplate = _listed(page, "Boilerplate lines ignored")
    assert boilerplate == ["script alert footer script b onclick alert 8 read more b share (12 articles)"]
