"""Every stored band key in memory, for look-ups: sorted arrays plus a small dict of recent additions.

Each process holds every stored key in a sorted array (12 bytes per key: a 64-bit key, a 32-bit doc
number), loaded on the first look-up and brought up to date before each look-up with the rows
appended since (by any process), so it always sees every committed article. A B-tree of
``(key, doc)`` rows would cost one random page write per key (hundreds per article) on every insert;
the sorted array costs a binary search per key and memory proportional to the index.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["KeyIndex"]


class KeyIndex:
    """Every stored band key with its doc: sorted arrays plus a small dict of recent additions.

    12 bytes per key (a 64-bit key, a 32-bit doc number).
    """

    #: Recent keys kept in the dict before they are merged into the sorted arrays.
    MERGE_AT = 400_000

    def __init__(self) -> None:
        self.keys: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.docs: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.recent: dict[int, list[int]] = {}
        self.recent_count = 0

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
            # all blobs at once: one buffer, one repeat (a first load reads every stored article)
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

    def lookup(self, query: npt.NDArray[np.int64], *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Docs sharing keys with ``query`` and how many each shares; buckets over ``max_bucket`` skipped."""
        query = np.unique(query)
        lo = np.searchsorted(self.keys, query, side="left")
        hi = np.searchsorted(self.keys, query, side="right")
        sizes = hi - lo
        extra = [self.recent.get(k, ()) for k in query.tolist()] if self.recent else None
        if extra is not None:
            sizes = sizes + np.fromiter((len(e) for e in extra), dtype=np.int64, count=len(query))
        skipped = int(np.count_nonzero(sizes > max_bucket))
        ok = (sizes <= max_bucket) & (sizes > 0)
        found: list[npt.NDArray[np.int64]] = []
        if ok.any():
            starts, ends = lo[ok], hi[ok]
            lengths = ends - starts
            if lengths.sum():
                idx = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
                found.append(self.docs[idx].astype(np.int64))
            if extra is not None:
                more = [d for e, keep in zip(extra, ok.tolist(), strict=True) if keep for d in e]
                if more:
                    found.append(np.asarray(more, dtype=np.int64))
        if not found:
            return {}, skipped
        docs, counts = np.unique(np.concatenate(found), return_counts=True)
        return dict(zip(docs.tolist(), counts.tolist(), strict=True)), skipped
