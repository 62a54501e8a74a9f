"""Reads of ids, line statistics and buckets: one round trip each, and the answers kept for reuse.

A decision asks three questions of the index: whether its id is stored (``ids``), the statistics
of its lines (``lines``) and the buckets of its band keys (``buckets``). Each read is one
``MULTI`` transaction that also reads the index's generation (incremented by every commit), so
that every answer is of one moment, the generation's. An :class:`Answers` holds what a read found
for each item it asked, present or not, keyed by item: it answers any later question about items it
holds, in any order or subset.

:class:`ReadCache` keeps two kinds of answers outside a write transaction:

* *read ahead* (:meth:`ReadCache.read_ahead`): the store reads the three kinds in one round trip;
  the first read of each kind afterwards is answered from it when it asks only items read ahead
  (else it is read again), and consumes it, so that a later read sees the latest state;
* *remembered*: the last answer of each kind read outside a transaction, with its generation. A
  write transaction that asks again (the evidence a decision rests on) reuses it when nothing was
  committed since (its generation is the one the lock was taken at); an optimistic transaction
  reuses it whatever the generation, and its commit checks the values atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar

import numpy as np
import redis

from dedup.stores.redis.layout import SHARDS, Keys, fields

__all__ = ["CHUNK", "Answers", "Kind", "ReadCache", "read"]

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
