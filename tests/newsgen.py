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


# -- corpora at scale, with planted reuse -----------------------------------------------------------------

_VOCAB_SIZE = 30_000


def _vocabulary(seed: int) -> list[str]:
    rng = random.Random(seed)
    words = list(_COMMON)
    seen = set(words)
    while len(words) < _VOCAB_SIZE:
        w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def generate_corpus(
    n: int, *, seed: int = 1, words: int = 500
) -> tuple[list[Article], set[tuple[str, str, str]]]:
    """``n`` news-size articles (about ``words`` words) with planted reuse, and its gold.

    Articles come in blocks of ten fresh stories, in which (every other block) the tenth is a reprint
    of the first (new dateline, two words changed, a footer): ``near-duplicate``; (every other block)
    the eighth shares a 40-word paragraph with the third: ``overlap``; and (every fifth block) the
    ninth is the first 60% of the second: ``containment``. No story is reused twice, so the gold is
    exact. Words follow a Zipf-like law over a 30,000-word vocabulary, so unrelated articles share
    common word runs ("of the ...") as real news does. Gold holds (earlier id, later id, relation).
    """
    import numpy as np

    vocab = np.array(_vocabulary(seed), dtype=object)
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
    cdf = np.cumsum(1.0 / ranks**1.05)
    cdf /= cdf[-1]
    pool = np.searchsorted(cdf, rng.random(max(4 * n * words // 3, 10_000)))
    pos = 0

    def paragraph(count: int) -> str:
        nonlocal pos
        if pos + count > len(pool):
            pos = 0
            rng.shuffle(pool)
        text = " ".join(vocab[pool[pos : pos + count]].tolist())
        pos += count
        return text[0].upper() + text[1:] + "."

    def fresh() -> list[str]:
        out = []
        left = words
        while left > 0:
            k = int(rng.integers(30, 80))
            out.append(paragraph(k))
            left -= k
        return out

    bodies: list[list[str]] = []
    titles: list[str] = []
    gold: set[tuple[str, str, str]] = set()
    ident = [f"doc-{i:07d}" for i in range(n)]
    for i in range(n):
        block, slot = divmod(i, 10)
        titles.append(paragraph(8)[:-1])
        if slot == 9 and block % 2 == 0:
            body = list(bodies[i - 9])
            first = body[0].split(" ")
            first[3] = "reportedly"
            first[-4] = "officials"
            body[0] = f"PORT ALVER, May {1 + block % 28} (Newswire) - " + " ".join(first)
            body.append("Copyright Example Media. All rights reserved.")
            gold.add((ident[i - 9], ident[i], "near-duplicate"))
        elif slot == 8 and block % 5 == 0:
            src = bodies[i - 7]
            body = src[: max(1, int(len(src) * 0.6))]
            gold.add((ident[i - 7], ident[i], "containment"))
        elif slot == 7 and block % 2 == 1:
            body = fresh()
            shared = paragraph(40)
            bodies[i - 5].insert(len(bodies[i - 5]) // 2, shared)
            body.insert(len(body) // 2, shared)
            gold.add((ident[i - 5], ident[i], "overlap"))
        else:
            body = fresh()
        bodies.append(body)
    articles = [
        Article(ident[i], titles[i] + "\n\n" + "\n\n".join(bodies[i]), title=titles[i]) for i in range(n)
    ]
    return articles, gold
