"""The SQLite store's tables and how values are encoded in them.

* ``meta``: settings, versions and counters of the index (``count_keys``: band keys held;
  ``removals``: articles removed, which makes every process reload the removed docs and its
  in-memory keys; ``key_runs``: the band-key run files that are current and the last doc they
  cover, as JSON: :class:`Manifest`).
* ``articles``: one row per stored article (``doc`` never reused): its text, metadata, signature and
  shingles, and the learned lines masked when it was stored (``masked``: signed keys, sorted,
  joined by commas).
* ``band_keys``: the article's band keys (sorted, as one blob of little-endian signed 64-bit
  integers), apart from the text so that loading every key reads only these pages. Adding an article
  appends one row to each table: a few page writes, whatever the number of keys.
* ``removed_docs``: docs removed whose keys may still be in a run file (left out of every
  look-up until the run is merged again).
* ``lines``: per line key, how many stored articles hold it (and how many at their head or foot,
  and the first few holders): the statistics from which the index learns its boilerplate.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.stores.base import LineStat

__all__ = [
    "ARTICLE_COLUMNS",
    "ARTICLE_TABLE",
    "SCHEMA",
    "SET_LINE",
    "Manifest",
    "RunEntry",
    "ints",
    "line_row",
    "signed",
    "signed_array",
    "unsigned",
]

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS removed_docs (doc INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS lines (
    hash INTEGER PRIMARY KEY,
    docs INTEGER NOT NULL,
    edges INTEGER NOT NULL,
    sample TEXT NOT NULL
);
"""

# a line's new tally (computed by LineStat.add and .remove: the store only counts)
SET_LINE = """
INSERT INTO lines (hash, docs, edges, sample) VALUES (?, ?, ?, ?)
ON CONFLICT (hash) DO UPDATE SET docs = excluded.docs, edges = excluded.edges, sample = excluded.sample
"""

ARTICLE_COLUMNS = "doc, id, text, metadata, published, added, signature, masked, shingles, valid"
#: Every column of the articles table, as _SCHEMA creates it.
ARTICLE_TABLE = tuple(ARTICLE_COLUMNS.split(", "))


def ints(text: str) -> tuple[int, ...]:
    """Integers written joined by commas (``masked``, a line's ``sample``)."""
    return tuple(int(x) for x in text.split(",") if x)


# Band keys and line keys are unsigned 64-bit integers (as the engine computes them); SQLite's INTEGER
# and the key blobs hold them as signed 64-bit integers with the same bits.


def signed(key: int) -> int:
    """An unsigned 64-bit key as the signed integer SQLite stores."""
    return key - (1 << 64) if key >= 1 << 63 else key


def unsigned(value: int) -> int:
    """A key read back from SQLite."""
    return value & 0xFFFF_FFFF_FFFF_FFFF


def signed_array(keys: Sequence[int]) -> npt.NDArray[np.int64]:
    """Unsigned 64-bit keys as the signed array the key blobs and the in-memory key index hold."""
    return np.asarray(keys, dtype=np.uint64).view(np.int64)


def line_row(stat: LineStat) -> tuple[int, int, str]:
    """A line's tally as the columns ``docs``, ``edges`` and ``sample`` of the lines table."""
    return stat.docs, stat.edges, ",".join(map(str, stat.sample))


@dataclass(frozen=True)
class RunEntry:
    """A current band-key run file: its name, the docs it covers and how many articles it holds."""

    name: str
    first: int
    last: int
    articles: int


@dataclass(frozen=True)
class Manifest:
    """The current run files (in doc order) and the last doc they cover (later docs: ``band_keys`` only)."""

    upto: int = 0
    runs: tuple[RunEntry, ...] = ()

    @classmethod
    def read(cls, db: sqlite3.Connection) -> Manifest:
        """The manifest recorded in ``meta`` (empty for an index without runs)."""
        row = db.execute("SELECT value FROM meta WHERE key = 'key_runs'").fetchone()
        return cls.parse(str(row[0]) if row else "")

    @classmethod
    def parse(cls, text: str) -> Manifest:
        """The manifest from its JSON (empty for an empty text)."""
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            int(data["upto"]),
            tuple(RunEntry(str(n), int(f), int(la), int(a)) for n, f, la, a in data["runs"]),
        )

    def text(self) -> str:
        """As recorded in ``meta``."""
        return json.dumps(
            {"upto": self.upto, "runs": [[r.name, r.first, r.last, r.articles] for r in self.runs]}
        )

    def write(self, db: sqlite3.Connection) -> None:
        """Record it (inside a write transaction)."""
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('key_runs', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (self.text(),),
        )
