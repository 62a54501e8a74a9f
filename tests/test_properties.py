"""Properties of the whole pipeline over generated input (hypothesis).

* no exception on arbitrary Unicode (lone surrogates, controls, combining marks, any script);
* every reported offset is in bounds and ``text[start:end]`` is the passage text, on both sides;
* ``compare(a, b)`` is ``compare(b, a)`` with its sides swapped (scores, relation, passages);
* the same input gives the same report;
* what the readers read back is what was written (JSONL and CSV), or an error naming line and field.

CI runs each with 300 examples (``HYPOTHESIS_PROFILE=ci``, tests/conftest.py); locally 100.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from rich.console import Console

from dedup import Article, BadRecord, Detector, InputError, Pair, Report, classify
from dedup.io import readers
from dedup.io.readers import iter_articles
from dedup.io.records import InputFormat, ReadOptions
from dedup.io.render import render_json, render_table
from tests.hostile import assert_exact

DETECTOR = Detector()

# Any code point at all, lone surrogates included.
ANY_CHAR = st.characters(exclude_categories=())
# Letters of several scripts, with a combining mark now and then.
LETTER = st.one_of(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzéüßabcdef"),
    st.sampled_from("абвгдежзиклмнопрстуфхцчшщыэюя"),
    st.sampled_from("αβγδεζηθικλμνξοπρστ"),
    st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
    st.sampled_from("שלוםעולםאבגדהוזחטיכלמנסעפצקרשת"),
)
WORD = st.builds(
    lambda letters, mark: "".join(letters) + mark,
    st.lists(LETTER, min_size=1, max_size=8),
    st.sampled_from(["", "", "", "\u0301", "\u0308"]),
)
CJK_WORD = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4E60), min_size=1, max_size=4)
# Mostly spaces; now and then other white space, punctuation, marks, or any characters at all.
SEPARATOR = st.one_of(
    st.just(" "),
    st.just(" "),
    st.just(" "),
    st.sampled_from(["\n", ", ", ". ", "\u00a0", " \u200f", "\t", " — ", "\r\n", "\x00", "\u202b"]),
    st.text(ANY_CHAR, min_size=1, max_size=3),
)


@st.composite
def texts_sharing(draw: st.DrawFn, count: int) -> list[str]:
    """``count`` texts built from one stock of words: copies, excerpts, edits and strangers."""
    vocabulary = draw(st.lists(st.one_of(WORD, CJK_WORD), min_size=12, max_size=60, unique=True))
    source = draw(st.lists(st.sampled_from(vocabulary), min_size=20, max_size=160))
    out = []
    for _ in range(count):
        kind = draw(st.sampled_from(["copy", "excerpt", "edited", "stranger", "noise"]))
        if kind == "stranger":
            words = draw(st.lists(st.sampled_from(vocabulary), max_size=100))
        elif kind == "noise":
            out.append(draw(st.text(ANY_CHAR, max_size=300)))
            continue
        else:
            lo = draw(st.integers(0, len(source) // 2))
            hi = draw(st.integers(lo, len(source)))
            words = list(source) if kind == "copy" else source[lo:hi]
            if kind == "edited":
                for _ in range(draw(st.integers(0, 10))):
                    at = draw(st.integers(0, len(words)))
                    words.insert(
                        at, draw(st.one_of(st.sampled_from(vocabulary), st.text(ANY_CHAR, max_size=4)))
                    )
        seps = draw(st.lists(SEPARATOR, min_size=len(words), max_size=len(words)))
        out.append("".join(w + s for w, s in zip(words, seps, strict=True)))
    return out


def _check_pair(pair: Pair, texts: dict[str, str], order: dict[str, int]) -> None:
    assert order[pair.a] < order[pair.b]
    assert_exact(pair, texts[pair.a], texts[pair.b])
    assert 0.0 <= pair.coverage_a <= 1.0
    assert 0.0 <= pair.coverage_b <= 1.0
    assert 0.0 <= pair.jaccard <= 1.0
    assert pair.relation == classify(pair.coverage_a, pair.coverage_b, DETECTOR.settings)
    assert pair.contained in (None, pair.a, pair.b)
    for p in pair.passages:
        assert 0.0 < p.similarity <= 1.0


def _check_report(report: Report, articles: list[Article]) -> None:
    texts = {a.id: a.text for a in articles}
    order = {a.id: n for n, a in enumerate(articles)}
    assert report.documents == len(articles)
    assert report.ids == tuple(a.id for a in articles)
    for pair in report.pairs:
        _check_pair(pair, texts, order)
    assert len({(p.a, p.b) for p in report.pairs}) == len(report.pairs)
    for cluster in report.clusters:
        assert set(cluster) <= set(texts)
    data = json.loads(render_json(report).encode("utf-8"))
    assert data["documents"] == len(articles)
    render_table(report, Console(file=io.StringIO(), width=100))


@given(st.lists(st.text(ANY_CHAR, max_size=400), min_size=1, max_size=4))
def test_arbitrary_unicode_never_raises(texts: list[str]) -> None:
    articles = [Article(f"doc{n}", text) for n, text in enumerate(texts)]
    _check_report(DETECTOR.report(articles), articles)


@given(st.integers(2, 5).flatmap(texts_sharing))
def test_reports_on_texts_that_share_passages(texts: list[str]) -> None:
    articles = [Article(f"doc{n}", text) for n, text in enumerate(texts)]
    report = DETECTOR.report(articles)
    event(f"pairs reported: {min(len(report.pairs), 3)}")
    _check_report(report, articles)


def _mirror_key(pair: Pair | None, swap: bool) -> Any:
    if pair is None:
        return None
    passages = sorted(
        (p.b_start, p.b_end, p.a_start, p.a_end, p.b_text, p.a_text, p.similarity, p.matched_words)
        if swap
        else (p.a_start, p.a_end, p.b_start, p.b_end, p.a_text, p.b_text, p.similarity, p.matched_words)
        for p in pair.passages
    )
    cov = (pair.coverage_b, pair.coverage_a) if swap else (pair.coverage_a, pair.coverage_b)
    return (pair.relation, pair.jaccard, pair.jaccard_estimate, cov, pair.contained, passages)


@given(texts_sharing(2))
def test_compare_is_symmetric(texts: list[str]) -> None:
    a, b = Article("a", texts[0]), Article("b", texts[1])
    ab = DETECTOR.compare(a, b)
    ba = DETECTOR.compare(b, a)
    event("a pair" if ab is not None else "no pair")
    assert _mirror_key(ab, swap=False) == _mirror_key(ba, swap=True)
    if ab is not None:
        assert_exact(ab, a.text, b.text)
        assert (ab.a, ab.b) == ("a", "b")


@given(st.integers(2, 4).flatmap(texts_sharing))
def test_same_input_same_report(texts: list[str]) -> None:
    articles = [Article(f"doc{n}", text) for n, text in enumerate(texts)]
    first = render_json(DETECTOR.report(articles))
    assert render_json(Detector().report(articles)) == first
    assert render_json(DETECTOR.report(list(articles))) == first


RECORD_TEXT = st.text(ANY_CHAR, max_size=200)


RECORD_ID = st.text(min_size=1, max_size=10).filter(str.strip)


@given(st.lists(st.tuples(RECORD_ID, RECORD_TEXT), min_size=1, max_size=6, unique_by=lambda r: r[0]))
def test_readers_give_back_what_was_written(records: list[tuple[str, str]]) -> None:
    jsonl = "\n".join(json.dumps({"id": i, "text": t}) for i, t in records).encode()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "text"])
    writer.writerows(records)
    csv_bytes = buffer.getvalue().encode("utf-8", "surrogatepass")
    formats: list[tuple[bytes, InputFormat]] = [(jsonl, "jsonl"), (csv_bytes, "csv")]
    for data, fmt in formats:
        if fmt == "csv" and any("\ud800" <= c <= "\udfff" for _, t in records for c in t):
            continue  # a CSV file is bytes: it cannot hold a lone surrogate
        options = ReadOptions(input_format=fmt, skip_bad=True)
        items = list(iter_articles(["-"], options, stdin=io.BytesIO(data)))
        assert len(items) == len(records)  # every record is an article or a bad record
        for (ident, text), item in zip(records, items, strict=True):
            if isinstance(item, Article):
                assert item.id == ident
                expected = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
                assert item.text == expected
            else:
                assert item.line is not None
                assert item.field == "text", item
                assert item.error.startswith("binary data, not text")
        bad = [item for item in items if isinstance(item, BadRecord)]
        if bad:  # without skip_bad, the first bad record stops the read with its line and field
            with pytest.raises(InputError) as err:
                list(iter_articles(["-"], ReadOptions(input_format=fmt), stdin=io.BytesIO(data)))
            assert (err.value.line, err.value.field) == (bad[0].line, "text")


@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=6))
def test_lines_split_across_blocks_are_the_lines_of_the_whole(data: bytes, cuts: list[int]) -> None:
    """A JSONL file read a block at a time gives the pieces ``bytes.split`` gives for the whole."""
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    blocks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert list(readers._split_blocks(blocks)) == data.split(b"\n")


@given(
    st.lists(st.tuples(RECORD_ID, RECORD_TEXT), min_size=1, max_size=6, unique_by=lambda r: r[0]),
    st.integers(1, 64),
    st.sampled_from(["", "\n", "\n\n", "\r\n"]),
    st.booleans(),
)
def test_a_jsonl_file_reads_as_its_bytes_do(
    records: list[tuple[str, str]], block: int, end: str, bom: bool
) -> None:
    """Read from a file in blocks of any size (lines cut anywhere), or whole from stdin: the same."""
    jsonl = (end.join(json.dumps({"id": i, "text": t}) for i, t in records) + end).encode()
    data = (b"\xef\xbb\xbf" if bom else b"") + jsonl
    options = ReadOptions(input_format="jsonl", skip_bad=True)
    whole = list(iter_articles(["-"], options, stdin=io.BytesIO(data)))
    blocks = list(
        readers._jsonl_file_lines(io.BytesIO(data), source="f", options=options, emit=lambda n: None)
    )
    assert blocks == list(readers._jsonl_lines(data, source="f", options=options, emit=lambda n: None))
    original = readers._BLOCK, readers._HEAD
    readers._BLOCK, readers._HEAD = block, block
    try:
        streamed = list(
            readers._read_jsonl(io.BytesIO(data), source="<stdin>", options=options, emit=lambda n: None)
        )
    finally:
        readers._BLOCK, readers._HEAD = original
    assert streamed == whole
    assert [getattr(x, "origin", None) for x in streamed] == [getattr(x, "origin", None) for x in whole]
