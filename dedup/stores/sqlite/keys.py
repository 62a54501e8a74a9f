"""Band-key look-ups: sorted runs on disk (:mod:`~.runs`) plus the newest keys in memory.

Most stored keys are in immutable run files, searched in place (a binary search in a small
in-memory fence, then one page read per asked key); the keys of the articles stored since the
last run was written (at most about :attr:`~dedup.stores.sqlite.store.SQLiteStore.run_articles`
articles) are read from the database into a :class:`KeyIndex` in memory, and brought up to date
before each look-up with the rows appended since, by any process. Removed articles stay in their run
until it is merged again; their doc numbers are left out of every answer meanwhile.

A B-tree of ``(key, doc)`` rows would cost one random page write per key (hundreds per article) on
every insert; appending a row of keys per article, and sorting them into a run every few thousand
articles, costs a sequential write.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from dedup.stores.sqlite.runs import Run

__all__ = ["KeyIndex", "lookup"]

Int64s = npt.NDArray[np.int64]


class KeyIndex:
    """Band keys with their docs in memory: sorted arrays plus a small dict of recent additions.

    12 bytes per key (a 64-bit key, a 32-bit doc number).
    """

    #: Recent keys kept in the dict before they are merged into the sorted arrays.
    MERGE_AT = 400_000

    def __init__(self) -> None:
        self.keys: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.docs: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.recent: dict[int, list[int]] = {}
        self.recent_count = 0

    def __len__(self) -> int:
        return len(self.keys) + self.recent_count

    def add(self, docs: Sequence[int], blobs: Sequence[bytes]) -> None:
        """Add the keys of newly seen docs."""
        if len(docs) > 64 or self.recent_count > self.MERGE_AT:
            self._merge(docs, blobs)
            return
        for doc, blob in zip(docs, blobs, strict=True):
            for key in np.frombuffer(blob, dtype="<i8").tolist():
                self.recent.setdefault(key, []).append(doc)
            self.recent_count += len(blob) // 8

    def _merge(self, docs: Sequence[int], blobs: Sequence[bytes]) -> None:
        """Fold the recent dict and new docs into the sorted arrays (one pass over them, no re-sort)."""
        parts_k: list[npt.NDArray[np.int64]] = []
        parts_d: list[npt.NDArray[np.int32]] = []
        if self.recent:
            parts_k.append(np.asarray([k for k, ds in self.recent.items() for _ in ds], dtype=np.int64))
            parts_d.append(np.asarray([d for ds in self.recent.values() for d in ds], dtype=np.int32))
        if docs:
            # all blobs at once: one buffer, one repeat
            parts_k.append(np.frombuffer(b"".join(blobs), dtype="<i8").astype(np.int64))
            lengths = np.fromiter((len(b) // 8 for b in blobs), dtype=np.int64, count=len(blobs))
            parts_d.append(np.repeat(np.asarray(docs, dtype=np.int32), lengths))
        if parts_k:
            new_k = np.concatenate(parts_k)
            new_d = np.concatenate(parts_d)
            order = np.argsort(new_k)
            new_k, new_d = new_k[order], new_d[order]
            at = np.searchsorted(self.keys, new_k, side="right")
            self.keys = np.insert(self.keys, at, new_k)
            self.docs = np.insert(self.docs, at, new_d)
        self.recent = {}
        self.recent_count = 0

    def hits(self, query: Int64s) -> tuple[Int64s, Int64s]:
        """Every ``(position in query, doc)`` pair for the keys of ``query`` (sorted, distinct)."""
        lo = np.searchsorted(self.keys, query, side="left")
        hi = np.searchsorted(self.keys, query, side="right")
        where, docs = _expand(lo, hi, self.docs)
        if self.recent:
            more = [(i, d) for i, k in enumerate(query.tolist()) for d in self.recent.get(k, ())]
            if more:
                extra = np.asarray(more, dtype=np.int64)
                where = np.concatenate([where, extra[:, 0]])
                docs = np.concatenate([docs, extra[:, 1]])
        return where, docs

    def lookup(self, query: Int64s, *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Docs sharing keys with ``query`` and how many each shares; buckets over ``max_bucket`` skipped."""
        return lookup(query, [], self, np.zeros(0, dtype=np.int64), max_bucket=max_bucket)


def _expand(lo: Int64s, hi: Int64s, docs: npt.NDArray[np.int32]) -> tuple[Int64s, Int64s]:
    """The docs in ``docs[lo[i]:hi[i]]`` for every i, with i."""
    lengths = (hi - lo).astype(np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    idx = np.repeat(lo - starts, lengths) + np.arange(total)
    where = np.repeat(np.arange(len(lo), dtype=np.int64), lengths)
    return where, np.asarray(docs[idx], dtype=np.int64)


def lookup(
    query: Int64s, runs: Sequence[Run], recent: KeyIndex, removed: Int64s, *, max_bucket: int
) -> tuple[dict[int, int], int]:
    """Docs sharing keys with ``query`` in ``runs`` and ``recent``, leaving out ``removed`` (sorted).

    Returns each doc with the number of keys it shares, and the number of keys skipped because more
    than ``max_bucket`` stored docs hold them.
    """
    query = np.unique(query)
    n = len(query)
    spans = [run.ranges(query) for run in runs]
    raw = np.zeros(n, dtype=np.int64)
    for lo, hi in spans:
        raw += hi - lo
    r_lo = np.searchsorted(recent.keys, query, side="left")
    r_hi = np.searchsorted(recent.keys, query, side="right")
    raw += r_hi - r_lo
    if recent.recent:
        raw += np.fromiter((len(recent.recent.get(k, ())) for k in query.tolist()), dtype=np.int64, count=n)
    # a key held by more than max_bucket docs even if every removed doc held it: skipped unread
    certain = raw - len(removed) > max_bucket
    skipped = int(np.count_nonzero(certain))
    wanted = ~certain & (raw > 0)
    if not wanted.any():
        return {}, skipped
    where_parts: list[Int64s] = []
    doc_parts: list[Int64s] = []
    for run, (lo, hi) in zip(runs, spans, strict=True):
        where, docs = run.hits(np.where(wanted, lo, 0), np.where(wanted, hi, 0))
        where_parts.append(where)
        doc_parts.append(docs)
    sub = query[wanted]
    where, docs = recent.hits(sub)
    where_parts.append(np.flatnonzero(wanted)[where])
    doc_parts.append(docs)
    where_all = np.concatenate(where_parts)
    docs_all = np.concatenate(doc_parts)
    if len(removed) and len(docs_all):
        live = ~np.isin(docs_all, removed)
        where_all, docs_all = where_all[live], docs_all[live]
    sizes = np.bincount(where_all, minlength=n)
    over = sizes > max_bucket
    skipped += int(np.count_nonzero(over & wanted))
    keep = ~over[where_all]
    if not keep.any():
        return {}, skipped
    found, counts = np.unique(docs_all[keep], return_counts=True)
    return dict(zip(found.tolist(), counts.tolist(), strict=True)), skipped
