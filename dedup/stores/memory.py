"""The in-memory store: the protocol with SQLite's semantics, for tests and small runs.

A :class:`MemoryDatabase` holds the committed state of one index; a :class:`MemoryStore` is a
connection to one, as a :class:`~dedup.stores.sqlite.SQLiteStore` is to a file: open several
stores on one database to have several writers (in threads, or interleaved in one thread). Nothing
survives the process.

The semantics are SQLite's in WAL mode, operation by operation:

* a write transaction excludes every other writer (one that wants to begin waits up to
  ``busy_timeout`` seconds, then gets :class:`~dedup.errors.IndexStoreError`), sees its own writes,
  and commits all of them or, on an error, none; ``optimistic`` changes nothing (there is no
  :class:`~dedup.errors.WriteConflict`);
* a read transaction sees one committed state, the one current when it began, whatever other
  connections commit meanwhile, and never waits; a write inside it (SQLite upgrades the transaction)
  is refused if another connection committed since it began;
* a read outside a transaction sees the latest committed state;
* doc numbers are never reused (``AUTOINCREMENT``); metadata is read back with sorted keys, masked
  line keys in the order of their signed values; line tallies change by ``LineStat.add`` and
  ``remove``; ``delete`` removes the article's stored keys; ``bytes`` is 0.

How: the committed state is a base of dicts plus the change sets committed since the oldest open
read transaction began, each tagged with the version it made; a reader at version ``v`` sees the
base and the change sets up to ``v``. A change set is folded into the base once no reader needs the
state before it. A writer's changes stay in its own change set until it commits.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from dedup.errors import IndexStoreError
from dedup.stores.base import LineStat, NewRecord, StoredRecord
from dedup.stores.integrity import Problems, line_problems

__all__ = ["MemoryDatabase", "MemoryStore"]

#: The tables: metadata, records by doc, docs by id, band keys by doc, docs by band key, line
#: statistics by line hash, counters (``seq``: the last doc number given; ``keys``: keys held).
_TABLES = ("meta", "articles", "ids", "keys", "buckets", "lines", "counters")
_GONE = object()
_names = itertools.count(1)

Changes = dict[str, dict[Any, Any]]


def _changes() -> Changes:
    return {t: {} for t in _TABLES}


class MemoryDatabase:
    """The committed state of one in-memory index, shared by the stores opened on it."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name if name is not None else f"db{next(_names)}"
        self._base: Changes = _changes()
        #: Change sets not folded into the base yet: (the version each made, the changes).
        self._layers: list[tuple[int, Changes]] = []
        self.version = 0
        #: Versions that open read transactions see, and how many see each.
        self._readers: Counter[int] = Counter()
        #: Held by the connection in a write transaction.
        self.writer = threading.Lock()
        #: Held briefly by every access to the state.
        self.mutex = threading.RLock()

    def get(self, table: str, key: Any, version: int) -> Any:
        """The value of ``key`` in ``table`` at ``version`` (``_GONE`` when absent); hold ``mutex``."""
        for made, changes in reversed(self._layers):
            if made <= version and key in changes[table]:
                return changes[table][key]
        return self._base[table].get(key, _GONE)

    def items(self, table: str, version: int) -> dict[Any, Any]:
        """All of ``table`` at ``version`` (perhaps the base itself: do not change it); hold ``mutex``."""
        layers = [changes[table] for made, changes in self._layers if made <= version and changes[table]]
        if not layers:
            return self._base[table]
        out = dict(self._base[table])
        for changes in layers:
            for key, value in changes.items():
                if value is _GONE:
                    out.pop(key, None)
                else:
                    out[key] = value
        return out

    def pin(self) -> int:
        """Begin a read transaction: the version it sees."""
        with self.mutex:
            self._readers[self.version] += 1
            return self.version

    def unpin(self, version: int) -> None:
        """End a read transaction begun at ``version``."""
        with self.mutex:
            self._readers[version] -= 1
            if not self._readers[version]:
                del self._readers[version]
            self._fold()

    def commit(self, changes: Changes) -> None:
        """Make ``changes`` the next version (the caller holds ``writer``)."""
        with self.mutex:
            self.version += 1
            self._layers.append((self.version, changes))
            self._fold()

    def _fold(self) -> None:
        """Fold into the base the change sets that every open reader sees."""
        oldest = min(self._readers, default=self.version)
        while self._layers and self._layers[0][0] <= oldest:
            _, changes = self._layers.pop(0)
            for table, values in changes.items():
                base = self._base[table]
                for key, value in values.items():
                    if value is _GONE:
                        base.pop(key, None)
                    else:
                        base[key] = value


class MemoryStore:
    """A :class:`~dedup.stores.base.Store` in memory: a connection to a :class:`MemoryDatabase`.

    Not safe to share between threads; open one per thread on the same database.
    """

    #: Articles per transaction of a bulk load (as SQLite's: the lock is local, a commit cheap).
    bulk_batch = 2000

    def __init__(self, database: MemoryDatabase | None = None, *, busy_timeout: float = 60.0) -> None:
        self.database = database if database is not None else MemoryDatabase()
        self.location = f"memory:{self.database.name}"
        self.busy_timeout = busy_timeout
        self._depth = 0
        #: The open transaction: the version it reads, and its changes (None in a read transaction).
        self._version: int | None = None
        self._own: Changes | None = None
        self._closed = False

    # -- the state, as this connection sees it --------------------------------------------------------

    def _get(self, table: str, key: Any, default: Any = None) -> Any:
        self._open()
        own = self._own
        if own is not None and key in own[table]:
            value = own[table][key]
        else:
            db = self.database
            with db.mutex:
                value = db.get(table, key, db.version if self._version is None else self._version)
        return default if value is _GONE else value

    def _items(self, table: str) -> dict[Any, Any]:
        """A copy of the whole table as this connection sees it."""
        self._open()
        db = self.database
        with db.mutex:
            out = dict(db.items(table, db.version if self._version is None else self._version))
        if self._own is not None:
            for key, value in self._own[table].items():
                if value is _GONE:
                    out.pop(key, None)
                else:
                    out[key] = value
        return out

    def _put(self, table: str, key: Any, value: Any) -> None:
        assert self._own is not None, "writes happen inside a write transaction"
        self._own[table][key] = value

    def _open(self) -> None:
        if self._closed:
            raise IndexStoreError(f"{self.location}: the store is closed")

    # -- metadata -------------------------------------------------------------------------------------

    def read_meta(self) -> dict[str, str]:
        """The index's metadata; empty for a new database."""
        return dict(self._items("meta"))

    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Record metadata."""
        with self.write_transaction():
            for key, value in meta.items():
                self._put("meta", str(key), str(value))

    # -- transactions ---------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[None]:
        if self._depth:
            if write and self._own is None:
                self._upgrade()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._open()
        if write:
            self._lock()
            self._own = _changes()
            self._version = self.database.version
        else:
            self._version = self.database.pin()
        self._depth = 1
        try:
            yield
        except BaseException:
            self._end(commit=False)
            raise
        self._end(commit=True)

    def _lock(self) -> None:
        if not self.database.writer.acquire(timeout=self.busy_timeout):
            raise IndexStoreError(
                f"{self.location}: another connection kept the index locked for longer than the busy timeout"
            )

    def _upgrade(self) -> None:
        """Turn the open read transaction into a write transaction (as SQLite does on a write)."""
        self._lock()
        assert self._version is not None
        if self.database.version != self._version:
            self.database.writer.release()
            raise IndexStoreError(
                f"{self.location}: cannot write in this read transaction: another connection "
                "committed since it began"
            )
        self.database.unpin(self._version)
        self._own = _changes()

    def _end(self, *, commit: bool) -> None:
        own, version = self._own, self._version
        self._depth, self._own, self._version = 0, None, None
        if own is None:
            assert version is not None
            self.database.unpin(version)
            return
        try:
            if commit:
                self.database.commit(own)
        finally:
            self.database.writer.release()

    def read_transaction(self) -> AbstractContextManager[None]:
        """A consistent snapshot for several reads (never waits for writers)."""
        return self._transaction(write=False)

    def write_transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]:
        """Exclude other writers until the end; ``optimistic`` changes nothing (as SQLite)."""
        return self._transaction(write=True)

    def change_token(self) -> None:
        """None: the reads are made again (this store is the reference, kept simple)."""
        return None

    # -- look-ups -------------------------------------------------------------------------------------

    def prefetch(self, ids: Sequence[str], hashes: Sequence[int], keys: Sequence[int]) -> None:
        """Nothing to do: the reads are local."""

    def lookup(self, keys: Sequence[int], *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Docs sharing any key, with the number of keys each shares; oversized buckets are skipped."""
        hits: Counter[int] = Counter()
        skipped = 0
        with self.read_transaction():
            for key in set(keys):
                docs = self._get("buckets", key, ())
                if len(docs) > max_bucket:
                    skipped += 1
                else:
                    hits.update(docs)
        return dict(sorted(hits.items())), skipped

    def fetch(self, docs: Sequence[int]) -> list[StoredRecord]:
        """Records of ``docs`` in the order asked (missing ones left out)."""
        with self.read_transaction():
            found = [self._get("articles", d) for d in docs]
        return [r for r in found if r is not None]

    def find(self, ids: Sequence[str]) -> dict[str, int]:
        """Doc numbers of the stored ids among ``ids``."""
        with self.read_transaction():
            return {i: d for i in dict.fromkeys(ids) if (d := self._get("ids", i)) is not None}

    def line_stats(self, hashes: Sequence[int]) -> dict[int, LineStat]:
        """Statistics of the stored lines among ``hashes``."""
        with self.read_transaction():
            return {h: s for h in dict.fromkeys(hashes) if (s := self._get("lines", h)) is not None}

    def signatures(self, docs: Sequence[int]) -> dict[int, bytes]:
        """Whole-document signatures of ``docs``."""
        return {r.doc: r.signature for r in self.fetch(docs)}

    # -- changes --------------------------------------------------------------------------------------

    def insert(self, records: Sequence[NewRecord]) -> list[int]:
        """Store new records (ids already stored are skipped); return their doc numbers."""
        out: list[int] = []
        lines: list[tuple[int, bool, int]] = []
        with self.write_transaction():
            for r in records:
                if self._get("ids", r.id) is not None:
                    continue
                doc = self._get("counters", "seq", 0) + 1
                self._put("counters", "seq", doc)
                self._put("ids", r.id, doc)
                self._put("articles", doc, _stored(doc, r))
                keys = tuple(sorted(set(r.keys)))
                self._put("keys", doc, keys)
                for key in keys:
                    self._put("buckets", key, (*self._get("buckets", key, ()), doc))
                self._put("counters", "keys", self._get("counters", "keys", 0) + len(keys))
                lines.extend((h, edge, doc) for h, edge in r.lines)
                out.append(doc)
            for h, edge, doc in lines:
                self._put("lines", h, self._get("lines", h, LineStat(0, 0)).add(doc, edge))
        return out

    def delete(self, doc: int, keys: Sequence[int], lines: Sequence[tuple[int, bool]]) -> bool:
        """Remove one stored article, its stored keys and its share of the tallies of ``lines``.

        False, changing nothing, when ``doc`` is not stored.
        """
        with self.write_transaction():
            stored = self._get("keys", doc)
            if stored is None:
                return False
            self._put("counters", "keys", self._get("counters", "keys", 0) - len(stored))
            for key in stored:
                rest = tuple(d for d in self._get("buckets", key, ()) if d != doc)
                self._put("buckets", key, rest if rest else _GONE)
            for h, edge in dict(lines).items():
                stat = self._get("lines", h)
                if stat is not None:
                    after = stat.remove(doc, edge)
                    self._put("lines", h, _GONE if after is None else after)
            record = self._get("articles", doc)
            if record is not None:
                self._put("ids", record.id, _GONE)
            self._put("articles", doc, _GONE)
            self._put("keys", doc, _GONE)
        return True

    # -- maintenance ----------------------------------------------------------------------------------

    def older_than(self, cutoff: float) -> list[int]:
        """Docs published (or, without ``published``, added) before ``cutoff``."""
        records = self._items("articles").values()
        return sorted(
            r.doc for r in records if (r.published if r.published is not None else r.added) < cutoff
        )

    def iter_ids(self) -> Iterator[str]:
        """Every stored id, in insertion order."""
        records = self._items("articles")
        for doc in sorted(records):
            yield records[doc].id

    def counts(self) -> dict[str, int]:
        """Articles, keys and lines; ``bytes`` is 0 (nothing is on disk)."""
        with self.read_transaction():
            return {
                "articles": len(self._items("articles")),
                "keys": int(self._get("counters", "keys", 0)),
                "lines": len(self._items("lines")),
                "bytes": 0,
            }

    def count_lines(self, *, min_docs: int) -> int:
        """Lines held by at least ``min_docs`` stored articles."""
        return sum(1 for s in self._items("lines").values() if s.docs >= min_docs)

    def time_range(self) -> tuple[float | None, float | None]:
        """Oldest and newest ``published``."""
        dates = [r.published for r in self._items("articles").values() if r.published is not None]
        return (min(dates), max(dates)) if dates else (None, None)

    def integrity_check(self) -> list[str]:
        """Problems found (empty when sound): whether the tables agree with each other.

        Ids against records; every record has its band keys and the keys of every stored doc are
        exactly the buckets that name it; the key counter equals the keys held; doc numbers are at
        most the last one given; the line statistics equal a recount from the stored texts.
        """
        problems = Problems()
        with self.read_transaction():
            articles, ids = self._items("articles"), self._items("ids")
            keys, buckets = self._items("keys"), self._items("buckets")
            lines, seq = self._items("lines"), self._get("counters", "seq", 0)
            counted = self._get("counters", "keys", 0)
        for doc, record in articles.items():
            if ids.get(record.id) != doc:
                problems.add("id", f"doc {doc}: id {record.id!r} is listed for doc {ids.get(record.id)}")
            if doc not in keys:
                problems.add("keyless", f"article {record.id!r} (doc {doc}) has no band keys")
            if doc > seq:
                problems.add("seq", f"doc {doc} is above the last doc number given, {seq}")
        for article_id, doc in ids.items():
            if doc not in articles:
                problems.add("id", f"id {article_id!r} names doc {doc}, which is not stored")
        named: dict[int, set[int]] = {}
        for key, docs in buckets.items():
            if not docs or len(set(docs)) != len(docs):
                problems.add("bucket", f"band key {key}: bucket {list(docs)[:6]} is empty or repeats a doc")
            for d in docs:
                named.setdefault(d, set()).add(key)
        for doc in set(keys) | set(named):
            if doc not in articles:
                problems.add("orphan keys", f"band keys of doc {doc}, which is not a stored article")
            elif set(keys.get(doc, ())) != named.get(doc, set()):
                problems.add("bucket", f"doc {doc}: its band keys and the buckets naming it differ")
        held = sum(len(k) for k in keys.values())
        if counted != held:
            problems.add("key count", f"the key counter says {counted} keys, the band-key rows hold {held}")
        texts = ((doc, r.text, r.masked) for doc, r in sorted(articles.items()))
        line_problems(texts, sorted(lines.items()), problems)
        return problems.messages()

    def close(self) -> None:
        """End this connection (an open transaction is rolled back)."""
        if self._depth:
            self._end(commit=False)
        self._closed = True


def _stored(doc: int, r: NewRecord) -> StoredRecord:
    """The record as SQLite reads it back.

    Metadata through sorted JSON, numbers as floats, masked line keys in the order of their signed
    64-bit values (as SQLite sorts them).
    """
    metadata = json.loads(json.dumps(dict(r.metadata), ensure_ascii=False, sort_keys=True))
    return StoredRecord(
        doc=doc,
        id=r.id,
        text=r.text,
        metadata=metadata,
        published=None if r.published is None else float(r.published),
        added=float(r.added),
        signature=bytes(r.signature),
        masked=tuple(sorted(r.masked, key=lambda h: h - (1 << 64) if h >= 1 << 63 else h)),
        shingles=bytes(r.shingles),
        valid=bytes(r.valid),
    )
