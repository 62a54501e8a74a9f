"""The lines of a text, cut at separators and sentences, are those of the straightforward search.

The straightforward search looks for separators in every line and cuts a long piece at the matches of
the sentence look-behind (:data:`_SENTENCE`); :func:`_line_spans` looks for separators only in lines
that hold one of their characters and cuts at :data:`_SENTENCE_GAP`'s group. The lines of many texts
looked up and keyed at once (and the whole preparation of many texts) are those of each on its own.
"""

from __future__ import annotations

import random

import regex
from hypothesis import given
from hypothesis import strategies as st

from dedup.engine.boilerplate import (
    _SENTENCE,
    _SENTENCE_GAP,
    _SEPARATOR,
    LONG_LINE,
    _line_spans,
    _pieces,
    line_ranges,
    line_ranges_many,
    lines_of,
    lines_of_many,
)
from dedup.engine.normalize import tokenize_many
from dedup.engine.verify import Verifier
from dedup.model import Article
from dedup.settings import Settings
from tests.newsgen import generate_corpus, story


def reference(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for part in text.split("\n"):
        end = pos + len(part)
        for lo, hi in _pieces(text, pos, end, _SEPARATOR) if len(part) > 2 else [(pos, end)]:
            spans.extend(_pieces(text, lo, hi, _SENTENCE) if hi - lo > LONG_LINE else [(lo, hi)])
        pos = end + 1
    return spans


#: Single characters (each a separator, a sentence's end or start, or a plain one) and runs of them.
PIECES = [
    *".!?\"”’'“‘([|•·»›#\t\nAZÉaz1",
    " ",
    "  ",
    " ### ",
    " | ",
    "###",
    " • ",
    "\t»\t",
    ". The",
    '?" He',
    "!’ (",
    ".' [",
    "end. \t Next",
    "Mr. Smith",
]


def _long(rng: random.Random, pieces: list[str]) -> str:
    """Text with long lines: news sentences with the pieces strewn between their words."""
    words = story(rng, 150).split(" ")
    for n, piece in enumerate(pieces):
        words.insert(rng.randrange(len(words) + 1), piece if n % 2 else piece.strip() or piece)
    return " ".join(words)


@given(st.lists(st.sampled_from(PIECES), max_size=80).map("".join))
def test_sentence_gaps_are_the_look_behind_matches(text: str) -> None:
    assert [m.span(1) for m in _SENTENCE_GAP.finditer(text)] == [m.span() for m in _SENTENCE.finditer(text)]


@given(st.lists(st.sampled_from(PIECES), max_size=60), st.integers(0, 1_000_000))
def test_same_spans_as_the_straightforward_search(pieces: list[str], seed: int) -> None:
    text = _long(random.Random(seed), pieces)
    assert _line_spans(text) == reference(text)
    short = "".join(pieces)
    assert _line_spans(short) == reference(short)


def test_news_and_pages() -> None:
    rng = random.Random(5)
    texts = [story(rng, 400), " ### ".join(story(rng, 100) for _ in range(5)), "Home | News | Sport\n" * 3]
    texts.append(" ".join(texts))
    for text in texts:
        assert _line_spans(text) == reference(text)
    assert len(_line_spans(texts[1])) > 5
    # a line longer than LONG_LINE is cut at its sentences
    one = texts[0].replace("\n", " ")
    assert len(one) > LONG_LINE
    assert len(_line_spans(one)) == len(regex.findall(r"[.!?] +(?=[A-Z])", one)) + 1


def _texts(rng: random.Random, pieces: list[str]) -> list[str]:
    """News, pages with separators and sentences run together, short and empty texts, odd scripts."""
    page = " ### ".join(story(rng, 60) for _ in range(4))
    return [
        story(rng, 200),
        _long(rng, pieces),
        "",
        "...",
        "One line only",
        f"Home | News | Sport\n{page}\nRead more: www.example.com\n© 2024 AFP. All rights reserved.",
        "ISLAMABAD, November 20. /TASS/. Русский текст и 字 and a plane four \U00040000 letter.\n\n",
        "".join(pieces),
    ]


@given(st.lists(st.sampled_from(PIECES), max_size=40), st.integers(0, 1_000_000))
def test_many_at_once_as_one_by_one(pieces: list[str], seed: int) -> None:
    texts = _texts(random.Random(seed), pieces)
    tokens = tokenize_many(texts)
    ranges = line_ranges_many(texts, tokens)
    assert ranges == [line_ranges(x, t) for x, t in zip(texts, tokens, strict=True)]
    many = lines_of_many(texts, tokens, ranges)
    assert many == [lines_of(x, t) for x, t in zip(texts, tokens, strict=True)]
    assert line_ranges_many([], []) == []
    assert lines_of_many([], [], []) == []


def test_prepare_many_as_prepare() -> None:
    rng = random.Random(11)
    texts = _texts(rng, PIECES) + [t.text for t in generate_corpus(60, seed=3)[0]]
    footer = "Subscribe to our newsletter for the latest news from the region and beyond."
    texts = [f"{t}\n{footer}" if i % 3 == 0 else t for i, t in enumerate(texts)]
    verifier = Verifier(Settings())
    learned = {line.key: 5 for line in verifier.prepare(f"x\n{footer}")[2]}
    assert learned
    for boilerplate in (None, learned):
        many = verifier.prepare_many(texts, boilerplate)
        assert len(many) == len(texts)
        masked = 0
        for text, (tokens, mask, lines) in zip(texts, many, strict=True):
            one_tokens, one_mask, one_lines = verifier.prepare(text, boilerplate)
            assert tokens.hashes.tolist() == one_tokens.hashes.tolist()
            assert tokens.starts.tolist() == one_tokens.starts.tolist()
            assert mask.tolist() == one_mask.tolist()
            assert lines == one_lines
            masked += int(mask.sum())
        assert masked > 0


def test_documents_as_document() -> None:
    articles = [
        Article(id=a.id, text=f"{a.text}\nSubscribe to our newsletter." if n % 4 == 0 else a.text)
        for n, a in enumerate(generate_corpus(40, seed=5)[0])
    ] + [Article(id="short", text="Two words."), Article(id="empty", text="")]
    verifier = Verifier(Settings())
    learned = {line.key: 3 for line in verifier.prepare("x\nSubscribe to our newsletter.")[2]}
    for boilerplate in (None, learned):
        ones = [verifier.document(a, boilerplate, keys=False) for a in articles]
        given = [d.fingerprint.signature for d in ones]
        for signatures in (None, given):
            many = verifier.documents(articles, boilerplate, signatures=signatures)
            assert len(many) == len(articles)
            for one, doc in zip(ones, many, strict=True):
                assert doc.article.id == one.article.id
                assert doc.mask.tolist() == one.mask.tolist()
                assert doc.lines == one.lines
                fa, fb = doc.fingerprint, one.fingerprint
                assert fa.tokens.hashes.tolist() == fb.tokens.hashes.tolist()
                assert fa.tokens.starts.tolist() == fb.tokens.starts.tolist()
                assert fa.shingles.tolist() == fb.shingles.tolist()
                assert fa.valid.tolist() == fb.valid.tolist()
                assert fa.signature.tolist() == fb.signature.tolist()
                assert fa.distinct.tolist() == fb.distinct.tolist()
    assert verifier.documents([]) == []
