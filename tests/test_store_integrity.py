"""The stores' integrity checks find logical damage: each table corrupted in turn is reported, clearly.

A sound index (the seed, its five unrelated stories carrying one site footer, so that lines have
several holders and some are masked as learned boilerplate) passes; each corruption of one table,
made the way a half-applied write or a hand edit would make it, is reported with a message that
names what disagrees.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
import redis

from dedup import Article, Index
from dedup.stores.memory import MemoryStore
from dedup.stores.redis.layout import field
from tests.test_filter_cli import run
from tests.test_index import FOOTER

Corruption = Callable[[sqlite3.Connection], object]


def feed(seed_articles: list[Article]) -> list[Article]:
    """The seed, the five stories that share nothing carrying a site's footer."""
    return [
        a if a.id.startswith("pakistan") else Article(a.id + "-f", a.text + "\n\n" + FOOTER)
        for a in seed_articles
    ]


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory, seed_articles: list[Article]) -> Path:
    path = tmp_path_factory.mktemp("integrity") / "sound.db"
    with Index.open(path, create=True) as index:
        for article in feed(seed_articles):
            index.check_and_add(article)
        assert index.stats().boilerplate_lines >= 1
        assert index.integrity_check() == []
    with sqlite3.connect(path) as db:
        # the footer's line is held by several articles, one of which has it masked
        assert db.execute("SELECT max(docs) FROM lines").fetchone()[0] == 5
        assert db.execute("SELECT count(*) FROM articles WHERE masked != ''").fetchone()[0] >= 1
    return path


def _shared_line(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT hash FROM lines ORDER BY docs DESC, hash LIMIT 1").fetchone()[0])


def _doc(db: sqlite3.Connection, article_id: str) -> int:
    return int(db.execute("SELECT doc FROM articles WHERE id = ?", (article_id,)).fetchone()[0])


# (what is done to the file, a message the check must give)
SQLITE_CORRUPTIONS: dict[str, tuple[Corruption, str]] = {
    "band keys of a missing article": (
        lambda db: db.execute("INSERT INTO band_keys (doc, keys) VALUES (999, zeroblob(16))"),
        "band keys of doc 999, which is not a stored article",
    ),
    "an article without its band keys": (
        lambda db: db.execute("DELETE FROM band_keys WHERE doc = ?", (_doc(db, "china-tass-f"),)),
        "article 'china-tass-f' (doc 7) has no row of band keys",
    ),
    "an article removed, its keys and lines left": (
        lambda db: db.execute("DELETE FROM articles WHERE id = 'china-tass-f'"),
        "band keys of doc 7, which is not a stored article",
    ),
    "band keys repeated in a row": (
        lambda db: db.execute("UPDATE band_keys SET keys = keys || substr(keys, 1, 8) WHERE doc = 1"),
        "doc 1: band keys not distinct and sorted",
    ),
    "a band-key row cut short": (
        lambda db: db.execute("UPDATE band_keys SET keys = substr(keys, 1, length(keys) - 3) WHERE doc = 1"),
        "doc 1: band-key row of",
    ),
    "the key counter off by one": (
        lambda db: db.execute("UPDATE meta SET value = value + 1 WHERE key = 'count_keys'"),
        "the key counter says",
    ),
    "a line count off by one": (
        lambda db: db.execute("UPDATE lines SET docs = docs + 1 WHERE hash = ?", (_shared_line(db),)),
        "statistics count 6 holder(s), 5 stored article(s) hold it",
    ),
    "a line's head-or-foot count off by one": (
        lambda db: db.execute("UPDATE lines SET edges = edges - 1 WHERE hash = ?", (_shared_line(db),)),
        "holder(s) with it at the head or foot, the stored texts 5",
    ),
    "a line's statistics lost": (
        lambda db: db.execute("DELETE FROM lines WHERE hash = ?", (_shared_line(db),)),
        "held by 5 stored article(s)",
    ),
    "statistics of a line no article holds": (
        lambda db: db.execute("INSERT INTO lines (hash, docs, edges, sample) VALUES (12345, 1, 0, '1')"),
        "line 0x3039: statistics count 1 holder(s), but no stored article holds it",
    ),
    "a line's sample naming a stranger": (
        lambda db: db.execute(  # doc 4 (pakistan-moscow-times) has no footer
            "UPDATE lines SET sample = replace(sample, ',8', ',4') WHERE hash = ?", (_shared_line(db),)
        ),
        "sample names doc 4, which do(es) not hold the line",
    ),
    "a masked line that is not the article's": (
        lambda db: db.execute("UPDATE articles SET masked = '12345' WHERE doc = 1"),
        "doc 1: masked line(s) 0x3039 are not lines of its text",
    ),
    "shingles without their validity": (
        lambda db: db.execute("UPDATE articles SET valid = x'00' WHERE doc = 1"),
        "bytes of shingles, 1 of validity",
    ),
}


@pytest.mark.parametrize("name", list(SQLITE_CORRUPTIONS))
def test_sqlite_reports_each_corruption(tmp_path: Path, sound: Path, name: str) -> None:
    corrupt, message = SQLITE_CORRUPTIONS[name]
    path = tmp_path / "corrupt.db"
    shutil.copy(sound, path)
    with sqlite3.connect(path) as db:
        corrupt(db)
    with Index.open(path) as index:
        problems = index.integrity_check()
    assert any(message in p for p in problems), problems
    assert len(problems) <= 12, problems  # what is wrong, a few lines of each kind: not a flood


def test_index_check_command(tmp_path: Path, sound: Path) -> None:
    out = run("index", "check", str(sound))
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().strip() == f"{sound}: sound (8 articles)"
    path = tmp_path / "corrupt.db"
    shutil.copy(sound, path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM band_keys WHERE doc = 7")
    out = run("index", "check", str(path))
    assert out.returncode == 1
    assert "article 'china-tass-f' (doc 7) has no row of band keys" in out.stdout.decode()
    assert f"{path}: 2 problem(s) found" in out.stderr.decode()
    out = run("index", "check", str(path), "--json")
    assert out.returncode == 1
    assert '"sound": false' in out.stdout.decode()
    out = run("index", "check", str(tmp_path / "missing.db"))
    assert out.returncode == 2
    assert "no such index" in out.stderr.decode()


def test_many_problems_of_a_kind_are_counted(tmp_path: Path, sound: Path) -> None:
    path = tmp_path / "corrupt.db"
    shutil.copy(sound, path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE lines SET docs = docs + 1")
        lines = db.execute("SELECT count(*) FROM lines").fetchone()[0]
    with Index.open(path) as index:
        problems = index.integrity_check()
    assert lines > 20
    assert len(problems) == 6
    assert problems[-1] == f"... and {lines - 5} more problem(s) like the last"


# -- Redis and the in-memory store: the same logical checks on their own structures --------------------


def test_redis_reports_corruptions(redis_url: str, seed_articles: list[Article]) -> None:
    with Index.open(redis_url, create=True) as index:
        for article in feed(seed_articles):
            index.check_and_add(article)
        assert index.integrity_check() == []
        prefix = redis_url.rsplit("prefix=", 1)[1]
        conn = redis.Redis.from_url(redis_url.split("?")[0])
        try:
            lines = f"{{{prefix}}}:lines"
            stats = cast(dict[bytes, bytes], conn.hgetall(lines))
            h, value = max(stats.items(), key=lambda kv: int(kv[1].split(b":")[0]))
            docs, edges, sample = value.split(b":")
            held = int(docs)
            conn.hset(lines, h, b"%d:%s:%s" % (held + 1, edges, sample))
            assert any(f"holder(s), {held} stored article(s) hold it" in p for p in index.integrity_check())
            conn.hdel(lines, h)
            assert any(f"held by {held} stored article(s)" in p for p in index.integrity_check())
            conn.hset(lines, h, value)
            assert index.integrity_check() == []
            conn.hset(lines, field(12345), b"1:0:1")
            assert any("line 0x3039: statistics count 1" in p for p in index.integrity_check())
            conn.hdel(lines, field(12345))
            conn.hdel(f"{{{prefix}}}:sig", b"3")
            assert any("differ between the signatures and the records" in p for p in index.integrity_check())
        finally:
            conn.close()


def test_memory_reports_corruptions(seed_articles: list[Article]) -> None:
    store = MemoryStore()
    with Index.open(store, create=True) as index:
        for article in feed(seed_articles):
            index.check_and_add(article)
        assert index.integrity_check() == []
        with store.write_transaction():
            stat = max(store._items("lines").items(), key=lambda kv: kv[1].docs)
            store._put("lines", stat[0], stat[1].__class__(stat[1].docs + 1, stat[1].edges, stat[1].sample))
            keys = store._get("keys", 1)
            store._put("buckets", keys[0], (*store._get("buckets", keys[0]), 99))
        problems = index.integrity_check()
        assert any(f"holder(s), {stat[1].docs} stored article(s) hold it" in p for p in problems), problems
        assert any("band keys of doc 99, which is not a stored article" in p for p in problems), problems
