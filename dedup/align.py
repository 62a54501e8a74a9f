"""Verification: from a candidate pair to its exact shared passages.

1. **Seeds**: positions where the two texts share a shingle (boilerplate shingles excluded).
2. **Chains**: seeds that follow each other on nearly the same diagonal, with at most ``max_gap``
   unmatched words between them, form a region; regions that overlap a stronger one are dropped.
3. **Alignment**: each region's words are aligned with rapidfuzz (Levenshtein edit operations over
   word sequences); the passage runs from the first to the last aligned word, is cut where the
   alignment leaves more than ``max_gap`` words unmatched, and is kept when it has at least
   ``min_passage_words`` matched words and a word-level similarity of ``min_passage_similarity``.

Offsets come from the words' offsets in the original texts, so they are exact.

Headlines are rewritten more than any other line ("Russia and Pakistan sign military cooperation
agreement" / "Russia, Pakistan sign agreement on military cooperation"): the words stay, their order
changes, so shingles miss them. :func:`headline_match` compares the first lines of two texts as sets
of words; the detector reports such a headline only for pairs that already share a passage, so two
reports of one event under similar headlines are never flagged for their headlines alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Levenshtein

from dedup.normalize import Tokens
from dedup.signature import Fingerprint

__all__ = [
    "HEADLINE_MAX_WORDS",
    "Match",
    "Shingled",
    "align_pair",
    "find_seeds",
    "headline",
    "headline_match",
    "regions",
]

IntArray = npt.NDArray[np.int64]

#: A shingle repeated more often than this in one text seeds at most this many matches.
MAX_SEED_REPEAT = 8

#: A first line of at most this many words (with more text below it) is a headline.
HEADLINE_MAX_WORDS = 20
#: Two headlines match when they share at least this many words...
HEADLINE_MIN_SHARED = 4
#: ... and this fraction of all the words either has (Jaccard similarity of the two word sets).
HEADLINE_MIN_SIMILARITY = 0.6


@dataclass(frozen=True, slots=True)
class Match:
    """A shared passage in word coordinates: words [a0, a1) of A and [b0, b1) of B."""

    a0: int
    a1: int
    b0: int
    b1: int
    matched: int
    similarity: float


class Shingled(Protocol):
    """What seeding needs of a text: its shingles, which are valid, the distinct valid ones sorted."""

    @property
    def shingles(self) -> npt.NDArray[np.uint32]:
        """32-bit hash of the shingle starting at each word."""
        ...

    @property
    def valid(self) -> npt.NDArray[np.bool_]:
        """False where a shingle touches boilerplate."""
        ...

    @property
    def distinct(self) -> npt.NDArray[np.uint32]:
        """The distinct valid shingles, sorted."""
        ...


def find_seeds(fa: Shingled, fb: Shingled, *, min_common: int = 1) -> tuple[IntArray, IntArray]:
    """Word positions (i in A, j in B) where A and B share a valid shingle, sorted by (i, j).

    Nothing is returned when the texts share fewer than ``min_common`` distinct shingles (the common
    case for candidate pairs that share only a stock phrase, rejected here in a few microseconds).
    """
    common = np.intersect1d(fa.distinct, fb.distinct, assume_unique=True)
    if len(common) < max(1, min_common):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pa = np.flatnonzero(fa.valid)
    pb = np.flatnonzero(fb.valid)
    va = fa.shingles[pa]
    vb = fb.shingles[pb]
    sel_a = np.isin(va, common)
    sel_b = np.isin(vb, common)
    positions_b: dict[int, list[int]] = defaultdict(list)
    for j, v in zip(pb[sel_b].tolist(), vb[sel_b].tolist(), strict=True):
        bucket = positions_b[v]
        if len(bucket) < MAX_SEED_REPEAT:
            bucket.append(j)
    seen_a: dict[int, int] = defaultdict(int)
    out_i: list[int] = []
    out_j: list[int] = []
    for i, v in zip(pa[sel_a].tolist(), va[sel_a].tolist(), strict=True):
        if seen_a[v] >= MAX_SEED_REPEAT:
            continue
        seen_a[v] += 1
        for j in positions_b[v]:
            out_i.append(i)
            out_j.append(j)
    order = np.lexsort((np.asarray(out_j), np.asarray(out_i)))
    return np.asarray(out_i, dtype=np.int64)[order], np.asarray(out_j, dtype=np.int64)[order]


def chain_seeds(si: IntArray, sj: IntArray, *, k: int, max_gap: int) -> list[tuple[int, int, int, int, int]]:
    """Group seeds into regions (a0, a1, b0, b1, seeds), strongest first, none overlapping another."""
    reach = k + max_gap
    chains: list[list[int]] = []  # [i_first, j_first, i_last, j_last, count]
    active: list[list[int]] = []
    for i, j in zip(si.tolist(), sj.tolist(), strict=True):
        best: list[int] | None = None
        best_cost = 0
        still: list[list[int]] = []
        for c in active:
            di = i - c[2]
            if di > reach:
                continue
            still.append(c)
            dj = j - c[3]
            if di > 0 and 0 < dj <= reach:
                cost = abs(di - dj)
                if best is None or cost < best_cost:
                    best, best_cost = c, cost
        active = still
        if best is not None:
            best[2], best[3] = i, j
            best[4] += 1
        else:
            c = [i, j, i, j, 1]
            chains.append(c)
            active.append(c)
    regions = sorted(
        ((c[0], c[2] + k, c[1], c[3] + k, c[4]) for c in chains),
        key=lambda r: (-r[4], r[0], r[2]),
    )
    kept: list[tuple[int, int, int, int, int]] = []
    for r in regions:
        if any((r[0] < q[1] and q[0] < r[1]) or (r[2] < q[3] and q[2] < r[3]) for q in kept):
            continue
        kept.append(r)
    kept.sort(key=lambda r: (r[0], r[2]))
    return kept


def _align_region(
    words_a: tuple[str, ...],
    words_b: tuple[str, ...],
    a0: int,
    b0: int,
    *,
    max_gap: int,
) -> list[list[tuple[int, int, int]]]:
    """Align two word runs into sub-passages, split at long gaps.

    Each sub-passage is a list of equal blocks (a, b, length) in document word coordinates.
    """
    ops = Levenshtein.opcodes(list(words_a), list(words_b))
    out: list[list[tuple[int, int, int]]] = []
    cur: list[tuple[int, int, int]] = []
    for op in ops:
        if op.tag != "equal":
            continue
        s0, d0, n = op.src_start, op.dest_start, op.src_end - op.src_start
        if cur:
            la, lb, ln = cur[-1]
            if s0 - (la + ln) > max_gap or d0 - (lb + ln) > max_gap:
                out.append(cur)
                cur = []
        cur.append((a0 + s0, b0 + d0, n))
    if cur:
        out.append(cur)
    return out


def regions(
    fa: Shingled,
    words_a: int,
    fb: Shingled,
    words_b: int,
    *,
    k: int,
    max_gap: int,
    min_words: int,
) -> list[tuple[int, int, int, int]]:
    """Word regions (a0, a1, b0, b1) of two texts that may hold a shared passage, before alignment.

    Needs only the shingles, so candidate pairs can be screened without the texts' words. A region
    shorter than ``min_words`` words on either side cannot hold a passage and is left out.
    """
    # a passage needs two seeds at least when one shingle spans fewer than min_words words
    si, sj = find_seeds(fa, fb, min_common=2 if min_words > k else 1)
    if not len(si):
        return []
    ka = min(k, words_a)
    kb = min(k, words_b)
    kk = max(ka, kb)
    out = []
    for a0, a1, b0, b1, _n in chain_seeds(si, sj, k=kk, max_gap=max_gap):
        a1 = min(a1 - kk + ka, words_a)
        b1 = min(b1 - kk + kb, words_b)
        if a1 - a0 >= min_words and b1 - b0 >= min_words:
            out.append((a0, a1, b0, b1))
    return out


def align_pair(
    fa: Fingerprint,
    fb: Fingerprint,
    *,
    k: int,
    max_gap: int,
    min_words: int,
    min_similarity: float,
    mask_a: npt.NDArray[np.bool_] | None = None,
    mask_b: npt.NDArray[np.bool_] | None = None,
) -> list[Match]:
    """Shared passages of two fingerprinted texts, in A's word order.

    A passage's evidence is the number of *distinct* words it matches outside boilerplate, so that a
    caption repeated on both sides ("Defense Minister Sergey Shoigu" twice) does not add up to a passage.
    """
    wa, wb = fa.tokens.words, fb.tokens.words
    matches: list[Match] = []
    for a0, a1, b0, b1 in regions(fa, len(wa), fb, len(wb), k=k, max_gap=max_gap, min_words=min_words):
        for blocks in _align_region(wa[a0:a1], wb[b0:b1], a0, b0, max_gap=max_gap):
            x0, y0 = blocks[0][0], blocks[0][1]
            x1, y1 = blocks[-1][0] + blocks[-1][2], blocks[-1][1] + blocks[-1][2]
            matched = sum(n for _, _, n in blocks)
            distinct: set[str] = set()
            for x, y, n in blocks:
                for t in range(n):
                    if (mask_a is None or not mask_a[x + t]) and (mask_b is None or not mask_b[y + t]):
                        distinct.add(wa[x + t])
            similarity = 2.0 * matched / ((x1 - x0) + (y1 - y0))
            if len(distinct) >= min_words and similarity >= min_similarity:
                matches.append(Match(x0, x1, y0, y1, matched, similarity))
    return matches


def headline(text: str, tokens: Tokens) -> int:
    """Number of words of the text's headline (its first line, when short and followed by more), or 0."""
    if not len(tokens):
        return 0
    end = text.find("\n", int(tokens.starts[0]))
    if end < 0:
        return 0
    n = int(np.searchsorted(tokens.starts, end))
    return n if 3 <= n <= HEADLINE_MAX_WORDS and n < len(tokens) else 0


def headline_match(text_a: str, tokens_a: Tokens, text_b: str, tokens_b: Tokens) -> Match | None:
    """The two headlines as a passage, when they use nearly the same words (in any order)."""
    na, nb = headline(text_a, tokens_a), headline(text_b, tokens_b)
    if not na or not nb:
        return None
    wa, wb = set(tokens_a.words[:na]), set(tokens_b.words[:nb])
    shared = len(wa & wb)
    similarity = shared / len(wa | wb)
    if shared < HEADLINE_MIN_SHARED or similarity < HEADLINE_MIN_SIMILARITY:
        return None
    return Match(0, na, 0, nb, shared, similarity)
