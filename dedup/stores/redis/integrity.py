"""The Redis store's integrity check: whether the structures of one index agree with each other.

Every stored doc has its record, its signature, its id and its place in the time list; no doc is
above the sequence; buckets hold distinct stored docs and as many entries as the key counter says;
the line statistics equal a recount from the
stored texts (:mod:`dedup.stores.integrity`). Reads the whole index (``HSCAN``, ``ZRANGE``), so it
costs about as much as copying it.
"""

from __future__ import annotations

import json
from typing import cast

import redis

from dedup.stores.integrity import Problems, line_problems
from dedup.stores.redis.layout import MASK, Keys, docs_of, line_stat

__all__ = ["check"]


def check(client: redis.Redis, keys: Keys) -> list[str]:
    """Problems found (empty when the index is sound)."""
    problems = Problems()
    seq = int(cast(bytes | None, client.get(keys.seq)) or 0)
    listed = cast(list[tuple[bytes, float]], client.zrange(keys.ids, 0, -1, withscores=True))
    ids = {int(score): member.decode() for member, score in listed}
    art = {int(k): v for k, v in client.hscan_iter(keys.art, count=1000)}
    stored = set(art)
    for name, docs in (
        ("id list", set(ids)),
        ("signatures", {int(k) for k in cast(list[bytes], client.hkeys(keys.sig))}),
        ("time list", {int(m) for m in cast(list[bytes], client.zrange(keys.time, 0, -1))}),
    ):
        if docs != stored:
            odd = sorted(docs ^ stored)
            problems.add(name, f"{len(odd)} doc(s) differ between the {name} and the records (doc {odd[:6]})")
    published = {int(m) for m in cast(list[bytes], client.zrange(keys.pub, 0, -1))}
    if not published <= stored:
        problems.add("pub", f"the list by date names doc(s) {sorted(published - stored)[:6]} not stored")
    texts: list[tuple[int, str, list[int]]] = []
    for doc, raw in art.items():
        if doc > seq:
            problems.add("seq", f"doc {doc} is above the sequence {seq}")
        try:
            record = json.loads(raw)
            texts.append((doc, record["text"], [m & MASK for m in record["masked"]]))
            rec_id = record["id"]
        except (ValueError, KeyError):
            problems.add("record", f"doc {doc}: unreadable record")
            continue
        if ids.get(doc) != rec_id:
            problems.add("id", f"doc {doc}: id {rec_id!r} is listed as {ids.get(doc)!r}")
    _bucket_problems(client, keys, stored, problems)
    stats = ((int.from_bytes(h, "big"), line_stat(v)) for h, v in client.hscan_iter(keys.lines, count=1000))
    line_problems(texts, stats, problems)
    return problems.messages()


def _bucket_problems(client: redis.Redis, keys: Keys, stored: set[int], problems: Problems) -> None:
    entries = 0
    for shard in keys.shards:
        for _, value in client.hscan_iter(shard, count=1000):
            docs = docs_of(value)
            entries += len(docs)
            if not docs or len(set(docs)) != len(docs) or not set(docs) <= stored:
                problems.add("bucket", f"{shard}: a bucket holds {value[:60]!r}, not distinct stored docs")
    counted = int(cast(bytes | None, client.hget(keys.counts, "keys")) or 0)
    if entries != counted:
        problems.add("count", f"buckets hold {entries} keys, the counter says {counted}")
