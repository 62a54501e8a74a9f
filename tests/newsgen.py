"""Deterministic synthetic news stories for tests: distinct stories that share no passage."""

from __future__ import annotations

import random

from dedup import Article

_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "sa",
    "to",
    "vel",
    "dor",
    "an",
    "ber",
    "cil",
    "que",
    "tra",
    "mon",
    "pi",
]
_COMMON = ["the", "a", "of", "to", "in", "and", "said", "on", "for", "with", "was", "by", "at", "from"]


def _word(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(_COMMON)
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def story(rng: random.Random, words: int = 220) -> str:
    """A story of about ``words`` words in paragraphs of a few sentences."""
    paragraphs = []
    left = words
    while left > 0:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            n = rng.randint(8, 22)
            sentence = " ".join(_word(rng) for _ in range(n))
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            left -= n
        paragraphs.append(" ".join(sentences))
    title = " ".join(_word(rng) for _ in range(7)).title()
    return title + "\n\n" + "\n\n".join(paragraphs)


def stories(n: int, *, seed: int = 7, prefix: str = "story", words: int = 220) -> list[Article]:
    """``n`` distinct articles with ids ``{prefix}-0000`` ..."""
    rng = random.Random(seed)
    return [Article(f"{prefix}-{i:04d}", story(rng, words)) for i in range(n)]
