"""The Redis store: the protocol's methods over the key layout, the reads, the lock and the transaction.

One article costs a bounded number of round trips: the id, its line statistics and its band keys
in one (:meth:`RedisStore.prefetch`), the signatures of a frequent line's holders (rarely), the
candidates' records, and the commit. Reads outside a write transaction see the latest committed
state of each structure (there is no snapshot across several reads).

A store object is not safe to share between threads; open one per thread (or serialise calls).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import cast

import numpy as np
import redis

from dedup.errors import IndexStoreError, WriteConflict
from dedup.stores.base import LineStat, NewRecord, StoredRecord
from dedup.stores.redis import integrity
from dedup.stores.redis.errors import error_of, redis_errors
from dedup.stores.redis.layout import LAYOUT_VERSION, MASK, Keys, line_stat, signed, stored_record
from dedup.stores.redis.lock import WriteLock
from dedup.stores.redis.reads import Reader
from dedup.stores.redis.scripts import Scripts
from dedup.stores.redis.transaction import RESERVE, DocNumbers, Transaction
from dedup.stores.redis.url import RedisURL, close, connect

__all__ = ["RESERVE", "RedisStore"]


class RedisStore:
    """A :class:`~dedup.stores.base.Store` in Redis, shared by any number of processes and machines.

    Its size (about 330 lines) is the protocol's: some twenty methods, each a few lines over the
    modules that hold the layout, the reads, the lock and the transaction.
    """

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
        """Open the index at ``url`` (see :mod:`~dedup.stores.redis.url`); the keywords win over its query.

        Raises :class:`SettingsError` for a bad URL parameter, :class:`IndexStoreError` when Redis
        cannot be reached or (without ``create``) holds no index under the prefix.
        """
        parsed = RedisURL.parse(url, prefix=prefix, lock_timeout=lock_timeout, lock_wait=lock_wait)
        self.prefix = parsed.prefix
        self.lock_timeout = parsed.lock_timeout
        self.lock_wait = parsed.lock_wait
        self.location = parsed.location
        self.client = connect(parsed)
        self.keys = Keys.of(parsed.prefix)
        self.scripts = Scripts.register(self.client)
        self.lock = WriteLock(
            self.keys,
            self.scripts,
            timeout=parsed.lock_timeout,
            wait=parsed.lock_wait,
            location=self.location,
        )
        self._tx: Transaction | None = None
        self._depth = 0
        self._reads = Reader(self.client, self.keys)
        self._numbers = DocNumbers(self.client, self.keys.seq)
        #: Write transactions, and seconds spent waiting for the lock and holding it (from acquiring
        #: it to the end of the commit), by this store object: the lock's share of a worker's time
        #: bounds how far more workers can speed up.
        #: ``optimistic``: transactions committed without the lock, ``conflicts``: optimistic
        #: transactions refused because what they read had changed (the caller then takes the lock).
        self.lock_stats = dict.fromkeys(("transactions", "waited", "held", "optimistic", "conflicts"), 0.0)
        try:
            self._check_server(create)
        except BaseException:
            self.close()
            raise

    @redis_errors
    def _check_server(self, create: bool) -> None:
        self.client.ping()
        if not create and not self.client.exists(self.keys.meta):
            raise IndexStoreError(f"{self.location}: no such index (create it with `dedup index create`)")

    def all_keys(self) -> list[str]:
        """Every Redis key this index may use."""
        return self.keys.all()

    # -- metadata -------------------------------------------------------------------------------------

    @redis_errors
    def read_meta(self) -> dict[str, str]:
        """The index's metadata; empty when no index lives under this prefix."""
        raw = cast(dict[bytes, bytes], self.client.hgetall(self.keys.meta))
        meta = {k.decode(): v.decode() for k, v in raw.items()}
        meta.pop("store_layout", None)
        return meta

    @redis_errors
    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Record metadata, unless another process created the index first (then theirs stands)."""
        items = [x for k, v in {**meta, "store_layout": f"redis-{LAYOUT_VERSION}"}.items() for x in (k, v)]
        self.scripts.create_meta(keys=[self.keys.meta], args=items)
        layout = self.client.hget(self.keys.meta, "store_layout")
        if layout not in (None, f"redis-{LAYOUT_VERSION}".encode()):
            raise IndexStoreError(f"{self.location}: Redis key layout {layout!r} is not {LAYOUT_VERSION}")

    # -- transactions ---------------------------------------------------------------------------------

    def read_transaction(self) -> AbstractContextManager[None]:
        """Reads need no lock (each sees the latest committed state)."""
        return nullcontext()

    @contextmanager
    def write_transaction(self, *, optimistic: bool = False) -> Iterator[None]:
        """Hold the write lock; buffer writes; commit them in one fenced script.

        ``optimistic``: take no lock; record what the transaction reads (band keys, line statistics,
        ids) and commit only if none of it has changed and no one holds the lock, else raise
        :class:`WriteConflict` having written nothing. Inside another transaction, that one is used.
        See :mod:`~dedup.stores.redis.transaction`.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._reads.cache.drop_ahead()
        if optimistic:
            yield from self._optimistic()
            return
        asked = time.perf_counter()
        token, generation = self.lock.acquire()
        held = time.perf_counter()
        self._tx = Transaction(self.keys, token=token, generation=generation)
        self.lock_stats["transactions"] += 1
        self.lock_stats["waited"] += held - asked
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth, self._tx = 0, None
            self.lock.release(token)
            self.lock_stats["held"] += time.perf_counter() - held
            raise
        tx, self._depth, self._tx = self._tx, 0, None
        try:
            self._commit(tx)
        finally:
            self.lock.released()
            self.lock_stats["held"] += time.perf_counter() - held

    def _optimistic(self) -> Iterator[None]:
        self._tx = Transaction(self.keys, optimistic=True)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._tx = None
            raise
        finally:
            self._depth = 0
        tx, self._tx = self._tx, None
        if not self._commit(tx):
            self.lock_stats["conflicts"] += 1
            raise WriteConflict(f"{self.location}: what the transaction read changed; nothing was written")
        self.lock_stats["optimistic"] += 1

    @redis_errors
    def _commit(self, tx: Transaction) -> bool:
        """Apply the transaction's writes in one script; False if an optimistic one was refused."""
        call = tx.commit_call()
        if call is None:
            if not tx.optimistic:
                self.lock.release(tx.token)
            return True
        keys, args = call
        try:
            return bool(self.scripts.commit(keys=keys, args=args))
        except redis.ResponseError as exc:
            if "DEDUPLOCK" in str(exc):
                raise IndexStoreError(
                    f"{self.location}: the write lock expired before the commit (the process was "
                    f"paused or cut off for over lock_timeout={self.lock_timeout:g} s); nothing was written"
                ) from None
            raise

    def change_token(self) -> None:
        """None: no cheap token of the whole index; a commit reads again what its decision read."""
        return None

    # -- reads (see reads.py: what is read ahead, what is remembered) ---------------------------------

    @redis_errors
    def prefetch(self, ids: Sequence[str], hashes: Sequence[int], keys: Sequence[int]) -> None:
        """Read ids, line statistics and buckets in one round trip, for the reads about to ask.

        The next :meth:`find`, :meth:`line_stats` and :meth:`lookup` outside a write transaction
        answer from it when they ask only what was read ahead (in any order), so that a decision
        costs one round trip for the three instead of three. Each answer is what a read at the time
        of the prefetch would have found, and serves one read.
        """
        self._reads.prefetch(ids, signed(hashes), signed(keys), self._tx)

    @redis_errors
    def find(self, ids: Sequence[str]) -> dict[str, int]:
        """Doc numbers of the stored ids among ``ids``."""
        return self._reads.ids(ids, self._tx)

    @redis_errors
    def lookup(self, keys: Sequence[int], *, max_bucket: int) -> tuple[dict[int, int], int]:
        """Docs sharing any key, with the number of keys each shares; oversized buckets are skipped."""
        hits: dict[int, int] = {}
        skipped = 0
        for value in self._reads.packed("buckets", signed(keys), self._tx).values():
            docs = value.split(b",")
            if len(docs) > max_bucket:
                skipped += 1
                continue
            for doc in map(int, docs):
                hits[doc] = hits.get(doc, 0) + 1
        return hits, skipped

    @redis_errors
    def line_stats(self, hashes: Sequence[int]) -> dict[int, LineStat]:
        """Statistics of the stored lines among ``hashes``."""
        got = self._reads.packed("lines", signed(hashes), self._tx)
        return {h & MASK: line_stat(v) for h, v in got.items()}

    @redis_errors
    def fetch(self, docs: Sequence[int]) -> list[StoredRecord]:
        """Records of ``docs`` in the order asked."""
        names = [str(d).encode() for d in docs]
        k = self.keys
        got = self._reads.fields([(key, n) for key in (k.art, k.sig, k.shingles) for n in names], self._tx)
        out = []
        for doc, name in zip(docs, names, strict=True):
            art, sig = got[(k.art, name)], got[(k.sig, name)]
            if art is not None and sig is not None:
                out.append(stored_record(doc, art, sig, got[(k.shingles, name)]))
        return out

    @redis_errors
    def signatures(self, docs: Sequence[int]) -> dict[int, bytes]:
        """Whole-document signatures of ``docs``."""
        got = self._reads.fields([(self.keys.sig, str(d).encode()) for d in docs], self._tx)
        return {d: v for d in docs if (v := got[(self.keys.sig, str(d).encode())]) is not None}

    # -- changes --------------------------------------------------------------------------------------

    @redis_errors
    def insert(self, records: Sequence[NewRecord]) -> list[int]:
        """Store new records (ids already stored are skipped); return their doc numbers."""
        with self.write_transaction():
            tx = self._tx
            assert tx is not None
            self.find([r.id for r in records])
            new: dict[str, NewRecord] = {}
            for r in records:
                if tx.ids.get(r.id) is None:
                    new.setdefault(r.id, r)
            if not new:
                return []
            fresh = list(zip(self._numbers.draw(len(new)), new.values(), strict=True))
            for doc, r in fresh:
                tx.ids[r.id] = doc
            keys = np.asarray(signed([k for _, r in fresh for k in r.keys]), dtype=np.int64)
            owner = np.repeat(np.arange(len(fresh)), [len(r.keys) for _, r in fresh])
            lines = [
                list(zip(signed([h for h, _ in r.lines]), [e for _, e in r.lines], strict=True))
                for _, r in fresh
            ]
            buckets = self._reads.packed("buckets", keys.tolist(), self._tx)
            held = self._reads.packed("lines", [h for doc_lines in lines for h, _ in doc_lines], self._tx)
            tx.add_to_buckets(keys, owner, [str(doc).encode() for doc, _ in fresh], buckets)
            for (doc, r), doc_lines in zip(fresh, lines, strict=True):
                tx.put(doc, r)
                tx.count_lines(doc, doc_lines, held)
        return [doc for doc, _ in fresh]

    @redis_errors
    def delete(self, doc: int, keys: Sequence[int], lines: Sequence[tuple[int, bool]]) -> bool:
        """Remove one stored article, its keys and its share of the line statistics (False if absent)."""
        with self.write_transaction():
            tx = self._tx
            assert tx is not None
            name = str(doc).encode()
            stored = self._reads.fields([(self.keys.art, name)], self._tx)[(self.keys.art, name)]
            if stored is None:
                return False
            signed_lines = list(zip(signed([h for h, _ in lines]), [e for _, e in lines], strict=True))
            buckets = self._reads.packed("buckets", signed(keys), self._tx)
            held = self._reads.packed("lines", [h for h, _ in signed_lines], self._tx)
            tx.remove_from_buckets(doc, buckets)
            tx.uncount_lines(doc, signed_lines, held)
            tx.forget(doc, json.loads(stored)["id"])
        return True

    # -- maintenance ----------------------------------------------------------------------------------

    @redis_errors
    def older_than(self, cutoff: float) -> list[int]:
        """Docs published (or, without ``published``, added) before ``cutoff``."""
        members = cast(list[bytes], self.client.zrangebyscore(self.keys.time, "-inf", f"({cutoff!r}"))
        return sorted(int(m) for m in members)

    def iter_ids(self) -> Iterator[str]:
        """Every stored id, in insertion order (read in pages of 1,000)."""
        low = "-inf"
        while True:
            try:
                page = cast(
                    list[tuple[bytes, float]],
                    self.client.zrangebyscore(self.keys.ids, low, "+inf", start=0, num=1000, withscores=True),
                )
            except redis.RedisError as exc:
                raise error_of(exc, self.location) from None
            for member, _ in page:
                yield member.decode()
            if len(page) < 1000:
                return
            low = f"({int(page[-1][1])}"

    @redis_errors
    def counts(self) -> dict[str, int]:
        """Articles, keys, lines, and ``bytes``: Redis's estimate of the memory the index uses."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(self.keys.ids)
        pipe.hget(self.keys.counts, "keys")
        pipe.hlen(self.keys.lines)
        for key in self.keys.all():
            pipe.memory_usage(key, samples=16)
        articles, keys, lines, *sizes = pipe.execute()
        return {
            "articles": int(articles),
            "keys": int(keys or 0),
            "lines": int(lines),
            "bytes": sum(int(s or 0) for s in sizes),
        }

    @redis_errors
    def count_lines(self, *, min_docs: int) -> int:
        """Lines held by at least ``min_docs`` stored articles (a scan of the line statistics)."""
        scan = self.client.hscan_iter(self.keys.lines, count=1000)
        return sum(1 for _, value in scan if line_stat(value).docs >= min_docs)

    @redis_errors
    def time_range(self) -> tuple[float | None, float | None]:
        """Oldest and newest ``published``."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zrange(self.keys.pub, 0, 0, withscores=True)
        pipe.zrange(self.keys.pub, -1, -1, withscores=True)
        low, high = pipe.execute()
        return (float(low[0][1]) if low else None, float(high[0][1]) if high else None)

    @redis_errors
    def integrity_check(self) -> list[str]:
        """Cross-check the structures (see :mod:`~dedup.stores.redis.integrity`); empty when sound."""
        return integrity.check(self.client, self.keys)

    @redis_errors
    def drop(self) -> int:
        """Delete every key of this index (all its articles and its metadata); the number deleted."""
        return int(self.client.delete(*self.keys.all()))

    def close(self) -> None:
        """Stop renewing locks and close the connections."""
        self.lock.close()
        close(self.client)
