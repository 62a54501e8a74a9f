"""Word-level differences inside a passage (what the HTML page and the table mark as changed)."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dedup import Article, Detector
from dedup.engine.diff import passage_diff, word_diff
from dedup.engine.normalize import tokenize

MT = (
    "During the meeting we agreed that bilateral military cooperation should take on a more practical "
    "orientation and enhance the combat capability of our armed forces"
)
TASS = (
    "During the meeting, we agreed that bilateral military cooperation should have a great practical "
    "focus and contribute to increasing combat efficiency of our armed forces"
)


def _texts(text: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    return [text[s:e] for s, e in spans]


def test_translated_quote_marks_the_changed_words() -> None:
    diff = word_diff(MT, TASS)
    assert _texts(MT, diff.a) == ["take on", "more", "orientation", "enhance the", "capability"]
    assert _texts(TASS, diff.b) == ["have", "great", "focus", "contribute to increasing", "efficiency"]
    assert diff.equal_words == 18


def test_identical_and_typographic_variants_have_no_changes() -> None:
    text = "Russia's Defence Minister said the centre would open"
    assert word_diff(text, text).a == ()
    same = word_diff(text, "RUSSIA’S defense minister said, the center would open.")
    assert same.a == ()
    assert same.b == ()
    assert same.equal_words == len(tokenize(text))


def test_one_word_changed_in_the_middle() -> None:
    diff = word_diff(
        "an important step in strengthening ties", "an important step towards strengthening ties"
    )
    assert _texts("an important step in strengthening ties", diff.a) == ["in"]
    assert _texts("an important step towards strengthening ties", diff.b) == ["towards"]


def test_swapping_sides_swaps_the_spans() -> None:
    forward, backward = word_diff(MT, TASS), word_diff(TASS, MT)
    assert forward.a == backward.b
    assert forward.b == backward.a


_words = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "said", "the", "Moscow"]), max_size=25)


def _outside(text: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    tokens = tokenize(text)
    out = []
    for word, start in zip(tokens.words, tokens.starts.tolist(), strict=True):
        if not any(s <= start < e for s, e in spans):
            out.append(word)
    return out


@given(_words, _words)
def test_words_outside_the_changes_are_the_same_on_both_sides(wa: list[str], wb: list[str]) -> None:
    a, b = " ".join(wa), ", ".join(wb)
    diff = word_diff(a, b)
    kept_a, kept_b = _outside(a, diff.a), _outside(b, diff.b)
    assert kept_a == kept_b
    assert len(kept_a) == diff.equal_words
    for text, spans in ((a, diff.a), (b, diff.b)):
        assert list(spans) == sorted(spans)
        for (_s1, e1), (s2, _) in itertools.pairwise(spans):
            assert e1 < s2
        for s, e in spans:
            assert 0 <= s < e <= len(text)
            assert text[s].isalnum()
            assert text[e - 1].isalnum()


def test_passage_diff_equals_the_diff_of_the_passage_texts() -> None:
    folder = Path(__file__).resolve().parent.parent / "examples" / "news"
    articles = {p.name: Article(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))}
    report = Detector().report(articles.values(), workers=1)
    assert report.pairs
    for pair in report.pairs:
        ta, tb = tokenize(articles[pair.a].text), tokenize(articles[pair.b].text)
        for p in pair.passages:
            whole = passage_diff(ta, p.a_start, p.a_end, tb, p.b_start, p.b_end)
            alone = word_diff(p.a_text, p.b_text)
            assert whole.a == tuple((p.a_start + s, p.a_start + e) for s, e in alone.a)
            assert whole.b == tuple((p.b_start + s, p.b_start + e) for s, e in alone.b)
            assert whole.equal_words == alone.equal_words
