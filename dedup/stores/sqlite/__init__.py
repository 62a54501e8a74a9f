"""The embedded store: one SQLite file, in WAL mode, safe for several processes at once.

The tables and how values are encoded in them: :mod:`~.layout`; band-key look-ups over sorted run
files (:mod:`~.runs`, written and merged by :mod:`~.compact`) and the newest keys in memory:
:mod:`~.keys`; SQLite's errors in words: :mod:`~.errors`; the integrity check: :mod:`~.integrity`;
the protocol's methods: :mod:`~.store`.
"""

from dedup.stores.sqlite.errors import store_error
from dedup.stores.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore", "store_error"]
