"""junk_spans finds exactly the spans of the one alternation of junk patterns, pattern by pattern."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.engine.boilerplate import _JUNK, junk_spans
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
