"""The Redis store, against a real redis-server: the library, the CLI, many worker processes, the lock."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from redis.cluster import RedisCluster

from dedup import Article, IncompatibleIndexError, Index, IndexStoreError, Settings, SettingsError
from dedup.index import FORMAT_VERSION, parse_duration
from dedup.stores.redis import RESERVE, RedisStore
from tests.newsgen import stories
from tests.test_filter_cli import DEDUP, jsonl, line_of, run
from tests.test_index import FOOTER, tass_reprint


def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url.split("?")[0])


def prefix_keys(url: str) -> set[str]:
    prefix = url.rsplit("prefix=", 1)[1]
    with client(url) as conn:  # closed: a leaked socket is a ResourceWarning, an error here
        return {k.decode() for k in cast(list[bytes], conn.keys("{" + prefix + "}:*"))}


def reprint(text: str, rng: random.Random) -> str:
    """Another outlet's copy: a new headline line, a dateline, a footer and two words changed."""
    body = text.split("\n", 1)[1].strip()
    words = body.split(" ")
    for n in rng.sample(range(5, len(words) - 5), 2):
        words[n] = "changed"
    return (
        "Wire copy: " + text.split("\n", 1)[0].lower() + "\n\nLONDON, May 3 (Reuters) - "
        + " ".join(words) + "\n\n(c) 2024 The Wire. All rights reserved."
    )  # fmt: skip


def assert_seed_decisions(decisions: list[dict[str, Any]], seed_articles: list[Article]) -> None:
    """All eight seed articles kept; pakistan-tass annotated with the passages it shares."""
    assert [(d["id"], d["action"]) for d in decisions] == [(a.id, "keep") for a in seed_articles]
    tass = next(d for d in decisions if d["id"] == "pakistan-tass")
    assert tass["relation"] == "overlap"
    assert [m["id"] for m in tass["matches"]] == ["pakistan-moscow-times"]
    texts = {a.id: a.text for a in seed_articles}
    passages = tass["matches"][0]["passages"]
    assert passages
    for p in passages:
        assert texts["pakistan-tass"][p["new_start"] : p["new_end"]] == p["new_text"]
        assert texts["pakistan-moscow-times"][p["stored_start"] : p["stored_end"]] == p["stored_text"]
    assert "strengthening ties between Moscow and Islamabad" in " ".join(p["new_text"] for p in passages)
    assert all(d["matches"] == [] for d in decisions if d["id"] != "pakistan-tass")


# -- the seed scenario, through `dedup filter` --------------------------------------------------------


def test_seed_scenario_through_dedup_filter_on_redis(
    tmp_path: Path, redis_url: str, seed_dir: Path, seed_articles: list[Article]
) -> None:
    feed = (seed_dir / "articles.jsonl").read_bytes()
    out = run("filter", "--index", redis_url, "--decisions", str(tmp_path / "d.jsonl"), "--rejects",
              str(tmp_path / "r.jsonl"), stdin=feed)  # fmt: skip
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == b"".join(line + b"\n" for line in feed.splitlines())
    assert (tmp_path / "r.jsonl").read_bytes() == b""
    decisions = jsonl(tmp_path / "d.jsonl")
    assert [d["line"] for d in decisions] == list(range(1, 9))
    assert_seed_decisions(decisions, seed_articles)
    texts = {a.id: a.text for a in seed_articles}

    reprinted = line_of(Article("wire-pakistan", tass_reprint(texts["pakistan-tass"])))
    out = run("filter", "--index", redis_url, "--decisions", str(tmp_path / "d2.jsonl"), "--rejects",
              str(tmp_path / "r2.jsonl"), stdin=reprinted)  # fmt: skip
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == b""
    assert (tmp_path / "r2.jsonl").read_bytes() == reprinted
    (decision,) = jsonl(tmp_path / "d2.jsonl")
    assert decision["action"] == "reject"
    assert decision["relation"] == "near-duplicate"
    assert decision["matches"][0]["id"] == "pakistan-tass"
    with Index.open(redis_url) as index:
        assert index.ids() == [a.id for a in seed_articles]
        assert index.integrity_check() == []
    # a re-run adds nothing twice
    out = run("filter", "--index", redis_url, "-q", stdin=feed)
    assert out.returncode == 0
    assert out.stdout == b""


# -- the library --------------------------------------------------------------------------------------


def test_removing_everything_leaves_only_metadata_and_counters(
    redis_url: str, seed_articles: list[Article]
) -> None:
    """Decisions, removal and pruning are the store contract's (tests/test_store_contract.py); here:
    no key of a removed article is left behind."""
    now = dt.datetime(2024, 12, 31, tzinfo=dt.UTC).timestamp()
    with Index.open(redis_url, create=True) as index:
        for n, a in enumerate(seed_articles):
            day = "2024-01-15" if n % 2 == 0 else "2024-12-20"
            index.check_and_add(Article(a.id, a.text + "\n\n" + FOOTER, published=day, title="T"))
        assert index.prune(older_than=parse_duration("30d"), now=now) == 4
        for article_id in index.ids():
            assert index.remove(article_id)
        assert index.integrity_check() == []
    prefix = redis_url.rsplit("prefix=", 1)[1]
    assert prefix_keys(redis_url) == {
        f"{{{prefix}}}:{name}" for name in ("meta", "seq", "gen", "fence", "counts")
    }


def test_settings_and_format_are_checked_on_open(redis_url: str) -> None:
    Index.create(redis_url, Settings(window_size=10)).close()
    with pytest.raises(IndexStoreError, match="already exists"):
        Index.create(redis_url)
    with pytest.raises(IncompatibleIndexError) as err:
        Index.open(redis_url, Settings(window_size=12, num_perm=64))
    assert "window_size: index 10, requested 12" in str(err.value)
    assert "num_perm: index 128, requested 64" in str(err.value)
    assert redis_url.split("?")[0].split("//")[1] in str(err.value)
    with Index.open(redis_url) as index:
        assert index.settings.window_size == 10
        assert index.meta["fingerprint"] == Settings(window_size=10).fingerprint()
    prefix = redis_url.rsplit("prefix=", 1)[1]
    with client(redis_url) as conn:
        conn.hset(f"{{{prefix}}}:meta", "format", "99")
    with pytest.raises(IncompatibleIndexError, match="index format 99"):
        Index.open(redis_url)


def test_prefixes_are_separate_indexes(redis_server: int, seed_articles: list[Article]) -> None:
    base = f"redis://127.0.0.1:{redis_server}/0?prefix="
    with Index.open(base + "sep-a", create=True) as a, Index.open(base + "sep-b", create=True) as b:
        assert a.check_and_add(seed_articles[0]).stored
        assert b.check_and_add(seed_articles[0]).stored  # not seen by the other index
        assert a.check_and_add(seed_articles[0]).relation == "already-stored"
        assert len(a) == len(b) == 1
        assert a.stats().location == f"redis://127.0.0.1:{redis_server}/0?prefix=sep-a"


def test_missing_unreachable_and_bad_urls(redis_url: str, redis_server: int) -> None:
    with pytest.raises(IndexStoreError, match="no such index"):
        Index.open(redis_url)
    dead = f"redis://127.0.0.1:{redis_server + 1 if redis_server < 65535 else 1}/0"
    with pytest.raises(IndexStoreError, match="cannot reach Redis"):
        Index.open(dead)
    with pytest.raises(SettingsError, match="key prefix"):
        Index.open(redis_url.split("?")[0] + "?prefix={x}")
    with pytest.raises(SettingsError, match="lock_timeout"):
        Index.open(redis_url + "&lock_timeout=soon")
    # a password in the URL is not repeated in messages
    with pytest.raises(IndexStoreError) as err:
        Index.open(f"redis://:s3cret@127.0.0.1:{redis_server}/0?prefix=missing")
    assert "s3cret" not in str(err.value)


# -- the command line ---------------------------------------------------------------------------------


def test_index_commands_and_check_on_redis(tmp_path: Path, redis_url: str, seed_dir: Path) -> None:
    out = run("index", "create", redis_url, "--window-size", "10")
    assert out.returncode == 0, out.stderr.decode()
    out = run("index", "create", redis_url)
    assert out.returncode == 2
    assert "already exists" in out.stderr.decode()
    out = run("index", "add", redis_url, str(seed_dir / "articles.jsonl"), "-q")
    assert out.stdout.decode().strip() == "added 8, already stored 0"
    stats = json.loads(run("index", "stats", redis_url, "--json").stdout)
    assert stats["articles"] == 8
    assert stats["settings"]["window_size"] == 10
    assert stats["location"] == redis_url
    assert stats["bytes"] > 0
    assert json.loads(run("index", "get", redis_url, "china-tass").stdout)["id"] == "china-tass"
    check = run("check", "--index", redis_url, str(seed_dir / "articles.jsonl"))
    assert check.returncode == 1
    assert {json.loads(line)["relation"] for line in check.stdout.splitlines()} == {"already-stored"}
    out = run("index", "remove", redis_url, "china-tass", "no-such-id")
    assert out.returncode == 1
    assert out.stdout.decode().strip() == "removed 1"
    assert run("index", "prune", redis_url, "--older-than", "0s").stdout.decode().strip() == "removed 7"
    out = run("filter", "--index", redis_url.replace("prefix=", "prefix=other"), "--no-create", stdin=b"")
    assert out.returncode == 2
    assert "no such index" in out.stderr.decode()


# -- many workers -------------------------------------------------------------------------------------


def test_four_filter_workers_keep_exactly_one_of_each_pair(tmp_path: Path, redis_url: str) -> None:
    rng = random.Random(3)
    base = stories(1500, seed=23, prefix="wire")
    pairs = [(a, Article(a.id + "-copy", reprint(a.text, rng))) for a in base[:500]]
    singles = base[500:]
    feeds: list[list[Article]] = [[] for _ in range(4)]
    # the two copies of a pair go to two different workers, at the same place in their feeds
    for n, (first, second) in enumerate(pairs):
        feeds[n % 4].append(first)
        feeds[(n + 1 + n // 4 % 3) % 4].append(second)
    for n, article in enumerate(singles):
        feeds[n % 4].append(article)
    for feed in feeds:
        rng.shuffle(feed)
    assert sum(len(f) for f in feeds) == 2000
    assert run("index", "create", redis_url).returncode == 0
    procs = []
    for n, feed in enumerate(feeds):
        path = tmp_path / f"feed{n}.jsonl"
        path.write_bytes(b"".join(line_of(a) for a in feed))
        with path.open("rb") as stdin:
            procs.append(subprocess.Popen(
                [*DEDUP, "filter", "--index", redis_url, "--decisions", str(tmp_path / f"d{n}.jsonl"),
                 "--no-create", "-q"],
                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            ))  # fmt: skip
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err.decode()[-500:] for _, err in outs]
    decisions = [d for n in range(4) for d in jsonl(tmp_path / f"d{n}.jsonl")]
    # every article decided once
    assert sorted(d["id"] for d in decisions) == sorted(a.id for f in feeds for a in f)
    kept = {json.loads(line)["id"] for out, _ in outs for line in out.splitlines()}
    assert kept == {d["id"] for d in decisions if d["action"] == "keep"}
    for first, second in pairs:
        assert len({first.id, second.id} & kept) == 1, first.id
    assert {a.id for a in singles} <= kept
    assert len(kept) == 1500
    rejected = [d for d in decisions if d["action"] == "reject"]
    assert {d["relation"] for d in rejected} == {"near-duplicate"}
    with Index.open(redis_url) as index:
        assert set(index.ids()) == kept
        assert index.integrity_check() == []


# -- doc numbers --------------------------------------------------------------------------------------


def test_doc_numbers_come_in_blocks_from_one_counter(redis_url: str) -> None:
    """Races between writers are the store contract's (tests/test_store_contract.py); here, numbering."""
    first, second, third = stories(3, seed=43, prefix="calm")
    Index.create(redis_url).close()
    with Index.open(redis_url) as index, Index.open(redis_url) as rival:
        index.check_and_add(first)
        attempt = index.decide(third)
        rival.check_and_add(second)
        assert index.commit(attempt).stored
        conn = client(redis_url)
        try:
            prefix = redis_url.rsplit("prefix=", 1)[1]
            members = cast(
                list[tuple[bytes, float]], conn.zrange("{" + prefix + "}:ids", 0, -1, withscores=True)
            )
        finally:
            conn.close()
    # never two articles with one number; each writer draws its numbers in blocks: the first two
    # from one, the third from the other's
    assert sorted(score for _, score in members) == [1.0, 2.0, 1.0 + RESERVE]


def _add_in_child(index: Index, article: Article) -> None:
    index.check_and_add(article)


def test_a_forked_copy_of_a_store_draws_its_own_doc_numbers(redis_url: str) -> None:
    first, second, third = stories(3, seed=47, prefix="fork")
    with Index.create(redis_url) as index:
        index.check_and_add(first)  # draws a block of numbers, one used
        child = multiprocessing.get_context("fork").Process(target=_add_in_child, args=(index, second))
        child.start()
        child.join(60)
        assert child.exitcode == 0
        index.check_and_add(third)
        assert sorted(index.ids()) == sorted(a.id for a in (first, second, third))
        assert index.integrity_check() == []
        conn = client(redis_url)
        try:
            prefix = redis_url.rsplit("prefix=", 1)[1]
            members = cast(
                list[tuple[bytes, float]], conn.zrange("{" + prefix + "}:ids", 0, -1, withscores=True)
            )
        finally:
            conn.close()
        docs = {m.decode(): int(score) for m, score in members}
        assert (docs[first.id], docs[third.id]) == (1, 2)  # the parent's block
        assert docs[second.id] == 1 + RESERVE  # the child drew a block of its own


# -- the write lock -----------------------------------------------------------------------------------

HOLDER = """
import os, sys, time
from dedup import Article, Index
url, go, text, hold = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with Index.open(url) as index:
    try:
        with index.store.write_transaction():
            decision = index.check_and_add(Article("holder", text))
            print(decision.action, flush=True)
            start = time.monotonic()
            while not os.path.exists(go) or time.monotonic() - start < hold:
                time.sleep(0.01)
    except Exception as exc:
        print("error:", exc, flush=True)
        sys.exit(3)
print("committed", flush=True)
"""


def start_holder(tmp_path: Path, url: str, text: str, hold: float) -> tuple[subprocess.Popen[str], Path]:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    go = tmp_path / "go"
    proc = subprocess.Popen([sys.executable, str(script), url, str(go), text, str(hold)],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "keep"
    return proc, go


def test_a_paused_writer_whose_lock_expired_cannot_commit(
    tmp_path: Path, redis_url: str, seed_articles: list[Article]
) -> None:
    url = redis_url + "&lock_timeout=0.5"
    text = seed_articles[0].text
    Index.create(url).close()
    proc, go = start_holder(tmp_path, url, text, 0)
    os.kill(proc.pid, signal.SIGSTOP)  # paused inside its transaction, decision made, not committed
    try:
        time.sleep(1.0)
        with Index.open(url) as index:
            decision = index.check_and_add(Article("other", text))
    finally:
        go.touch()
        os.kill(proc.pid, signal.SIGCONT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "the write lock expired before the commit" in out
    assert decision.stored
    with Index.open(url) as index:
        assert index.ids() == ["other"]
        assert index.integrity_check() == []


def test_a_live_writer_keeps_its_lock_and_others_wait(
    tmp_path: Path, redis_url: str, seed_articles: list[Article]
) -> None:
    url = redis_url + "&lock_timeout=0.5"
    text = seed_articles[0].text
    Index.create(url).close()
    proc, go = start_holder(tmp_path, url, text, 2.0)  # four times the lock's expiry
    go.touch()
    start = time.monotonic()
    with Index.open(url) as index:
        decision = index.check_and_add(Article("other", text))
    waited = time.monotonic() - start
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "committed" in out
    assert waited > 1.0
    assert decision.action == "reject"
    assert decision.matches[0].id == "holder"
    with Index.open(url) as index:
        assert index.ids() == ["holder"]


def test_a_killed_writer_releases_the_lock_by_expiry(
    tmp_path: Path, redis_url: str, seed_articles: list[Article]
) -> None:
    url = redis_url + "&lock_timeout=1"
    Index.create(url).close()
    proc, _ = start_holder(tmp_path, url, seed_articles[0].text, 3600)
    proc.kill()
    proc.communicate(timeout=60)
    with Index.open(url) as index:
        assert index.check_and_add(seed_articles[0]).stored
        assert index.ids() == [seed_articles[0].id]
        assert index.integrity_check() == []
    store = RedisStore(url)
    try:
        assert store.read_meta()["format"] == str(FORMAT_VERSION)
    finally:
        store.close()


# -- Redis Cluster ------------------------------------------------------------------------------------


def test_indexes_on_several_cluster_nodes(
    tmp_path: Path, redis_cluster: list[int], seed_dir: Path, seed_articles: list[Article]
) -> None:
    cluster = RedisCluster(host="127.0.0.1", port=redis_cluster[0])
    try:
        # two prefixes whose slots live on different nodes
        by_node: dict[str, str] = {}
        for n in range(1000):
            node = cluster.get_node_from_key(f"{{cluster{n}}}:meta")  # type: ignore[no-untyped-call]
            by_node.setdefault(node.name, f"cluster{n}")
            if len(by_node) == 2:
                break
        assert len(by_node) == 2
        feed = (seed_dir / "articles.jsonl").read_bytes()
        for prefix in by_node.values():
            url = f"redis://127.0.0.1:{redis_cluster[-1]}/0?cluster=yes&prefix={prefix}"
            out = run(
                "filter", "--index", url, "--decisions", str(tmp_path / f"{prefix}.jsonl"), "-q", stdin=feed
            )
            assert out.returncode == 0, out.stderr.decode()
            assert_seed_decisions(jsonl(tmp_path / f"{prefix}.jsonl"), seed_articles)
            with Index.open(url) as index:
                assert (
                    index.stats().location
                    == f"redis://127.0.0.1:{redis_cluster[-1]}/0?prefix={prefix}&cluster=yes"
                )
                assert index.check_and_add(seed_articles[0]).relation == "already-stored"
                assert index.integrity_check() == []
                assert index.remove(seed_articles[0].id)
                assert len(index) == 7
            # every key of the index is on one node
            store = RedisStore(url)
            try:
                slots = {cluster.keyslot(key) for key in store.all_keys()}  # type: ignore[no-untyped-call]
            finally:
                store.close()
            assert len(slots) == 1
    finally:
        cluster.close()


def test_benchmark_copies_an_index_whole(redis_url: str) -> None:
    """benchmarks/serve.py runs each configuration on a copy of the preloaded index: an equal one."""
    from benchmarks.serve import copy_keys, drop_keys

    prefix = redis_url.rsplit("prefix=", 1)[1]
    copy_url = redis_url.replace(f"prefix={prefix}", f"prefix={prefix}[copy]*")
    pool = stories(30, seed=5, prefix="pool", words=200)
    with Index.open(redis_url, create=True) as index:
        index.add_many(pool)
    with client(redis_url) as conn:
        copied = copy_keys(conn, f"{{{prefix}}}:".encode(), f"{{{prefix}[copy]*}}:".encode())
    assert copied == len(prefix_keys(redis_url)) > 10
    with Index.open(copy_url) as copy:
        assert len(copy) == 30
        assert copy.integrity_check() == []
        assert copy.check_and_add(Article("new", "Wire copy\n\n" + pool[3].text)).action == "reject"
        assert copy.check_and_add(stories(1, seed=6, prefix="other", words=200)[0]).action == "keep"
        assert len(copy) == 31
    with Index.open(redis_url) as index:
        assert len(index) == 30
        assert index.integrity_check() == []
    with client(redis_url) as conn:
        drop_keys(conn, f"{{{prefix}[copy]*}}:".encode())
        left = [k for k in cast(list[bytes], conn.keys("*")) if k.startswith(f"{{{prefix}[copy]*}}".encode())]
        assert not left
    assert len(prefix_keys(redis_url)) == copied


def test_commit_script_handles_thousands_of_fields_in_one_hash(redis_url: str) -> None:
    """The commit script's packed commands and checks past the sizes it splits into several calls."""
    rng = random.Random(7)
    fields = sorted({rng.getrandbits(64).to_bytes(8, "big") for _ in range(9000)})
    with Index.open(redis_url, create=True) as index:
        store = cast(RedisStore, index.store)
        keys, commit = [store.keys.lock, store.keys.gen, store.keys.shards[0]], store.scripts.commit

        def run(*args: bytes | str | int) -> int:
            return int(commit(keys=keys, args=["", "", *args]))

        blob = b"".join(fields)
        pairs = b"".join(f + b"doc-7" for f in fields)
        assert run(0, "HSETP", 3, 2, pairs, 5) == 1
        with client(redis_url) as conn:
            stored = cast(dict[bytes, bytes], conn.hgetall(store.keys.shards[0]))
        assert stored == dict.fromkeys(fields, b"doc-7")
        held = b"\0".join([b"doc-7"] * len(fields))
        assert run(4, "H", 3, blob, held, "INCR", 2, 0) == 1  # the check holds: committed
        wrong = b"\0".join([b"doc-7"] * (len(fields) - 1) + [b"doc-8"])
        assert run(4, "H", 3, blob, wrong, "INCR", 2, 0) == 0  # the last of 9,000 differs: refused
        assert run(0, "HDELB", 3, 1, blob) == 1
        with client(redis_url) as conn:
            assert conn.hlen(store.keys.shards[0]) == 0


def test_an_article_whose_every_band_key_is_already_stored(redis_url: str) -> None:
    """Every key of the new article falls in an existing bucket: nothing is new to append."""
    text = " ".join(f"word{n % 40} other{n % 7}" for n in range(400))
    with Index.open(redis_url + "?prefix=allpresent", create=True) as index:
        assert index.add(Article("first", text))
        assert index.add(Article("second", text))  # the same keys, stored under a second id
        assert len(index) == 2
        assert index.integrity_check() == []
