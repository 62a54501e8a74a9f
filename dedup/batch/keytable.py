"""The batch key table: (band key, article) entries partitioned by the keys' top bits.

Keys are split into partitions as articles are fingerprinted (the *map* side); each partition is
sorted on its own and its buckets give the candidate pairs (the *reduce* side,
:func:`dedup.engine.lsh.bucket_pairs`). A table given a folder keeps its partitions in files there as
they fill, so that the parent process holds none of the entries: each partition is read back by the
process that reduces it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from dedup.batch.parallel import ordered, release_memory
from dedup.engine.lsh import DOC_BITS, DOC_MASK, MAX_DOCUMENTS, Candidates, bucket_pairs

__all__ = ["KeyTable", "SpilledPartition", "candidate_pairs", "partition_pairs", "summed_pairs"]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: Entries summed at a time when the partitions' pair counts are added up (8 MB of them).
SUM_RANGE_ENTRIES = 1 << 20


class KeyTable:
    """(key, document) entries, partitioned by the keys' top bits, grouped into buckets on demand.

    An entry is one 64-bit integer: the first ``64 - DOC_BITS`` (40) of the key's bits below the
    partition bits, then the document number (with the default 4 partition bits, 44 bits of the key
    are compared). Sorting these integers
    groups the entries by key and, within a key, by document. Two keys that differ only in the bits
    dropped fall into one bucket: for 67 million keys (100,000 articles) about a hundred such
    buckets, each making at most a candidate pair that screening then drops.

    A document's keys can be replaced (``add(doc, keys, replace=True)``): its earlier entries are then
    ignored when buckets are formed.

    With a ``folder``, each partition's entries are appended to a file there as they come (8 bytes an
    entry), and only their chunks' lengths stay in memory; :meth:`pairs` hands each reducer its
    partition's file, deleted once reduced. Call :meth:`close` if :meth:`pairs` is never called.
    """

    def __init__(self, partition_bits: int = 4, *, folder: str | os.PathLike[str] | None = None) -> None:
        self.bits = partition_bits
        n = 1 << partition_bits
        #: In memory: each partition's chunks of entries with their sequence numbers.
        self.parts: list[list[tuple[U64, int]]] = [[] for _ in range(n)]
        #: In files: each partition's chunk lengths with their sequence numbers.
        self.spilled: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.files: list[Path] = []
        self._handles: list[BinaryIO] = []
        if folder is not None:
            self.files = [Path(folder) / f"keys-{id(self):x}-{p}.u64" for p in range(n)]
            for path in self.files:
                self._handles.append(path.open("wb"))
        self.replaced: dict[int, int] = {}
        self.seq = 0
        self.entries = 0

    def close(self) -> None:
        """Close the partition files (they stay, for :meth:`pairs`, until reduced)."""
        for handle in self._handles:
            handle.close()

    def _put(self, p: int, chunk: U64) -> None:
        if self._handles:
            chunk.tofile(self._handles[p])
            self.spilled[p].append((len(chunk), self.seq))
        else:
            self.parts[p].append((chunk, self.seq))

    def add_many(self, docs: Iterable[tuple[int, U64]], *, replace: bool = False) -> None:
        """Add the keys of several documents as one batch (cheaper than one by one)."""
        pairs = list(docs)
        keys = [np.asarray(k, dtype=np.uint64) for _, k in pairs]
        self.add_concat(
            np.array([d for d, _ in pairs], dtype=np.int64),
            np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64),
            np.array([len(k) for k in keys], dtype=np.int64),
            replace=replace,
        )

    def add_concat(self, docs: I64, keys: U64, counts: I64, *, replace: bool = False) -> None:
        """Add the keys of ``docs``: ``keys`` holds ``counts[i]`` keys of ``docs[i]``, one after another."""
        self.seq += 1
        out_of_range = docs[(docs < 0) | (docs >= MAX_DOCUMENTS)]
        if len(out_of_range):
            bad = int(out_of_range[0])
            raise ValueError(f"document number {bad} out of range (at most {MAX_DOCUMENTS - 1:,})")
        if replace:
            self.replaced.update(dict.fromkeys(docs.tolist(), self.seq))
        if not len(keys):
            return
        keys = keys.astype(np.uint64, copy=False)
        owners = np.repeat(docs.astype(np.uint64), counts)
        self.entries += len(keys)
        bits = np.uint64(self.bits)
        packed = ((keys << bits) >> np.uint64(DOC_BITS)) << np.uint64(DOC_BITS)
        packed |= owners
        if not self.bits:
            self._put(0, packed)
            return
        # partition numbers as small integers: numpy's stable sort of them is a radix sort
        small = np.uint8 if self.bits <= 8 else np.uint16 if self.bits <= 16 else np.uint32
        part = (keys >> np.uint64(64 - self.bits)).astype(small)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange((1 << self.bits) + 1))
        packed = packed[order]
        for p in range(1 << self.bits):
            if bounds[p + 1] > bounds[p]:
                self._put(p, packed[bounds[p] : bounds[p + 1]])

    def _take(self, p: int) -> tuple[list[U64] | SpilledPartition, list[int]]:
        """Partition ``p``'s chunks (or its file) and their sequence numbers, removed from the table."""
        if self.files:
            spilled, self.spilled[p] = self.spilled[p], []
            return SpilledPartition(str(self.files[p]), [c[0] for c in spilled]), [c[1] for c in spilled]
        chunks, self.parts[p] = self.parts[p], []  # consumed: freed as the reduce goes
        return [c[0] for c in chunks], [c[1] for c in chunks]

    def _stale(self) -> tuple[I64, I64]:
        """The replaced documents (sorted) and the sequence number of their current keys."""
        docs = np.fromiter(self.replaced.keys(), dtype=np.int64, count=len(self.replaced))
        seqs = np.fromiter(self.replaced.values(), dtype=np.int64, count=len(self.replaced))
        order = np.argsort(docs)
        return docs[order], seqs[order]

    def pairs(
        self,
        *,
        max_bucket: int,
        min_hits: int = 1,
        progress: Callable[[int, int], None] | None = None,
        executor: Executor | None = None,
        in_flight: int = 2,
    ) -> tuple[I64, int]:
        """Candidate pairs as an (n, 2) array of (x < y), sorted, and the number of skipped buckets.

        A pair is a candidate when it shares at least ``min_hits`` distinct keys (buckets). With an
        ``executor``, partitions are reduced by its workers, at most ``in_flight`` at a time (each
        task carries its partition's entries).
        """
        self.close()
        stale_docs, stale_seqs = self._stale()
        nparts = len(self.parts)
        tasks = (
            (partition_pairs, (*self._take(p), stale_docs, stale_seqs, max_bucket)) for p in range(nparts)
        )
        results: list[tuple[U64, int]] = []
        for result in ordered(executor, tasks, in_flight):
            if self.files:
                self.files[len(results)].unlink(missing_ok=True)  # reduced: its disk space is freed
            results.append(result)
            if progress:
                progress(len(results), nparts)
        skipped = sum(r[1] for r in results)
        counted = [r[0] for r in results if len(r[0])]
        del results
        codes = summed_pairs(counted, min_hits)
        del counted
        release_memory()
        return np.column_stack((codes >> DOC_BITS, codes & (MAX_DOCUMENTS - 1))), skipped


def summed_pairs(counted: list[U64], min_hits: int, *, range_entries: int = SUM_RANGE_ENTRIES) -> I64:
    """The pairs whose counts over the partitions' results add up to ``min_hits`` (sorted pair codes).

    Each result is sorted ``pair << 16 | count`` entries (stock phrases make these many: 8 million at
    100,000 articles). They are summed a range of pair codes at a time, about ``range_entries``
    entries a range, so that no full-size copy of them is made.
    """
    total = sum(len(c) for c in counted)
    if not total:
        return np.zeros(0, dtype=np.int64)
    # range bounds: pair codes at even steps of a sample of every result's entries (64 a range)
    ranges = max(1, -(-total // range_entries))
    step = max(1, total // (64 * ranges))
    sample = np.concatenate([c[::step] >> np.uint64(16) for c in counted])
    sample.sort()
    bounds = np.unique(sample[(np.arange(1, ranges) * len(sample)) // ranges]) << np.uint64(16)
    del sample
    cuts = [np.concatenate(([0], np.searchsorted(c, bounds), [len(c)])) for c in counted]
    out: list[I64] = []
    for r in range(len(bounds) + 1):
        entries = np.concatenate([c[cut[r] : cut[r + 1]] for c, cut in zip(counted, cuts, strict=True)])
        if not len(entries):
            continue
        entries.sort()
        low = (entries & np.uint64(0xFFFF)).astype(np.uint16)
        entries >>= np.uint64(16)
        change = np.empty(len(entries), dtype=np.bool_)
        change[0] = True
        np.not_equal(entries[1:], entries[:-1], out=change[1:])
        first = np.flatnonzero(change)
        del change
        counts = np.add.reduceat(low, first, dtype=np.int64)
        del low
        out.append(entries[first[counts >= min_hits]].astype(np.int64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class SpilledPartition:
    """A partition of a :class:`KeyTable` in a file: its chunks, one after another."""

    path: str
    lengths: list[int]

    def load(self) -> list[U64]:
        """The chunks (views of one array read from the file)."""
        if not self.lengths:
            return []
        data = np.fromfile(self.path, dtype=np.uint64)
        return np.split(data, np.cumsum(self.lengths[:-1]))


def partition_pairs(
    chunks: list[U64] | SpilledPartition, seqs: list[int], stale_docs: I64, stale_seqs: I64, max_bucket: int
) -> tuple[U64, int]:
    """Reduce one partition of a :class:`KeyTable` (its chunks, or the file that holds them).

    Returns the pairs sharing its buckets with how many buckets each shares (``pair << 16 | count``,
    a pair being ``x << 24 | y``), and the number of buckets skipped for holding more than
    ``max_bucket`` documents.
    """
    if isinstance(chunks, SpilledPartition):
        chunks = chunks.load()
    if not chunks:
        return np.zeros(0, np.uint64), 0
    packed = np.concatenate(chunks)
    if len(stale_docs):
        owners = (packed & DOC_MASK).astype(np.int64)
        at = np.minimum(np.searchsorted(stale_docs, owners), len(stale_docs) - 1)
        current = np.repeat(np.asarray(seqs, dtype=np.int64), [len(c) for c in chunks])
        packed = packed[(stale_docs[at] != owners) | (current >= stale_seqs[at])]
    return bucket_pairs(packed, max_bucket)


def candidate_pairs(keys: Sequence[U64], *, max_bucket: int, min_hits: int = 1) -> Candidates:
    """Pairs of documents sharing at least ``min_hits`` keys; ``keys[d]`` holds document ``d``'s keys."""
    table = KeyTable(partition_bits=0)
    table.add_many(enumerate(keys))
    pairs, skipped = table.pairs(max_bucket=max_bucket, min_hits=min_hits)
    return Candidates(frozenset((int(x), int(y)) for x, y in pairs.tolist()), skipped)
