"""The shared store: one Redis database (or one Redis Cluster hash slot) used by many ingest workers.

Open it with a URL, ``redis://[:password@]host:port/db?prefix=news`` (``rediss://`` for TLS,
``unix:///path/redis.sock?db=0`` for a socket; ``cluster=yes`` for a Redis Cluster, the URL naming
any node). The query may also set ``lock_timeout`` (seconds, default 10) and ``lock_wait`` (seconds
a writer waits for the lock, default 60); other query parameters go to redis-py
(``socket_timeout``, ``health_check_interval``...).

Key layout (prefix ``P``, default ``dedup``; every key carries the hash tag ``{P}``, so that one
index lives in one Redis Cluster hash slot and a transaction may touch any of its keys):

* ``{P}:meta`` (hash): settings, versions and store layout, written once when the index is created.
* ``{P}:seq`` (string): the last doc number given out. Numbers are never reused; a writer draws
  :data:`RESERVE` at a time (``INCRBY``), so that storing an article needs no round trip for it.
* ``{P}:art`` / ``{P}:sig`` / ``{P}:shingles`` (hashes, doc -> JSON record / signature bytes /
  the shingle at each word and which are valid, with which the index screens a candidate).
* ``{P}:ids`` (sorted set, id scored by doc): finds ids and lists them in insertion order (with
  several writers, in the order they drew their numbers).
* ``{P}:time`` / ``{P}:pub`` (sorted sets of docs by ``published``-or-``added`` / by ``published``).
* ``{P}:k:0`` ... ``{P}:k:15`` (hashes): the LSH buckets. Field = band key (8 bytes, big-endian),
  value = the docs holding it (``"12,80"``). datasketch's Redis storage gives every bucket a key of
  its own; an index that stores every window key holds about a thousand keys per article, so here
  they are fields of 16 large hashes: a look-up of all of an article's keys is 16 ``HMGET`` in one
  ``MULTI`` transaction, and a field costs far less memory than a key.
* ``{P}:lines`` (hash): line hash (8 bytes) -> ``"docs:edges:d1,d2,..."`` (learned boilerplate).
* ``{P}:counts`` (hash): ``keys``.
* ``{P}:gen`` (string): the generation, incremented by every commit.
* ``{P}:lock`` / ``{P}:fence``: the write lock and the counter its tokens come from.

Check-and-add: the decision reads candidates' texts and runs the alignment in Python, so it cannot
be one Lua script; and ``WATCH`` would have to watch every bucket hash, so that any concurrent
insert would abort it. Two kinds of write transaction (:meth:`write_transaction`) keep it atomic:

*Optimistic* (``optimistic=True``, what :meth:`Index.check_and_add <dedup.index.Index.check_and_add>`
tries first): no lock. The transaction records every answer it relies on (whether the id is
stored, the line statistics and the bucket of each band key it read, most of them answered from
the reads of the decision without a round trip) and buffers its writes; the commit script first
checks, field by field, that Redis still holds exactly those values and that no one holds the lock,
and applies the writes only then. Otherwise it writes nothing and the caller raises
:class:`~dedup.errors.WriteConflict`; the index then decides again in a locked transaction. Two
workers storing unrelated articles do not conflict: only a change to what the article's own
decision read does.

*Locked* (the fallback, and bulk loads), as SQLite's ``BEGIN IMMEDIATE``:

1. *acquire*: a Lua script sets ``{P}:lock`` to a fresh token from ``{P}:fence`` (``INCR``) with an
   expiry (``lock_timeout``), only if no one holds it; it also returns the generation. A waiting
   writer retries with a short, growing, jittered pause, up to ``lock_wait``.
2. *reads* go straight to Redis; *writes* are buffered in the process (reads within the transaction
   see them);
3. *commit*: one Lua script checks that ``{P}:lock`` still holds this writer's token, applies every
   buffered write and releases the lock. Redis runs a script without interleaving other clients, so
   the commit is all or nothing, and a writer whose lock expired (a process paused longer than the
   expiry, a network partition) has its commit refused: the fence. An error inside the transaction
   discards the buffer and releases the lock; a process that dies holding the lock holds it until
   it expires.

A thread renews the lock every ``lock_timeout / 3`` while the transaction is open, so a long
verification does not lose it; a paused or dead process stops renewing.

One article costs a bounded number of round trips: the id, its line statistics and its band keys
in one (:meth:`prefetch`), the signatures of a frequent line's holders (rarely), the candidates'
records, and the commit. Reads outside a write transaction see the latest committed state of each
structure (there is no snapshot across several reads).

A store object is not safe to share between threads; open one per thread (or serialise calls).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt
import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script

from dedup.errors import IndexStoreError, SettingsError, WriteConflict
from dedup.stores.base import LineStat, NewRecord, StoredRecord

__all__ = ["DEFAULT_PREFIX", "LAYOUT_VERSION", "RESERVE", "RedisStore"]

#: Key prefix (and Redis Cluster hash tag) when the URL names none.
DEFAULT_PREFIX = "dedup"
#: Version of the key layout above, recorded in ``{P}:meta``.
LAYOUT_VERSION = "1"
_SHARDS = 16
#: Doc numbers a writer draws from the counter at a time.
RESERVE = 16
_CHUNK = 2000  # arguments per command: Lua's stack and Redis's argument buffers stay small

P = ParamSpec("P")
T = TypeVar("T")


_ACQUIRE = """#!lua
if redis.call('EXISTS', KEYS[1]) == 1 then
    return {0, redis.call('PTTL', KEYS[1]), 0}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return {token, 0, tonumber(redis.call('GET', KEYS[3]) or '0')}
"""

_EXTEND = """#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

# Splits a string of 8-byte fields (struct.unpack splits up to 4,000 in one C call).
_SPLIT = """
local function split(blob)
    local fields, pos, n = {}, 1, #blob / 8
    while n > 0 do
        local k = math.min(n, 4000)
        local part = {struct.unpack(string.rep('c8', k), blob, pos)}
        pos = part[k + 1]
        part[k + 1] = nil
        if k == n and #fields == 0 then
            return part
        end
        for x = 1, k do
            fields[#fields + 1] = part[x]
        end
        n = n - k
    end
    return fields
end
"""

# KEYS[1] is the lock, KEYS[2] the generation. ARGV: the lock's token ('' for an optimistic
# transaction: the lock must then be free), the generation at which every checked value was read
# ('' if they were not all read at one; when it is still the current one, nothing has been committed
# since and the checks are skipped), the number of arguments that hold checks, the checks, then
# commands as (name, key index, number of arguments, arguments...). A check is ('H', key index,
# 8-byte fields, their values joined by NUL, '' when absent) or ('Z', key index, n, n members, a '1'
# or '0' per member: present or not). Returns 1 when committed, 0 when an optimistic transaction
# finds the lock held or a check failing (nothing is written). HSETP sets fields to values given as
# one string of (8-byte field, value) pairs whose values all have the length given; HDELB deletes
# every 8-byte field of a string.
_COMMIT = (
    "#!lua\n"
    + _SPLIT
    + """
if ARGV[1] == '' then
    if redis.call('EXISTS', KEYS[1]) == 1 then
        return 0
    end
elseif redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.error_reply('DEDUPLOCK the write lock expired before the commit')
end
local i = 4
local checked = 3 + tonumber(ARGV[3])
if ARGV[2] ~= '' and redis.call('GET', KEYS[2]) == ARGV[2] then
    i = checked + 1
end
while i <= checked do
    local key = KEYS[tonumber(ARGV[i + 1])]
    if ARGV[i] == 'H' then
        local fields = split(ARGV[i + 2])
        local seen = {}
        for s = 1, #fields, 4000 do
            local e = math.min(s + 3999, #fields)
            local values = redis.call('HMGET', key, unpack(fields, s, e))
            for x = 1, e - s + 1 do
                seen[#seen + 1] = values[x] or ''
            end
        end
        if table.concat(seen, '\\0') ~= ARGV[i + 3] then
            return 0
        end
        i = i + 4
    else
        local n = tonumber(ARGV[i + 2])
        local flags = {}
        for x = 1, n do
            flags[x] = redis.call('ZSCORE', key, ARGV[i + 2 + x]) and '1' or '0'
        end
        if table.concat(flags) ~= ARGV[i + 3 + n] then
            return 0
        end
        i = i + 4 + n
    end
end
while i <= #ARGV do
    local name, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
    if name == 'HSETP' then
        local blob, item = ARGV[i + 3], 'c8c' .. ARGV[i + 4]
        local n, pos = #blob / (8 + tonumber(ARGV[i + 4])), 1
        while n > 0 do
            local k = math.min(n, 2000)
            local args = {struct.unpack(string.rep(item, k), blob, pos)}
            pos = args[2 * k + 1]
            args[2 * k + 1] = nil
            redis.call('HSET', key, unpack(args))
            n = n - k
        end
    elseif name == 'HDELB' then
        local fields = split(ARGV[i + 3])
        for s = 1, #fields, 4000 do
            redis.call('HDEL', key, unpack(fields, s, math.min(s + 3999, #fields)))
        end
    else
        redis.call(name, key, unpack(ARGV, i + 3, i + 2 + n))
    end
    i = i + 3 + n
end
if ARGV[1] ~= '' then
    redis.call('DEL', KEYS[1])
end
return 1
"""
)

_CREATE_META = """#!lua
if redis.call('EXISTS', KEYS[1]) == 1 then
    return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""


def _redis_errors(method: Callable[P, T]) -> Callable[P, T]:
    """Turn redis-py's errors into :class:`IndexStoreError` naming the store."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            store = args[0]
            assert isinstance(store, RedisStore)
            raise IndexStoreError(f"{store.location}: {_describe(exc)}") from None

    return wrapper


def _describe(exc: redis.RedisError) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return f"cannot reach Redis: {text}"
    if isinstance(exc, redis.AuthenticationError):
        return f"Redis refused the credentials: {text}"
    return f"Redis error: {text}"


def _int64(keys: Sequence[int] | npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Band or line keys (unsigned 64-bit integers) as the signed array their 8-byte fields come from."""
    if isinstance(keys, np.ndarray) and keys.dtype == np.int64:
        return keys
    return np.asarray(keys, dtype=np.uint64).view(np.int64)


def _docs(value: bytes | None) -> list[int]:
    return [int(x) for x in value.split(b",")] if value else []


def _pairs(fields: bytes, value: bytes) -> bytes:
    """8-byte fields, each followed by ``value`` (the argument of ``HSETP`` in ``_COMMIT``)."""
    n = len(fields) // 8
    out = np.empty((n, 8 + len(value)), dtype=np.uint8)
    out[:, :8] = np.frombuffer(fields, dtype=np.uint8).reshape(n, 8)
    out[:, 8:] = np.frombuffer(value, dtype=np.uint8)
    return out.tobytes()


def _line_value(value: bytes) -> LineStat:
    docs, edges, sample = value.split(b":")
    return LineStat(int(docs), int(edges), tuple(int(x) for x in sample.split(b",") if x))


def _line_bytes(stat: LineStat) -> bytes:
    return f"{stat.docs}:{stat.edges}:{','.join(map(str, stat.sample))}".encode()


@dataclass
class _Transaction:
    """What a write transaction has read and written so far."""

    #: The lock's token; 0 in an optimistic transaction (no lock).
    token: int
    #: The index's generation when the lock was taken (see ``RedisStore._memo``).
    generation: int
    #: Whether the transaction runs without the lock, its reads checked by the commit.
    optimistic: bool = False
    #: What an optimistic transaction read, checked by its commit (see ``_COMMIT``): 8-byte fields of
    #: a hash and their values (NUL-joined, empty when absent); members of a sorted set and whether
    #: each was present.
    field_checks: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    member_checks: list[tuple[str, list[str], str]] = field(default_factory=list)
    #: The generations at which those values were read.
    read_at: set[int] = field(default_factory=set)
    #: Fields of the record hashes as read (under the lock) or as written; None when absent.
    fields: dict[tuple[str, bytes], bytes | None] = field(default_factory=dict)
    #: Fields written (of the record hashes, and of the bucket and line hashes), in ``fields``.
    dirty: set[tuple[str, bytes]] = field(default_factory=set)
    #: New buckets, kept compact: (bucket hash, 8-byte fields concatenated, the value of each).
    blobs: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    #: The last band-key look-up: the fields asked and the values present (index -> value).
    looked_up: tuple[bytes, dict[int, bytes]] | None = None
    #: The last line look-up, likewise.
    lines_read: tuple[bytes, dict[int, bytes]] | None = None
    #: Ids known: id -> doc, None when not stored.
    ids: dict[str, int | None] = field(default_factory=dict)
    #: Sorted-set changes: (key, member) -> score, None to remove.
    zsets: dict[tuple[str, bytes], float | None] = field(default_factory=dict)
    keys_delta: int = 0


class RedisStore:
    """A :class:`~dedup.stores.base.Store` in Redis, shared by any number of processes and machines."""

    #: Articles per transaction of a bulk load (``Index.add_many``): each commit is one Lua script,
    #: during which Redis serves no one else, so it is kept to some tens of milliseconds.
    bulk_batch = 50

    def __init__(
        self,
        url: str,
        *,
        create: bool = False,
        prefix: str | None = None,
        lock_timeout: float | None = None,
        lock_wait: float | None = None,
    ) -> None:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        prefix = prefix if prefix is not None else query.pop("prefix", DEFAULT_PREFIX)
        lock_timeout = lock_timeout if lock_timeout is not None else _seconds(query, "lock_timeout", 10.0)
        lock_wait = lock_wait if lock_wait is not None else _seconds(query, "lock_wait", 60.0)
        query.pop("prefix", None)
        query.pop("lock_timeout", None)
        query.pop("lock_wait", None)
        cluster = query.pop("cluster", "no").lower() in ("1", "yes", "true")
        if not prefix or len(prefix) > 200 or any(c in prefix for c in "{}\n\r\t "):
            raise SettingsError(
                f"Redis key prefix {prefix!r}: use 1 to 200 characters without braces or white space"
            )
        self.prefix = prefix
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        shown = {"prefix": prefix} | {k: v for k, v in query.items() if k == "db"}
        if cluster:
            shown["cluster"] = "yes"
        self.location = urlunsplit((parts.scheme, netloc, parts.path, urlencode(shown), ""))
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
        try:
            # the URL may set other timeouts (its query wins)
            if cluster:
                # a Redis Cluster: the URL names any node; the index's keys share one slot
                self.client: redis.Redis = RedisCluster.from_url(  # type: ignore[assignment]
                    target, socket_timeout=60.0, socket_connect_timeout=10.0
                )
            else:
                self.client = redis.Redis.from_url(target, socket_timeout=60.0, socket_connect_timeout=10.0)
        except ValueError as exc:
            raise IndexStoreError(f"{self.location}: cannot read the Redis URL: {exc}") from None
        tag = "{" + prefix + "}"
        self._meta = f"{tag}:meta"
        self._seq = f"{tag}:seq"
        self._gen = f"{tag}:gen"
        self._fence = f"{tag}:fence"
        self._lock = f"{tag}:lock"
        self._art = f"{tag}:art"
        self._sig = f"{tag}:sig"
        self._shingles = f"{tag}:shingles"
        self._ids = f"{tag}:ids"
        self._time = f"{tag}:time"
        self._pub = f"{tag}:pub"
        self._lines = f"{tag}:lines"
        self._counts = f"{tag}:counts"
        self._shards = [f"{tag}:k:{n}" for n in range(_SHARDS)]
        self._packed_keys = {*self._shards, self._lines}
        self._acquire: Script = self.client.register_script(_ACQUIRE)
        self._extend: Script = self.client.register_script(_EXTEND)
        self._release: Script = self.client.register_script(_RELEASE)
        self._commit: Script = self.client.register_script(_COMMIT)
        self._create_meta: Script = self.client.register_script(_CREATE_META)
        self._tx: _Transaction | None = None
        #: The last look-up of each kind made outside a transaction: (question, generation, answer).
        self._memo: dict[str, tuple[bytes, int, Any]] = {}
        #: Answers read ahead by :meth:`prefetch`: kind -> (question, generation, answer).
        self._prefetched: dict[str, tuple[bytes, int, Any]] = {}
        #: Doc numbers drawn from the counter and not used yet (see ``_numbers``).
        self._spare: list[int] = []
        self._spare_pid = os.getpid()
        self._depth = 0
        self._renewer: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False
        #: Write transactions, and seconds spent waiting for the lock and holding it (from acquiring
        #: it to the end of the commit), by this store object: the lock's share of a worker's time
        #: bounds how far more workers can speed up.
        #: ``optimistic``: transactions committed without the lock, ``conflicts``: optimistic
        #: transactions refused because what they read had changed (the caller then takes the lock).
        self.lock_stats = dict.fromkeys(("transactions", "waited", "held", "optimistic", "conflicts"), 0.0)
        self._check_server(create)

    @_redis_errors
    def _check_server(self, create: bool) -> None:
        self.client.ping()
        if not create and not self.client.exists(self._meta):
            raise IndexStoreError(f"{self.location}: no such index (create it with `dedup index create`)")

    def all_keys(self) -> list[str]:
        """Every Redis key this index may use."""
        return [
            self._meta, self._seq, self._gen, self._fence, self._lock, self._art, self._sig,
            self._shingles, self._ids, self._time, self._pub, self._lines, self._counts, *self._shards,
        ]  # fmt: skip

    # -- metadata -------------------------------------------------------------------------------------

    @_redis_errors
    def read_meta(self) -> dict[str, str]:
        """The index's metadata; empty when no index lives under this prefix."""
        raw: dict[bytes, bytes] = self.client.hgetall(self._meta)  # type: ignore[assignment]
        meta = {k.decode(): v.decode() for k, v in raw.items()}
        meta.pop("store_layout", None)
        return meta

    @_redis_errors
    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Record metadata, unless another process created the index first (then theirs stands)."""
        items = [x for k, v in {**meta, "store_layout": f"redis-{LAYOUT_VERSION}"}.items() for x in (k, v)]
        self._create_meta(keys=[self._meta], args=items)
        layout = self.client.hget(self._meta, "store_layout")
        if layout not in (None, f"redis-{LAYOUT_VERSION}".encode()):
            raise IndexStoreError(f"{self.location}: Redis key layout {layout!r} is not {LAYOUT_VERSION}")

    # -- transactions ---------------------------------------------------------------------------------

    def read_transaction(self) -> AbstractContextManager[None]:
        """Reads need no lock (each sees the latest committed state)."""
        return nullcontext()

    @contextmanager
    def write_transaction(self, *, optimistic: bool = False) -> Iterator[None]:
        """Hold the write lock; buffer writes; commit them in one fenced script (see the module).

        ``optimistic``: take no lock; record what the transaction reads (band keys, line statistics,
        ids) and commit only if none of it has changed and no one holds the lock, else raise
        :class:`WriteConflict` having written nothing. Inside another transaction, that one is used.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        if optimistic:
            yield from self._optimistic()
            return
        asked = time.perf_counter()
        self._tx = self._lock_acquire()
        held = time.perf_counter()
        self.lock_stats["transactions"] += 1
        self.lock_stats["waited"] += held - asked
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            tx, self._tx = self._tx, None
            self._lock_release(tx.token)
            self.lock_stats["held"] += time.perf_counter() - held
            raise
        self._depth = 0
        tx, self._tx = self._tx, None
        try:
            self._lock_commit(tx)
        finally:
            self.lock_stats["held"] += time.perf_counter() - held

    def _optimistic(self) -> Iterator[None]:
        self._tx = _Transaction(token=0, generation=-1, optimistic=True)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._tx = None
            raise
        finally:
            self._depth = 0
        tx, self._tx = self._tx, None
        assert tx is not None
        if not self._lock_commit(tx):
            self.lock_stats["conflicts"] += 1
            raise WriteConflict(f"{self.location}: what the transaction read changed; nothing was written")
        self.lock_stats["optimistic"] += 1

    @_redis_errors
    def _lock_acquire(self) -> _Transaction:
        ttl = int(self.lock_timeout * 1000)
        deadline = time.monotonic() + self.lock_wait
        pause = 0.0002
        while True:
            token, value, generation = (
                int(x) for x in self._acquire(keys=[self._lock, self._fence, self._gen], args=[ttl])
            )
            if token:
                break
            if time.monotonic() >= deadline:
                raise IndexStoreError(
                    f"{self.location}: waited {self.lock_wait:g} s for the write lock that another "
                    "writer holds (a writer that died releases it within lock_timeout)"
                )
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 1.5, 0.005, max(value, 1) / 1000)
        tx = _Transaction(token=token, generation=generation)
        self._start_renewer()
        return tx

    def _lock_release(self, token: int) -> None:
        with suppress(redis.RedisError):  # otherwise the lock expires by itself
            self._release(keys=[self._lock], args=[token])

    @_redis_errors
    def _lock_commit(self, tx: _Transaction) -> bool:
        """Apply the transaction's writes in one script; False if an optimistic one was refused."""
        keys = [self._lock, self._gen]
        index: dict[str, int] = {self._lock: 1, self._gen: 2}
        args: list[bytes | str | int | float] = []

        def slot(key: str) -> int:
            if key not in index:
                keys.append(key)
                index[key] = len(keys)
            return index[key]

        def command(name: str, key: str, values: Sequence[bytes | str | int | float]) -> None:
            for start in range(0, len(values), _CHUNK):
                chunk = values[start : start + _CHUNK]
                args.extend((name, slot(key), len(chunk), *chunk))

        sets: dict[str, list[bytes]] = {}
        dels: dict[str, list[bytes]] = {}
        same: dict[tuple[str, bytes], list[bytes]] = {}  # packed fields set to one value (new buckets)
        for key, blob, single in tx.blobs:
            same.setdefault((key, single), []).append(blob)
        for key, fld in tx.dirty:
            value = tx.fields[(key, fld)]
            if key in self._packed_keys and (value is None or b"," not in value):
                same.setdefault((key, value or b""), []).append(fld)
            elif value is None:
                dels.setdefault(key, []).append(fld)
            else:
                sets.setdefault(key, []).extend((fld, value))
        for key, values in sets.items():
            command("HSET", key, values)
        for key, flds in dels.items():
            command("HDEL", key, flds)
        for (key, value), flds in same.items():
            if value:
                args.extend(("HSETP", slot(key), 2, _pairs(b"".join(flds), value), len(value)))
            else:
                args.extend(("HDELB", slot(key), 1, b"".join(flds)))
        adds: dict[str, list[bytes | float]] = {}
        rems: dict[str, list[bytes]] = {}
        for (key, member), score in tx.zsets.items():
            if score is None:
                rems.setdefault(key, []).append(member)
            else:
                adds.setdefault(key, []).extend((score, member))
        for key, members in rems.items():
            command("ZREM", key, members)
        for key, pairs in adds.items():
            command("ZADD", key, pairs)
        if tx.keys_delta:
            command("HINCRBY", self._counts, ["keys", tx.keys_delta])
        if not args:
            if not tx.optimistic:
                self._lock_release(tx.token)
            return True
        args.extend(("INCR", slot(self._gen), 0))
        checks: list[bytes | str | int | float] = []
        for name, packed, held in tx.field_checks:
            checks.extend(("H", slot(name), packed, held))
        for name, ids, flags in tx.member_checks:
            checks.extend(("Z", slot(name), len(ids), *ids, flags))
        read_at = str(next(iter(tx.read_at))) if len(tx.read_at) == 1 else ""
        head: list[bytes | str | int | float] = [
            "" if tx.optimistic else tx.token,
            read_at,
            len(checks),
            *checks,
        ]
        try:
            return bool(self._commit(keys=keys, args=[*head, *args]))
        except redis.ResponseError as exc:
            if "DEDUPLOCK" in str(exc):
                raise IndexStoreError(
                    f"{self.location}: the write lock expired before the commit (the process was "
                    f"paused or cut off for over lock_timeout={self.lock_timeout:g} s); nothing was written"
                ) from None
            raise

    def _start_renewer(self) -> None:
        if self._renewer is not None and self._renewer.is_alive():
            return
        self._renewer = threading.Thread(target=self._renew, name="dedup-redis-lock", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        """Extend the lock while a transaction holds it (stops when the store closes)."""
        ttl = int(self.lock_timeout * 1000)
        while not self._closed:
            self._wake.wait(self.lock_timeout / 3)
            tx = self._tx
            if tx is None or self._closed:
                continue
            with suppress(redis.RedisError):  # otherwise the commit's fence decides
                self._extend(keys=[self._lock], args=[tx.token, ttl])

    # -- reading through the transaction --------------------------------------------------------------

    def _hget(self, pairs: Sequence[tuple[str, bytes]]) -> dict[tuple[str, bytes], bytes | None]:
        """Fields of the record hashes (``art``, ``sig``) as the transaction sees them, in one pipeline."""
        tx = self._tx
        out: dict[tuple[str, bytes], bytes | None] = {}
        wanted: dict[str, list[bytes]] = {}
        for pair in pairs:
            if tx is not None and pair in tx.fields:
                out[pair] = tx.fields[pair]
            else:
                wanted.setdefault(pair[0], []).append(pair[1])
        if wanted:
            pipe = self.client.pipeline(transaction=False)
            order = []
            for key, flds in wanted.items():
                for start in range(0, len(flds), _CHUNK):
                    chunk = flds[start : start + _CHUNK]
                    pipe.hmget(key, chunk)
                    order.append((key, chunk))
            for (key, chunk), values in zip(order, pipe.execute(), strict=True):
                out.update(zip(((key, f) for f in chunk), values, strict=True))
            if tx is not None:
                for key, flds in wanted.items():
                    tx.fields.update(((key, f), out[(key, f)]) for f in flds)
        return out

    def _set(self, key: str, fld: bytes, value: bytes | None) -> None:
        assert self._tx is not None
        self._tx.fields[(key, fld)] = value
        self._tx.dirty.add((key, fld))
        self._tx.looked_up = self._tx.lines_read = None

    def _packed_read(
        self, names: Sequence[str], which: npt.NDArray[np.int64], raw: npt.NDArray[Any]
    ) -> tuple[dict[int, bytes], int]:
        """Values present among 8-byte fields: field ``i`` is ``raw[i]`` in hash ``names[which[i]]``.

        One round trip (:meth:`_read`), with the index's generation. Writes of the current
        transaction are applied on top.
        """
        tx = self._tx
        out, generation, _ = self._read(names, which, raw)
        if tx is not None and tx.optimistic:
            self._expect(names, which, raw, out)
            tx.read_at.add(generation)
        if tx is not None and (tx.blobs or tx.dirty):
            self._materialize(tx)
            for i in range(len(raw)):
                pair = (names[int(which[i])], raw[i : i + 1].tobytes())
                if pair in tx.fields:
                    value = tx.fields[pair]
                    if value is None:
                        out.pop(i, None)
                    else:
                        out[i] = value
        return out, generation

    def _read(
        self,
        names: Sequence[str],
        which: npt.NDArray[np.int64],
        raw: npt.NDArray[Any],
        ids: Sequence[str] = (),
    ) -> tuple[dict[int, bytes], int, list[float | None]]:
        """Fields present (index -> value), the generation, and the docs of ``ids``: one transaction.

        ``MULTI``, ``GET`` of the generation, ``ZMSCORE`` of the ids, an ``HMGET`` per hash, ``EXEC``,
        in one round trip: every answer is of one moment, the generation's.
        """
        order = [np.flatnonzero(which == n) for n in range(len(names))]
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self._gen)
        if ids:
            pipe.zmscore(self._ids, list(ids))
        asked: list[npt.NDArray[np.int64]] = []
        for n, rows in enumerate(order):
            for start in range(0, len(rows), _CHUNK):
                part = rows[start : start + _CHUNK]
                blob = raw[part].tobytes()
                pipe.hmget(names[n], [blob[j : j + 8] for j in range(0, len(blob), 8)])
                asked.append(part)
        replies = pipe.execute()
        generation = int(replies[0] or 0)
        docs: list[float | None] = list(replies[1]) if ids else []
        out: dict[int, bytes] = {}
        for part, values in zip(asked, replies[1 + bool(ids) :], strict=True):
            rows = part.tolist()
            out.update((rows[x], v) for x, v in enumerate(values) if v is not None)
        return out, generation, docs

    @_redis_errors
    def prefetch(self, ids: Sequence[str], hashes: Sequence[int], keys: Sequence[int]) -> None:
        """Read ids, line statistics and buckets in one round trip, for the reads about to ask.

        The next :meth:`find` of ``ids``, :meth:`line_stats` of ``hashes`` and :meth:`lookup` of
        ``keys`` answer from it (each once, and only if asked exactly that), so that a decision
        costs one round trip for the three instead of three. Each answer is what a read at the time
        of the prefetch would have found; a transaction's reads never use it.
        """
        self._prefetched.clear()
        if self._tx is not None:
            return
        values = _int64(keys)
        lines = _int64(hashes)
        which = np.concatenate([values & (_SHARDS - 1), np.full(len(lines), _SHARDS, dtype=np.int64)])
        raw = np.concatenate([values, lines]).astype(">i8")  # (concatenate gives the native order)
        line_raw = raw[len(values) :]
        unique = list(dict.fromkeys(ids))
        present, generation, docs = self._read([*self._shards, self._lines], which, raw, unique)
        n = len(values)
        self._prefetched = {
            "ids": ("\n".join(unique).encode(), generation, docs),
            "buckets": (raw[:n].tobytes(), generation, {i: v for i, v in present.items() if i < n}),
            "lines": (line_raw.tobytes(), generation, {i - n: v for i, v in present.items() if i >= n}),
        }

    def _prefetched_answer(self, kind: str, asked: bytes) -> tuple[Any, int]:
        """The prefetched answer to a read of ``kind`` asking ``asked``, and its generation, once."""
        entry = self._prefetched.pop(kind, None)
        if entry is None or entry[0] != asked or self._tx is not None:
            return None, 0
        return entry[2], entry[1]

    def _remembered(self, kind: str, asked: bytes) -> Any:
        """What a read of ``kind`` found outside the transaction, if nothing was committed since.

        A read outside a transaction (the decision) records the index's generation, read atomically
        with it; every commit increments the generation. When the transaction then asks the same
        question (the evidence) and the generation it saw when it took the lock is the same, the
        answer cannot have changed: no round trip is needed. An optimistic transaction takes the
        answer whatever the generation: its commit checks it (the caller records the check).
        """
        tx = self._tx
        memo = self._memo.get(kind)
        if tx is None or memo is None or tx.dirty or tx.blobs:
            return None
        if memo[0] != asked or (memo[1] != tx.generation and not tx.optimistic):
            return None
        if tx.optimistic:
            tx.read_at.add(memo[1])
        return memo[2]

    def _packed_answer(
        self, kind: str, names: Sequence[str], which: npt.NDArray[np.int64], raw: npt.NDArray[Any]
    ) -> dict[int, bytes]:
        """A read of ``kind`` (buckets, lines) through :meth:`_packed_read`, unless it is known.

        Known: inside a transaction, from the last read outside it (:meth:`_remembered`; an
        optimistic transaction records it as a check); outside one, from :meth:`prefetch`. A read
        outside a transaction is remembered.
        """
        tx = self._tx
        asked = raw.tobytes()
        present: dict[int, bytes] | None = self._remembered(kind, asked)
        if present is not None:
            if tx is not None and tx.optimistic:
                self._expect(names, which, raw, present)
            return present
        present, generation = self._prefetched_answer(kind, asked)
        if present is None:
            present, generation = self._packed_read(names, which, raw)
        if tx is None:
            self._memo[kind] = (asked, generation, present)
        return present

    def _expect(
        self,
        names: Sequence[str],
        which: npt.NDArray[np.int64],
        raw: npt.NDArray[Any],
        present: Mapping[int, bytes],
    ) -> None:
        """Record, for the commit of an optimistic transaction, that these fields held these values."""
        tx = self._tx
        assert tx is not None
        for n in range(len(names)):
            rows = np.flatnonzero(which == n).tolist()
            if rows:
                values = b"\0".join(present.get(i, b"") for i in rows)
                tx.field_checks.append((names[n], raw[rows].tobytes(), values))

    @staticmethod
    def _materialize(tx: _Transaction) -> None:
        """Turn compact new buckets into fields, so that reads see them (only when a read follows)."""
        for key, blob, value in tx.blobs:
            for j in range(0, len(blob), 8):
                pair = (key, blob[j : j + 8])
                tx.fields[pair] = value
                tx.dirty.add(pair)
        tx.blobs.clear()

    def _bucket_read(
        self, keys: Sequence[int] | npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], dict[int, bytes]]:
        """Band keys as 8-byte fields, their bucket hash, and the buckets present (index -> docs)."""
        values = _int64(keys)
        raw = values.astype(">i8")
        which = values & (_SHARDS - 1)
        tx = self._tx
        asked = raw.tobytes()
        if tx is not None and tx.looked_up is not None and tx.looked_up[0] == asked:
            return raw, which, tx.looked_up[1]
        present = self._packed_answer("buckets", self._shards, which, raw)
        if tx is not None:
            tx.looked_up = (asked, present)
        return raw, which, present

    # -- look-ups -------------------------------------------------------------------------------------

    @_redis_errors
    def lookup(self, keys: Sequence[int], *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Docs sharing any key, with the number of keys each shares; oversized buckets are skipped."""
        if not len(keys):
            return {}, 0
        _, _, present = self._bucket_read(keys)
        hits: dict[int, int] = {}
        skipped = 0
        for value in present.values():
            docs = _docs(value)
            if len(docs) > max_bucket:
                skipped += 1
                continue
            for doc in docs:
                hits[doc] = hits.get(doc, 0) + 1
        return hits, skipped

    @_redis_errors
    def fetch(self, docs: Sequence[int]) -> list[StoredRecord]:
        """Records of ``docs`` in the order asked."""
        if not docs:
            return []
        names = [str(d).encode() for d in docs]
        got = self._hget([(key, n) for key in (self._art, self._sig, self._shingles) for n in names])
        out = []
        for doc, name in zip(docs, names, strict=True):
            raw, sig = got[(self._art, name)], got[(self._sig, name)]
            if raw is None or sig is None:
                continue
            rec = json.loads(raw)
            packed = got[(self._shingles, name)] or b""
            words = int.from_bytes(packed[:4], "little") if packed else 0
            out.append(
                StoredRecord(
                    doc=doc,
                    id=rec["id"],
                    text=rec["text"],
                    metadata=rec["metadata"],
                    published=rec["published"],
                    added=rec["added"],
                    signature=sig,
                    masked=tuple(m & 0xFFFF_FFFF_FFFF_FFFF for m in rec["masked"]),
                    shingles=packed[4 : 4 + 4 * words],
                    valid=packed[4 + 4 * words :],
                )
            )
        return out

    @_redis_errors
    def find(self, ids: Sequence[str]) -> dict[str, int]:
        """Doc numbers of the stored ids among ``ids``."""
        if not ids:
            return {}
        tx = self._tx
        unknown = [i for i in dict.fromkeys(ids) if tx is None or i not in tx.ids]
        found: dict[str, int] = {}
        if unknown:
            asked = "\n".join(unknown).encode()
            scores = self._remembered("ids", asked)
            if scores is None:
                scores, generation = self._prefetched_answer("ids", asked)
                if scores is None:
                    empty = np.zeros(0, dtype=np.int64)
                    _, generation, scores = self._read([], empty, empty, unknown)
                    if tx is not None and tx.optimistic:
                        tx.read_at.add(generation)
                if tx is None:
                    self._memo["ids"] = (asked, generation, scores)
            if tx is not None and tx.optimistic:
                tx.member_checks.append(
                    (self._ids, unknown, "".join("0" if score is None else "1" for score in scores))
                )
            for i, score in zip(unknown, scores, strict=True):
                doc = None if score is None else int(score)
                if tx is not None:
                    tx.ids[i] = doc
                elif doc is not None:
                    found[i] = doc
        if tx is None:
            return found
        return {i: d for i in dict.fromkeys(ids) if (d := tx.ids.get(i)) is not None}

    @_redis_errors
    def line_stats(self, hashes: Sequence[int]) -> dict[int, LineStat]:
        """Statistics of the stored lines among ``hashes``."""
        if not hashes:
            return {}
        got = self._line_read(_int64(hashes).astype(">i8"))
        return {hashes[i]: _line_value(value) for i, value in got.items()}

    def _line_read(self, raw: npt.NDArray[Any]) -> dict[int, bytes]:
        """Line statistics present among 8-byte line hashes (reusing the transaction's last read)."""
        tx = self._tx
        asked = raw.tobytes()
        if tx is not None and tx.lines_read is not None and tx.lines_read[0] == asked:
            return tx.lines_read[1]
        present = self._packed_answer("lines", [self._lines], np.zeros(len(raw), dtype=np.int64), raw)
        if tx is not None:
            tx.lines_read = (asked, present)
        return dict(present)

    @_redis_errors
    def signatures(self, docs: Sequence[int]) -> dict[int, bytes]:
        """Whole-document signatures of ``docs``."""
        if not docs:
            return {}
        got = self._hget([(self._sig, str(d).encode()) for d in docs])
        return {d: v for d in docs if (v := got[(self._sig, str(d).encode())]) is not None}

    # -- changes --------------------------------------------------------------------------------------

    def _numbers(self, n: int) -> list[int]:
        """``n`` unused doc numbers, drawn from the counter ``RESERVE`` at a time or more.

        Numbers are never reused: those a process does not use are gaps, as are those of a
        transaction that fails. With several writers, numbers follow the order in which each
        drew its block, not exactly the order of the commits.
        """
        if self._spare_pid != os.getpid():
            # a copy of this store in a forked process must not use the numbers its parent drew
            self._spare, self._spare_pid = [], os.getpid()
        if len(self._spare) < n:
            count = max(n - len(self._spare), RESERVE)
            last = int(self.client.incrby(self._seq, count))
            self._spare.extend(range(last - count + 1, last + 1))
        out, self._spare = self._spare[:n], self._spare[n:]
        return out

    @_redis_errors
    def insert(self, records: Sequence[NewRecord]) -> list[int]:
        """Store new records (ids already stored are skipped); return their doc numbers."""
        out: list[int] = []
        with self.write_transaction():
            tx = self._tx
            assert tx is not None
            self.find([r.id for r in records])
            new: dict[str, NewRecord] = {}
            for r in records:
                if tx.ids.get(r.id) is None:
                    new.setdefault(r.id, r)
            if not new:
                return out
            fresh = list(zip(self._numbers(len(new)), new.values(), strict=True))
            for doc, r in fresh:
                tx.ids[r.id] = doc
            names = [str(doc).encode() for doc, _ in fresh]
            sizes = [len(r.keys) for _, r in fresh]
            keys = np.concatenate([_int64(r.keys) for _, r in fresh] + [np.zeros(0, np.int64)])
            owner = np.repeat(np.arange(len(fresh)), sizes)
            raw, which, present = self._bucket_read(keys)
            line_hashes = [h for _, r in fresh for h, _ in r.lines]
            line_raw = _int64(line_hashes).astype(">i8")
            line_present = self._line_read(line_raw)
            # most keys open a new bucket: kept as one string per (record, bucket hash); the others
            # (a bucket that exists, a key twice in this batch) are appended to field by field
            _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
            special = counts[inverse] > 1
            special[list(present)] = True
            if tx.dirty:
                for i in range(len(raw)):
                    special[i] |= (self._shards[int(which[i])], raw[i : i + 1].tobytes()) in tx.fields
            simple = np.flatnonzero(~special)
            group = owner[simple] * _SHARDS + which[simple]
            order = np.argsort(group, kind="stable")
            bounds, starts = np.unique(group[order], return_index=True)
            for g, a, b in zip(
                bounds.tolist(), starts.tolist(), [*starts.tolist()[1:], len(order)], strict=True
            ):
                tx.blobs.append(
                    (self._shards[g % _SHARDS], raw[simple[order[a:b]]].tobytes(), names[g // _SHARDS])
                )
            for i in np.flatnonzero(special).tolist():
                pair = (self._shards[int(which[i])], raw[i : i + 1].tobytes())
                current = tx.fields[pair] if pair in tx.fields else present.get(i)
                name = names[int(owner[i])]
                self._set(*pair, name if current is None else current + b"," + name)
            tx.keys_delta += len(keys)
            n = 0
            for name, (doc, r) in zip(names, fresh, strict=True):
                record = {
                    "id": r.id,
                    "text": r.text,
                    "metadata": dict(r.metadata),
                    "published": r.published,
                    "added": r.added,
                    "masked": sorted(m - (1 << 64) if m >= 1 << 63 else m for m in r.masked),  # signed
                }
                self._set(self._art, name, json.dumps(record, ensure_ascii=False).encode())
                self._set(self._sig, name, bytes(r.signature))
                if r.shingles:
                    words = (len(r.shingles) // 4).to_bytes(4, "little")
                    self._set(self._shingles, name, words + bytes(r.shingles) + bytes(r.valid))
                tx.zsets[(self._ids, r.id.encode())] = doc
                tx.zsets[(self._time, name)] = r.published if r.published is not None else r.added
                if r.published is not None:
                    tx.zsets[(self._pub, name)] = r.published
                for _, edge in r.lines:
                    pair = (self._lines, line_raw[n : n + 1].tobytes())
                    current = tx.fields[pair] if pair in tx.fields else line_present.get(n)
                    stat = LineStat(0, 0) if current is None else _line_value(current)
                    self._set(*pair, _line_bytes(stat.add(doc, edge)))
                    n += 1
                out.append(doc)
        return out

    @_redis_errors
    def delete(self, doc: int, keys: Sequence[int], lines: Sequence[tuple[int, bool]]) -> bool:
        """Remove one stored article, its keys and its share of the line statistics (False if absent)."""
        with self.write_transaction():
            tx = self._tx
            assert tx is not None
            name = str(doc).encode()
            stored = self._hget([(self._art, name)])[(self._art, name)]
            if stored is None:
                return False
            article_id = json.loads(stored)["id"]
            raw, which, present = self._bucket_read(keys)
            line_raw = _int64([h for h, _ in lines]).astype(">i8")
            line_present, _ = self._packed_read([self._lines], np.zeros(len(line_raw), np.int64), line_raw)
            removed = 0
            for i, value in present.items():
                docs = _docs(value)
                if doc in docs:
                    removed += 1
                    rest = [d for d in docs if d != doc]
                    fld = raw[i : i + 1].tobytes()
                    self._set(
                        self._shards[int(which[i])], fld, ",".join(map(str, rest)).encode() if rest else None
                    )
            tx.keys_delta -= removed
            for i, value in line_present.items():
                after = _line_value(value).remove(doc, lines[i][1])
                fld = line_raw[i : i + 1].tobytes()
                self._set(self._lines, fld, None if after is None else _line_bytes(after))
            self._set(self._art, name, None)
            self._set(self._sig, name, None)
            self._set(self._shingles, name, None)
            tx.ids[article_id] = None
            tx.zsets[(self._ids, article_id.encode())] = None
            tx.zsets[(self._time, name)] = None
            tx.zsets[(self._pub, name)] = None
        return True

    # -- maintenance ----------------------------------------------------------------------------------

    @_redis_errors
    def older_than(self, cutoff: float) -> list[int]:
        """Docs published (or, without ``published``, added) before ``cutoff``."""
        members = cast(list[bytes], self.client.zrangebyscore(self._time, "-inf", f"({cutoff!r}"))
        return sorted(int(m) for m in members)

    @_redis_errors
    def iter_ids(self) -> Iterator[str]:
        """Every stored id, in insertion order (read in pages of 1,000)."""
        low = "-inf"
        while True:
            page = cast(
                list[tuple[bytes, float]],
                self.client.zrangebyscore(self._ids, low, "+inf", start=0, num=1000, withscores=True),
            )
            for member, _ in page:
                yield member.decode()
            if len(page) < 1000:
                return
            low = f"({int(page[-1][1])}"

    @_redis_errors
    def counts(self) -> dict[str, int]:
        """Articles, keys, lines, and ``bytes``: Redis's estimate of the memory the index uses."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(self._ids)
        pipe.hget(self._counts, "keys")
        pipe.hlen(self._lines)
        for key in self.all_keys():
            pipe.memory_usage(key, samples=16)
        articles, keys, lines, *sizes = pipe.execute()
        return {
            "articles": int(articles),
            "keys": int(keys or 0),
            "lines": int(lines),
            "bytes": sum(int(s or 0) for s in sizes),
        }

    @_redis_errors
    def count_lines(self, *, min_docs: int) -> int:
        """Lines held by at least ``min_docs`` stored articles (a scan of the line statistics)."""
        return sum(
            1
            for _, value in self.client.hscan_iter(self._lines, count=1000)
            if _line_value(value).docs >= min_docs
        )

    @_redis_errors
    def time_range(self) -> tuple[float | None, float | None]:
        """Oldest and newest ``published``."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zrange(self._pub, 0, 0, withscores=True)
        pipe.zrange(self._pub, -1, -1, withscores=True)
        low, high = pipe.execute()
        return (float(low[0][1]) if low else None, float(high[0][1]) if high else None)

    @_redis_errors
    def integrity_check(self) -> list[str]:
        """Cross-check the structures: every doc has its record, signature, id and buckets."""
        problems: list[str] = []
        seq = int(self.client.get(self._seq) or 0)
        ids = {
            int(score): member.decode()
            for member, score in cast(
                list[tuple[bytes, float]], self.client.zrange(self._ids, 0, -1, withscores=True)
            )
        }
        art = {int(k): v for k, v in self.client.hscan_iter(self._art, count=1000)}
        sigs = {int(k) for k in self.client.hkeys(self._sig)}
        times = {int(m) for m in cast(list[bytes], self.client.zrange(self._time, 0, -1))}
        if set(ids) != set(art):
            problems.append(f"{len(set(ids) ^ set(art))} doc(s) differ between the id list and the records")
        if sigs != set(art):
            problems.append(f"{len(sigs ^ set(art))} doc(s) differ between the signatures and the records")
        if times != set(art):
            problems.append(f"{len(times ^ set(art))} doc(s) differ between the time list and the records")
        for doc, raw in art.items():
            if doc > seq:
                problems.append(f"doc {doc} is above the sequence {seq}")
            try:
                rec_id = json.loads(raw)["id"]
            except (ValueError, KeyError):
                problems.append(f"doc {doc}: unreadable record")
                continue
            if ids.get(doc) != rec_id:
                problems.append(f"doc {doc}: id {rec_id!r} is listed as {ids.get(doc)!r}")
        entries = 0
        for shard in self._shards:
            for _, value in self.client.hscan_iter(shard, count=1000):
                docs = _docs(value)
                entries += len(docs)
                if not docs or len(set(docs)) != len(docs) or not set(docs) <= set(art):
                    problems.append(f"{shard}: a bucket holds {value[:60]!r}, not distinct stored docs")
                    break
        counted = int(self.client.hget(self._counts, "keys") or 0)
        if entries != counted:
            problems.append(f"buckets hold {entries} keys, the counter says {counted}")
        for _, value in self.client.hscan_iter(self._lines, count=1000):
            stat = _line_value(value)
            if stat.docs < 1 or not set(stat.sample) <= set(art):
                problems.append(f"line statistics {value[:60]!r} name docs that are not stored")
                break
        return problems

    def drop(self) -> int:
        """Delete every key of this index (all its articles and its metadata); the number deleted."""
        try:
            return int(self.client.delete(*self.all_keys()))
        except redis.RedisError as exc:
            raise IndexStoreError(f"{self.location}: {_describe(exc)}") from None

    def close(self) -> None:
        """Stop renewing locks and close the connections."""
        self._closed = True
        self._wake.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        if isinstance(self.client, RedisCluster):
            # redis-py's RedisCluster.close() leaves the node pools of a client made by from_url open
            # (their Redis objects do not own their pools): disconnect them here
            manager = self.client.nodes_manager
            nodes = {id(n): n for n in [*manager.startup_nodes.values(), *manager.nodes_cache.values()]}
            for node in nodes.values():
                if node.redis_connection is not None:
                    node.redis_connection.connection_pool.disconnect()
        self.client.close()


def _seconds(query: dict[str, str], name: str, default: float) -> float:
    text = query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"Redis URL parameter {name}={text!r}: not a number of seconds") from None
    if not 0.1 <= value <= 86400:
        raise SettingsError(f"Redis URL parameter {name}={text!r}: use 0.1 to 86400 seconds")
    return value
