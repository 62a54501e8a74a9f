"""Immutable sorted runs of ``(band key, doc)`` in files beside the database, read in place.

A run file holds the band keys of a contiguous range of doc numbers, sorted by key (then doc):

* a header page (4 KiB): magic, version, block size, number of keys, first and last doc;
* the keys (little-endian signed 64-bit), padded with the largest value to whole blocks of
  :data:`BLOCK` keys, so that a block is one 4 KiB page;
* the docs (little-endian signed 32-bit), one per key;
* the fence: the first key of every block;
* the key filter (from the next 4 KiB boundary): a blocked Bloom filter of the keys,
  :data:`FILTER_BITS` bits per key.

A look-up first tests each asked key against the filter (memory-mapped, one word per key; most
asked keys are held by no stored article and stop there), then finds in the fence (8 bytes per 512
keys, read into memory) the one block that can hold it, and reads that block (one page) from the
file (``pread``, not a memory map: see :class:`Run`). A look-up of 200 keys thus reads the pages of
the few keys the filter lets through and the docs of the keys found, whatever the size of the run.
Files are written to a temporary name, synced and renamed: a run file either is whole or does not
exist under its name; which files are current is recorded in the database
(:mod:`~dedup.stores.sqlite.layout`), so that a file written by a process killed before it recorded
it is never read.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.errors import IndexStoreError

__all__ = ["BLOCK", "Run", "merge_runs", "write_run"]

MAGIC = b"DEDUPKR1"
VERSION = 1
#: Keys per block: one 4 KiB page of keys, and one fence key in memory.
BLOCK = 512
HEADER_SIZE = 4096
_HEADER = struct.Struct("<8sIIqqqq")
#: Bits of the key filter per key (a blocked Bloom filter: 4 bits in one 64-bit word per key, about
#: 3% false positives), so that most asked keys, held by no stored article, cost no read at all.
FILTER_BITS = 8
_FILTER_SALT = np.uint64(0x2545F4914F6CDD1D)
_PAD = np.iinfo(np.int64).max
#: Keys sorted at once when a run is written from larger inputs.
CHUNK = 4_000_000

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]


class Run:
    """One run file: its fence in memory, its keys and docs read from the file as they are asked for.

    Reads are ``pread`` calls on a descriptor advised for random access (``POSIX_FADV_RANDOM``): a
    memory map would count every page it touched (and, on a miss, the kernel's read-ahead around it)
    in the process's resident memory, and read far more than the one page a key needs.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._map: mmap.mmap | None = None
        self.filter: npt.NDArray[np.uint64] | None = None
        try:
            self._fd: int | None = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise IndexStoreError(f"{path}: cannot read the band-key run: {exc}") from None
        try:
            header = os.pread(self._fd, HEADER_SIZE, 0)
            magic, version, block, n, first, last, words = _HEADER.unpack_from(
                header.ljust(_HEADER.size, b"\0")
            )
            if magic != MAGIC or version != VERSION or block != BLOCK:
                raise IndexStoreError(f"{path}: not a band-key run of this version")
            self.n, self.first, self.last = int(n), int(first), int(last)
            self.blocks = -(-self.n // BLOCK)
            self._docs_at = HEADER_SIZE + self.blocks * BLOCK * 8
            fence_at = self._docs_at + self.n * 4
            filter_at = _filter_offset(fence_at + self.blocks * 8)
            if os.fstat(self._fd).st_size != filter_at + int(words) * 8:
                raise IndexStoreError(f"{path}: band-key run cut short or overlong")
            if words:
                self._map = mmap.mmap(self._fd, int(words) * 8, offset=filter_at, access=mmap.ACCESS_READ)
                with suppress(AttributeError, OSError):
                    self._map.madvise(mmap.MADV_RANDOM)  # one word per key: no read-ahead on a fault
                    # but read the whole filter in, in the background: every look-up touches it
                    self._map.madvise(mmap.MADV_WILLNEED)
                self.filter = np.frombuffer(self._map, dtype="<u8")
            # the fence is small (1/512 of the keys): read into memory
            self.fence: Int64s = np.frombuffer(
                os.pread(self._fd, self.blocks * 8, fence_at), dtype="<i8"
            ).astype(np.int64)
            with suppress(AttributeError, OSError):  # not on every platform
                os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)
        except OSError as exc:
            self.close()
            raise IndexStoreError(f"{path}: cannot read the band-key run: {exc}") from None
        except IndexStoreError:
            self.close()
            raise

    def _read(self, size: int, offset: int) -> bytes:
        assert self._fd is not None, "run closed"
        data = os.pread(self._fd, size, offset)
        if len(data) != size:
            raise IndexStoreError(f"{self.path}: band-key run cut short")
        return data

    def _rows(self, blocks: Int64s) -> Int64s:
        """The keys of ``blocks`` (block numbers, any order, repeats allowed), shape (len, BLOCK)."""
        distinct, inverse = np.unique(blocks, return_inverse=True)
        size = BLOCK * 8
        data = b"".join(self._read(size, HEADER_SIZE + b * size) for b in distinct.tolist())
        rows: Int64s = np.frombuffer(data, dtype="<i8").reshape(len(distinct), BLOCK)[inverse]
        return rows

    def might_hold(self, query: Int64s) -> npt.NDArray[np.bool_]:
        """False for keys of ``query`` the run surely does not hold (true for about 3% of the others)."""
        if self.filter is None:
            return np.ones(len(query), dtype=np.bool_)
        word, mask = _filter_bits(query, len(self.filter))
        hit: npt.NDArray[np.bool_] = (self.filter[word] & mask) == mask
        return hit

    def ranges(self, query: Int64s, *, exact: bool = False) -> tuple[Int64s, Int64s]:
        """For each key of ``query``, where its docs start and end (positions in the run).

        Keys the filter rules out get an empty range at 0 unless ``exact`` (a position for every key).
        """
        if not self.n:
            zero = np.zeros(len(query), dtype=np.int64)
            return zero, zero
        if not exact:
            maybe = self.might_hold(query)
            if not maybe.all():
                lo = np.zeros(len(query), dtype=np.int64)
                hi = np.zeros(len(query), dtype=np.int64)
                if maybe.any():
                    lo[maybe], hi[maybe] = self.ranges(query[maybe], exact=True)
                return lo, hi
        b_lo = np.maximum(np.searchsorted(self.fence, query, side="left") - 1, 0)
        b_hi = np.maximum(np.searchsorted(self.fence, query, side="right") - 1, 0)
        rows = self._rows(np.concatenate([b_lo, b_hi]))  # one page per asked key (both ends: one block)
        col = query[:, None]
        m = len(query)
        lo = b_lo * BLOCK + np.count_nonzero(rows[:m] < col, axis=1)
        hi = b_hi * BLOCK + np.count_nonzero(rows[m:] <= col, axis=1)
        return np.minimum(lo, self.n), np.minimum(hi, self.n)

    def search(self, values: Int64s) -> Int64s:
        """Where each of ``values`` would be inserted, before equal keys (``np.searchsorted``, left)."""
        return self.ranges(np.asarray(values, dtype=np.int64), exact=True)[0]

    def keys_range(self, lo: int, hi: int) -> Int64s:
        """Keys ``lo:hi`` of the run."""
        if hi <= lo:
            return np.zeros(0, dtype=np.int64)
        return np.frombuffer(self._read((hi - lo) * 8, HEADER_SIZE + lo * 8), dtype="<i8").astype(np.int64)

    def docs_range(self, lo: int, hi: int) -> Int32s:
        """Docs ``lo:hi`` of the run (the doc of each key)."""
        if hi <= lo:
            return np.zeros(0, dtype=np.int32)
        return np.frombuffer(self._read((hi - lo) * 4, self._docs_at + lo * 4), dtype="<i4").astype(np.int32)

    def hits(self, lo: Int64s, hi: Int64s) -> tuple[Int64s, Int64s]:
        """The docs of ranges ``lo[i]:hi[i]``, each with its i (one read per non-empty range)."""
        where: list[Int64s] = []
        docs: list[Int64s] = []
        for i in np.flatnonzero(hi > lo).tolist():
            got = self.docs_range(int(lo[i]), int(hi[i])).astype(np.int64)
            docs.append(got)
            where.append(np.full(len(got), i, dtype=np.int64))
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(where), np.concatenate(docs)

    def iter_chunks(self, size: int = CHUNK) -> Iterator[tuple[Int64s, Int32s]]:
        """Keys and docs in order, ``size`` at a time (for merging and checking)."""
        for start in range(0, self.n, size):
            end = min(start + size, self.n)
            yield self.keys_range(start, end), self.docs_range(start, end)

    def close(self) -> None:
        """Close the file."""
        self.filter = None
        if self._map is not None:
            with suppress(BufferError):  # a view still held elsewhere: released with it
                self._map.close()
            self._map = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Writer:
    """Writes a run file in order, chunk by chunk: keys to the file, docs to a side file, then both."""

    def __init__(self, path: Path, first: int, last: int, capacity: int) -> None:
        self.path = path
        self.first, self.last = first, last
        self.filter = np.zeros(max(1, -(-capacity * FILTER_BITS // 64)), dtype=np.uint64)
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.tmp_docs = path.with_name(f".{path.name}.{os.getpid()}.docs.tmp")
        self.fh = self.tmp.open("wb")
        self.fh_docs = self.tmp_docs.open("wb+")
        self.fh.write(b"\0" * HEADER_SIZE)
        self.n = 0
        self.fence: list[Int64s] = []
        self.last_key: int | None = None

    def add(self, keys: Int64s, docs: Int32s) -> None:
        if not len(keys):
            return
        offset = (-self.n) % BLOCK  # first index of this chunk that starts a block
        self.fence.append(np.asarray(keys[offset::BLOCK], dtype=np.int64))
        word, mask = _filter_bits(np.asarray(keys, dtype=np.int64), len(self.filter))
        np.bitwise_or.at(self.filter, word, mask)
        self.fh.write(np.ascontiguousarray(keys, dtype="<i8").tobytes())
        self.fh_docs.write(np.ascontiguousarray(docs, dtype="<i4").tobytes())
        self.n += len(keys)

    def finish(self) -> Path:
        try:
            blocks = -(-self.n // BLOCK)
            self.fh.write(np.full(blocks * BLOCK - self.n, _PAD, dtype="<i8").tobytes())
            self.fh_docs.seek(0)
            while chunk := self.fh_docs.read(1 << 24):
                self.fh.write(chunk)
            fence = np.concatenate(self.fence) if self.fence else np.zeros(0, dtype=np.int64)
            self.fh.write(fence.astype("<i8").tobytes())
            end = HEADER_SIZE + blocks * BLOCK * 8 + self.n * 4 + blocks * 8
            self.fh.write(b"\0" * (_filter_offset(end) - end))
            self.fh.write(self.filter.astype("<u8").tobytes())
            self.fh.seek(0)
            header = _HEADER.pack(MAGIC, VERSION, BLOCK, self.n, self.first, self.last, len(self.filter))
            self.fh.write(header)
            self.fh.flush()
            os.fsync(self.fh.fileno())
        finally:
            self.fh.close()
            self.fh_docs.close()
            self.tmp_docs.unlink(missing_ok=True)
        os.replace(self.tmp, self.path)
        _sync_dir(self.path.parent)
        return self.path

    def abort(self) -> None:
        self.fh.close()
        self.fh_docs.close()
        self.tmp.unlink(missing_ok=True)
        self.tmp_docs.unlink(missing_ok=True)


def _filter_offset(end: int) -> int:
    """Where the filter starts: the first page boundary at or after ``end`` (it is mapped)."""
    grain = mmap.ALLOCATIONGRANULARITY
    return -(-end // grain) * grain


def _filter_bits(keys: Int64s, words: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint64]]:
    """For each key, its word of the filter and the 4 bits it sets there."""
    with np.errstate(over="ignore"):
        h = keys.view(np.uint64) ^ _FILTER_SALT
        h = (h ^ (h >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
        h = (h ^ (h >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
    word = (h % np.uint64(words)).astype(np.intp)
    one = np.uint64(1)
    mask = np.zeros(len(keys), dtype=np.uint64)
    for shift in (40, 46, 52, 58):
        mask |= one << ((h >> np.uint64(shift)) & np.uint64(63))
    return word, mask


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_run(path: Path, keys: Int64s, docs: Int32s, first: int, last: int) -> Path:
    """Write keys with their docs (any order) as a run file covering docs ``first`` to ``last``."""
    order = np.lexsort((docs, keys))
    writer = _Writer(path, first, last, len(keys))
    try:
        for start in range(0, len(order), CHUNK):
            part = order[start : start + CHUNK]
            writer.add(keys[part], docs[part])
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


def merge_runs(path: Path, runs: Sequence[Run], removed: Int64s) -> Path:
    """Merge ``runs`` (covering consecutive doc ranges) into one run file, leaving out ``removed`` docs.

    Works a slice of the key space at a time (about :data:`CHUNK` keys), so that memory stays bounded
    whatever the size of the runs.
    """
    runs = sorted(runs, key=lambda r: r.first)
    writer = _Writer(path, runs[0].first, runs[-1].last, sum(r.n for r in runs) - len(removed))
    try:
        total = sum(r.n for r in runs)
        biggest = max(runs, key=lambda r: r.n)
        step = max(1, int(CHUNK * biggest.n / max(total, 1)))
        at = np.arange(step, biggest.n, step, dtype=np.int64)
        samples = [biggest.keys_range(int(i), int(i) + 1) for i in at.tolist()]
        splitters = np.unique(np.concatenate(samples)) if samples else np.zeros(0, dtype=np.int64)
        bounds = [run.search(splitters) for run in runs]
        for c in range(len(splitters) + 1):
            keys_parts: list[Int64s] = []
            docs_parts: list[Int32s] = []
            for i, run in enumerate(runs):
                lo = 0 if c == 0 else int(bounds[i][c - 1])
                hi = run.n if c == len(splitters) else int(bounds[i][c])
                if hi > lo:
                    keys_parts.append(run.keys_range(lo, hi))
                    docs_parts.append(run.docs_range(lo, hi))
            if not keys_parts:
                continue
            keys = np.concatenate(keys_parts)
            docs = np.concatenate(docs_parts)
            if len(removed):
                keep = ~np.isin(docs, removed)
                keys, docs = keys[keep], docs[keep]
            # the runs cover ascending doc ranges and each is sorted by (key, doc): a stable sort by key
            order = np.argsort(keys, kind="stable")
            writer.add(keys[order], docs[order])
        return writer.finish()
    except BaseException:
        writer.abort()
        raise
