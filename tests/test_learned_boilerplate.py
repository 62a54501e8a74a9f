"""Learned boilerplate: a line is boilerplate only when its holders share nothing much beyond it."""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt

from dedup import Article, Detector
from dedup.engine.boilerplate import (
    MIN_LINE_WORDS,
    Line,
    cardinality,
    independent_groups,
    learn_boilerplate,
    learn_boilerplate_arrays,
    lines_of,
    mask_lines,
    related_beyond,
)
from dedup.engine.normalize import segment_keys, tokenize
from dedup.engine.signature import Signer
from dedup.settings import Settings
from tests.newsgen import story

QUOTE = (
    '"We will not let this harbour close again while any of us still sits on the council," '
    "the mayor told the meeting on Thursday evening."
)
FOOTER = (
    "The Valley Courier has reported on the three counties since 1921 and is kept going by the support "
    "of readers like you."
)


def _signature(text: str) -> npt.NDArray[np.uint32]:
    return Signer(Settings()).fingerprint(tokenize(text)).signature


def test_cardinality_estimates_the_number_of_shingles() -> None:
    text = story(random.Random(1), words=600)
    shingles = len(tokenize(text)) - 2
    assert abs(cardinality(_signature(text)) - shingles) < 0.3 * shingles


def test_related_beyond_the_line() -> None:
    rng = random.Random(2)
    a, b, c = (story(rng, words=150) for _ in range(3))
    line = len(FOOTER.split())
    with_footer = [_signature(f"{t}\n\n{FOOTER}") for t in (a, b, c)]
    # unrelated articles that share only the footer
    assert not related_beyond(with_footer[0], with_footer[1], line)
    assert independent_groups(with_footer, line) == 3
    # a story and its trimmed reprint share much more than the footer
    reprint = _signature("\n\n".join(a.split("\n\n")[:-1]) + f"\n\n{FOOTER}")
    assert related_beyond(with_footer[0], reprint, line)
    assert independent_groups([*with_footer, reprint], line) == 3


def test_quote_closing_a_story_its_reprint_and_an_unrelated_story_stays_evidence() -> None:
    rng = random.Random(3)
    original, unrelated = story(rng), story(rng)
    reprint = "A new headline for the same story\n\n" + original.split("\n\n", 1)[1]
    articles = [
        Article("original", f"{original}\n\n{QUOTE}"),
        Article("reprint", f"{reprint}\n\n{QUOTE}"),
        Article("unrelated", f"{unrelated}\n\n{QUOTE}"),
    ]
    report = Detector().report(articles)
    assert report.boilerplate == ()
    pairs = {(p.a, p.b): p for p in report.pairs}
    assert set(pairs) == {("original", "reprint"), ("original", "unrelated"), ("reprint", "unrelated")}
    quoted = pairs[("original", "unrelated")]
    assert quoted.relation == "overlap"
    assert [p.a_text for p in quoted.passages] == [QUOTE[1 : QUOTE.rindex(".")]]


def test_footer_under_short_unrelated_articles_is_learned() -> None:
    rng = random.Random(4)
    articles = [Article(f"brief-{i}", f"{story(rng, words=60)}\n\n{FOOTER}") for i in range(3)]
    report = Detector().report(articles)
    assert report.pairs == ()
    assert [n for _, n in report.boilerplate] == [3]


def test_learning_from_arrays_equals_learning_from_lines() -> None:
    rng = random.Random(11)
    np_rng = np.random.default_rng(11)
    signatures = [np_rng.integers(0, 50, size=128, dtype=np.uint32) for _ in range(300)]
    signatures[5] = signatures[6] = signatures[7]  # some related holders
    pool = [(rng.getrandbits(64), rng.randint(1, 30)) for _ in range(40)]  # (line key, words)
    doc_lines = [
        [(key, rng.random() < 0.8, words) for key, words in rng.sample(pool, rng.randint(0, 12))]
        + [(pool[0][0], True, pool[0][1])] * rng.randint(0, 2)  # a line twice in one document
        for _ in range(300)
    ]
    for min_docs in (2, 3, 5):
        for sigs in (signatures, None):
            expected = learn_boilerplate(doc_lines, sigs, min_docs=min_docs)
            flat = [(d, key, edge, words) for d, lines in enumerate(doc_lines) for key, edge, words in lines]
            got = learn_boilerplate_arrays(
                np.array([f[1] for f in flat], dtype=np.uint64),
                np.array([f[2] for f in flat], dtype=np.bool_),
                np.array([f[3] for f in flat], dtype=np.int32),
                np.array([f[0] for f in flat], dtype=np.int64),
                sigs,
                min_docs=min_docs,
            )
            assert list(got.items()) == list(expected.items())  # same lines, counts and order
            assert expected


def _mask_lines_one_by_one(
    lines: list[Line],
    boilerplate: dict[int, int],
    mask: npt.NDArray[np.bool_],
    hashes: npt.NDArray[np.uint64],
) -> bool:
    """mask_lines as a loop over every line and every run of a line's words it tries."""
    changed = False
    for line in lines:
        if line.key in boilerplate and not mask[line.first : line.last].all():
            mask[line.first : line.last] = True
            changed = True
    for line in lines:
        if line.key in boilerplate or line.last - line.first <= MIN_LINE_WORDS:
            continue
        runs = [(a, line.last) for a in range(line.first + 1, line.last - MIN_LINE_WORDS + 1)]
        runs += [(line.first, b) for b in range(line.first + MIN_LINE_WORDS, line.last)]
        for a, b in runs:
            key = int(segment_keys(hashes, np.array([a]), np.array([b]))[0])
            if key in boilerplate and not mask[a:b].all():
                mask[a:b] = True
                changed = True
    return changed


def test_mask_lines_glued_runs_as_one_by_one() -> None:
    rng = random.Random(5)
    credit = "Reporting by Jane Doe; editing by John Smith"
    texts = [
        f"{story(rng, 120)}\n{FOOTER}",
        f"{story(rng, 120)} Read more {FOOTER}",  # the footer glued to the last paragraph
        f"{FOOTER} {story(rng, 60)}",  # glued to the start of a line
        f"{story(rng, 60)}\n{credit}. {QUOTE}\n{story(rng, 60)}",
        story(rng, 120),
        "",
    ]
    learned = {line.key: 7 for text in (FOOTER, credit, QUOTE) for line in lines_of(text, tokenize(text))}
    for boilerplate in (learned, {}, {next(iter(learned)): 1}):
        masked = 0
        for text in texts:
            tokens = tokenize(text)
            lines = lines_of(text, tokens)
            mask = np.zeros(len(tokens), dtype=np.bool_)
            expected = mask.copy()
            changed = mask_lines(lines, boilerplate, mask, tokens.hashes)
            assert changed == _mask_lines_one_by_one(lines, boilerplate, expected, tokens.hashes)
            assert mask.tolist() == expected.tolist()
            masked += int(mask.sum())
        assert masked > 0 or not boilerplate
