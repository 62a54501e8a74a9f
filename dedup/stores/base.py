"""The storage interface under :class:`dedup.index.Index`.

The index logic (fingerprinting, candidate ranking, verification, policy) lives in
:mod:`dedup.index.index`; a store only keeps records and answers batched look-ups. Every method takes or
returns whole batches, so that one article costs a bounded number of round trips whatever its length:

1. :meth:`Store.line_stats` for the article's lines (learned boilerplate),
2. :meth:`Store.signatures` for a few holders of a frequent line (only when one qualifies),
3. :meth:`Store.lookup` for all its band keys at once,
4. :meth:`Store.fetch` for the candidates it returned,
5. :meth:`Store.insert` when the article is kept.

Check-and-add decides (steps 1-4) without a transaction that excludes writers, then checks that the
evidence is unchanged and stores the article (step 5) inside :meth:`Store.write_transaction`. A
plain write transaction excludes every other writer (on any process) until it ends: SQLite takes
its write lock with ``BEGIN IMMEDIATE``; a networked store must give the same guarantee. An
*optimistic* one may instead let other writers run and, at its commit, check atomically that
nothing it read has changed, raising :class:`~dedup.errors.WriteConflict` (having written nothing)
if something has: the caller then retries with a plain one.

Stored articles are numbered by the store (``doc``, an integer that is never reused), so that
key tables hold small integers rather than ids.

Band keys and line keys (``lines``, ``masked``, :meth:`Store.line_stats`) are unsigned 64-bit
integers, as the engine computes them (:func:`dedup.engine.boilerplate.lines_of`,
:class:`dedup.engine.signature.Fingerprint`); how a store encodes them (SQLite's signed ``INTEGER``,
Redis's 8-byte fields) is its own business.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from dedup.engine.boilerplate import LineStat

__all__ = ["LineStat", "NewRecord", "Store", "StoredRecord", "is_url"]


def is_url(location: object) -> bool:
    """Whether ``location`` names a networked store (``redis://``, ``rediss://``, ``unix://``)."""
    return isinstance(location, str) and location.lower().startswith(("redis://", "rediss://", "unix://"))


@dataclass(frozen=True, slots=True)
class NewRecord:
    """An article as the index stores it, with everything needed to find it and to remove it again."""

    id: str
    text: str
    #: Optional metadata (title, source, published, url) as given.
    metadata: Mapping[str, str]
    #: ``published`` as seconds since the epoch (UTC), when the article has a readable one.
    published: float | None
    #: When the article was added (seconds since the epoch).
    added: float
    #: Whole-document MinHash signature (uint32 values, little-endian bytes).
    signature: bytes
    #: Band keys (document and sampled window keys), unique.
    keys: Sequence[int]
    #: Keys of the article's lines (each once) and whether the line lies at its head or foot.
    lines: Sequence[tuple[int, bool]]
    #: Keys of the lines that were masked as learned boilerplate when it was stored.
    masked: Sequence[int] = field(default_factory=tuple)
    #: The 32-bit shingle at each word (little-endian uint32) and which are valid (``numpy.packbits``):
    #: lets the index screen a candidate without its words. A store may leave them out.
    shingles: bytes = b""
    valid: bytes = b""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A stored article as read back."""

    doc: int
    id: str
    text: str
    metadata: Mapping[str, str]
    published: float | None
    added: float
    signature: bytes
    masked: tuple[int, ...]
    #: As in :class:`NewRecord` (empty when the store does not keep them).
    shingles: bytes = b""
    valid: bytes = b""


class Store(Protocol):
    """What :class:`dedup.index.Index` needs from a persistent store."""

    #: Where the store lives, for messages (a path or a URL without credentials).
    location: str
    #: Articles per write transaction of a bulk load (:meth:`dedup.index.Index.add_many`): as many as
    #: one commit can take without holding up other writers for long.
    bulk_batch: int

    # -- metadata -------------------------------------------------------------------------------------

    def read_meta(self) -> dict[str, str]:
        """The index's metadata (settings, versions); empty for a new store."""
        ...

    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Record metadata (done once, when the index is created)."""
        ...

    # -- transactions ---------------------------------------------------------------------------------

    def read_transaction(self) -> AbstractContextManager[None]:
        """A consistent view for a sequence of reads."""
        ...

    def write_transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]:
        """An exclusive, atomic section: no other writer runs until it ends; rolled back on error.

        ``optimistic``: the store may run the section without excluding other writers, provided
        its commit checks that what the section read is unchanged (else: ``WriteConflict``). A
        store that cannot, or need not, does the same as without it.
        """
        ...

    def change_token(self) -> Hashable | None:
        """Inside a transaction: a value equal in two calls only if nothing was stored in between.

        :meth:`dedup.index.Index.commit` skips reading again what a decision read when the token
        it took then is the token now. None: the store cannot tell (the reads are made again).
        """
        ...

    # -- look-ups -------------------------------------------------------------------------------------

    def prefetch(self, ids: Sequence[str], hashes: Sequence[int], keys: Sequence[int]) -> None:
        """A hint: these ids, line hashes and band keys are about to be looked up.

        :meth:`find` ``ids``, :meth:`line_stats` ``hashes`` and :meth:`lookup` ``keys``, outside a
        write transaction. A networked store may read them in one round trip; a local one may do
        nothing.
        """
        ...

    def lookup(self, keys: Sequence[int], *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Stored docs sharing any of ``keys``, with how many keys each shares.

        Keys held by more than ``max_bucket`` docs are ignored; the second value counts them.
        """
        ...

    def fetch(self, docs: Sequence[int]) -> list[StoredRecord]:
        """The records of ``docs`` (missing ones are left out)."""
        ...

    def find(self, ids: Sequence[str]) -> dict[str, int]:
        """Doc numbers of the stored ids among ``ids``."""
        ...

    def line_stats(self, hashes: Sequence[int]) -> dict[int, LineStat]:
        """Statistics of the stored lines among ``hashes`` (lines no stored article holds are left out)."""
        ...

    def signatures(self, docs: Sequence[int]) -> dict[int, bytes]:
        """Whole-document signatures of ``docs``."""
        ...

    # -- changes (inside a write transaction) ---------------------------------------------------------

    def insert(self, records: Sequence[NewRecord]) -> list[int]:
        """Store records whose ids are not stored yet; return their doc numbers."""
        ...

    def delete(self, doc: int, keys: Sequence[int], lines: Sequence[tuple[int, bool]]) -> bool:
        """Undo the insert of stored article ``doc``: its record, band keys and share of the line tallies.

        ``keys`` and ``lines`` are the ones it was inserted with (its :class:`NewRecord`'s; the index
        computes them again from the stored text and ``masked``). A store that keeps its own copy of
        them may use that instead: the outcome is the same. Returns False, changing nothing, when
        ``doc`` is not stored.
        """
        ...

    # -- maintenance ----------------------------------------------------------------------------------

    def older_than(self, cutoff: float) -> list[int]:
        """Docs published (or, without ``published``, added) before ``cutoff`` (seconds since the epoch)."""
        ...

    def iter_ids(self) -> Iterator[str]:
        """Every stored id, in insertion order."""
        ...

    def counts(self) -> dict[str, int]:
        """Sizes: ``articles``, ``keys``, ``lines``, and ``bytes`` on disk where known."""
        ...

    def count_lines(self, *, min_docs: int) -> int:
        """Lines held by at least ``min_docs`` stored articles."""
        ...

    def time_range(self) -> tuple[float | None, float | None]:
        """Oldest and newest ``published`` among stored articles."""
        ...

    def integrity_check(self) -> list[str]:
        """Problems found by the store's own consistency check (empty when sound)."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...
