"""Word-level differences inside a shared passage, for renderers that show what changed.

The two sides of a fuzzy passage ("an important step *in* strengthening ties" against "an important
step *towards* strengthening ties") are aligned word by word the way the detector aligns them
(rapidfuzz Levenshtein edit operations over normalised words), and the words outside the aligned
runs are returned as character spans of each side.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from dedup.normalize import tokenize

__all__ = ["WordDiff", "word_diff"]

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


def _spans(starts: list[int], ends: list[int], runs: list[tuple[int, int]]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for first, last in runs:
        if first >= last:
            continue
        if merged and merged[-1][1] >= first:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((starts[first], ends[last - 1]) for first, last in merged)


def word_diff(a_text: str, b_text: str) -> WordDiff:
    """Which words of ``a_text`` and ``b_text`` are not matched by a word-level alignment.

    Words are compared in their normalised form (case, typography and British spelling do not count
    as changes); punctuation is not a word, so "meeting we" and "meeting, we" are the same.
    """
    ta, tb = tokenize(a_text), tokenize(b_text)
    changed_a: list[tuple[int, int]] = []
    changed_b: list[tuple[int, int]] = []
    equal = 0
    for op in Levenshtein.opcodes(list(ta.words), list(tb.words)):
        if op.tag == "equal":
            equal += op.src_end - op.src_start
            continue
        changed_a.append((op.src_start, op.src_end))
        changed_b.append((op.dest_start, op.dest_end))
    return WordDiff(
        a=_spans(ta.starts.tolist(), ta.ends.tolist(), changed_a),
        b=_spans(tb.starts.tolist(), tb.ends.tolist(), changed_b),
        equal_words=equal,
    )
