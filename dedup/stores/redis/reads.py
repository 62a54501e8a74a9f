"""The reads of one store object: through what it read before, inside a transaction and outside.

Outside a write transaction, reads go through the :class:`~dedup.stores.redis.answers.ReadCache`
(what was read ahead, what was read last); inside one, through the transaction: items it read
before are not read again, its own writes are laid over what was read, and an optimistic
transaction records each answer it relies on for its commit to check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import redis

from dedup.stores.redis.answers import CHUNK, Answers, ReadCache, read
from dedup.stores.redis.layout import Keys
from dedup.stores.redis.transaction import Transaction

__all__ = ["Reader"]


class Reader:
    """The reads of one store object.

    Outside a write transaction through :class:`ReadCache`; inside one through the transaction
    (what it read before, what it wrote, and the checks it records).
    """

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.cache = ReadCache()

    def prefetch(
        self, ids: Sequence[str], hashes: Sequence[int], keys: Sequence[int], tx: Transaction | None
    ) -> None:
        """Read ahead (see :class:`ReadCache`); nothing inside a transaction, whose reads never use it."""
        self.cache.drop_ahead()
        if tx is not None:
            return
        unique = list(dict.fromkeys(ids))
        found, lines, buckets = read(self.client, self.keys, ids=unique, lines=hashes, buckets=keys)
        self.cache.read_ahead({"ids": found, "lines": lines, "buckets": buckets})

    def packed(
        self, kind: Literal["lines", "buckets"], items: list[int], tx: Transaction | None
    ) -> dict[int, bytes]:
        """Line statistics or buckets present among ``items``, as ``tx`` (or, without, Redis) holds them.

        Inside a transaction, items it has read before are not read again (the lock keeps them as
        they were; an optimistic commit checks them), nor those read outside it when they are still
        valid (:meth:`ReadCache.remembered`).
        """
        if not items:
            return {}
        if tx is None:
            return self.cache.outside(kind, items, lambda: self._read(kind, items)).answer(items)
        seen = tx.seen.get(kind)
        need = items if seen is None else [k for k in items if k not in seen.asked]
        if need:
            generation = None if tx.optimistic else tx.generation
            got: Answers[int, bytes] | None = self.cache.remembered(kind, need, generation=generation)
            if got is None:
                got = self._read(kind, need)
            if tx.optimistic:
                tx.expect(kind, got, need)
            if seen is None:
                seen = tx.seen[kind] = got
            else:
                seen.add(got)
        assert seen is not None  # nothing was needed: it held every item
        return tx.overlay(kind, items, seen.answer(items))

    def _read(self, kind: Literal["lines", "buckets"], items: list[int]) -> Answers[int, bytes]:
        if kind == "lines":
            return read(self.client, self.keys, lines=items)[1]
        return read(self.client, self.keys, buckets=items)[2]

    def ids(self, ids: Sequence[str], tx: Transaction | None) -> dict[str, int]:
        """Doc numbers of the stored ids among ``ids``, as ``tx`` (or, without, Redis) holds them."""
        if not ids:
            return {}
        unique = list(dict.fromkeys(ids))
        if tx is None:
            fresh = lambda: read(self.client, self.keys, ids=unique)[0]  # noqa: E731
            return self.cache.outside("ids", unique, fresh).answer(unique)
        unknown = [i for i in unique if i not in tx.ids]
        if unknown:
            generation = None if tx.optimistic else tx.generation
            got: Answers[str, int] | None = self.cache.remembered("ids", unknown, generation=generation)
            if got is None:
                got = read(self.client, self.keys, ids=unknown)[0]
            if tx.optimistic:
                tx.expect("ids", got, unknown)
            tx.ids.update((i, got.found.get(i)) for i in unknown)
        return {i: d for i in unique if (d := tx.ids.get(i)) is not None}

    def fields(
        self, pairs: Sequence[tuple[str, bytes]], tx: Transaction | None
    ) -> dict[tuple[str, bytes], bytes | None]:
        """Fields of the record hashes (``art``, ``sig``, ``shingles``) as ``tx`` sees them: one pipeline.

        Records never change once stored, so a transaction keeps what it read.
        """
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
                for start in range(0, len(flds), CHUNK):
                    chunk = flds[start : start + CHUNK]
                    pipe.hmget(key, chunk)
                    order.append((key, chunk))
            for (key, chunk), values in zip(order, pipe.execute(), strict=True):
                out.update(zip(((key, f) for f in chunk), values, strict=True))
            if tx is not None:
                tx.fields.update((pair, out[pair]) for pair in pairs)
        return out
