"""The SQLite store's integrity check: the file, then whether the tables agree with each other."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.errors import IndexStoreError
from dedup.stores.base import LineStat
from dedup.stores.integrity import Problems, line_problems
from dedup.stores.sqlite.layout import Manifest, ints, unsigned
from dedup.stores.sqlite.runs import Run

__all__ = ["check"]


def check(db: sqlite3.Connection, folder: Path) -> list[str]:
    """Problems found (empty when sound): the file's, then whether the tables agree.

    ``PRAGMA integrity_check`` first (a damaged file is reported as SQLite reports it, and not
    read further). Then: every article has its row of band keys and every row of band keys an
    article; each row holds distinct keys, sorted; the key counter equals the keys held; an
    article's shingles and their validity have matching lengths; the line statistics equal a
    recount from the stored texts (:mod:`dedup.stores.integrity`), and the lines each article
    records as masked are lines of its text; the band-key run files in ``folder`` that the
    manifest names exist, are sorted, and hold exactly the keys of the ``band_keys`` rows they cover
    (removed docs aside). Reads every stored text; call it inside a read
    transaction, so that it sees one state.
    """
    rows = [str(r[0]) for r in db.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        return rows
    problems = Problems()
    _key_problems(db, problems)
    _run_problems(db, folder, problems)
    for doc, n_shingles, n_valid in db.execute(
        "SELECT doc, length(shingles), length(valid) FROM articles ORDER BY doc"
    ):
        if n_shingles % 4 or n_valid != (n_shingles // 4 + 7) // 8:
            problems.add("shingles", f"doc {doc}: {n_shingles} bytes of shingles, {n_valid} of validity")
    texts = (
        (int(doc), str(text), [unsigned(h) for h in ints(str(masked))])
        for doc, text, masked in db.execute("SELECT doc, text, masked FROM articles ORDER BY doc")
    )
    stats = (
        (unsigned(int(h)), LineStat(int(d), int(e), ints(str(sample))))
        for h, d, e, sample in db.execute("SELECT hash, docs, edges, sample FROM lines")
    )
    line_problems(texts, stats, problems)
    return problems.messages()


def _key_problems(db: sqlite3.Connection, problems: Problems) -> None:
    """Articles against rows of band keys, each row's keys, and the key counter."""
    for doc, id_ in db.execute(
        "SELECT doc, id FROM articles WHERE doc NOT IN (SELECT doc FROM band_keys) ORDER BY doc"
    ):
        problems.add("keyless", f"article {id_!r} (doc {doc}) has no row of band keys")
    held = 0
    for doc, blob, stored in db.execute(
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
    row = db.execute("SELECT value FROM meta WHERE key = 'count_keys'").fetchone()
    counted = int(row[0]) if row else 0
    if counted != held:
        problems.add("key count", f"the key counter says {counted} keys, the band-key rows hold {held}")


def _mix(keys: npt.NDArray[np.int64], docs: npt.NDArray[np.int64]) -> int:
    """An order-independent digest of ``(key, doc)`` pairs (a sum of mixed pairs, modulo 2**64)."""
    with np.errstate(over="ignore"):
        h = keys.astype(np.int64).view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        h ^= (docs.astype(np.uint64) + np.uint64(1)) * np.uint64(0xC2B2AE3D27D4EB4F)
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        return int(h.sum(dtype=np.uint64))


def _run_problems(db: sqlite3.Connection, folder: Path, problems: Problems) -> None:
    """The run files against the manifest and the ``band_keys`` rows they cover."""
    manifest = Manifest.read(db)
    removed = np.asarray(
        [int(r[0]) for r in db.execute("SELECT doc FROM removed_docs ORDER BY doc")], dtype=np.int64
    )
    for (doc,) in db.execute("SELECT doc FROM removed_docs WHERE doc IN (SELECT doc FROM articles)"):
        problems.add("removed doc", f"doc {doc} is listed as removed but is a stored article")
    expected_first = 1
    for entry in manifest.runs:
        if entry.first < expected_first or entry.last < entry.first:
            problems.add("key runs", f"run {entry.name} covers docs {entry.first}-{entry.last}, out of order")
        expected_first = entry.last + 1
        try:
            run = Run(folder / entry.name)
        except IndexStoreError as exc:
            problems.add("key runs", f"run {entry.name}: {exc}")
            continue
        try:
            if (run.first, run.last) != (entry.first, entry.last):
                problems.add(
                    "key runs",
                    f"run {entry.name} holds docs {run.first}-{run.last}, "
                    f"recorded {entry.first}-{entry.last}",
                )
            digest = count = 0
            previous: int | None = None
            for keys, docs in run.iter_chunks():
                d64 = docs.astype(np.int64)
                if (previous is not None and len(keys) and keys[0] < previous) or bool(
                    np.any(keys[1:] < keys[:-1])
                ):
                    problems.add("key runs", f"run {entry.name}: keys not sorted")
                if len(keys):
                    previous = int(keys[-1])
                if bool(np.any((d64 < run.first) | (d64 > run.last))):
                    problems.add("key runs", f"run {entry.name}: a doc outside {run.first}-{run.last}")
                live = ~np.isin(d64, removed)
                digest = (digest + _mix(keys[live], d64[live])) % (1 << 64)
                count += int(np.count_nonzero(live))
        finally:
            run.close()
        want_digest = want_count = 0
        for doc, blob in db.execute(
            "SELECT doc, CAST(keys AS BLOB) FROM band_keys WHERE doc BETWEEN ? AND ?",
            (entry.first, entry.last),
        ):
            if len(blob) % 8:
                continue
            keys = np.frombuffer(blob, dtype="<i8").astype(np.int64)
            want_digest = (want_digest + _mix(keys, np.full(len(keys), int(doc), dtype=np.int64))) % (1 << 64)
            want_count += len(keys)
        if (count, digest) != (want_count, want_digest):
            problems.add(
                "key runs",
                f"run {entry.name} holds {count} keys of docs {entry.first}-{entry.last}, "
                f"the band-key rows {want_count}" + ("" if count != want_count else " (other keys)"),
            )
    if manifest.runs and manifest.upto != manifest.runs[-1].last:
        problems.add(
            "key runs", f"the runs end at doc {manifest.runs[-1].last}, the manifest says {manifest.upto}"
        )
