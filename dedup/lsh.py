"""Candidate generation: articles whose LSH band keys collide.

In batch, every (band key, article) pair of the corpus is put in one array and sorted; runs of equal
keys are the buckets, and articles sharing a bucket are candidates. This is datasketch ``MinHashLSH``'s
rule (same bands and rows, see :func:`dedup.signature.optimal_bands`) without one dict operation per
key. Buckets larger than ``max_bucket`` are skipped: a key shared by that many articles is boilerplate
that slipped through, and would cost a quadratic number of pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.signature import unique_sorted

__all__ = ["Candidates", "candidate_pairs"]


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs (x < y, indices into the corpus) and how many oversized buckets were skipped."""

    pairs: frozenset[tuple[int, int]]
    skipped_buckets: int


def candidate_pairs(keys: Sequence[npt.NDArray[np.uint64]], *, max_bucket: int) -> Candidates:
    """Pairs of documents that share at least one key; ``keys[d]`` holds document ``d``'s keys."""
    parts_k = []
    parts_d = []
    for d, k in enumerate(keys):
        u = unique_sorted(k)
        if len(u):
            parts_k.append(u)
            parts_d.append(np.full(len(u), d, dtype=np.int64))
    if not parts_k:
        return Candidates(frozenset(), 0)
    all_k = np.concatenate(parts_k)
    all_d = np.concatenate(parts_d)
    order = np.argsort(all_k, kind="stable")
    all_k = all_k[order]
    all_d = all_d[order]
    bounds = np.flatnonzero(np.diff(all_k)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(all_k)]))
    sizes = ends - starts
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for s, e in zip(starts[sizes > 1].tolist(), ends[sizes > 1].tolist(), strict=True):
        if e - s > max_bucket:
            skipped += 1
            continue
        docs = all_d[s:e].tolist()
        for i, x in enumerate(docs):
            for y in docs[i + 1 :]:
                pairs.add((x, y) if x < y else (y, x))
    return Candidates(frozenset(pairs), skipped)
