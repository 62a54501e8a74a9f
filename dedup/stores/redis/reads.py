"""Reads of ids, line statistics and buckets: one round trip each, and the answers kept for reuse.

A decision asks three questions of the index: whether its id is stored (``ids``), the statistics
of its lines (``lines``) and the buckets of its band keys (``buckets``). Each read is one
``MULTI`` transaction that also reads the index's generation (incremented by every commit), so
that every answer is of one moment, the generation's. An :class:`Answers` holds what a read found
for each item it asked, present or not, keyed by item: it answers any later question about items it
holds, in any order or subset.

:class:`ReadCache` keeps two kinds of answers outside a write transaction:

* *read ahead* (:meth:`ReadCache.prefetch`): the store reads the three kinds in one round trip;
  the first read of each kind afterwards is answered from it when it asks only items read ahead
  (else it is read again), and consumes it, so that a later read sees the latest state;
* *remembered*: the last answer of each kind read outside a transaction, with its generation. A
  write transaction that asks again (the evidence a decision rests on) reuses it when nothing was
  committed since (its generation is the one the lock was taken at); an optimistic transaction
  reuses it whatever the generation, and its commit checks the values atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import numpy as np
import redis

from dedup.stores.redis.layout import SHARDS, Keys, fields

if TYPE_CHECKING:
    from dedup.stores.redis.transaction import Transaction

__all__ = ["CHUNK", "Answers", "Kind", "ReadCache", "Reader", "read"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Kind = Literal["ids", "lines", "buckets"]

#: Arguments per command: Lua's stack and Redis's argument buffers stay small.
CHUNK = 2000


class Answers(Generic[K, V]):
    """What reads found for each item they asked (absent items have no value)."""

    __slots__ = ("asked", "found", "generations")

    def __init__(self, asked: Iterable[K], found: Mapping[K, V], generation: int) -> None:
        self.asked: set[K] = set(asked)
        self.found: dict[K, V] = dict(found)
        #: The generations at which the items were read (one, unless answers were merged).
        self.generations: set[int] = {generation}

    @property
    def generation(self) -> int | None:
        """The generation every item was read at, or None when they were read at several."""
        return next(iter(self.generations)) if len(self.generations) == 1 else None

    def covers(self, items: Iterable[K]) -> bool:
        """Whether every item was asked."""
        return self.asked.issuperset(items)

    def answer(self, items: Iterable[K]) -> dict[K, V]:
        """The values present among ``items`` (each must be covered)."""
        found = self.found
        return {k: v for k in items if (v := found.get(k)) is not None}

    def only(self, items: Sequence[K]) -> Answers[K, V]:
        """These answers restricted to ``items``."""
        out: Answers[K, V] = Answers(items, self.answer(items), 0)
        out.generations = set(self.generations)
        return out

    def add(self, other: Answers[K, V]) -> None:
        """Take in ``other``'s answers."""
        self.asked |= other.asked
        self.found.update(other.found)
        self.generations |= other.generations


def read(
    client: redis.Redis,
    keys: Keys,
    *,
    ids: Sequence[str] = (),
    lines: Sequence[int] = (),
    buckets: Sequence[int] = (),
) -> tuple[Answers[str, int], Answers[int, bytes], Answers[int, bytes]]:
    """Docs of ``ids``, statistics of ``lines``, buckets of band keys: one round trip, one moment.

    ``MULTI``, ``GET`` of the generation, ``ZMSCORE`` of the ids, ``HMGET`` of the line statistics
    and of each bucket hash, ``EXEC``.
    """
    pipe = client.pipeline(transaction=True)
    pipe.get(keys.gen)
    if ids:
        pipe.zmscore(keys.ids, list(ids))
    values = np.asarray(buckets, dtype=np.int64)
    groups = [(keys.lines, np.asarray(lines, dtype=np.int64), 0)]
    groups += [(keys.shards[n], values[(values & (SHARDS - 1)) == n], 1) for n in range(SHARDS)]
    asked: list[tuple[list[int], int]] = []
    for name, items, kind in groups:
        for start in range(0, len(items), CHUNK):
            part = items[start : start + CHUNK]
            blob = fields(part).tobytes()
            pipe.hmget(name, [blob[j : j + 8] for j in range(0, len(blob), 8)])
            asked.append((part.tolist(), kind))
    replies = pipe.execute()
    generation = int(replies[0] or 0)
    scores = replies[1] if ids else []
    docs = {i: int(s) for i, s in zip(ids, scores, strict=True) if s is not None}
    found: tuple[dict[int, bytes], dict[int, bytes]] = ({}, {})
    for (part_items, kind), got in zip(asked, replies[1 + bool(ids) :], strict=True):
        found[kind].update((k, v) for k, v in zip(part_items, got, strict=True) if v is not None)
    return (
        Answers(ids, docs, generation),
        Answers(lines, found[0], generation),
        Answers(values.tolist(), found[1], generation),
    )


class ReadCache:
    """Answers read outside a write transaction: read ahead, and the last of each kind (see the module)."""

    def __init__(self) -> None:
        self._ahead: dict[Kind, Answers[Any, Any]] = {}
        self._last: dict[Kind, Answers[Any, Any]] = {}

    def read_ahead(self, answers: Mapping[Kind, Answers[Any, Any]]) -> None:
        """Keep answers read ahead (replacing those kept before)."""
        self._ahead = dict(answers)

    def drop_ahead(self) -> None:
        """Forget what was read ahead."""
        self._ahead.clear()

    def outside(self, kind: Kind, items: Sequence[K], fresh: Callable[[], Answers[K, V]]) -> Answers[K, V]:
        """Answers to a read outside a transaction: read ahead if they cover ``items``, else ``fresh()``.

        Either way the answers read ahead of this kind are consumed, and those returned remembered.
        """
        ahead = self._ahead.pop(kind, None)
        got: Answers[K, V] = ahead if ahead is not None and ahead.covers(items) else fresh()
        self._last[kind] = got
        return got

    def remembered(self, kind: Kind, items: Sequence[K], *, generation: int | None) -> Answers[K, V] | None:
        """The last answers of this kind read outside a transaction, restricted to ``items``.

        None unless they cover ``items`` and were read at ``generation`` (at any one when None).
        """
        last: Answers[K, V] | None = self._last.get(kind)
        if last is None or last.generation is None or not last.covers(items):
            return None
        if generation is not None and last.generation != generation:
            return None
        return last.only(items)


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
