"""The embedded store: one SQLite file, in WAL mode, safe for several processes at once.

Tables:

* ``meta``: settings, versions and counters of the index.
* ``articles``: one row per stored article (``doc`` never reused): its text, metadata, signature and
  shingles.
* ``band_keys``: the article's band keys (sorted, as one blob), apart from the text so that loading
  every key reads only these pages. Adding an article appends one row to each table: a few page
  writes, whatever the number of keys.
* ``lines``: per line hash, how many stored articles hold it (and how many at their head or foot):
  the statistics from which the index learns its boilerplate.

Band-key look-ups are answered from memory: each process holds every stored key in a sorted array
(12 bytes per key) loaded on the first look-up, and before each look-up reads the rows appended
since (by any process), so it always sees every committed article. A B-tree of ``(key, doc)`` rows
would cost one random page write per key (hundreds per article) on every insert; the sorted array
costs a binary search per key and memory proportional to the index.

Concurrency: readers never block (WAL); a writer takes the write lock with ``BEGIN IMMEDIATE``
before it reads, so that check-and-add decides on the latest committed state and no other process
can insert in between. ``busy_timeout`` makes a second writer wait instead of failing.
``synchronous=NORMAL`` in WAL mode never corrupts the file; a power cut may lose the last
transactions, a killed process loses nothing it committed.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from dedup.errors import IncompatibleIndexError, IndexStoreError
from dedup.stores.base import LineStat, NewRecord, StoredRecord
from dedup.stores.integrity import Problems, line_problems

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    published REAL,
    added REAL NOT NULL,
    signature BLOB NOT NULL,
    masked TEXT NOT NULL,
    shingles BLOB NOT NULL,
    valid BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS band_keys (doc INTEGER PRIMARY KEY, keys BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS lines (
    hash INTEGER PRIMARY KEY,
    docs INTEGER NOT NULL,
    edges INTEGER NOT NULL,
    sample TEXT NOT NULL
);
"""

# a line's new tally (computed by LineStat.add and .remove: the store only counts)
_SET_LINE = """
INSERT INTO lines (hash, docs, edges, sample) VALUES (?, ?, ?, ?)
ON CONFLICT (hash) DO UPDATE SET docs = excluded.docs, edges = excluded.edges, sample = excluded.sample
"""

_ARTICLE_COLUMNS = "doc, id, text, metadata, published, added, signature, masked, shingles, valid"
#: Every column of the articles table, as _SCHEMA creates it.
_ARTICLE_TABLE = tuple(_ARTICLE_COLUMNS.split(", "))


class _KeyIndex:
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


def store_error(location: str, exc: sqlite3.Error) -> IndexStoreError:
    """An :class:`IndexStoreError` naming the index and saying, in words, what went wrong."""
    text = str(exc)
    code = getattr(exc, "sqlite_errorname", "") or ""
    if "readonly" in text or code.startswith("SQLITE_READONLY"):
        what = "the index is read-only (the file or its folder cannot be written): nothing was stored"
    elif code.startswith("SQLITE_FULL") or "disk is full" in text:
        what = "disk full: the last change was not stored (what was stored before is intact)"
    elif code.startswith("SQLITE_BUSY") or "locked" in text:
        what = "another process kept the index locked for longer than the busy timeout"
    elif code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        what = f"the index file is damaged ({text}): restore it from a backup or rebuild it"
    elif code.startswith("SQLITE_IOERR") or "I/O error" in text:
        what = f"disk I/O error ({text})"
    elif code.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        what = f"cannot open the index or its journal ({text})"
    else:
        what = text
    return IndexStoreError(f"{location}: {what}")


F = TypeVar("F", bound=Callable[..., Any])


def _translated(method: F) -> F:
    """Turn SQLite's exceptions raised by ``method`` into :class:`IndexStoreError`."""

    @functools.wraps(method)
    def wrapper(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(self.location, exc) from exc

    return cast(F, wrapper)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x)


# Band keys and line keys are unsigned 64-bit integers (as the engine computes them); SQLite's INTEGER
# and the key blobs hold them as signed 64-bit integers with the same bits.


def _signed(key: int) -> int:
    """An unsigned 64-bit key as the signed integer SQLite stores."""
    return key - (1 << 64) if key >= 1 << 63 else key


def _unsigned(value: int) -> int:
    """A key read back from SQLite."""
    return value & 0xFFFF_FFFF_FFFF_FFFF


def _signed_array(keys: Sequence[int]) -> npt.NDArray[np.int64]:
    """Unsigned 64-bit keys as the signed array the key blobs and the in-memory key index hold."""
    return np.asarray(keys, dtype=np.uint64).view(np.int64)


def _line_row(stat: LineStat) -> tuple[int, int, str]:
    """A line's tally as the columns ``docs``, ``edges`` and ``sample`` of the lines table."""
    return stat.docs, stat.edges, ",".join(map(str, stat.sample))


class SQLiteStore:
    """A :class:`~dedup.stores.base.Store` in one SQLite file."""

    #: Articles per transaction of a bulk load: the write lock is local and a commit is cheap.
    bulk_batch = 2000

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False, busy_timeout: float = 60.0):
        self.path = Path(path)
        self.location = str(self.path)
        if not create and not self.path.exists():
            raise IndexStoreError(f"{self.location}: no such index (create it with `dedup index create`)")
        try:
            self._db = sqlite3.connect(
                self.location, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise IndexStoreError(f"{self.location}: cannot open: {exc}") from None
        self._depth = 0
        self._keys: _KeyIndex | None = None
        self._seen = 0
        self._removals = 0
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise IndexStoreError(f"{self.location}: cannot switch to WAL mode (got {mode!r})")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA cache_size = -131072")  # 128 MiB of page cache
            self._db.execute("PRAGMA mmap_size = 1073741824")
            has_meta = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            if create and not has_meta:  # an existing index is never altered (an older layout is refused)
                self._db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise store_error(self.location, exc) from exc
            raise IndexStoreError(f"{self.location}: not a usable SQLite index: {exc}") from None

    # -- metadata -------------------------------------------------------------------------------------

    def _check_layout(self, meta: Mapping[str, str]) -> None:
        """Refuse tables laid out by another version (an older dedup wrote the same format number)."""
        have = {str(r[1]) for r in self._db.execute("PRAGMA table_info(articles)").fetchall()}
        missing = [c for c in _ARTICLE_TABLE if c not in have]
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'band_keys'").fetchone():
            missing.append("band_keys (a table)")
        if missing:
            raise IncompatibleIndexError(
                f"{self.location}: index format {meta.get('format')} written by dedup "
                f"{meta.get('dedup_version', '?')} with another layout (its articles table lacks "
                f"{', '.join(missing)}): rebuild the index with this version"
            )

    def read_meta(self) -> dict[str, str]:
        """The index's metadata; empty when the file holds no index."""
        try:
            rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return {}
            raise IndexStoreError(f"{self.location}: cannot read: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise IndexStoreError(f"{self.location}: not a usable SQLite index: {exc}") from None
        meta = {str(k): str(v) for k, v in rows}
        if meta:
            self._check_layout(meta)
        return meta

    @_translated
    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Record metadata."""
        with self.write_transaction():
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(meta.items()),
            )

    def _bump(self, name: str, delta: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value",
            (name, delta),
        )

    # -- transactions ---------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self._db.execute(begin)
        except sqlite3.Error as exc:
            raise store_error(self.location, exc) from exc
        self._depth = 1
        try:
            yield
        except BaseException as exc:
            self._depth = 0
            if self._db.in_transaction:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise store_error(self.location, exc) from exc
            raise
        self._depth = 0
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise store_error(self.location, exc) from exc

    def read_transaction(self) -> AbstractContextManager[None]:
        """A consistent snapshot for several reads (WAL readers do not block writers)."""
        return self._transaction("BEGIN DEFERRED")

    def write_transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]:
        """Take the write lock now (``BEGIN IMMEDIATE``): other writers wait until this one commits.

        ``optimistic`` changes nothing: the lock is local and the section after it short.
        """
        return self._transaction("BEGIN IMMEDIATE")

    # -- look-ups -------------------------------------------------------------------------------------

    def prefetch(self, ids: Sequence[str], hashes: Sequence[int], keys: Sequence[int]) -> None:
        """Nothing to do: the reads are local."""

    def _refresh(self) -> None:
        """Bring the in-memory keys up to date with the file (call inside a transaction)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'removals'").fetchone()
        removals = int(row[0]) if row else 0
        if self._keys is None or removals != self._removals:
            self._keys = _KeyIndex()
            self._seen = 0
            self._removals = removals
        rows = self._db.execute(
            "SELECT doc, keys FROM band_keys WHERE doc > ? ORDER BY doc", (self._seen,)
        ).fetchall()
        if rows:
            self._keys.add([int(d) for d, _ in rows], [bytes(k) for _, k in rows])
            self._seen = int(rows[-1][0])

    @_translated
    def lookup(self, keys: Sequence[int], *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Docs sharing any key, with the number of keys each shares; oversized buckets are skipped."""
        with self.read_transaction():
            self._refresh()
        assert self._keys is not None
        return self._keys.lookup(_signed_array(keys), max_bucket=max_bucket)

    @_translated
    def fetch(self, docs: Sequence[int]) -> list[StoredRecord]:
        """Records of ``docs`` in the order asked."""
        if not docs:
            return []
        rows = self._db.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE doc IN (SELECT value FROM json_each(?))",
            (json.dumps(list(docs)),),
        ).fetchall()
        by_doc = {row[0]: row for row in rows}
        return [self._record(by_doc[d]) for d in docs if d in by_doc]

    @staticmethod
    def _record(row: tuple[object, ...]) -> StoredRecord:
        doc, id_, text, metadata, published, added, signature, masked, shingles, valid = row
        return StoredRecord(
            doc=int(doc),  # type: ignore[call-overload]
            id=str(id_),
            text=str(text),
            metadata=json.loads(str(metadata)),
            published=None if published is None else float(published),  # type: ignore[arg-type]
            added=float(added),  # type: ignore[arg-type]
            signature=bytes(signature),  # type: ignore[call-overload]
            masked=tuple(_unsigned(h) for h in _ints(str(masked))),
            shingles=bytes(shingles),  # type: ignore[call-overload]
            valid=bytes(valid),  # type: ignore[call-overload]
        )

    @_translated
    def find(self, ids: Sequence[str]) -> dict[str, int]:
        """Doc numbers of the stored ids among ``ids``."""
        if not ids:
            return {}
        rows = self._db.execute(
            "SELECT id, doc FROM articles WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        ).fetchall()
        return {str(i): int(d) for i, d in rows}

    @_translated
    def line_stats(self, hashes: Sequence[int]) -> dict[int, LineStat]:
        """Statistics of the stored lines among ``hashes``."""
        if not hashes:
            return {}
        rows = self._db.execute(
            "SELECT hash, docs, edges, sample FROM lines WHERE hash IN (SELECT value FROM json_each(?))",
            (json.dumps([_signed(h) for h in hashes]),),
        ).fetchall()
        return {_unsigned(int(h)): LineStat(int(d), int(e), _ints(str(s))) for h, d, e, s in rows}

    @_translated
    def signatures(self, docs: Sequence[int]) -> dict[int, bytes]:
        """Whole-document signatures of ``docs``."""
        if not docs:
            return {}
        rows = self._db.execute(
            "SELECT doc, signature FROM articles WHERE doc IN (SELECT value FROM json_each(?))",
            (json.dumps(list(docs)),),
        ).fetchall()
        return {int(d): bytes(s) for d, s in rows}

    # -- changes --------------------------------------------------------------------------------------

    @_translated
    def insert(self, records: Sequence[NewRecord]) -> list[int]:
        """Store new records (ids already stored are skipped); return their doc numbers."""
        out: list[int] = []
        n_keys = 0
        line_rows: list[tuple[int, bool, int]] = []
        with self.write_transaction():
            for r in records:
                cur = self._db.execute(
                    "INSERT INTO articles (id, text, metadata, published, added, signature, masked, "
                    "shingles, valid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    (
                        r.id,
                        r.text,
                        json.dumps(dict(r.metadata), ensure_ascii=False, sort_keys=True),
                        r.published,
                        r.added,
                        r.signature,
                        ",".join(map(str, sorted(_signed(h) for h in r.masked))),
                        r.shingles,
                        r.valid,
                    ),
                )
                if cur.rowcount != 1 or cur.lastrowid is None:
                    continue
                doc = int(cur.lastrowid)
                self._db.execute(
                    "INSERT INTO band_keys (doc, keys) VALUES (?, ?)",
                    (doc, np.unique(_signed_array(r.keys)).astype("<i8").tobytes()),
                )
                out.append(doc)
                n_keys += len(set(r.keys))
                line_rows.extend((h, edge, doc) for h, edge in r.lines)
            tallies = self.line_stats(list(dict.fromkeys(h for h, _, _ in line_rows)))
            for h, edge, doc in line_rows:
                tallies[h] = tallies.get(h, LineStat(0, 0)).add(doc, edge)
            self._db.executemany(_SET_LINE, [(_signed(h), *_line_row(st)) for h, st in tallies.items()])
            self._bump("count_keys", n_keys)
        return out

    @_translated
    def delete(self, doc: int, keys: Sequence[int], lines: Sequence[tuple[int, bool]]) -> bool:
        """Remove one stored article, its keys and its share of the line statistics (False if absent).

        The keys removed are the ones this store kept for ``doc`` (the same as ``keys``).
        """
        with self.write_transaction():
            row = self._db.execute("SELECT length(keys) FROM band_keys WHERE doc = ?", (doc,)).fetchone()
            if row is None:
                return False
            self._bump("count_keys", -int(row[0]) // 8)
            self._bump("removals", 1)  # every process rebuilds its in-memory keys
            edges = dict(lines)
            for h, st in self.line_stats(list(edges)).items():
                after = st.remove(doc, edges[h])
                if after is None:
                    self._db.execute("DELETE FROM lines WHERE hash = ?", (_signed(h),))
                else:
                    self._db.execute(_SET_LINE, (_signed(h), *_line_row(after)))
            self._db.execute("DELETE FROM articles WHERE doc = ?", (doc,))
            self._db.execute("DELETE FROM band_keys WHERE doc = ?", (doc,))
        return True

    # -- maintenance ----------------------------------------------------------------------------------

    @_translated
    def older_than(self, cutoff: float) -> list[int]:
        """Docs published (or, without ``published``, added) before ``cutoff``."""
        rows = self._db.execute(
            "SELECT doc FROM articles WHERE coalesce(published, added) < ? ORDER BY doc", (cutoff,)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def iter_ids(self) -> Iterator[str]:
        """Every stored id, in insertion order."""
        try:
            for (id_,) in self._db.execute("SELECT id FROM articles ORDER BY doc"):
                yield str(id_)
        except sqlite3.Error as exc:
            raise store_error(self.location, exc) from exc

    @_translated
    def counts(self) -> dict[str, int]:
        """Articles, keys, lines and bytes on disk (file plus write-ahead log)."""
        articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
        lines = self._db.execute("SELECT count(*) FROM lines").fetchone()[0]
        keys = self._db.execute("SELECT value FROM meta WHERE key = 'count_keys'").fetchone()
        size = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                size += os.path.getsize(self.location + suffix)
        return {
            "articles": int(articles),
            "keys": int(keys[0]) if keys else 0,
            "lines": int(lines),
            "bytes": size,
        }

    @_translated
    def count_lines(self, *, min_docs: int) -> int:
        """Lines held by at least ``min_docs`` stored articles."""
        return int(self._db.execute("SELECT count(*) FROM lines WHERE docs >= ?", (min_docs,)).fetchone()[0])

    @_translated
    def time_range(self) -> tuple[float | None, float | None]:
        """Oldest and newest ``published``."""
        lo, hi = self._db.execute("SELECT min(published), max(published) FROM articles").fetchone()
        return (None if lo is None else float(lo), None if hi is None else float(hi))

    @_translated
    def integrity_check(self) -> list[str]:
        """Problems found (empty when sound): the file's, then whether the tables agree.

        ``PRAGMA integrity_check`` first (a damaged file is reported as SQLite reports it, and not
        read further). Then: every article has its row of band keys and every row of band keys an
        article; each row holds distinct keys, sorted; the key counter equals the keys held; an
        article's shingles and their validity have matching lengths; the line statistics equal a
        recount from the stored texts (:mod:`dedup.stores.integrity`), and the lines each article
        records as masked are lines of its text. Reads every stored text.
        """
        rows = [str(r[0]) for r in self._db.execute("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            return rows
        problems = Problems()
        with self.read_transaction():
            self._key_problems(problems)
            for doc, n_shingles, n_valid in self._db.execute(
                "SELECT doc, length(shingles), length(valid) FROM articles ORDER BY doc"
            ):
                if n_shingles % 4 or n_valid != (n_shingles // 4 + 7) // 8:
                    problems.add(
                        "shingles", f"doc {doc}: {n_shingles} bytes of shingles, {n_valid} of validity"
                    )
            texts = (
                (int(doc), str(text), [_unsigned(h) for h in _ints(str(masked))])
                for doc, text, masked in self._db.execute(
                    "SELECT doc, text, masked FROM articles ORDER BY doc"
                )
            )
            stats = (
                (_unsigned(int(h)), LineStat(int(d), int(e), _ints(str(sample))))
                for h, d, e, sample in self._db.execute("SELECT hash, docs, edges, sample FROM lines")
            )
            line_problems(texts, stats, problems)
        return problems.messages()

    def _key_problems(self, problems: Problems) -> None:
        """Articles against rows of band keys, each row's keys, and the key counter."""
        for doc, id_ in self._db.execute(
            "SELECT doc, id FROM articles WHERE doc NOT IN (SELECT doc FROM band_keys) ORDER BY doc"
        ):
            problems.add("keyless", f"article {id_!r} (doc {doc}) has no row of band keys")
        held = 0
        for doc, blob, stored in self._db.execute(
            "SELECT doc, CAST(keys AS BLOB), doc IN (SELECT doc FROM articles) FROM band_keys ORDER BY doc"
        ):
            if not stored:
                problems.add("orphan keys", f"band keys of doc {doc}, which is not a stored article")
            if len(blob) % 8:
                problems.add("key row", f"doc {doc}: band-key row of {len(blob)} bytes, not 8 per key")
                continue
            keys = np.frombuffer(blob, dtype="<i8")
            if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
                problems.add("key row", f"doc {doc}: band keys not distinct and sorted")
            held += len(keys)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'count_keys'").fetchone()
        counted = int(row[0]) if row else 0
        if counted != held:
            problems.add("key count", f"the key counter says {counted} keys, the band-key rows hold {held}")

    @_translated
    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file (after a bulk load)."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
