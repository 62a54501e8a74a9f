"""junk_spans finds exactly the spans of the one alternation of junk patterns, pattern by pattern.

Each pattern is searched only where what every one of its matches holds occurs (its anchor): the
anchors are checked against every match of every pattern on examples of each, in odd cases, and the
folding they are looked for in against every code point.
"""

from __future__ import annotations

import random

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.engine import boilerplate
from dedup.engine.boilerplate import (
    _JUNK,
    _JUNK_PARTS,
    _JUNK_RULES,
    _LITERALS,
    _MENU_SEPARATOR,
    _Anchor,
    _anchor_literals,
    _fold,
    _literal_starts,
    junk_spans,
    junk_spans_many,
)
from tests.newsgen import story

SNIPPETS = [
    "Home | News | Sport | Weather",
    "a • b • c",
    "Read more » Sport » Football",
    " | | ",
    "x | y",
    "(function(){var a=1;})();",
    "jQuery.ready(function() { x; }",
    "window.foo = 3; bar();",
    "let him go, he said;",
    "© 2024 AFP. All rights reserved.",
    "Copyright 2019 Agence France-Presse blah.",
    "THE ASSOCIATED PRESS. ALL RIGHTS RESERVED.",
    "<script>x</script>",
    "<b>bold</b>",
    "{{tpl}}",
    "Share this article on Facebook:",
    "follow us on Twitter now.",
    "http://x.com/a",
    "www.example.org",
    "me@x.org",
    "Privacy Policy | Terms of Use | Contact",
    "İ ı ſ K",
    "#ixzzABC",
    "\n",
    " ",
]
#: At least one match of every junk pattern (``test_every_pattern_has_an_example``).
EXAMPLES = [
    "(function(jQuery) { x = 1; })(window);",
    "function (a, b) { return a; }",
    "OO.ready(function() { OO.Player.create('x', 'y'); });",
    "googletag.cmd.push(['x']); more;",
    "var player = new Player(); x;",
    "const x, y;",
    "document.write('<p>'); window.location = 'x';",
    "<script type='text/javascript'>var a = 1;</script>",
    "<div class='x'>",
    "</p>",
    "{{ template }}",
    "Please enable JavaScript to view the comments.",
    "Your browser does not support the video tag.",
    "This browser does not support iframes.",
    "We use cookies to improve your experience.",
    "This website uses cookies.",
    "On a mobile device? Click here to watch.",
    "Click here to subscribe!",
    "Share this story on Facebook:",
    "Follow us on Twitter @foo.",
    "Keep in touch! Sign up now.",
    "For more stories, like us on Facebook.",
    "Sign up for our daily newsletter here.",
    "Image via Getty Images. Photo credit: AP. Video courtesy of CNN.",
    "Media playback is unsupported on your device.",
    "Update your Flash Player to watch.",
    "This video is no longer available because it was removed.",
    "Advertisement Continue reading the main story",
    "Video loading. Watch next. Watch this video again",
    "Share on WhatsApp. Share via e-mail.",
    "Print this page. E-mail this article. Email this story.",
    "By continuing to browse the site you agree.",
    "Have something to add to this story?",
    "Tell us in the comments below.",
    "Comments are moderated and may take time.",
    "Sorry, we are not currently accepting comments on this article.",
    "Advertise with us. Terms of Use. Terms and Conditions.",
    "Privacy Policy. Cookie Policy.",
    "Home | World | Business | Sport",
    "Read more: #ixzz4Bcd3Ef",
    "https://example.com/a?b=c and http://x.org",
    "www.example.co.uk/page",
    "mail jane.doe+news@example.co.uk today",
    "Copyright 2016 The Associated Press. All rights reserved.",
    "This material may not be published, broadcast, rewritten or redistributed without permission.",
    "Our Standards: The Thomson Reuters Trust Principles.",
    "© 2017 Thomson Reuters. Click for restrictions.",
    "Users may download and print extracts of content from this website for their own personal and"
    " non-commercial use only.",
    "Republication or redistribution of Reuters content, including by framing or similar means, is"
    " expressly prohibited without the prior written consent of Thomson Reuters.",
    "Copyright 2015 AFP. All rights reserved.",
    "Copyright 2016 Agence France-Presse the rest.",
    "All information displayed in this section (dispatches, photos) is protected by intellectual"
    " property rights owned by Agence France-Presse.",
    "As a consequence, you may not copy, reproduce, modify, transmit, publish, display or in any way"
    " commercially exploit any of the content of this section without the prior written consent of"
    " Agence France-Presse.",
    "All Rights Reserved.",
]

#: Every literal of the anchors.
_LITERALS_OF_ANCHORS = sorted({x for _, a in _JUNK_RULES for x in _anchor_literals(a)})


def _odd_cases(text: str) -> list[str]:
    """``text`` as written, in capitals, and with the letters that match an ASCII letter, case aside."""
    return [
        text,
        text.upper(),
        text.title(),
        text.replace("k", "\u212a").replace("K", "\u212a"),
        text.replace("s", "\u017f").replace("S", "\u017f"),
        text.replace("i", "\u0130").replace("I", "\u0130"),
        text.replace("i", "\u0131").replace(" ", "\u00a0"),
    ]


ALPHABET = [*"ab |•·»›\t\n.,;(){}<>/=@#©'’&-", "var ", "function", "copyright ", "AFP", "www."]


def reference(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _JUNK.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS + ALPHABET), max_size=40), st.integers(0, 10_000))
def test_same_spans_as_the_alternation(pieces: list[str], seed: int) -> None:
    text = story(random.Random(seed), 60) if seed % 3 == 0 else ""
    words = text.split(" ")
    for n, piece in enumerate(pieces):
        words.insert((seed + 7 * n) % (len(words) + 1), piece)
    joined = " ".join(words)
    assert junk_spans(joined) == reference(joined)


def test_each_snippet_and_plain_news() -> None:
    for piece in SNIPPETS:
        assert junk_spans(f"Before it. {piece} after it.") == reference(f"Before it. {piece} after it.")
    text = story(random.Random(1), 300)
    assert junk_spans(text) == reference(text)
    assert junk_spans("Home | News | Sport") == reference("Home | News | Sport") != []


def test_every_pattern_has_an_example() -> None:
    for pattern, _ in _JUNK_PARTS:
        assert any(pattern.search(x) for x in EXAMPLES), pattern.pattern


def _anchor_holds(text: str, m: regex.Match[str], anchor: _Anchor) -> bool:
    """Whether match ``m`` of a pattern holds what its anchor says every match holds."""
    folded = _fold(text)
    start, end = m.span()
    ok = True
    if anchor.starts:
        ok &= any(folded.startswith(literal, start) for literal in anchor.starts)
    if anchor.holds:
        ok &= any(literal in folded[start:end] for literal in anchor.holds)
    if anchor.fragment is not None:
        literal, offset, fragment = anchor.fragment
        ok &= any(
            start <= i + offset and (f := fragment.match(text, i + offset)) is not None and f.end() <= end
            for i in _literal_starts(folded, (literal,))
        )
    if anchor.menu:
        ok &= sum(1 for x in _MENU_SEPARATOR.finditer(text) if start <= x.start() < end) >= 2
    return ok


def test_every_match_holds_its_anchor() -> None:
    texts = [c for x in EXAMPLES for c in _odd_cases(f"Before it. {x} after it.")]
    texts += [" ".join(EXAMPLES), story(random.Random(3), 400)]
    matches = 0
    for pattern, anchor in _JUNK_PARTS:
        for text in texts:
            for m in pattern.finditer(text):
                matches += 1
                assert _anchor_holds(text, m, anchor), (pattern.pattern, m.group())
    assert matches > 300


def test_examples_in_odd_cases() -> None:
    for x in EXAMPLES:
        for text in _odd_cases(f"Before it. {x} after it."):
            assert junk_spans(text) == reference(text), text
    for text in _odd_cases(" ".join(EXAMPLES)):
        assert junk_spans(text) == reference(text)


@settings(deadline=None)
@given(st.lists(st.sampled_from(EXAMPLES + SNIPPETS + ALPHABET), max_size=30), st.sampled_from(range(7)))
def test_examples_mixed(pieces: list[str], case: int) -> None:
    text = _odd_cases(" ".join(pieces))[case]
    assert junk_spans(text) == reference(text)


def test_fold_maps_each_character_to_the_ascii_letter_it_matches() -> None:
    """Every character that an ASCII letter matches, case ignored, is folded to that letter, in place."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    folded = _fold(every)
    assert len(folded) == len(every)
    letters = "abcdefghijklmnopqrstuvwxyz"
    for m in regex.finditer("[a-z]", every, regex.IGNORECASE):
        c = m.group()
        matched = [x for x in letters if regex.fullmatch(x, c, regex.IGNORECASE)]
        assert matched == [folded[m.start()]], (hex(ord(c)), matched)


@settings(deadline=None)
@given(st.lists(st.sampled_from(EXAMPLES + SNIPPETS + ALPHABET), max_size=30), st.sampled_from(range(7)))
def test_literals_found_at_once_where_str_find_finds_them(pieces: list[str], case: int) -> None:
    folded = _fold(_odd_cases(" ".join(pieces))[case])
    expected = {x: starts for x in _LITERALS_OF_ANCHORS if (starts := _literal_starts(folded, (x,)))}
    assert _LITERALS.find(folded) == expected


def test_literals_at_the_ends_of_a_text() -> None:
    for literal in _LITERALS_OF_ANCHORS:
        for text in (literal, f"{literal}{literal}", f"x{literal}", f"{literal}\u0131", f"é{literal}é"):
            folded = _fold(text)
            found = _LITERALS.find(folded)
            assert found[literal] == _literal_starts(folded, (literal,)), text
            assert {x: _literal_starts(folded, (x,)) for x in found} == found


@settings(deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(EXAMPLES + SNIPPETS + ALPHABET), max_size=8).map(" ".join), max_size=6),
    st.sampled_from(range(7)),
    st.sampled_from([1, 40, boilerplate.BATCH_CHARACTERS]),
)
def test_junk_spans_many_gives_those_of_each_text(texts: list[str], case: int, batch: int) -> None:
    texts = [_odd_cases(t)[case] for t in texts]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boilerplate, "BATCH_CHARACTERS", batch)
        assert junk_spans_many(texts) == [junk_spans(t) for t in texts]
    assert junk_spans_many(texts) == [reference(t) for t in texts]
