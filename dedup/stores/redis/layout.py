"""The Redis keys of one index and how values are encoded in them.

Key layout (prefix ``P``; every key carries the hash tag ``{P}``, so that one index lives in one
Redis Cluster hash slot and a transaction may touch any of its keys):

* ``{P}:meta`` (hash): settings, versions and store layout, written once when the index is created.
* ``{P}:seq`` (string): the last doc number given out. Numbers are never reused; a writer draws
  :data:`~dedup.stores.redis.store.RESERVE` at a time (``INCRBY``), so that storing an article needs
  no round trip for it.
* ``{P}:art`` / ``{P}:sig`` / ``{P}:shingles`` (hashes, doc -> JSON record / signature bytes /
  the shingle at each word and which are valid, with which the index screens a candidate).
* ``{P}:ids`` (sorted set, id scored by doc): finds ids and lists them in insertion order (with
  several writers, in the order they drew their numbers).
* ``{P}:time`` / ``{P}:pub`` (sorted sets of docs by ``published``-or-``added`` / by ``published``).
* ``{P}:k:0`` ... ``{P}:k:15`` (hashes): the LSH buckets. Field = band key (8 bytes, big-endian),
  value = the docs holding it (``"12,80"``). datasketch's Redis storage gives every bucket a key of
  its own; an index that stores every window key holds about a thousand keys per article, so here
  they are fields of 16 large hashes: a look-up of all of an article's keys is 16 ``HMGET`` in one
  ``MULTI`` transaction, and a field costs far less memory than a key.
* ``{P}:lines`` (hash): line hash (8 bytes) -> ``"docs:edges:d1,d2,..."`` (learned boilerplate).
* ``{P}:counts`` (hash): ``keys``.
* ``{P}:gen`` (string): the generation, incremented by every commit.
* ``{P}:lock`` / ``{P}:fence``: the write lock and the counter its tokens come from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.stores.base import LineStat, NewRecord, StoredRecord

__all__ = ["DEFAULT_PREFIX", "LAYOUT_VERSION", "SHARDS", "Keys"]

#: Key prefix (and Redis Cluster hash tag) when the URL names none.
DEFAULT_PREFIX = "dedup"
#: Version of the key layout above, recorded in ``{P}:meta``.
LAYOUT_VERSION = "1"
#: Hashes the band keys are spread over (by their lowest bits).
SHARDS = 16


@dataclass(frozen=True, slots=True)
class Keys:
    """The names of one index's Redis keys (see the module documentation)."""

    meta: str
    seq: str
    gen: str
    fence: str
    lock: str
    art: str
    sig: str
    shingles: str
    ids: str
    time: str
    pub: str
    lines: str
    counts: str
    shards: tuple[str, ...]

    @classmethod
    def of(cls, prefix: str) -> Keys:
        """The keys of the index under ``prefix``."""
        tag = "{" + prefix + "}"
        names = ("meta", "seq", "gen", "fence", "lock", "art", "sig", "shingles", "ids", "time", "pub",
                 "lines", "counts")  # fmt: skip
        return cls(**{n: f"{tag}:{n}" for n in names}, shards=tuple(f"{tag}:k:{n}" for n in range(SHARDS)))

    def all(self) -> list[str]:
        """Every key this index may use."""
        return [
            self.meta, self.seq, self.gen, self.fence, self.lock, self.art, self.sig, self.shingles,
            self.ids, self.time, self.pub, self.lines, self.counts, *self.shards,
        ]  # fmt: skip

    def packed(self, key: str) -> bool:
        """Whether ``key`` is a hash of 8-byte fields holding short values (buckets, line statistics)."""
        return key == self.lines or key in self.shards

    def bucket(self, key: int) -> str:
        """The hash that holds band key ``key``."""
        return self.shards[key & (SHARDS - 1)]


#: The bits of an unsigned 64-bit integer.
MASK = 0xFFFF_FFFF_FFFF_FFFF


def signed(keys: Sequence[int]) -> list[int]:
    """Band or line keys (unsigned 64-bit, as the engine computes them) as signed 64-bit integers.

    Their big-endian bytes are the keys' 8-byte fields; ``value & MASK`` gives a key back.
    """
    return np.asarray(keys, dtype=np.uint64).view(np.int64).tolist()  # type: ignore[no-any-return]


def field(value: int) -> bytes:
    """A band key or line hash (a signed 64-bit integer) as an 8-byte field."""
    return value.to_bytes(8, "big", signed=True)


def fields(values: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """Signed 64-bit integers as 8-byte fields (big-endian, a string of them by ``tobytes``)."""
    return values.astype(">i8")


def docs_of(value: bytes | None) -> list[int]:
    """The docs a bucket holds."""
    return [int(x) for x in value.split(b",")] if value else []


def line_stat(value: bytes) -> LineStat:
    """A line's statistics as stored."""
    docs, edges, sample = value.split(b":")
    return LineStat(int(docs), int(edges), tuple(int(x) for x in sample.split(b",") if x))


def line_value(stat: LineStat) -> bytes:
    """The stored form of a line's statistics."""
    return f"{stat.docs}:{stat.edges}:{','.join(map(str, stat.sample))}".encode()


def record_value(record: NewRecord) -> bytes:
    """The JSON record of an article (``{P}:art``)."""
    data = {
        "id": record.id,
        "text": record.text,
        "metadata": dict(record.metadata),
        "published": record.published,
        "added": record.added,
        "masked": sorted(signed(record.masked)),
    }
    return json.dumps(data, ensure_ascii=False).encode()


def shingles_value(record: NewRecord) -> bytes | None:
    """The shingles and their validity (``{P}:shingles``): a word count, then both; None without."""
    if not record.shingles:
        return None
    words = (len(record.shingles) // 4).to_bytes(4, "little")
    return words + bytes(record.shingles) + bytes(record.valid)


def stored_record(doc: int, art: bytes, signature: bytes, shingles: bytes | None) -> StoredRecord:
    """A stored article from its three values."""
    rec = json.loads(art)
    packed = shingles or b""
    words = int.from_bytes(packed[:4], "little") if packed else 0
    return StoredRecord(
        doc=doc,
        id=rec["id"],
        text=rec["text"],
        metadata=rec["metadata"],
        published=rec["published"],
        added=rec["added"],
        signature=signature,
        masked=tuple(m & MASK for m in rec["masked"]),
        shingles=packed[4 : 4 + 4 * words],
        valid=packed[4 + 4 * words :],
    )
