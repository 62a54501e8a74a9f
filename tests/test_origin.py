from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.engine.origin import (
    _PATTERNS,
    MemberInfo,
    _find_credits,
    choose_origin,
    find_credits,
    identity,
    names_match,
    parse_published,
    provenance,
    time_key,
)
from dedup.model import Provenance
from tests.newsgen import story


def credits(text: str) -> list[tuple[str, str, str]]:
    return [(c.kind, c.name, c.text) for c in find_credits(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ISLAMABAD, November 20. /TASS/. Russian Defense Minister", [("dateline", "tass", "/TASS/")]),
        ("LONDON (Reuters) - Shares fell", [("dateline", "reuters", "(Reuters) -")]),
        ("HAVANA (Sputnik) \u2013 Russia and Cuba", [("dateline", "sputnik", "(Sputnik) \u2013")]),
        ("The minister spoke (AP) in the capital.", [("dateline", "associated press", "(AP)")]),
        ("Defence Minister Sergei Shoigu. Source: Tass\n\nRussia", [("source", "tass", "Source: Tass")]),
        (
            "stocks rose, according to the Interior Ministry.",
            [("according-to", "interior ministry", "according to the Interior Ministry")],
        ),
        ("an expert on arms sales, told the BBC.", [("told", "bbc", "told the BBC")]),
        ("an expert, told The Moscow Times.", [("told", "moscow times", "told The Moscow Times")]),
        ("\u201d TASS quoted Shoigu as saying", [("reported", "tass", "TASS quoted")]),
        (
            "First published by The Moscow Times",
            [("published-by", "moscow times", "First published by The Moscow Times")],
        ),
        (
            "\u00a9 2024 The Associated Press. All rights",
            [("copyright", "associated press", "\u00a9 2024 The Associated Press")],
        ),
    ],
)
def test_credits_are_read_with_their_place(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert credits(text) == expected
    for c in find_credits(text):
        assert text[c.start : c.end] == c.text


def test_acronyms_persons_and_sentence_ends_are_not_credits() -> None:
    # an acronym defined in parentheses credits no one; a sentence end does not join two names
    text = (
        "Research Institute (SIPRI) said. He said, according to officials. It rose, "
        "according to the Interior Ministry. Saansaan lober the renbe."
    )
    assert [(c.kind, c.name) for c in find_credits(text)] == [("according-to", "interior ministry")]


def test_names_match_sources_hosts_and_ids() -> None:
    tass = identity("pakistan-tass", Provenance(source="TASS"))
    assert names_match("tass", tass)
    assert not names_match("moscow times", tass)
    ap = identity("x1", Provenance(source="The Associated Press"))
    assert names_match("associated press", ap)
    reuters = identity("x2", Provenance(source="Thomson Reuters"))
    assert names_match("reuters", reuters)
    bbc = identity("x3", Provenance(url="https://www.bbc.co.uk/news/world-1"))
    assert names_match("bbc", bbc)
    # an id holds the whole name: "times" alone is not "moscow times"
    assert names_match("moscow times", identity("moscow-times-0042", None))
    assert not names_match("moscow times", identity("times-0042", None))


def test_published_times_compare_at_the_precision_given() -> None:
    assert parse_published("not a date") is None
    assert parse_published("2024-03-01") is not None
    assert time_key("2024-03-01T10:00:00Z") < time_key("2024-03-01T11:00:00+00:00")
    assert time_key("2024-03-01T12:00:00+02:00") < time_key("2024-03-01T11:00:00Z")
    assert time_key(None) > time_key("2999-01-01")


def member(
    article: str,
    text: str = "",
    *,
    source: str | None = None,
    published: str | None = None,
    words: int = 100,
    own: int = 5,
) -> MemberInfo:
    prov = provenance(text, source=source, published=published, words=words + own)
    return MemberInfo(article, prov, words)


def test_a_member_credited_by_others_is_the_origin() -> None:
    origin = choose_origin(
        [
            member("mt", "Photo. Source: Tass\n\nthe quote", source="The Moscow Times"),
            member("tass", "ISLAMABAD, November 20. /TASS/. the quote", source="TASS"),
        ]
    )
    assert origin.article == "tass"
    assert origin.confidence == "high"
    assert [e.text for e in origin.evidence if e.kind == "credit"] == ["Source: Tass"]


def test_a_credit_against_the_dates_lowers_the_confidence() -> None:
    origin = choose_origin(
        [
            member("wire", "(Newswire) - story", source="Newswire", published="2024-03-02T10:00:00Z"),
            member("r1", "PLACE (Newswire) - story", source="Outlet", published="2024-03-02T09:00:00Z"),
        ]
    )
    assert origin.article == "wire"
    assert origin.confidence == "medium"
    assert any(e.kind == "conflict" and e.article == "r1" for e in origin.evidence)


def test_every_member_crediting_an_outside_source_means_not_in_the_corpus() -> None:
    origin = choose_origin(
        [
            member("a", "CITY (AP) - story", source="Daily A", published="2024-03-01T08:00:00Z"),
            member("b", "CITY (AP) - story", source="Daily B", published="2024-03-01T09:00:00Z"),
            member("c", "story, according to The Associated Press.", source="Daily C"),
        ]
    )
    assert origin.article is None
    assert origin.outside == "AP"
    assert origin.confidence == "high"


def test_the_earliest_date_decides_without_credits() -> None:
    members = [
        member("b", published="2024-03-01T09:00:00Z"),
        member("a", published="2024-03-01T08:00:00Z"),
        member("c"),
    ]
    origin = choose_origin(members)
    assert (origin.article, origin.confidence) == ("a", "medium")
    # the same day, one with a date only: not strictly earlier
    tie = [member("a", published="2024-03-01"), member("b", published="2024-03-01T09:00:00Z")]
    assert choose_origin(tie).article is None


def test_the_whole_longest_copy_decides_last_and_only_with_a_margin() -> None:
    wire = member("wire", words=300, own=7)
    intro = member("intro", words=300, own=25)
    trimmed = member("trim", words=200, own=7)
    origin = choose_origin([intro, trimmed, wire])
    assert (origin.article, origin.confidence) == ("wire", "low")
    # a verbatim reprint is as whole as the wire's copy: nothing tells them apart
    verbatim = member("verbatim", words=300, own=7)
    assert choose_origin([wire, verbatim, intro]).confidence == "none"


def test_one_article_has_no_origin() -> None:
    assert choose_origin([member("a"), member("a")]).confidence == "none"


CREDIT_SNIPPETS = [
    "ISLAMABAD, November 20. /TASS/.",
    "LONDON (Reuters) -",
    "(AP) —",
    "Source: Tass",
    "Sources - Reuters",
    "according to the Interior Ministry",
    "According to data from the SIPRI",
    "told the BBC",
    "told The Moscow Times",
    "TASS quoted Shoigu",
    "Reuters reported",
    "The\u00a0Ministry reports",
    "Interfax cited",
    "The Kremlin said in a statement",
    "First published by The Moscow Times",
    "originally appeared in Foreign Policy",
    "Reprinted with permission from the Nation",
    "© 2024 The Associated Press",
    "(c) Example Media",
    "Copyright 2019 AFP",
    "Source",
    "told",
    "published",
    "(C)",
    "he said.",
    "\n",
]


@given(st.lists(st.sampled_from(CREDIT_SNIPPETS), max_size=25), st.integers(0, 10_000))
def test_credits_found_with_and_without_the_literals_test(pieces: list[str], seed: int) -> None:
    text = story(random.Random(seed), 80) if seed % 2 else ""
    words = text.split(" ")
    for n, piece in enumerate(pieces):
        words.insert((seed + 11 * n) % (len(words) + 1), piece)
    joined = " ".join(words)
    assert _find_credits(joined) == _find_credits(joined, anchored=False)


def test_every_match_holds_a_literal_of_its_pattern() -> None:
    text = " ".join(CREDIT_SNIPPETS) + " " + story(random.Random(2), 300)
    for _, pattern, literals in _PATTERNS:
        found = list(pattern.finditer(text))
        assert found, pattern.pattern
        for m in found:
            assert not literals or any(x in m.group() for x in literals), m.group()
    assert _find_credits(text) == _find_credits(text, anchored=False) != ()
