"""A write transaction on Redis: its reads, its buffered writes, and the one script call that commits it.

The decision reads candidates' texts and runs the alignment in Python, so check-and-add cannot be
one Lua script; and ``WATCH`` would have to watch every bucket hash, so that any concurrent insert
would abort it. Instead a transaction buffers its writes in the process (its own reads see them)
and commits them in one call of the commit script (:mod:`~dedup.stores.redis.scripts`), which Redis
runs without interleaving other clients: all or nothing. Two kinds:

* *locked*: the transaction holds the write lock (:mod:`~dedup.stores.redis.lock`); the script
  checks that the lock still holds its token, applies the writes and releases the lock.
* *optimistic*: no lock. The transaction records every answer it relies on (whether an id is
  stored, the line statistics and the bucket of each band key it read); the script first checks,
  field by field, that Redis still holds exactly those values and that no one holds the lock, and
  only then applies the writes. Otherwise it writes nothing (and the store raises
  :class:`~dedup.errors.WriteConflict`). Two workers storing unrelated articles do not conflict:
  only a change to what the article's own decision read does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import redis

from dedup.stores.base import LineStat, NewRecord
from dedup.stores.redis.answers import CHUNK, Answers, Kind
from dedup.stores.redis.layout import (
    SHARDS,
    Keys,
    docs_of,
    fields,
    line_stat,
    line_value,
    record_value,
    shingles_value,
)
from dedup.stores.redis.layout import field as field_of

__all__ = ["RESERVE", "DocNumbers", "Transaction"]

#: Doc numbers a writer draws from the counter at a time.
RESERVE = 16

Arg = bytes | str | int | float
Pair = tuple[str, bytes]


@dataclass
class Transaction:
    """What a write transaction has read and written so far."""

    keys: Keys
    #: The lock's token; 0 in an optimistic transaction (no lock).
    token: int = 0
    #: The index's generation when the lock was taken (-1 in an optimistic transaction).
    generation: int = -1
    #: Whether the transaction runs without the lock, its reads checked by the commit.
    optimistic: bool = False
    #: What an optimistic transaction read, checked by its commit: 8-byte fields of a hash and their
    #: values (NUL-joined, empty when absent); members of a sorted set and whether each was present.
    field_checks: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    member_checks: list[tuple[str, list[str], str]] = field(default_factory=list)
    #: The generations at which those values were read.
    read_at: set[int] = field(default_factory=set)
    #: Line statistics and buckets as Redis held them when read (the transaction's writes apart).
    seen: dict[Kind, Answers[int, bytes]] = field(default_factory=dict)
    #: Fields of the record hashes as read or as written, and fields written (of the bucket and
    #: line hashes too); None when absent.
    fields: dict[Pair, bytes | None] = field(default_factory=dict)
    #: Fields written, in ``fields``.
    dirty: set[Pair] = field(default_factory=set)
    #: New buckets, kept compact: (bucket hash, 8-byte fields concatenated, the value of each).
    blobs: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    #: Ids known: id -> doc, None when not stored (as read, or as written).
    ids: dict[str, int | None] = field(default_factory=dict)
    #: Sorted-set changes: (key, member) -> score, None to remove.
    zsets: dict[Pair, float | None] = field(default_factory=dict)
    keys_delta: int = 0

    # -- reads ----------------------------------------------------------------------------------------

    def expect(self, kind: Kind, answers: Answers[Any, Any], items: Sequence[Any]) -> None:
        """Record, for an optimistic commit, that ``items`` had these answers when read."""
        self.read_at |= answers.generations
        if kind == "ids":
            flags = "".join("1" if i in answers.found else "0" for i in items)
            self.member_checks.append((self.keys.ids, list(items), flags))
            return
        values = np.asarray(items, dtype=np.int64)
        if kind == "lines":
            groups = [(self.keys.lines, values)]
        else:
            groups = [(self.keys.shards[n], values[(values & (SHARDS - 1)) == n]) for n in range(SHARDS)]
        for name, part in groups:
            if len(part):
                held = b"\0".join(answers.found.get(k, b"") for k in part.tolist())
                self.field_checks.append((name, fields(part).tobytes(), held))

    def overlay(self, kind: Kind, items: Sequence[int], found: dict[int, bytes]) -> dict[int, bytes]:
        """``found`` (values present among ``items`` as read) with this transaction's writes applied."""
        if not (self.dirty or self.blobs):
            return found
        self._materialize()
        where = self.keys.bucket if kind == "buckets" else lambda _: self.keys.lines
        for k in items:
            pair = (where(k), field_of(k))
            if pair in self.fields:
                value = self.fields[pair]
                if value is None:
                    found.pop(k, None)
                else:
                    found[k] = value
        return found

    def _materialize(self) -> None:
        """Turn compact new buckets into fields, so that reads see them (only when a read follows)."""
        for key, blob, value in self.blobs:
            for j in range(0, len(blob), 8):
                pair = (key, blob[j : j + 8])
                self.fields[pair] = value
                self.dirty.add(pair)
        self.blobs.clear()

    # -- writes ---------------------------------------------------------------------------------------

    def set(self, key: str, fld: bytes, value: bytes | None) -> None:
        """Buffer a field's new value (None: delete it)."""
        self.fields[(key, fld)] = value
        self.dirty.add((key, fld))

    def put(self, doc: int, record: NewRecord) -> None:
        """Buffer an article's record, signature, shingles and sorted-set entries."""
        name = str(doc).encode()
        self.set(self.keys.art, name, record_value(record))
        self.set(self.keys.sig, name, bytes(record.signature))
        shingles = shingles_value(record)
        if shingles is not None:
            self.set(self.keys.shingles, name, shingles)
        self.ids[record.id] = doc
        self.zsets[(self.keys.ids, record.id.encode())] = doc
        self.zsets[(self.keys.time, name)] = (
            record.published if record.published is not None else record.added
        )
        if record.published is not None:
            self.zsets[(self.keys.pub, name)] = record.published

    def forget(self, doc: int, article_id: str) -> None:
        """Buffer the removal of an article's record, signature, shingles and sorted-set entries."""
        name = str(doc).encode()
        for key in (self.keys.art, self.keys.sig, self.keys.shingles):
            self.set(key, name, None)
        self.ids[article_id] = None
        self.zsets[(self.keys.ids, article_id.encode())] = None
        self.zsets[(self.keys.time, name)] = None
        self.zsets[(self.keys.pub, name)] = None

    def _current(self, pair: Pair, item: int, present: Mapping[int, bytes]) -> bytes | None:
        return self.fields[pair] if pair in self.fields else present.get(item)

    def add_to_buckets(
        self, keys: npt.NDArray[np.int64], owner: npt.NDArray[np.int64], names: Sequence[bytes],
        present: Mapping[int, bytes],
    ) -> None:  # fmt: skip
        """Add doc ``names[owner[i]]`` to the bucket of band key ``keys[i]``; ``present``: buckets held.

        Most keys open a new bucket: kept as one string per (doc, bucket hash). The others (a bucket
        that exists, a key twice among these) are appended to field by field.
        """
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        special = counts[inverse] > 1
        if present:
            special |= np.isin(keys, np.fromiter(present, dtype=np.int64, count=len(present)))
        if self.dirty:
            special |= np.fromiter(
                ((self.keys.bucket(k), field_of(k)) in self.fields for k in keys.tolist()), dtype=np.bool_
            )
        raw = fields(keys)
        simple = np.flatnonzero(~special)
        group = owner[simple] * SHARDS + (keys[simple] & (SHARDS - 1))
        order = np.argsort(group, kind="stable")
        bounds, starts = np.unique(group[order], return_index=True)
        ends = [*starts.tolist()[1:], len(order)] if len(order) else []
        for g, a, b in zip(bounds.tolist(), starts.tolist(), ends, strict=True):
            self.blobs.append(
                (self.keys.shards[g % SHARDS], raw[simple[order[a:b]]].tobytes(), names[g // SHARDS])
            )
        for i in np.flatnonzero(special).tolist():
            k = int(keys[i])
            pair = (self.keys.bucket(k), field_of(k))
            current = self._current(pair, k, present)
            name = names[int(owner[i])]
            self.set(*pair, name if current is None else current + b"," + name)
        self.keys_delta += len(keys)

    def remove_from_buckets(self, doc: int, present: Mapping[int, bytes]) -> None:
        """Remove ``doc`` from the buckets ``present`` (band key -> the docs it holds)."""
        for k, value in present.items():
            docs = docs_of(value)
            if doc in docs:
                rest = [d for d in docs if d != doc]
                self.set(
                    self.keys.bucket(k), field_of(k), ",".join(map(str, rest)).encode() if rest else None
                )
                self.keys_delta -= 1

    def count_lines(self, doc: int, lines: Sequence[tuple[int, bool]], present: Mapping[int, bytes]) -> None:
        """Count ``doc`` as a holder of ``lines`` (hash, at head or foot); ``present``: statistics held."""
        for h, edge in lines:
            pair = (self.keys.lines, field_of(h))
            current = self._current(pair, h, present)
            stat = LineStat(0, 0) if current is None else line_stat(current)
            self.set(*pair, line_value(stat.add(doc, edge)))

    def uncount_lines(
        self, doc: int, lines: Sequence[tuple[int, bool]], present: Mapping[int, bytes]
    ) -> None:
        """Remove ``doc``'s share of the statistics of ``lines``; ``present``: statistics held."""
        edges = dict(lines)
        for h, value in present.items():
            after = line_stat(value).remove(doc, edges[h])
            self.set(self.keys.lines, field_of(h), None if after is None else line_value(after))

    # -- the commit -----------------------------------------------------------------------------------

    def commit_call(self) -> tuple[list[str], list[Arg]] | None:
        """KEYS and ARGV of the commit script; None when the transaction wrote nothing."""
        call = _Call(self.keys)
        call.write_fields(self)
        call.write_members(self.zsets)
        if self.keys_delta:
            call.command("HINCRBY", self.keys.counts, ["keys", self.keys_delta])
        if not call.args:
            return None
        call.args.extend(("INCR", call.slot(self.keys.gen), 0))
        checks: list[Arg] = []
        for name, packed, held in self.field_checks:
            checks.extend(("H", call.slot(name), packed, held))
        for name, ids, flags in self.member_checks:
            checks.extend(("Z", call.slot(name), len(ids), *ids, flags))
        read_at = str(next(iter(self.read_at))) if len(self.read_at) == 1 else ""
        head: list[Arg] = ["" if self.optimistic else self.token, read_at, len(checks), *checks]
        return call.keys, [*head, *call.args]


class _Call:
    """The KEYS and commands of one commit script call (the format is the script's, see scripts.py)."""

    def __init__(self, keys: Keys) -> None:
        self.layout = keys
        self.keys = [keys.lock, keys.gen]
        self.slots = {keys.lock: 1, keys.gen: 2}
        self.args: list[Arg] = []

    def slot(self, key: str) -> int:
        """The 1-based position of ``key`` in KEYS (added when new)."""
        if key not in self.slots:
            self.keys.append(key)
            self.slots[key] = len(self.keys)
        return self.slots[key]

    def command(self, name: str, key: str, values: Sequence[Arg]) -> None:
        """``name key values...``, split into calls of at most CHUNK arguments."""
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            self.args.extend((name, self.slot(key), len(chunk), *chunk))

    def write_fields(self, tx: Transaction) -> None:
        """Hash fields written: HSET and HDEL, and packed commands for 8-byte fields.

        One HSETP per (hash, value) shared by many 8-byte fields (new buckets, line statistics), one
        HDELB per hash for the 8-byte fields deleted.
        """
        sets: dict[str, list[bytes]] = {}
        dels: dict[str, list[bytes]] = {}
        same: dict[tuple[str, bytes], list[bytes]] = {}
        for key, blob, single in tx.blobs:
            same.setdefault((key, single), []).append(blob)
        for key, fld in tx.dirty:
            value = tx.fields[(key, fld)]
            if self.layout.packed(key) and (value is None or b"," not in value):
                same.setdefault((key, value or b""), []).append(fld)
            elif value is None:
                dels.setdefault(key, []).append(fld)
            else:
                sets.setdefault(key, []).extend((fld, value))
        for key, values in sets.items():
            self.command("HSET", key, values)
        for key, flds in dels.items():
            self.command("HDEL", key, flds)
        for (key, value), flds in same.items():
            if value:
                self.args.extend(("HSETP", self.slot(key), 2, _pairs(b"".join(flds), value), len(value)))
            else:
                self.args.extend(("HDELB", self.slot(key), 1, b"".join(flds)))

    def write_members(self, zsets: Mapping[Pair, float | None]) -> None:
        """Sorted-set members removed (ZREM) and added (ZADD)."""
        adds: dict[str, list[Arg]] = {}
        rems: dict[str, list[Arg]] = {}
        for (key, member), score in zsets.items():
            if score is None:
                rems.setdefault(key, []).append(member)
            else:
                adds.setdefault(key, []).extend((score, member))
        for key, members in rems.items():
            self.command("ZREM", key, members)
        for key, pairs in adds.items():
            self.command("ZADD", key, pairs)


def _pairs(flds: bytes, value: bytes) -> bytes:
    """8-byte fields, each followed by ``value`` (the argument of ``HSETP``)."""
    n = len(flds) // 8
    out = np.empty((n, 8 + len(value)), dtype=np.uint8)
    out[:, :8] = np.frombuffer(flds, dtype=np.uint8).reshape(n, 8)
    out[:, 8:] = np.frombuffer(value, dtype=np.uint8)
    return out.tobytes()


class DocNumbers:
    """Doc numbers for new articles, drawn from the counter ``{P}:seq`` ``RESERVE`` at a time or more.

    Numbers are never reused: those a process does not use are gaps, as are those of a transaction
    that fails. With several writers, numbers follow the order in which each drew its block, not
    exactly the order of the commits.
    """

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        #: Numbers drawn and not used yet, and the process that drew them.
        self._spare: list[int] = []
        self._pid = os.getpid()

    def draw(self, n: int) -> list[int]:
        """``n`` unused doc numbers (a round trip when those drawn before run out)."""
        if self._pid != os.getpid():
            # a copy of this store in a forked process must not use the numbers its parent drew
            self._spare, self._pid = [], os.getpid()
        if len(self._spare) < n:
            count = max(n - len(self._spare), RESERVE)
            last = int(self.client.incrby(self.key, count))
            self._spare.extend(range(last - count + 1, last + 1))
        out, self._spare = self._spare[:n], self._spare[n:]
        return out
