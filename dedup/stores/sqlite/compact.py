"""Writing band-key runs and merging them, on a connection of its own (run in the background of writes).

One pass (:func:`compact`):

1. When at least ``run_articles`` articles have been stored after the last doc the runs cover, their
   keys are read from ``band_keys`` (in a read snapshot), sorted and written as a new run file; the
   manifest then records it and its last doc, in a write transaction that first checks that the
   manifest is still the one read (another process may have done the same meanwhile: the loser
   deletes its file).
2. Runs are merged by size class: when ``merge_factor`` runs of one class (articles /
   ``run_articles`` between ``merge_factor ** c`` and ``merge_factor ** (c + 1)``) follow each
   other at the end, they are merged into one; a run in which a quarter of the articles have been
   removed is rewritten alone. Removed docs are left out of the merged run, and dropped from
   ``removed_docs`` in the transaction that records it. Thus at most ``merge_factor - 1`` runs per
   class, and each key is rewritten about ``log(articles / run_articles, merge_factor)`` times.

Files are written whole before they are recorded; a process killed at any point leaves either the
old manifest with its files, or the new one with its files, and perhaps an unrecorded file, which a
later pass deletes once it is ten minutes old. Files replaced by a merge are deleted the same way,
ten minutes after: a process that read the previous manifest in a snapshot may still open them.
"""

from __future__ import annotations

import math
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.stores.sqlite.layout import Manifest, RunEntry
from dedup.stores.sqlite.runs import Run, merge_runs, write_run

__all__ = ["compact", "run_folder"]

#: Unrecorded files untouched for this long are deleted (retired by a merge, or left by a killed process).
ORPHAN_AGE = 600.0


def run_folder(db_path: Path) -> Path:
    """Where the run files of the index at ``db_path`` are kept: a folder beside it."""
    return db_path.with_name(db_path.name + "-keys")


def _removed(db: sqlite3.Connection) -> npt.NDArray[np.int64]:
    return np.asarray(
        [int(r[0]) for r in db.execute("SELECT doc FROM removed_docs ORDER BY doc")], dtype=np.int64
    )


def _swap(db: sqlite3.Connection, still: Callable[[Manifest], Manifest | None], dropped: list[int]) -> bool:
    """Record a new manifest (``still`` gives it from the current one, or None: changed meanwhile)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        new = still(Manifest.read(db))
        if new is None:
            db.execute("ROLLBACK")
            return False
        new.write(db)
        db.executemany("DELETE FROM removed_docs WHERE doc = ?", [(d,) for d in dropped])
        db.execute("COMMIT")
        return True
    except BaseException:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise


def _name(first: int, last: int) -> str:
    return f"run-{first:010d}-{last:010d}-{secrets.token_hex(4)}.keys"


def _tier(articles: int, run_articles: int, factor: int) -> int:
    return (
        max(0, int(math.log(max(articles, 1) / run_articles, factor) + 1e-9))
        if articles >= run_articles
        else 0
    )


def compact(db_path: Path, *, run_articles: int, merge_factor: int, busy_timeout: float = 60.0) -> bool:
    """Write the newest keys as runs and merge runs until there is nothing to do; True if anything changed."""
    folder = run_folder(db_path)
    db = sqlite3.connect(os.fspath(db_path), timeout=busy_timeout, isolation_level=None)
    changed = False
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        while _new_run(db, folder, run_articles):
            changed = True
        while _merge_once(db, folder, run_articles, merge_factor):
            changed = True
        _orphans(db, folder)
    finally:
        db.close()
    return changed


def _new_run(db: sqlite3.Connection, folder: Path, run_articles: int) -> bool:
    db.execute("BEGIN")
    try:
        manifest = Manifest.read(db)
        (count,) = db.execute("SELECT count(*) FROM band_keys WHERE doc > ?", (manifest.upto,)).fetchone()
        if int(count) < run_articles:
            return False
        rows = db.execute(
            "SELECT doc, keys FROM band_keys WHERE doc > ? ORDER BY doc LIMIT ?",
            (manifest.upto, run_articles),
        ).fetchall()
        removed = _removed(db)
    finally:
        db.execute("COMMIT")
    first, last = manifest.upto + 1, int(rows[-1][0])
    blobs = [bytes(b) for _, b in rows]
    keys = np.frombuffer(b"".join(blobs), dtype="<i8").astype(np.int64)
    lengths = np.fromiter((len(b) // 8 for b in blobs), dtype=np.int64, count=len(blobs))
    docs = np.repeat(np.asarray([int(d) for d, _ in rows], dtype=np.int32), lengths)
    del blobs, rows
    folder.mkdir(exist_ok=True)
    path = write_run(folder / _name(first, last), keys, docs, first, last)
    dropped = [int(d) for d in removed[(removed >= first) & (removed <= last)]]

    def still(current: Manifest) -> Manifest | None:
        if current != manifest:
            return None
        entry = RunEntry(path.name, first, last, len(lengths))
        return Manifest(last, (*current.runs, entry))

    if not _swap(db, still, dropped):
        path.unlink(missing_ok=True)
        return False
    return True


def _merge_once(db: sqlite3.Connection, folder: Path, run_articles: int, factor: int) -> bool:
    db.execute("BEGIN")
    try:
        manifest = Manifest.read(db)
        removed = _removed(db)
    finally:
        db.execute("COMMIT")
    runs = list(manifest.runs)
    group: list[RunEntry] = []
    for entry in runs:  # a run a quarter removed is rewritten alone
        gone = int(np.count_nonzero((removed >= entry.first) & (removed <= entry.last)))
        if gone and gone * 4 >= entry.articles:
            group = [entry]
            break
    if not group and len(runs) >= factor:
        tiers = [_tier(r.articles, run_articles, factor) for r in runs]
        end = len(runs)
        start = end - 1
        while start > 0 and tiers[start - 1] == tiers[-1]:
            start -= 1
        if end - start >= factor:
            group = runs[start : start + factor]
    if not group:
        return False
    opened = [Run(folder / e.name) for e in group]
    first, last = group[0].first, group[-1].last
    inside = removed[(removed >= first) & (removed <= last)]
    try:
        path = merge_runs(folder / _name(first, last), opened, inside)
    finally:
        for run in opened:
            run.close()
    gone = len(inside)
    articles = sum(e.articles for e in group) - gone
    names = [e.name for e in group]

    def still(current: Manifest) -> Manifest | None:
        have = [r.name for r in current.runs]
        if any(n not in have for n in names):
            return None
        at = have.index(names[0])
        merged = RunEntry(path.name, first, last, max(articles, 0))
        return Manifest(current.upto, (*current.runs[:at], merged, *current.runs[at + len(names) :]))

    if not _swap(db, still, [int(d) for d in inside]):
        path.unlink(missing_ok=True)
        return False
    for name in names:  # retired: deleted by a later pass, once no snapshot can still name them
        with suppress(OSError):
            os.utime(folder / name)
    return True


def _orphans(db: sqlite3.Connection, folder: Path) -> None:
    """Delete files no manifest records, left by killed processes (only when old: one may be in writing)."""
    if not folder.is_dir():
        return
    current = {r.name for r in Manifest.read(db).runs}
    now = time.time()
    for path in folder.iterdir():
        if path.name in current:
            continue
        with suppress(OSError):
            if now - path.stat().st_mtime > ORPHAN_AGE:
                path.unlink()
