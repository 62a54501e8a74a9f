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

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Levenshtein

from dedup.engine.arrays import intersect_sorted, isin
from dedup.engine.normalize import Tokens
from dedup.engine.signature import Fingerprint, unique_sorted
from dedup.settings import Settings

__all__ = [
    "HEADLINE_MAX_WORDS",
    "Match",
    "ShingleView",
    "Shingled",
    "align_pair",
    "find_seeds",
    "headline",
    "headline_match",
    "may_share_passage",
    "regions",
    "screen",
]

IntArray = npt.NDArray[np.int64]

#: A shingle repeated more often than this in one text seeds at most this many matches.
MAX_SEED_REPEAT = 8
#: Longest run of words aligned in one piece (rapidfuzz's alignment of n words costs about n * n / 64).
ALIGN_PIECE_WORDS = 2000

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
    #: The runs of identical words, ``(first word in A, first word in B, length)``.
    blocks: tuple[tuple[int, int, int], ...] = ()
    #: Distinct matched words outside boilerplate (what counts towards ``min_passage_words``).
    distinct: int = 0


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


@dataclass(frozen=True, slots=True)
class ShingleView:
    """A text as the screen sees it, without its words (a :class:`Shingled` and its length in words).

    The batch path reads one from its spill file; the index from a stored record (:meth:`packed`).
    """

    shingles: npt.NDArray[np.uint32]
    valid: npt.NDArray[np.bool_]
    distinct: npt.NDArray[np.uint32]
    #: Words of the text.
    words: int

    @classmethod
    def of(cls, shingles: npt.NDArray[np.uint32], valid: npt.NDArray[np.bool_], words: int) -> ShingleView:
        """The view of a text of ``words`` words with these shingles (``valid``: not boilerplate)."""
        return cls(shingles, valid, unique_sorted(shingles[valid]), words)

    @classmethod
    def packed(cls, shingles: bytes, valid: bytes, *, k: int) -> ShingleView | None:
        """The view of shingles stored as bytes (little-endian uint32; ``valid`` by ``numpy.packbits``).

        None when the bytes cannot tell the text's length: nothing stored, or a single shingle (a text
        of at most ``k`` words); the pair must then be verified without a screen.
        """
        if not shingles:
            return None
        values = np.frombuffer(shingles, dtype="<u4").astype(np.uint32)
        if len(values) < 2:
            return None
        flags = np.unpackbits(np.frombuffer(valid, dtype=np.uint8), count=len(values)).astype(np.bool_)
        return cls.of(values, flags, len(values) + k - 1)


def _occurrences(
    positions: IntArray, values: npt.NDArray[np.uint32], common: npt.NDArray[np.uint32]
) -> tuple[IntArray, IntArray, IntArray]:
    """The positions of the common values' occurrences, sorted by (value, position).

    Also, for each common value, where its occurrences start in that order and how many there are.
    """
    keep = isin(values, common)
    pos, val = positions[keep], values[keep]
    order = np.lexsort((pos, val))
    pos, val = pos[order], val[order]
    starts = np.searchsorted(val, common, side="left")
    counts = np.searchsorted(val, common, side="right") - starts
    return pos, starts.astype(np.int64), counts.astype(np.int64)


def seed_budget(len_a: int, len_b: int) -> int:
    """Most chaining work one pair may cost (seeds times the seeds sharing their word in A).

    A few steps per word: ordinary text, where nearly every shared shingle occurs once on each side,
    stays far below it.
    """
    return 4 * (len_a + len_b) + 8192


def find_seeds(fa: Shingled, fb: Shingled, *, min_common: int = 1) -> tuple[IntArray, IntArray]:
    """Word positions (i in A, j in B) where A and B share a valid shingle, sorted by (i, j).

    Nothing is returned when the texts share fewer than ``min_common`` distinct shingles (the common
    case for candidate pairs that share only a stock phrase, rejected here in a few microseconds).

    A shingle that occurs several times seeds a match between each of its first ``MAX_SEED_REPEAT``
    occurrences in A and in B. In a repetitive text (a few words repeated over and over) that is up
    to 64 seeds per word; the repeat limit is lowered (8, 4, 2, 1) until the work of chaining them fits
    in :func:`seed_budget`, so the work of a pair stays linear in the length of its texts.
    """
    common = intersect_sorted(fa.distinct, fb.distinct)
    if len(common) < max(1, min_common):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pa = np.flatnonzero(fa.valid)
    pb = np.flatnonzero(fb.valid)
    va = fa.shingles[pa]
    vb = fb.shingles[pb]
    pos_a, start_a, count_a = _occurrences(pa, va, common)
    pos_b, start_b, count_b = _occurrences(pb, vb, common)
    budget = seed_budget(len(fa.shingles), len(fb.shingles))
    repeat = MAX_SEED_REPEAT
    # chaining a seed scans the chains open near it, about (seeds at its word in A) x reach of them
    while repeat > 1 and int((np.minimum(count_a, repeat) * np.minimum(count_b, repeat) ** 2).sum()) > budget:
        repeat //= 2
    ca = np.minimum(count_a, repeat)
    cb = np.minimum(count_b, repeat)
    # every kept occurrence in A, paired with each kept occurrence of the same value in B
    group = np.repeat(np.arange(len(common)), ca)
    first_a = np.repeat(start_a, ca) + (np.arange(len(group)) - np.repeat(np.cumsum(ca) - ca, ca))
    fan = cb[group]
    out_i = np.repeat(pos_a[first_a], fan)
    offset = np.arange(len(out_i)) - np.repeat(np.cumsum(fan) - fan, fan)
    out_j = pos_b[np.repeat(start_b[group], fan) + offset]
    order = np.lexsort((out_j, out_i))
    return out_i[order].astype(np.int64), out_j[order].astype(np.int64)


class Region(NamedTuple):
    """Words [a0, a1) of A and [b0, b1) of B joined by a chain of seeds.

    ``cuts`` are seeds of the chain at least :data:`ALIGN_PIECE_WORDS` apart: the region is aligned
    piece by piece between them, so that aligning a long region costs time linear in its length.
    """

    a0: int
    a1: int
    b0: int
    b1: int
    seeds: int
    cuts: tuple[tuple[int, int], ...] = ()


@dataclass(slots=True)
class _Chain:
    i0: int
    j0: int
    i1: int
    j1: int
    seeds: int
    cuts: list[tuple[int, int]]


def chain_seeds(
    si: IntArray, sj: IntArray, *, k: int, max_gap: int, enough: tuple[int, int] | None = None
) -> list[Region]:
    """Group seeds into regions, strongest first, none overlapping another.

    ``enough=(words_a, words_b)``: stop at the first chain whose seeds span that many words on both
    sides (from its first seed to its last) and return it alone, unresolved against the others.
    """
    reach = k + max_gap
    need_a, need_b = enough if enough is not None else (-1, -1)
    chains: list[_Chain] = []
    active: list[_Chain] = []
    for i, j in zip(si.tolist(), sj.tolist(), strict=True):
        best: _Chain | None = None
        best_cost = 0
        still: list[_Chain] = []
        for c in active:
            di = i - c.i1
            if di > reach:
                continue
            still.append(c)
            dj = j - c.j1
            if di > 0 and 0 < dj <= reach:
                cost = abs(di - dj)
                if best is None or cost < best_cost:
                    best, best_cost = c, cost
        active = still
        if best is not None:
            best.i1, best.j1 = i, j
            best.seeds += 1
            last_i, last_j = best.cuts[-1] if best.cuts else (best.i0, best.j0)
            if i - last_i >= ALIGN_PIECE_WORDS or j - last_j >= ALIGN_PIECE_WORDS:
                best.cuts.append((i, j))
        else:
            best = _Chain(i, j, i, j, 1, [])
            chains.append(best)
            active.append(best)
        if enough is not None and i - best.i0 >= need_a and j - best.j0 >= need_b:
            return [Region(best.i0, i + k, best.j0, j + k, best.seeds, tuple(best.cuts))]
    regions = sorted(
        (Region(c.i0, c.i1 + k, c.j0, c.j1 + k, c.seeds, tuple(c.cuts)) for c in chains),
        key=lambda r: (-r.seeds, r.a0, r.b0),
    )
    kept: list[Region] = []
    # the kept regions' spans on each side are disjoint: overlap is a binary search, not a scan
    side_a = _Spans()
    side_b = _Spans()
    for r in regions:
        if side_a.overlaps(r.a0, r.a1) or side_b.overlaps(r.b0, r.b1):
            continue
        side_a.add(r.a0, r.a1)
        side_b.add(r.b0, r.b1)
        kept.append(r)
    kept.sort(key=lambda r: (r.a0, r.b0))
    return kept


class _Spans:
    """Disjoint half-open spans, sorted, with an overlap test in O(log n)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, lo: int, hi: int) -> bool:
        # the span starting last before ``hi`` is the only one that can reach past ``lo``
        k = bisect_left(self.starts, hi) - 1
        return k >= 0 and self.ends[k] > lo

    def add(self, lo: int, hi: int) -> None:
        k = bisect_left(self.starts, lo)
        self.starts.insert(k, lo)
        self.ends.insert(k, hi)


def _align_region(
    words_a: Sequence[int],
    words_b: Sequence[int],
    region: Region,
    *,
    max_gap: int,
) -> list[list[tuple[int, int, int]]]:
    """Align a region's two word runs into sub-passages, split at long gaps.

    Each sub-passage is a list of equal blocks (a, b, length) in document word coordinates. A long
    region is aligned piece by piece, between the seeds in ``region.cuts``.
    """
    bounds = [(region.a0, region.b0), *region.cuts, (region.a1, region.b1)]
    out: list[list[tuple[int, int, int]]] = []
    cur: list[tuple[int, int, int]] = []
    for (a0, b0), (a1, b1) in pairwise(bounds):
        for op in Levenshtein.opcodes(words_a[a0:a1], words_b[b0:b1]):
            if op.tag != "equal":
                continue
            s0, d0, n = a0 + op.src_start, b0 + op.dest_start, op.src_end - op.src_start
            if cur:
                la, lb, ln = cur[-1]
                if s0 - (la + ln) > max_gap or d0 - (lb + ln) > max_gap:
                    out.append(cur)
                    cur = []
            cur.append((s0, d0, n))
    if cur:
        out.append(cur)
    return out


def _min_common(k: int, min_words: int) -> int:
    """Distinct shared shingles a passage needs: two when one shingle spans fewer than ``min_words``."""
    return 2 if min_words > k else 1


def regions(
    fa: Shingled,
    words_a: int,
    fb: Shingled,
    words_b: int,
    *,
    k: int,
    max_gap: int,
    min_words: int,
    first: bool = False,
) -> list[Region]:
    """Word regions of two texts that may hold a shared passage, before alignment.

    Needs only the shingles, so candidate pairs can be screened without the texts' words. A region
    shorter than ``min_words`` words on either side cannot hold a passage and is left out.
    ``first=True``: the first chain of seeds long enough, if any (see :func:`may_share_passage`).
    """
    si, sj = find_seeds(fa, fb, min_common=_min_common(k, min_words))
    if not len(si):
        return []
    ka = min(k, words_a)
    kb = min(k, words_b)
    kk = max(ka, kb)
    # the region of a chain from seed (i0, j0) to (i1, j1) is [i0, i1 + ka) on A (a shingle's words
    # lie inside the text): long enough when i1 - i0 >= min_words - ka
    enough = (min_words - ka, min_words - kb) if first else None
    out = []
    for region in chain_seeds(si, sj, k=kk, max_gap=max_gap, enough=enough):
        a1 = min(region.a1 - kk + ka, words_a)
        b1 = min(region.b1 - kk + kb, words_b)
        if a1 - region.a0 >= min_words and b1 - region.b0 >= min_words:
            out.append(region._replace(a1=a1, b1=b1))
    return out


def _spans_at_least(positions: IntArray, reach: int, need: int) -> bool:
    """Whether a group of sorted ``positions`` spans ``need`` (groups split at gaps over ``reach``)."""
    if not len(positions):
        return need <= 0
    cut = np.flatnonzero(np.diff(positions) > reach)
    firsts = positions[np.concatenate(([0], cut + 1))]
    lasts = positions[np.concatenate((cut, [len(positions) - 1]))]
    return bool(((lasts - firsts) >= need).any())


def may_share_passage(
    fa: Shingled, words_a: int, fb: Shingled, words_b: int, *, k: int, max_gap: int, min_words: int
) -> bool:
    """True whenever ``regions(...)`` is not empty; cheap for most pairs, whatever the answer.

    A screen before verification: it never says False where :func:`regions` finds a region, and
    rarely says True where it finds none (verification then finds nothing).

    A region is a chain of seeds, each within ``k + max_gap`` words of the previous on both sides, so
    it lies inside one group of the shared shingles' positions split at gaps wider than that, and spans
    at most that group plus ``k`` words. When no group on one side spans ``min_words - k``, no region
    can be long enough: False (the common case for a pair that shares a stock phrase or two).
    Otherwise the seeds are chained as :func:`regions` does, but it stops at the first chain long
    enough to hold a passage: True (a shared paragraph gets there within a few seeds), even though
    resolving the overlaps between chains could still drop that chain in favour of a stronger,
    shorter one.
    """
    common = intersect_sorted(fa.distinct, fb.distinct)
    if len(common) < _min_common(k, min_words):
        return False
    reach = k + max_gap
    for f in (fa, fb):
        at = np.flatnonzero(f.valid & isin(f.shingles, common))
        if not _spans_at_least(at, reach, min_words - k):
            return False
    return bool(regions(fa, words_a, fb, words_b, k=k, max_gap=max_gap, min_words=min_words, first=True))


def screen(
    a: Shingled, words_a: int, b: Shingled, words_b: int, settings: Settings, *, exact: bool = False
) -> bool:
    """The candidate screen of both paths, ``dedup report`` and the index: False, the pair is not verified.

    By default :func:`may_share_passage` with the detection settings: quick, and never False where
    verification (which sees the same masks) finds a passage.

    ``exact``: whether :func:`regions` finds a region, every seed chained and overlaps resolved; the
    index screens its candidates so. The index screens a stored article by its shingles as they were
    masked when it was stored, while verification also masks the lines learned since; resolving the
    overlaps on the former can drop a chain that survives on the latter, so the exact screen drops
    a few pairs that verification would keep. The quick screen keeps them: on a real-news stream
    (2,587 articles through ``dedup filter``) it adds an overlap to 1 kept article's matches; it stays
    off for the index while its decisions are held byte-identical.
    """
    s = settings
    if exact:
        return bool(
            regions(
                a, words_a, b, words_b, k=s.shingle_size, max_gap=s.max_gap, min_words=s.min_passage_words
            )
        )
    return may_share_passage(
        a, words_a, b, words_b, k=s.shingle_size, max_gap=s.max_gap, min_words=s.min_passage_words
    )


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
    # words compared by their 64-bit hashes (equal hash, equal normalised word): no strings needed
    wa, wb = fa.tokens.hashes.view(np.int64).tolist(), fb.tokens.hashes.view(np.int64).tolist()
    matches: list[Match] = []
    for region in regions(fa, len(wa), fb, len(wb), k=k, max_gap=max_gap, min_words=min_words):
        for blocks in _align_region(wa, wb, region, max_gap=max_gap):
            x0, y0 = blocks[0][0], blocks[0][1]
            x1, y1 = blocks[-1][0] + blocks[-1][2], blocks[-1][1] + blocks[-1][2]
            matched = sum(n for _, _, n in blocks)
            distinct: set[int] = set()
            for x, y, n in blocks:
                for t in range(n):
                    if (mask_a is None or not mask_a[x + t]) and (mask_b is None or not mask_b[y + t]):
                        distinct.add(wa[x + t])
            similarity = 2.0 * matched / ((x1 - x0) + (y1 - y0))
            if len(distinct) >= min_words and similarity >= min_similarity:
                matches.append(Match(x0, x1, y0, y1, matched, similarity, tuple(blocks), len(distinct)))
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
    wa, wb = set(tokens_a.hashes[:na].tolist()), set(tokens_b.hashes[:nb].tolist())
    shared = len(wa & wb)
    similarity = shared / len(wa | wb)
    if shared < HEADLINE_MIN_SHARED or similarity < HEADLINE_MIN_SIMILARITY:
        return None
    return Match(0, na, 0, nb, shared, similarity)
