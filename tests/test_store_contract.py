"""The store contract: every store (in memory, SQLite in a real file, Redis on a real server) behaves alike.

The same scenarios run through :class:`dedup.Index` on each store: check-and-add (the seed, a
reprint, a trimmed copy, a digest page), deletion, expiry, counts, bulk loading, atomicity of a
failed transaction, persistence across connections, and races between two connections interleaved
at a chosen point. After every scenario a fresh connection runs the store's integrity check, which
must find nothing. A second store object opened on the same index is a second connection (another
worker): for memory a second :class:`MemoryStore` on one :class:`MemoryDatabase`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Index
from dedup.index import parse_duration
from dedup.stores.base import Store
from dedup.stores.integrity import article_lines
from dedup.stores.memory import MemoryDatabase, MemoryStore
from dedup.stores.sqlite import SQLiteStore
from tests.newsgen import stories
from tests.test_index import FOOTER, tass_reprint


@dataclass
class Backend:
    """One index in one kind of store, and how to open another connection to it."""

    name: str
    connect: Callable[[], Store]
    #: Whether the index outlives its connections (not so in memory once the database is dropped).
    persistent: bool

    def index(self, **options: Any) -> Index:
        """A new connection to the index, through :class:`Index` (created on first use)."""
        return Index.open(self.connect(), create=True, **options)


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", id="redis")])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each store in turn; after the scenario, its integrity check on a fresh connection."""
    if request.param == "memory":
        database = MemoryDatabase()
        backend = Backend("memory", lambda: MemoryStore(database), persistent=False)
    elif request.param == "sqlite":
        path = tmp_path / "index.db"
        backend = Backend("sqlite", lambda: SQLiteStore(path, create=True), persistent=True)
    else:
        from dedup.stores.redis import RedisStore

        url: str = request.getfixturevalue("redis_url")
        backend = Backend("redis", lambda: RedisStore(url, create=True), persistent=True)
    yield backend
    store = backend.connect()
    if store.read_meta():
        with Index.open(store) as index:
            assert index.integrity_check() == [], f"{backend.name}: the scenario left the index unsound"
    else:
        store.close()


def by_id(articles: list[Article], article_id: str) -> Article:
    return next(a for a in articles if a.id == article_id)


def trimmed(seed_articles: list[Article]) -> Article:
    """The first half of pakistan-moscow-times, as a site that cut the story short runs it."""
    paragraphs = [p for p in by_id(seed_articles, "pakistan-moscow-times").text.split("\n\n") if p.strip()]
    return Article("trimmed", "\n\n".join(paragraphs[: len(paragraphs) // 2]))


def with_footer(seed_articles: list[Article]) -> list[Article]:
    """The seed, its stories that share nothing carrying one site's footer (learned as boilerplate)."""
    return [
        a if a.id.startswith("pakistan") else Article(a.id + "-f", a.text + "\n\n" + FOOTER)
        for a in seed_articles
    ]


# -- check-and-add ------------------------------------------------------------------------------------


def test_seed_kept_and_only_the_overlap_annotated(backend: Backend, seed_articles: list[Article]) -> None:
    with backend.index() as index:
        decisions = [index.check_and_add(a) for a in seed_articles]
        assert len(index) == len(seed_articles)
    assert [(d.id, d.action, d.stored) for d in decisions] == [(a.id, "keep", True) for a in seed_articles]
    tass = by_id(seed_articles, "pakistan-tass")
    annotated = [d for d in decisions if d.matches]
    assert [d.id for d in annotated] == [tass.id]
    (decision,) = annotated
    assert decision.relation == "overlap"
    assert [m.id for m in decision.matches] == ["pakistan-moscow-times"]
    stored_text = by_id(seed_articles, "pakistan-moscow-times").text
    passages = decision.matches[0].passages
    assert passages
    for p in passages:
        assert tass.text[p.a_start : p.a_end] == p.a_text
        assert stored_text[p.b_start : p.b_end] == p.b_text
    assert "strengthening ties between Moscow and Islamabad" in " ".join(p.a_text for p in passages)


def test_reprint_trimmed_copy_and_digest(
    backend: Backend, seed_dir: Path, seed_articles: list[Article]
) -> None:
    digest = Article("digest", (seed_dir / "000_544341561949e636.txt").read_text(encoding="utf-8"))
    with backend.index() as index:
        for article in seed_articles:
            index.check_and_add(article)
        reprint = Article("wire-pakistan", tass_reprint(by_id(seed_articles, "pakistan-tass").text))
        checked = index.check(reprint)
        rejected = index.check_and_add(reprint)
        short = index.check_and_add(trimmed(seed_articles))
        page = index.check_and_add(digest)
        again = index.check_and_add(seed_articles[0])
        ids = index.ids()
    assert checked.to_dict() == rejected.to_dict()
    assert (rejected.action, rejected.relation, rejected.stored) == ("reject", "near-duplicate", False)
    assert rejected.matches[0].id == "pakistan-tass"
    assert "near-duplicate of 'pakistan-tass'" in rejected.reason
    assert (short.action, short.relation) == ("reject", "containment")
    assert (short.matches[0].id, short.matches[0].contained) == ("pakistan-moscow-times", "trimmed")
    assert (page.action, page.relation, page.stored) == ("keep", "containment", True)
    assert {m.id for m in page.matches if m.contained == m.id} == {a.id for a in seed_articles}
    assert (again.action, again.relation) == ("reject", "already-stored")
    assert ids == [*(a.id for a in seed_articles), "digest"]


def test_learned_footer_is_not_evidence(backend: Backend, seed_articles: list[Article]) -> None:
    feed = with_footer(seed_articles)
    with backend.index() as index:
        decisions = [index.check_and_add(a) for a in feed]
        stats = index.stats()
    footed = [d for d in decisions if d.id.endswith("-f")]
    assert footed[1].relation == "overlap"  # two holders: still a shared passage
    assert footed[-1].matches == ()  # five: learned boilerplate
    assert all(d.action == "keep" for d in decisions)
    assert stats.boilerplate_lines >= 1


# -- counts, deletion, expiry -------------------------------------------------------------------------


def test_counts_follow_the_stored_articles(backend: Backend, seed_articles: list[Article]) -> None:
    feed = with_footer(seed_articles)
    with backend.index() as index:
        empty = index.stats()
        for article in feed:
            index.check_and_add(article)
        full = index.stats()
        held: dict[int, int] = {}
        for article in feed:
            for h in article_lines(article.text):
                held[h] = held.get(h, 0) + 1
        min_docs = index.settings.boilerplate_min_docs
        keys = [full.keys]
        for article_id in index.ids():
            assert index.remove(article_id)
            keys.append(index.stats().keys)
        cleared = index.stats()
    assert (empty.articles, empty.keys, empty.lines, empty.boilerplate_lines) == (0, 0, 0, 0)
    assert full.articles == len(feed)
    assert keys == sorted(keys, reverse=True)
    assert len(set(keys)) == len(keys)  # every article held keys of its own, and gave them back
    assert full.lines == len(held)
    assert full.boilerplate_lines == sum(1 for n in held.values() if n >= min_docs) >= 1
    assert (cleared.articles, cleared.keys, cleared.lines, cleared.boilerplate_lines) == (0, 0, 0, 0)


def test_removed_articles_no_longer_match(backend: Backend, seed_articles: list[Article]) -> None:
    tass = by_id(seed_articles, "pakistan-tass")
    with backend.index() as index:
        for article in with_footer(seed_articles):
            index.check_and_add(article)
        before = len(index)
        assert not index.remove("no-such-id")
        assert index.remove(tass.id)
        assert not index.remove(tass.id)
        assert index.get(tass.id) is None
        assert tass.id not in index
        assert len(index) == before - 1
        decision = index.check_and_add(Article("wire-pakistan", tass_reprint(tass.text)))
        assert (decision.action, decision.stored) == ("keep", True)
        assert [m.id for m in decision.matches] == ["pakistan-moscow-times"]
        assert index.check_and_add(tass).relation == "near-duplicate"  # of wire-pakistan now
        assert index.remove("cuba-sputnik-f")  # a holder of the learned footer


def test_prune_and_time_window(backend: Backend, seed_articles: list[Article]) -> None:
    tass = by_id(seed_articles, "pakistan-tass")
    now = dt.datetime(2024, 12, 31, tzinfo=dt.UTC).timestamp()
    with backend.index() as index:
        for n, a in enumerate(seed_articles):
            day = "2024-01-15" if n % 2 == 0 else "2024-12-20"
            assert index.check_and_add(Article(a.id, a.text, published=day, title="T")).stored
        stored = index.get(seed_articles[0].id)
        assert stored is not None
        assert stored.article == Article(
            seed_articles[0].id, seed_articles[0].text, published="2024-01-15", title="T"
        )
        stats = index.stats()
        assert stats.oldest_published == dt.datetime(2024, 1, 15, tzinfo=dt.UTC).timestamp()
        assert stats.newest_published == dt.datetime(2024, 12, 20, tzinfo=dt.UTC).timestamp()
        late = Article("late", tass_reprint(tass.text), published="2025-03-01")
        assert index.check(late, window=parse_duration("3d")).action == "keep"
        assert index.check(late).action == "reject"
        assert index.prune(older_than=parse_duration("30d"), now=now) == 4
        assert index.ids() == [a.id for n, a in enumerate(seed_articles) if n % 2 == 1]
        assert index.prune(older_than=parse_duration("30d"), now=now) == 0


# -- bulk loads, transactions, connections ------------------------------------------------------------


def test_add_many_skips_stored_ids(backend: Backend, seed_articles: list[Article]) -> None:
    with backend.index() as index:
        first = index.add_many(seed_articles[:5], batch=2)
        second = index.add_many([*seed_articles, seed_articles[0]], batch=3)
        decision = index.check(Article("again", by_id(seed_articles, "china-tass").text))
        assert index.ids() == [a.id for a in seed_articles]
    assert (first.added, first.already_stored) == (5, [])
    assert second.added == 3
    assert sorted(second.already_stored) == sorted([a.id for a in seed_articles[:5]] + [seed_articles[0].id])
    assert (decision.action, decision.matches[0].id) == ("reject", "china-tass")


def test_a_failed_write_transaction_writes_nothing(backend: Backend, seed_articles: list[Article]) -> None:
    with backend.index() as index:
        index.check_and_add(seed_articles[0])
        before = index.stats()

        def fail_midway() -> None:
            with index.store.write_transaction():
                assert index.add(seed_articles[1])
                assert index.remove(seed_articles[0].id)
                # the transaction's look-ups see its own writes
                assert seed_articles[0].id not in index
                assert index.get(seed_articles[1].id) is not None
                raise RuntimeError("a failure in the middle of the transaction")

        with pytest.raises(RuntimeError, match="in the middle"):
            fail_midway()
        after = index.stats()
        assert index.ids() == [seed_articles[0].id]
        assert (after.articles, after.keys, after.lines) == (before.articles, before.keys, before.lines)
        assert index.check_and_add(seed_articles[1]).stored


def test_other_connections_see_commits(backend: Backend, seed_articles: list[Article]) -> None:
    tass = by_id(seed_articles, "pakistan-tass")
    reprint = Article("wire", tass_reprint(tass.text))
    with backend.index() as writer, backend.index() as reader:
        assert reader.check(reprint).action == "keep"
        writer.check_and_add(tass)
        assert reader.check(reprint).action == "reject"
        assert reader.check_and_add(tass).relation == "already-stored"
        writer.remove(tass.id)
        assert reader.check(reprint).action == "keep"
        writer.add_many(seed_articles)
        assert reader.check(reprint).matches[0].id == "pakistan-tass"
        assert reader.ids() == writer.ids() == [a.id for a in seed_articles]


def test_the_index_outlives_its_connections(backend: Backend, seed_articles: list[Article]) -> None:
    if not backend.persistent:
        pytest.skip("an in-memory index lives as long as its database object, not its connections")
    feed = with_footer(seed_articles)
    with backend.index() as index:
        for article in feed:
            index.check_and_add(article)
        sizes = {"bytes": 0, "bytes_per_article": 0}
        before = index.stats().to_dict() | sizes
        ids = index.ids()
    with backend.index() as index:
        assert index.stats().to_dict() | sizes == before
        assert index.ids() == ids
        assert index.check_and_add(feed[0]).relation == "already-stored"
        tass = by_id(seed_articles, "pakistan-tass")
        assert index.check(Article("wire", tass_reprint(tass.text))).matches[0].id == tass.id
        stored = index.get(tass.id)
        assert stored is not None
        assert stored.article.text == tass.text


# -- races: two connections interleaved at a chosen point through decide and commit -----------------


def reprint(text: str) -> str:
    """Another outlet's copy: a new headline line, a dateline and a footer."""
    headline, body = text.split("\n", 1)
    return f"Wire copy: {headline.lower()}\n\nLONDON, May 3 (Reuters) - {body.strip()}\n\n(c) 2024 The Wire."


def commits(index: Index) -> tuple[float, float, float] | None:
    """For a store that counts them (Redis): optimistic commits made, optimistic commits refused
    because what they read had changed, and locked transactions."""
    stats: dict[str, float] | None = getattr(index.store, "lock_stats", None)
    return None if stats is None else (stats["optimistic"], stats["conflicts"], stats["transactions"])


def test_a_copy_committed_between_decision_and_commit_is_caught(backend: Backend) -> None:
    original, other = stories(2, seed=41, prefix="race")
    copy = Article("race-copy", reprint(original.text))
    with backend.index() as first, backend.index() as second:
        assert first.check_and_add(other).stored  # the buckets the decision reads exist
        attempt = first.decide(original)
        assert (attempt.decision.action, attempt.decision.matches) == ("keep", ())
        rival = second.commit(second.decide(copy))
        assert (rival.action, rival.stored) == ("keep", True)
        decision = first.commit(attempt)
        # decided "keep" against an index without the copy; the commit found the copy and decided again
        assert (decision.action, decision.relation, decision.stored) == ("reject", "near-duplicate", False)
        assert decision.matches[0].id == "race-copy"
        assert "near-duplicate of 'race-copy'" in decision.reason
        if commits(first) is not None:  # Redis: the optimistic commit was refused, then locked
            assert commits(first) == (1, 1, 1)
        assert sorted(first.ids()) == sorted(["race-copy", other.id])


def test_an_unrelated_article_committed_meanwhile_does_not_block(backend: Backend) -> None:
    first_article, second_article, third_article = stories(3, seed=43, prefix="calm")
    with backend.index() as first, backend.index() as second:
        assert first.check_and_add(first_article).stored
        attempt = first.decide(third_article)
        assert attempt.decision.action == "keep"
        assert second.commit(second.decide(second_article)).stored
        decision = first.commit(attempt)
        assert (decision.action, decision.stored, decision.matches) == ("keep", True, ())
        if commits(first) is not None:  # Redis: committed without the lock, nothing it read changed
            assert commits(first) == (2, 0, 0)
        assert sorted(first.ids()) == sorted(a.id for a in (first_article, second_article, third_article))


def test_the_same_id_committed_meanwhile_is_found(backend: Backend, seed_articles: list[Article]) -> None:
    article = seed_articles[0]
    with backend.index() as first, backend.index() as second:
        attempt = first.decide(article)
        assert attempt.decision.action == "keep"
        assert second.commit(second.decide(article)).stored
        decision = first.commit(attempt)
        assert (decision.action, decision.relation, decision.stored) == ("reject", "already-stored", False)
        if commits(first) is not None:
            assert commits(first) == (0, 1, 1)
        assert first.ids() == [article.id]


def test_check_and_add_is_commit_of_decide(backend: Backend, seed_articles: list[Article]) -> None:
    tass = by_id(seed_articles, "pakistan-tass")
    feed = [*seed_articles, Article("wire", tass_reprint(tass.text)), trimmed(seed_articles)]
    with backend.index() as index:
        stepped = [index.commit(index.decide(a)).to_dict() for a in feed]
    with Index.open(MemoryStore(), create=True) as index:
        direct = [index.check_and_add(a).to_dict() for a in feed]
    assert stepped == direct


# -- the same answers everywhere ----------------------------------------------------------------------


def _run_feed(index: Index, feed: list[Article]) -> tuple[list[dict[str, Any]], dict[str, Any], list[Any]]:
    decisions = [index.check_and_add(a).to_dict() for a in feed]
    index.remove(feed[1].id)
    decisions += [index.check_and_add(a).to_dict() for a in feed[:3]]
    stats = {
        k: v
        for k, v in index.stats().to_dict().items()
        if k not in ("location", "bytes", "bytes_per_article", "created")
    }
    records = [
        (r.doc, r.id, r.text, dict(r.metadata), r.published, r.signature, r.masked, r.shingles, r.valid)
        for r in index.store.fetch(list(range(1, 3 * len(feed))))
    ]
    return decisions, stats, records


@pytest.mark.parametrize("name", ["sqlite", pytest.param("redis", id="redis")])
def test_every_store_answers_as_the_memory_store(
    name: str, request: pytest.FixtureRequest, tmp_path: Path, seed_articles: list[Article]
) -> None:
    """Decisions, statistics and stored records (metadata keys aside) equal the in-memory store's."""
    tass = by_id(seed_articles, "pakistan-tass")
    feed = [
        *with_footer(seed_articles),
        Article("wire", tass_reprint(tass.text), published="2024-11-21", source="Wire"),
        trimmed(seed_articles),
        *stories(20, seed=9, prefix="gen"),
    ]
    with Index.open(MemoryStore(), create=True) as index:
        expected = _run_feed(index, feed)
    location = str(tmp_path / "index.db") if name == "sqlite" else request.getfixturevalue("redis_url")
    with Index.open(location, create=True) as index:
        got = _run_feed(index, feed)
        assert index.integrity_check() == []
    assert got == expected
    rejected = {d["relation"] for d in expected[0] if d["action"] == "reject"}
    assert rejected == {"near-duplicate", "containment", "already-stored"}


def test_writers_in_threads_keep_each_article_once(backend: Backend, seed_articles: list[Article]) -> None:
    """Two connections in two threads fed the same articles (half under other ids): each kept once."""
    import threading

    articles = [*seed_articles, *stories(24, seed=13, prefix="thread")]
    results: dict[str, list[tuple[str, str, str | None]]] = {}
    start = threading.Barrier(2)

    def work(tag: str) -> None:
        with backend.index() as index:
            start.wait()
            out: list[tuple[str, str, str | None]] = []
            for n, a in enumerate(articles):
                d = index.check_and_add(Article(a.id + tag * (n % 2), a.text))
                out.append((d.id, d.action, d.relation))
            results[tag] = out

    threads = [threading.Thread(target=work, args=(tag,)) for tag in ("-a", "-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    kept = [d[0] for r in results.values() for d in r if d[1] == "keep"]
    assert len(kept) == len(set(kept)) == len(articles)
    for n, a in enumerate(articles):
        names = {a.id} if n % 2 == 0 else {a.id + "-a", a.id + "-b"}
        assert len(names & set(kept)) == 1, a.id
    rejected = {d[2] for r in results.values() for d in r if d[1] == "reject"}
    assert rejected <= {"already-stored", "near-duplicate"}
    with backend.index() as index:
        assert sorted(index.ids()) == sorted(kept)
