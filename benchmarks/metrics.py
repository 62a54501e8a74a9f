"""Quality metrics: how far a detector's output agrees with labelled data.

* :func:`score_pairs`, :func:`scores_by_category`: precision, recall and F1 over unordered pairs of
  article ids (was the pair flagged?).
* :func:`adjusted_rand_index`, :func:`cluster_labels`: agreement of two clusterings, corrected for
  chance (Hubert and Arabie, 1985).
* :func:`pan_scores`: the PAN text-alignment measures (Potthast et al., 2010): macro-averaged character
  precision and recall of reported passages against gold cases, granularity (how many passages one
  case is reported in) and plagdet, their combination.
* :func:`char_scores`: micro-averaged character precision, recall and F1 of passages.
* :func:`coverage`: how much of one span other spans cover.

Spans are ``(key, start, end)`` triples, end exclusive; ``key`` says which text the offsets refer to
(an article id, or an ``(article, other article)`` pair when a passage is only meaningful for one
pair). Spans with different keys never overlap.

Empty inputs follow PAN's convention: with nothing to find and nothing found, precision and recall are
1; with one side empty and not the other, 0.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "CharScores",
    "PairScores",
    "PanScores",
    "Span",
    "adjusted_rand_index",
    "char_scores",
    "cluster_labels",
    "coverage",
    "pair_key",
    "pan_scores",
    "score_pairs",
    "scores_by_category",
    "union",
]

#: A span of characters: (key of the text, start, end), end exclusive.
Span = tuple[Hashable, int, int]


def _ratio(num: float, den: float, *, empty: float) -> float:
    return num / den if den else empty


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


# -- pairs ------------------------------------------------------------------------------------------


def pair_key(a: str, b: str) -> tuple[str, str]:
    """An unordered pair of ids as a sorted tuple."""
    if a == b:
        raise ValueError(f"a pair needs two different ids, got {a!r} twice")
    return (a, b) if a < b else (b, a)


def _keys(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {pair_key(a, b) for a, b in pairs}


@dataclass(frozen=True, slots=True)
class PairScores:
    """Counts of a pair classification and the scores derived from them."""

    tp: int
    fp: int
    fn: int
    #: Labelled negatives that were (rightly) not flagged.
    tn: int = 0

    @property
    def precision(self) -> float:
        """Flagged pairs that are right."""
        return _ratio(self.tp, self.tp + self.fp, empty=1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        """Positive pairs that were flagged."""
        return _ratio(self.tp, self.tp + self.fn, empty=1.0 if self.fp == 0 else 0.0)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return _f1(self.precision, self.recall)


def score_pairs(
    predicted: Iterable[tuple[str, str]],
    positive: Iterable[tuple[str, str]],
    negative: Iterable[tuple[str, str]] | None = None,
) -> PairScores:
    """Score flagged pairs against labelled ones (order inside a pair does not matter).

    Without ``negative``, every flagged pair that is not positive is a false positive. With it, only
    labelled pairs count: a flagged pair that is neither positive nor negative is ignored.
    """
    pred = _keys(predicted)
    pos = _keys(positive)
    neg = _keys(negative) if negative is not None else None
    if neg is not None and pos & neg:
        raise ValueError(f"pairs labelled both positive and negative: {sorted(pos & neg)[:3]}")
    tp = len(pred & pos)
    fn = len(pos - pred)
    if neg is None:
        return PairScores(tp=tp, fp=len(pred - pos), fn=fn)
    return PairScores(tp=tp, fp=len(pred & neg), fn=fn, tn=len(neg - pred))


def scores_by_category(
    predicted: Iterable[tuple[str, str]],
    labelled: Mapping[tuple[str, str], str],
    positive: Collection[str],
) -> dict[str, PairScores]:
    """Pair scores per category of labelled pairs.

    ``labelled`` maps each labelled pair to its category; categories in ``positive`` are pairs that
    should be flagged (their scores have tp and fn), the others pairs that should not (fp and tn).
    """
    pred = _keys(predicted)
    groups: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for (a, b), category in labelled.items():
        groups[category].add(pair_key(a, b))
    out = {}
    for category in sorted(groups):
        pairs = groups[category]
        hit = len(pairs & pred)
        if category in positive:
            out[category] = PairScores(tp=hit, fp=0, fn=len(pairs) - hit)
        else:
            out[category] = PairScores(tp=0, fp=hit, fn=0, tn=len(pairs) - hit)
    return out


# -- clusters ---------------------------------------------------------------------------------------


def cluster_labels(clusters: Iterable[Iterable[str]], ids: Iterable[str]) -> dict[str, int]:
    """A cluster label for every id: members of one cluster share one, every other id is alone."""
    labels: dict[str, int] = {}
    count = 0
    for cluster in clusters:
        for member in cluster:
            if member in labels:
                raise ValueError(f"{member!r} is in two clusters")
            labels[member] = count
        count += 1
    for member in ids:
        if member not in labels:
            labels[member] = count
            count += 1
    return labels


def _comb2(n: int) -> int:
    return n * (n - 1) // 2


def adjusted_rand_index(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Adjusted Rand index of two clusterings of the same items, given as one label per item.

    1.0 for identical clusterings (also the degenerate ones: everything in one cluster, or every item
    alone), about 0.0 for independent ones, negative for worse than chance.
    """
    if len(truth) != len(predicted):
        raise ValueError(f"label sequences differ in length: {len(truth)} and {len(predicted)}")
    n = len(truth)
    if n < 2:
        return 1.0
    joint = Counter(zip(truth, predicted, strict=True))
    same_both = sum(_comb2(c) for c in joint.values())
    same_truth = sum(_comb2(c) for c in Counter(truth).values())
    same_pred = sum(_comb2(c) for c in Counter(predicted).values())
    expected = same_truth * same_pred / _comb2(n)
    best = (same_truth + same_pred) / 2
    if best == expected:
        return 1.0
    return (same_both - expected) / (best - expected)


# -- spans ------------------------------------------------------------------------------------------


def _check(span: Span) -> Span:
    _, start, end = span
    if not 0 <= start < end:
        raise ValueError(f"span {span!r} is empty or negative (need 0 <= start < end)")
    return span


def union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-touching intervals covering exactly the characters of ``spans``."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _length(intervals: Iterable[tuple[int, int]]) -> int:
    return sum(end - start for start, end in intervals)


def _common(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> int:
    """Characters in both of two unions (as returned by :func:`union`)."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo < hi:
            total += hi - lo
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return total


def coverage(spans: Iterable[tuple[int, int]], start: int, end: int) -> float:
    """Fraction of the characters ``[start, end)`` that ``spans`` cover."""
    if not 0 <= start < end:
        raise ValueError(f"span ({start}, {end}) is empty or negative")
    return _common(union(spans), [(start, end)]) / (end - start)


def _by_key(spans: Iterable[Span]) -> dict[Hashable, list[tuple[int, int]]]:
    out: dict[Hashable, list[tuple[int, int]]] = defaultdict(list)
    for span in spans:
        key, start, end = _check(span)
        out[key].append((start, end))
    return out


@dataclass(frozen=True, slots=True)
class CharScores:
    """Micro-averaged character precision, recall and F1."""

    gold_chars: int
    predicted_chars: int
    common_chars: int

    @property
    def precision(self) -> float:
        """Reported characters that lie inside gold passages."""
        return _ratio(self.common_chars, self.predicted_chars, empty=1.0 if not self.gold_chars else 0.0)

    @property
    def recall(self) -> float:
        """Gold characters that lie inside reported passages."""
        return _ratio(self.common_chars, self.gold_chars, empty=1.0 if not self.predicted_chars else 0.0)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return _f1(self.precision, self.recall)


def char_scores(gold: Iterable[Span], predicted: Iterable[Span]) -> CharScores:
    """Character precision and recall of predicted passages, summed over all texts.

    Each text's characters are counted once however many spans cover them.
    """
    g = {k: union(v) for k, v in _by_key(gold).items()}
    p = {k: union(v) for k, v in _by_key(predicted).items()}
    return CharScores(
        gold_chars=sum(_length(v) for v in g.values()),
        predicted_chars=sum(_length(v) for v in p.values()),
        common_chars=sum(_common(v, p[k]) for k, v in g.items() if k in p),
    )


@dataclass(frozen=True, slots=True)
class PanScores:
    """PAN text-alignment measures."""

    precision: float
    recall: float
    #: Mean number of detections that touch a detected case (1.0 is ideal).
    granularity: float
    cases: int
    detections: int
    #: Cases touched by at least one detection.
    detected_cases: int

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return _f1(self.precision, self.recall)

    @property
    def plagdet(self) -> float:
        """F1 discounted by granularity: ``F1 / log2(1 + granularity)``."""
        return self.f1 / math.log2(1 + self.granularity)


def _macro(targets: Sequence[Span], others: Mapping[Hashable, list[tuple[int, int]]]) -> list[float]:
    """For each target span, the fraction of its characters inside the ``others`` spans touching it."""
    out = []
    for key, start, end in targets:
        touching = [(s, e) for s, e in others.get(key, ()) if s < end and start < e]
        out.append(_common(union(touching), [(start, end)]) / (end - start))
    return out


def pan_scores(cases: Iterable[Span], detections: Iterable[Span]) -> PanScores:
    """PAN's macro-averaged character precision and recall, granularity and plagdet.

    A detection *detects* a case when both have the same key and share a character. Recall is the
    mean, over cases, of the fraction of the case's characters inside the detections that detect it;
    precision is the mean, over detections, of the fraction of the detection's characters inside the
    cases it detects; granularity is the mean number of detections per detected case.
    """
    case_list = [_check(c) for c in cases]
    det_list = [_check(d) for d in detections]
    by_case = _by_key(case_list)
    by_det = _by_key(det_list)
    if not case_list or not det_list:
        both_empty = not case_list and not det_list
        value = 1.0 if both_empty else 0.0
        return PanScores(value, value, 1.0, len(case_list), len(det_list), 0)
    recall = _macro(case_list, by_det)
    precision = _macro(det_list, by_case)
    hits = []
    for key, start, end in case_list:
        n = sum(1 for s, e in by_det.get(key, ()) if s < end and start < e)
        if n:
            hits.append(n)
    return PanScores(
        precision=sum(precision) / len(precision),
        recall=sum(recall) / len(recall),
        granularity=sum(hits) / len(hits) if hits else 1.0,
        cases=len(case_list),
        detections=len(det_list),
        detected_cases=len(hits),
    )
