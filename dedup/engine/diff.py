"""Word-level differences inside a shared passage, for renderers that show what changed.

The two sides of a fuzzy passage ("an important step *in* strengthening ties" against "an important
step *towards* strengthening ties") are aligned word by word the way the detector aligns them
(rapidfuzz Levenshtein edit operations over normalised words), and the words outside the aligned
runs are returned as character spans of each side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from dedup.engine.normalize import Tokens, tokenize

__all__ = ["WordDiff", "passage_diff", "word_diff"]

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class WordDiff:
    """Character spans of the words that differ, in each side's own text (end exclusive).

    Runs of consecutive changed words are merged into one span (with the spaces between them), so
    a renderer can mark each span as one piece.
    """

    a: tuple[Span, ...]
    b: tuple[Span, ...]
    #: Words aligned as equal (normalised), the same count on both sides.
    equal_words: int


def _spans(tokens: Tokens, runs: list[tuple[int, int]]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for first, last in runs:
        if first >= last:
            continue
        if merged and merged[-1][1] >= first:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((int(tokens.starts[first]), int(tokens.ends[last - 1])) for first, last in merged)


def _diff(ta: Tokens, tb: Tokens, a: tuple[int, int], b: tuple[int, int]) -> WordDiff:
    """Differences between words ``a[0]:a[1]`` of ``ta`` and ``b[0]:b[1]`` of ``tb``."""
    changed_a: list[tuple[int, int]] = []
    changed_b: list[tuple[int, int]] = []
    equal = 0
    for op in Levenshtein.opcodes(ta.words[a[0] : a[1]], tb.words[b[0] : b[1]]):
        if op.tag == "equal":
            equal += op.src_end - op.src_start
            continue
        changed_a.append((a[0] + op.src_start, a[0] + op.src_end))
        changed_b.append((b[0] + op.dest_start, b[0] + op.dest_end))
    return WordDiff(
        a=_spans(ta, changed_a),
        b=_spans(tb, changed_b),
        equal_words=equal,
    )


def word_diff(a_text: str, b_text: str) -> WordDiff:
    """Which words of ``a_text`` and ``b_text`` are not matched by a word-level alignment.

    Words are compared in their normalised form (case, typography and British spelling do not count
    as changes); punctuation is not a word, so "meeting we" and "meeting, we" are the same.
    """
    ta, tb = tokenize(a_text), tokenize(b_text)
    return _diff(ta, tb, (0, len(ta)), (0, len(tb)))


def _words_within(tokens: Tokens, start: int, end: int) -> tuple[int, int]:
    first = int(np.searchsorted(tokens.starts, start, side="left"))
    last = int(np.searchsorted(tokens.ends, end, side="right"))
    return first, max(first, last)


def passage_diff(ta: Tokens, a_start: int, a_end: int, tb: Tokens, b_start: int, b_end: int) -> WordDiff:
    """:func:`word_diff` of a passage given as character ranges of two tokenised texts.

    The spans returned are offsets into the two whole texts. Tokenising each article once and
    slicing is much faster than tokenising every passage of a large report on its own.
    """
    return _diff(ta, tb, _words_within(ta, a_start, a_end), _words_within(tb, b_start, b_end))
