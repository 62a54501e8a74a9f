"""The shared store: one Redis database (or one Redis Cluster hash slot) used by many ingest workers.

Open it with a URL, ``redis://[:password@]host:port/db?prefix=news`` (:mod:`~.url`). The index's
keys and how values are encoded in them: :mod:`~.layout`. Check-and-add stays atomic across workers
through two kinds of write transaction (:mod:`~.transaction`): *optimistic*, without a lock, whose
commit script checks that what it read is unchanged; and *locked*, under a fenced write lock renewed
by a thread (:mod:`~.lock`). Reads cost one round trip per kind, and their answers are kept, keyed
by item, for reuse where that is sound (:mod:`~.answers`, :mod:`~.reads`). The Lua scripts:
:mod:`~.scripts`; the integrity check: :mod:`~.integrity`; the protocol's methods: :mod:`~.store`.
"""

from dedup.stores.redis.layout import DEFAULT_PREFIX, LAYOUT_VERSION
from dedup.stores.redis.store import RESERVE, RedisStore

__all__ = ["DEFAULT_PREFIX", "LAYOUT_VERSION", "RESERVE", "RedisStore"]
