"""The SQLite store's integrity check: the file, then whether the tables agree with each other."""

from __future__ import annotations

import sqlite3

import numpy as np

from dedup.stores.base import LineStat
from dedup.stores.integrity import Problems, line_problems
from dedup.stores.sqlite.layout import ints, unsigned

__all__ = ["check"]


def check(db: sqlite3.Connection) -> list[str]:
    """Problems found (empty when sound): the file's, then whether the tables agree.

    ``PRAGMA integrity_check`` first (a damaged file is reported as SQLite reports it, and not
    read further). Then: every article has its row of band keys and every row of band keys an
    article; each row holds distinct keys, sorted; the key counter equals the keys held; an
    article's shingles and their validity have matching lengths; the line statistics equal a
    recount from the stored texts (:mod:`dedup.stores.integrity`), and the lines each article
    records as masked are lines of its text. Reads every stored text; call it inside a read
    transaction, so that it sees one state.
    """
    rows = [str(r[0]) for r in db.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        return rows
    problems = Problems()
    _key_problems(db, problems)
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
