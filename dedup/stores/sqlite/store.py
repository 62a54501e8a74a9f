"""The SQLite store: the protocol's methods over one file (tables: :mod:`~dedup.stores.sqlite.layout`).

Concurrency: readers never block (WAL); a writer takes the write lock with ``BEGIN IMMEDIATE``
before it reads, so that check-and-add decides on the latest committed state and no other process
can insert in between. ``busy_timeout`` makes a second writer wait instead of failing.
``synchronous=NORMAL`` in WAL mode never corrupts the file; a power cut may lose the last
transactions, a killed process loses nothing it committed.

Band keys: each article's keys are appended as one row of ``band_keys``; every ``run_articles``
articles, a background thread of the writing process sorts the newest rows into a run file beside
the database and merges runs (:mod:`~dedup.stores.sqlite.compact`); look-ups search the runs in
place and hold only the newest rows in memory (:mod:`~dedup.stores.sqlite.keys`).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.errors import IncompatibleIndexError, IndexStoreError
from dedup.stores.base import LineStat, NewRecord, StoredRecord
from dedup.stores.sqlite import integrity
from dedup.stores.sqlite.checkpoint import Checkpointer
from dedup.stores.sqlite.compact import compact, run_folder
from dedup.stores.sqlite.errors import store_error, translated
from dedup.stores.sqlite.keys import KeyIndex, lookup
from dedup.stores.sqlite.layout import (
    ARTICLE_COLUMNS,
    ARTICLE_TABLE,
    SCHEMA,
    SET_LINE,
    Manifest,
    ints,
    line_row,
    signed,
    signed_array,
    unsigned,
)
from dedup.stores.sqlite.runs import Run

__all__ = ["SQLiteStore"]

#: Tells the stores of one process apart in their change tokens.
_STORES = itertools.count()


class SQLiteStore:
    """A :class:`~dedup.stores.base.Store` in one SQLite file.

    Its size (about 340 lines) is the protocol's: some twenty methods, each a query or two.
    """

    #: Articles per transaction of a bulk load: the write lock is local and a commit is cheap.
    bulk_batch = 2000
    #: Articles stored after the last run before their keys are sorted into a new run file (the most a
    #: process holds in memory). ``DEDUP_SQLITE_RUN_ARTICLES`` overrides it.
    run_articles = 10_000
    #: Runs of one size class merged into one when there are this many.
    merge_factor = 4
    #: Write-ahead log pages after which a background thread checkpoints (None: SQLite's
    #: ``wal_autocheckpoint``, 1,000); ``DEDUP_SQLITE_CHECKPOINT_PAGES`` overrides it.
    checkpoint_pages: int | None = None

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False, busy_timeout: float = 60.0):
        env = os.environ.get("DEDUP_SQLITE_RUN_ARTICLES")
        if env:
            self.run_articles = max(int(env), 1)
        env = os.environ.get("DEDUP_SQLITE_CHECKPOINT_PAGES")
        if env:
            self.checkpoint_pages = max(int(env), 1)
        self._id = next(_STORES)
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._runs: dict[str, Run] = {}
        self._manifest: str | None = None
        self._upto = 0
        self._removed: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._compactor: threading.Thread | None = None
        self._pending: tuple[int, int] | None = None  # newest doc stored, last doc in runs
        #: The last error of a background compaction (look-ups still work: the newest keys stay in memory).
        self.compaction_error: Exception | None = None
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
        self._keys: KeyIndex | None = None
        self._seen = 0
        self._removals = 0
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise IndexStoreError(f"{self.location}: cannot switch to WAL mode (got {mode!r})")
            self._db.execute("PRAGMA synchronous = NORMAL")
            # checkpoints run in a thread of their own, not in the commit (see checkpoint.py)
            auto = int(self._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            self._db.execute("PRAGMA wal_autocheckpoint = 0")
            self._db.execute("PRAGMA journal_size_limit = 0")
            self.checkpointer = Checkpointer(
                self.path,
                self.location,
                pages=self.checkpoint_pages or (auto if auto > 0 else 1000),
                page_size=page_size,
                busy_timeout=busy_timeout,
            )
            self._db.execute("PRAGMA cache_size = -131072")  # 128 MiB of page cache
            self._db.execute("PRAGMA mmap_size = 1073741824")
            has_meta = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            if create and not has_meta:  # an existing index is never altered (an older layout is refused)
                self._db.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise store_error(self.location, exc) from exc
            raise IndexStoreError(f"{self.location}: not a usable SQLite index: {exc}") from None

    # -- metadata -------------------------------------------------------------------------------------

    def _check_layout(self, meta: Mapping[str, str]) -> None:
        """Refuse tables laid out by another version (an older dedup wrote the same format number)."""
        have = {str(r[1]) for r in self._db.execute("PRAGMA table_info(articles)").fetchall()}
        missing = [c for c in ARTICLE_TABLE if c not in have]
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

    @translated
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
        write = begin == "BEGIN IMMEDIATE"
        if write:
            self.checkpointer.raise_error()  # a failed checkpoint stops the next write, before it writes
        try:
            self._db.execute(begin)
        except sqlite3.Error as exc:
            raise store_error(self.location, exc) from exc
        self._depth = 1
        try:
            yield
        except BaseException as exc:
            self._depth = 0
            self._pending = None
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
            self._pending = None
            if self._db.in_transaction:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise store_error(self.location, exc) from exc
        if write:
            self.checkpointer.committed(self._db)
        if self._pending is not None:
            newest, upto = self._pending
            self._pending = None
            self._maybe_compact(newest, upto)

    def read_transaction(self) -> AbstractContextManager[None]:
        """A consistent snapshot for several reads (WAL readers do not block writers)."""
        return self._transaction("BEGIN DEFERRED")

    def write_transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]:
        """Take the write lock now (``BEGIN IMMEDIATE``): other writers wait until this one commits.

        ``optimistic`` changes nothing: the lock is local and the section after it short.
        """
        return self._transaction("BEGIN IMMEDIATE")

    def change_token(self) -> tuple[int, int, int]:
        """Equal in two calls (in transactions) only if nothing was committed to the file in between.

        ``PRAGMA data_version`` changes when another connection (of this process or another one)
        commits; this connection's own changes are counted by ``total_changes``.
        """
        try:
            version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise store_error(self.location, exc) from exc
        return (self._id, version, self._db.total_changes)

    # -- look-ups -------------------------------------------------------------------------------------

    def prefetch(self, ids: Sequence[str], hashes: Sequence[int], keys: Sequence[int]) -> None:
        """Nothing to do: the reads are local."""

    def _refresh(self) -> None:
        """Bring the runs and the in-memory keys up to date with the file (call inside a transaction)."""
        meta = dict(
            self._db.execute("SELECT key, value FROM meta WHERE key IN ('removals', 'key_runs')").fetchall()
        )
        removals = int(meta.get("removals", 0))
        manifest = str(meta.get("key_runs", ""))
        if manifest != self._manifest:
            self._open_runs(Manifest.parse(manifest))
            self._manifest = manifest
            self._keys = None
        if self._keys is None or removals != self._removals:
            self._keys = KeyIndex()
            self._seen = self._upto
            self._removals = removals
            self._removed = np.asarray(
                [int(r[0]) for r in self._db.execute("SELECT doc FROM removed_docs ORDER BY doc")],
                dtype=np.int64,
            )
        rows = self._db.execute(
            "SELECT doc, keys FROM band_keys WHERE doc > ? ORDER BY doc", (self._seen,)
        ).fetchall()
        if rows:
            self._keys.add([int(d) for d, _ in rows], [bytes(k) for _, k in rows])
            self._seen = int(rows[-1][0])

    def _open_runs(self, manifest: Manifest) -> None:
        """Map the run files ``manifest`` names (kept ones are reused), release the others."""
        folder = run_folder(self.path)
        runs = {e.name: self._runs.get(e.name) or Run(folder / e.name) for e in manifest.runs}
        for name, run in self._runs.items():
            if name not in runs:
                run.close()
        self._runs = runs
        self._upto = manifest.upto

    @translated
    def lookup(self, keys: Sequence[int], *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Docs sharing any key, with the number of keys each shares; oversized buckets are skipped."""
        for attempt in range(3):
            try:
                with self.read_transaction():
                    self._refresh()
                break
            except IndexStoreError:
                # a run file replaced by a merge committed after this snapshot began: read again
                self._manifest = None
                if attempt == 2 or self._depth:
                    raise
        assert self._keys is not None
        return lookup(
            signed_array(keys), list(self._runs.values()), self._keys, self._removed, max_bucket=max_bucket
        )

    def compact(self) -> bool:
        """Write the newest keys as a run and merge runs, now, in this thread; True if anything changed."""
        self.wait()
        try:
            return compact(
                self.path,
                run_articles=self.run_articles,
                merge_factor=self.merge_factor,
                busy_timeout=self._busy_timeout,
            )
        except sqlite3.Error as exc:
            raise store_error(self.location, exc) from exc

    def wait(self) -> None:
        """Wait for a background compaction to end."""
        if self._compactor is not None:
            self._compactor.join()
            self._compactor = None

    def _background(self) -> None:
        try:
            compact(
                self.path,
                run_articles=self.run_articles,
                merge_factor=self.merge_factor,
                busy_timeout=self._busy_timeout,
            )
        except Exception as exc:
            self.compaction_error = exc

    def _maybe_compact(self, newest: int, upto: int) -> None:
        if newest - upto < self.run_articles or (self._compactor is not None and self._compactor.is_alive()):
            return
        self._compactor = threading.Thread(target=self._background, name="dedup-key-runs", daemon=True)
        self._compactor.start()

    @translated
    def fetch(self, docs: Sequence[int]) -> list[StoredRecord]:
        """Records of ``docs`` in the order asked."""
        if not docs:
            return []
        rows = self._db.execute(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE doc IN (SELECT value FROM json_each(?))",
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
            masked=tuple(unsigned(h) for h in ints(str(masked))),
            shingles=bytes(shingles),  # type: ignore[call-overload]
            valid=bytes(valid),  # type: ignore[call-overload]
        )

    @translated
    def find(self, ids: Sequence[str]) -> dict[str, int]:
        """Doc numbers of the stored ids among ``ids``."""
        if not ids:
            return {}
        rows = self._db.execute(
            "SELECT id, doc FROM articles WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        ).fetchall()
        return {str(i): int(d) for i, d in rows}

    @translated
    def line_stats(self, hashes: Sequence[int]) -> dict[int, LineStat]:
        """Statistics of the stored lines among ``hashes``."""
        if not hashes:
            return {}
        rows = self._db.execute(
            "SELECT hash, docs, edges, sample FROM lines WHERE hash IN (SELECT value FROM json_each(?))",
            (json.dumps([signed(h) for h in hashes]),),
        ).fetchall()
        return {unsigned(int(h)): LineStat(int(d), int(e), ints(str(s))) for h, d, e, s in rows}

    @translated
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

    @translated
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
                        ",".join(map(str, sorted(signed(h) for h in r.masked))),
                        r.shingles,
                        r.valid,
                    ),
                )
                if cur.rowcount != 1 or cur.lastrowid is None:
                    continue
                doc = int(cur.lastrowid)
                self._db.execute(
                    "INSERT INTO band_keys (doc, keys) VALUES (?, ?)",
                    (doc, np.unique(signed_array(r.keys)).astype("<i8").tobytes()),
                )
                out.append(doc)
                n_keys += len(set(r.keys))
                line_rows.extend((h, edge, doc) for h, edge in r.lines)
            tallies = self.line_stats(list(dict.fromkeys(h for h, _, _ in line_rows)))
            for h, edge, doc in line_rows:
                tallies[h] = tallies.get(h, LineStat(0, 0)).add(doc, edge)
            self._db.executemany(SET_LINE, [(signed(h), *line_row(st)) for h, st in tallies.items()])
            self._bump("count_keys", n_keys)
            if out:  # looked at when the outermost transaction commits
                self._pending = (out[-1], Manifest.read(self._db).upto)
        return out

    @translated
    def delete(self, doc: int, keys: Sequence[int], lines: Sequence[tuple[int, bool]]) -> bool:
        """Remove one stored article, its keys and its share of the line statistics (False if absent).

        The keys removed are the ones this store kept for ``doc`` (the same as ``keys``).
        """
        with self.write_transaction():
            row = self._db.execute("SELECT length(keys) FROM band_keys WHERE doc = ?", (doc,)).fetchone()
            if row is None:
                return False
            self._bump("count_keys", -int(row[0]) // 8)
            self._bump("removals", 1)  # every process reloads the removed docs and its in-memory keys
            # left out of look-ups while a run file still holds its keys
            self._db.execute("INSERT OR IGNORE INTO removed_docs (doc) VALUES (?)", (doc,))
            edges = dict(lines)
            for h, st in self.line_stats(list(edges)).items():
                after = st.remove(doc, edges[h])
                if after is None:
                    self._db.execute("DELETE FROM lines WHERE hash = ?", (signed(h),))
                else:
                    self._db.execute(SET_LINE, (signed(h), *line_row(after)))
            self._db.execute("DELETE FROM articles WHERE doc = ?", (doc,))
            self._db.execute("DELETE FROM band_keys WHERE doc = ?", (doc,))
        return True

    # -- maintenance ----------------------------------------------------------------------------------

    @translated
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

    @translated
    def counts(self) -> dict[str, int]:
        """Articles, keys, lines and bytes on disk (file plus write-ahead log)."""
        articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
        lines = self._db.execute("SELECT count(*) FROM lines").fetchone()[0]
        keys = self._db.execute("SELECT value FROM meta WHERE key = 'count_keys'").fetchone()
        size = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                size += os.path.getsize(self.location + suffix)
        for entry in Manifest.read(self._db).runs:
            with suppress(OSError):
                size += (run_folder(self.path) / entry.name).stat().st_size
        return {
            "articles": int(articles),
            "keys": int(keys[0]) if keys else 0,
            "lines": int(lines),
            "bytes": size,
        }

    @translated
    def count_lines(self, *, min_docs: int) -> int:
        """Lines held by at least ``min_docs`` stored articles."""
        return int(self._db.execute("SELECT count(*) FROM lines WHERE docs >= ?", (min_docs,)).fetchone()[0])

    @translated
    def time_range(self) -> tuple[float | None, float | None]:
        """Oldest and newest ``published``."""
        lo, hi = self._db.execute("SELECT min(published), max(published) FROM articles").fetchone()
        return (None if lo is None else float(lo), None if hi is None else float(hi))

    @translated
    def integrity_check(self) -> list[str]:
        """Problems found (empty when sound): see :mod:`~dedup.stores.sqlite.integrity`."""
        self.wait()  # a merge of this process would replace files under the check
        with self.read_transaction():
            return integrity.check(self._db, run_folder(self.path))

    @translated
    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file (after a bulk load)."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Wait for a background compaction and checkpoint, release the runs, close the connection."""
        self.wait()
        self.checkpointer.stop()
        for run in self._runs.values():
            run.close()
        self._runs = {}
        self._db.close()
