"""The persistent index, on real SQLite files: decisions, policy, settings, removal, time window."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dedup import (
    Article,
    Decision,
    IncompatibleIndexError,
    Index,
    IndexStoreError,
    InputError,
    Policy,
    Settings,
    SettingsError,
)
from dedup.engine.align import ShingleView, screen
from dedup.engine.verify import Document
from dedup.index import parse_duration, parse_published
from dedup.stores.base import StoredRecord
from tests.newsgen import stories

ROOT = Path(__file__).resolve().parent.parent


def tass_reprint(text: str) -> str:
    """pakistan-tass as another outlet runs it.

    A new headline line, another dateline, a copyright footer and two words changed.
    """
    body = text.split("\n", 1)[1]
    body = body.replace("ISLAMABAD, November 20. /TASS/. ", "ISLAMABAD, Nov. 21 (Reuters) - ")
    body = body.replace("signed a deal", "signed an agreement").replace("great practical", "strong practical")
    assert body.count("Reuters") == 1
    assert "an agreement on military" in body
    assert "strong practical" in body
    return (
        "Moscow and Islamabad seal defence pact as Shoigu visits\n"
        + body
        + "\n\n© 2024 The Daily Wire Service. All rights reserved."
    )


def sql(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(query).fetchall()


@pytest.fixture
def seeded(tmp_path: Path, seed_articles: list[Article]) -> tuple[Path, list[Decision]]:
    path = tmp_path / "news.db"
    with Index.open(path, create=True) as index:
        decisions = [index.check_and_add(a) for a in seed_articles]
    return path, decisions


# -- the seed scenario --------------------------------------------------------------------------------


def test_seed_all_kept_and_overlap_annotated(
    seeded: tuple[Path, list[Decision]], seed_articles: list[Article]
) -> None:
    path, decisions = seeded
    assert [d.action for d in decisions] == ["keep"] * 8
    assert all(d.stored for d in decisions)
    by_id = {d.id: d for d in decisions}
    tass = by_id["pakistan-tass"]
    assert tass.relation == "overlap"
    assert [m.id for m in tass.matches] == ["pakistan-moscow-times"]
    match = tass.matches[0]
    assert match.relation == "overlap"
    assert match.passages
    texts = {a.id: a.text for a in seed_articles}
    for p in match.passages:
        assert texts["pakistan-tass"][p.a_start : p.a_end] == p.a_text
        assert texts["pakistan-moscow-times"][p.b_start : p.b_end] == p.b_text
    assert "strengthening ties between Moscow and Islamabad" in " ".join(p.a_text for p in match.passages)
    # nothing else matched anything
    assert all(not d.matches for d in decisions if d.id != "pakistan-tass")
    data = json.loads(json.dumps(tass.to_dict()))
    assert data["matches"][0]["passages"][0]["stored_text"] == match.passages[0].b_text
    with Index.open(path) as index:
        assert len(index) == 8
        assert index.integrity_check() == []


def test_reprint_rejected_as_near_duplicate(
    seeded: tuple[Path, list[Decision]], seed_articles: list[Article]
) -> None:
    path, _ = seeded
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    reprint = Article("wire-pakistan", tass_reprint(tass.text))
    with Index.open(path) as index:
        checked = index.check(reprint)
        decision = index.check_and_add(reprint)
        assert "wire-pakistan" not in index
        assert len(index) == 8
    assert checked.to_dict() == decision.to_dict()
    assert decision.action == "reject"
    assert not decision.stored
    assert decision.relation == "near-duplicate"
    assert decision.matches[0].id == "pakistan-tass"
    assert decision.matches[0].coverage >= 0.8
    assert decision.matches[0].stored_coverage >= 0.8
    assert "near-duplicate of 'pakistan-tass'" in decision.reason


def test_check_adds_nothing_and_same_id_is_reported(seeded: tuple[Path, list[Decision]]) -> None:
    path, _ = seeded
    new = Article("fresh", "A completely different story about a village fete and its prize marrows. " * 3)
    with Index.open(path) as index:
        assert index.check(new).action == "keep"
        assert "fresh" not in index
        first = index.check_and_add(new)
        again = index.check_and_add(new)
    assert first.action == "keep"
    assert first.stored
    assert again.action == "reject"
    assert again.relation == "already-stored"
    assert not again.stored
    assert "already in the index" in again.reason
    assert sql(path, "SELECT count(*) FROM articles WHERE id = 'fresh'") == [(1,)]


def test_get_returns_text_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    article = Article("a1", "Some text here about a thing.", title="T", source="S", published="2024-11-20")
    with Index.open(path, create=True) as index:
        index.check_and_add(article)
    with Index.open(path) as index:
        stored = index.get("a1")
        assert index.get("nope") is None
    assert stored is not None
    assert stored.article == article
    assert stored.to_dict()["published"] == "2024-11-20"


# -- policy -------------------------------------------------------------------------------------------


def test_digest_page_kept_and_annotated_by_default(
    seeded: tuple[Path, list[Decision]], seed_dir: Path, seed_articles: list[Article]
) -> None:
    path, _ = seeded
    digest = Article("digest", (seed_dir / "000_544341561949e636.txt").read_text(encoding="utf-8"))
    with Index.open(path) as index:
        kept = index.check(digest)
    with Index.open(path, policy=Policy(reject_containing=True)) as index:
        rejected = index.check(digest)
    assert kept.action == "keep"
    assert kept.relation == "containment"
    contained = {m.id for m in kept.matches if m.relation == "containment" and m.contained == m.id}
    assert contained == {a.id for a in seed_articles}
    assert rejected.action == "reject"
    assert rejected.relation == "containment"
    assert "contains" in rejected.reason


def test_article_inside_stored_digest_is_rejected(
    tmp_path: Path, seed_dir: Path, seed_articles: list[Article]
) -> None:
    digest = Article("digest", (seed_dir / "000_544341561949e636.txt").read_text(encoding="utf-8"))
    with Index.open(tmp_path / "d.db", create=True) as index:
        assert index.check_and_add(digest).action == "keep"
        decision = index.check_and_add(seed_articles[0])
        lenient = Index(
            index.store,
            index.settings,
            window_sample=index.window_sample,
            meta=index.meta,
            policy=Policy(reject_contained=False),
        ).check(seed_articles[1])
    assert decision.action == "reject"
    assert decision.relation == "containment"
    assert decision.matches[0].contained == seed_articles[0].id
    assert "contained in 'digest'" in decision.reason
    assert lenient.action == "keep"
    assert lenient.relation == "containment"


def test_trimmed_reprint_is_rejected_as_contained(
    seeded: tuple[Path, list[Decision]], seed_articles: list[Article]
) -> None:
    path, _ = seeded
    long_story = next(a for a in seed_articles if a.id == "pakistan-moscow-times")
    paragraphs = [p for p in long_story.text.split("\n\n") if p.strip()]
    trimmed = Article("trimmed", "\n\n".join(paragraphs[: max(3, len(paragraphs) * 2 // 3)]))
    with Index.open(path) as index:
        decision = index.check(trimmed)
    assert decision.action == "reject"
    assert decision.relation in ("containment", "near-duplicate")
    assert decision.matches[0].id == "pakistan-moscow-times"


def test_policy_from_names() -> None:
    assert Policy.from_names(["near-duplicate", "contained"]) == Policy()
    assert Policy.from_names(["none"]).names() == []
    with pytest.raises(SettingsError, match="unknown rejection case"):
        Policy.from_names(["duplicates"])


# -- learned boilerplate ------------------------------------------------------------------------------

FOOTER = (
    "The Valley Courier has reported on the three counties since 1921 and is kept going by the "
    "support of readers like you across the whole region"
)


def test_footer_recurring_under_unrelated_articles_is_not_evidence(
    tmp_path: Path, seed_articles: list[Article]
) -> None:
    unrelated = [a for a in seed_articles if not a.id.startswith("pakistan")]
    with_footer = [Article(a.id, a.text + "\n\n" + FOOTER) for a in unrelated]
    with Index.open(tmp_path / "f.db", create=True) as index:
        first = index.check_and_add(with_footer[0])
        second = index.check_and_add(with_footer[1])
        index.check_and_add(with_footer[2])
        index.check_and_add(with_footer[3])
        fifth = index.check_and_add(with_footer[4])
        stats = index.stats()
    assert not first.matches
    # two holders: the footer is still a shared passage
    assert second.relation == "overlap"
    assert FOOTER[:40] in second.matches[0].passages[0].a_text
    # once several unrelated articles carry it, it is learned boilerplate
    assert fifth.action == "keep"
    assert fifth.matches == ()
    assert stats.boilerplate_lines >= 1


def test_reprinted_story_is_not_learned_as_boilerplate(tmp_path: Path, seed_articles: list[Article]) -> None:
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    with Index.open(tmp_path / "r.db", create=True) as index:
        # an archive that holds the same story several times (loaded without checking)
        index.add_many([Article(f"copy-{n}", tass.text) for n in range(4)])
        decision = index.check(Article("another", tass_reprint(tass.text)))
    assert decision.action == "reject"
    assert decision.relation == "near-duplicate"


# -- time window and pruning --------------------------------------------------------------------------


def test_time_window_limits_matches(
    seeded: tuple[Path, list[Decision]], seed_articles: list[Article]
) -> None:
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    path = seeded[0].parent / "w.db"
    with Index.open(path, create=True) as index:
        index.check_and_add(Article("old", tass.text, published="2024-01-01T09:00:00Z"))
        late = Article("late", tass_reprint(tass.text), published="2024-01-10")
        assert index.check(late, window=parse_duration("3d")).action == "keep"
        assert index.check(late, window=parse_duration("30d")).action == "reject"
        assert index.check(late).action == "reject"
        undated = Article("undated", tass_reprint(tass.text))
        assert index.check(undated, window=parse_duration("3d")).action == "reject"


def test_prune_drops_old_articles_and_their_keys(tmp_path: Path, seed_articles: list[Article]) -> None:
    path = tmp_path / "p.db"
    now = dt.datetime(2024, 12, 31, tzinfo=dt.UTC).timestamp()
    with Index.open(path, create=True) as index:
        for n, a in enumerate(seed_articles):
            day = "2024-01-15" if n % 2 == 0 else "2024-12-20"
            index.check_and_add(Article(a.id, a.text, published=day))
        removed = index.prune(older_than=parse_duration("30d"), now=now)
        remaining = index.ids()
        keys = index.stats().keys
    assert removed == 4
    assert remaining == [a.id for n, a in enumerate(seed_articles) if n % 2 == 1]
    assert sql(path, "SELECT sum(length(keys)) / 8 FROM band_keys") == [(keys,)]


def test_remove_deletes_every_key_and_line(tmp_path: Path, seed_articles: list[Article]) -> None:
    path = tmp_path / "rm.db"
    unrelated = [a for a in seed_articles if not a.id.startswith("pakistan")]
    with Index.open(path, create=True) as index:
        for a in seed_articles:
            index.check_and_add(a)
        for a in unrelated:  # these carry a learned footer: removal must find the masked keys again
            index.check_and_add(Article(a.id + "-f", a.text + "\n\n" + FOOTER))
        assert not index.remove("no-such-id")
        for article_id in index.ids():
            assert index.remove(article_id)
        assert len(index) == 0
        assert index.stats().keys == 0
    assert sql(path, "SELECT count(*) FROM lines") == [(0,)]


def test_removed_article_no_longer_matches(
    seeded: tuple[Path, list[Decision]], seed_articles: list[Article]
) -> None:
    path, _ = seeded
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    with Index.open(path) as index:
        assert index.remove("pakistan-tass")
        decision = index.check_and_add(Article("wire-pakistan", tass_reprint(tass.text)))
    assert decision.action == "keep"
    assert decision.stored
    assert [m.id for m in decision.matches] == ["pakistan-moscow-times"]


# -- settings, versions and bad files -----------------------------------------------------------------


def test_incompatible_settings_say_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Index.create(path, Settings(window_size=10)).close()
    with pytest.raises(IncompatibleIndexError) as err:
        Index.open(path, Settings(window_size=12, num_perm=64))
    message = str(err.value)
    assert "window_size: index 10, requested 12" in message
    assert "num_perm: index 128, requested 64" in message
    with pytest.raises(IncompatibleIndexError, match="window_sample: index 4, requested 8"):
        Index.open(path, window_sample=8)
    # verification settings may differ; the index keeps its own signature settings
    with Index.open(path, Settings(window_size=10, min_passage_words=12)) as index:
        assert index.settings.min_passage_words == 12
    with Index.open(path) as index:
        assert index.settings.window_size == 10


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    Index.create(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    with pytest.raises(IncompatibleIndexError, match="index format 99"):
        Index.open(path)


def test_missing_and_foreign_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(IndexStoreError, match="no such index"):
        Index.open(missing)
    assert not missing.exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexStoreError, match=r"junk\.db"):
        Index.open(junk)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(IndexStoreError, match="not a dedup index"):
        Index.open(other)
    Index.create(tmp_path / "exists.db").close()
    with pytest.raises(IndexStoreError, match="already exists"):
        Index.create(tmp_path / "exists.db")


def test_bad_published_is_an_input_error(tmp_path: Path) -> None:
    with Index.open(tmp_path / "b.db", create=True) as index:
        with pytest.raises(InputError, match="field 'published'"):
            index.check_and_add(Article("x", "text of the article", published="next tuesday"))
        assert len(index) == 0


@pytest.mark.parametrize(
    "published", ["nan", "inf", "-infinity", "1e16", "-4.3e16", "253402300800", "0001-01-01T00:00:00+05:00"]
)
def test_published_out_of_range_is_an_input_error(tmp_path: Path, published: str) -> None:
    # a date no datetime can show would be stored and break `index stats` (and GET /stats) later
    with Index.open(tmp_path / "r.db", create=True) as index:
        with pytest.raises(InputError, match=r"field 'published'.*out of range \(years 1 to 9999\)"):
            index.check_and_add(Article("x", "text of the article", published=published))
        assert len(index) == 0
        index.check_and_add(Article("y", "text of the article", published="253402300799"))
        index.check_and_add(Article("z", "other words entirely here", published="0001-01-01"))
        assert index.stats().to_dict()["newest_published"] == "9999-12-31T23:59:59+00:00"


def test_parsers() -> None:
    assert parse_duration("3d") == dt.timedelta(days=3)
    assert parse_duration("12h") == dt.timedelta(hours=12)
    assert parse_duration("90") == dt.timedelta(seconds=90)
    assert parse_duration("2w") == dt.timedelta(weeks=2)
    assert parse_duration(" 1.5 H ") == dt.timedelta(minutes=90)
    for bad in ("soon", "", "-3d", "nan", "inf", "1e3", "1_000", "3 days"):
        with pytest.raises(SettingsError, match="cannot read duration"):
            parse_duration(bad)
    assert parse_duration("99999999999d") == parse_duration("1" + "0" * 400) == dt.timedelta.max  # no limit
    day = dt.datetime(2024, 11, 20, tzinfo=dt.UTC).timestamp()
    assert parse_published("2024-11-20") == day
    assert parse_published("2024-11-20T00:00:00Z") == day
    assert parse_published("2024-11-20T03:00:00+03:00") == day
    assert parse_published("Wed, 20 Nov 2024 00:00:00 GMT") == day
    assert parse_published(str(day)) == day


# -- bulk loading and concurrency ---------------------------------------------------------------------


def test_add_many_skips_stored_ids(tmp_path: Path, seed_articles: list[Article]) -> None:
    path = tmp_path / "bulk.db"
    with Index.open(path, create=True) as index:
        first = index.add_many(seed_articles[:5], batch=2)
        second = index.add_many(seed_articles + seed_articles[:1], batch=3)
        # a bulk-loaded index answers like one filled article by article
        decision = index.check(Article("again", next(a.text for a in seed_articles if a.id == "china-tass")))
    assert first.added == 5
    assert first.already_stored == []
    assert second.added == 3
    assert sorted(second.already_stored) == sorted([a.id for a in seed_articles[:5]] + [seed_articles[0].id])
    assert decision.action == "reject"
    assert decision.matches[0].id == "china-tass"


WORKER = """
import json, os, sys, time
from dedup import Article, Index
path, tag = sys.argv[1], sys.argv[2]
out = []
with Index.open(path) as index:
    while not os.path.exists(sys.argv[4]):  # start together
        time.sleep(0.01)
    for line in open(sys.argv[3], encoding="utf-8"):
        rec = json.loads(line)
        d = index.check_and_add(Article(rec["id"] + tag * rec["rename"], rec["text"]))
        out.append([d.id, d.action, d.relation])
print(json.dumps(out))
"""


def test_two_processes_keep_each_article_once(tmp_path: Path, seed_articles: list[Article]) -> None:
    path = tmp_path / "c.db"
    Index.create(path).close()
    feed = tmp_path / "feed.jsonl"
    articles = seed_articles + stories(80)
    go = tmp_path / "go"
    with feed.open("w", encoding="utf-8") as fh:
        for n, a in enumerate(articles):
            # half the copies carry the same id, half another id (a copy from another feed)
            fh.write(json.dumps({"id": a.id, "text": a.text, "rename": n % 2}) + "\n")
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), tag, str(feed), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for tag in ("-a", "-b")
    ]
    go.touch()
    results = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    kept = [d[0] for r in results for d in r if d[1] == "keep"]
    assert len(kept) == len(articles)
    stored = sql(path, "SELECT id FROM articles")
    assert sorted(str(s[0]) for s in stored) == sorted(kept)
    for n, a in enumerate(articles):
        names = {a.id} if n % 2 == 0 else {a.id + "-a", a.id + "-b"}
        assert len(names & set(kept)) == 1, a.id
    rejected = [d for r in results for d in r if d[1] == "reject"]
    assert {d[2] for d in rejected} <= {"already-stored", "near-duplicate"}
    assert len(rejected) == len(articles)
    assert sql(path, "PRAGMA integrity_check") == [("ok",)]


# -- the in-memory key index --------------------------------------------------------------------------


def test_decide_then_commit_is_check_and_add(tmp_path: Path, seed_articles: list[Article]) -> None:
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    others = [a for a in seed_articles if a.id != tass.id]
    with Index.open(tmp_path / "a.db", create=True) as one, Index.open(tmp_path / "b.db", create=True) as two:
        one.add_many(others)
        two.add_many(others)
        attempt = one.decide(tass)
        assert attempt.decision == one.check(tass)  # deciding writes nothing
        assert attempt.keeps
        assert not attempt.decision.stored
        assert attempt.matches == attempt.decision.matches
        assert tass.id not in one
        assert one.commit(attempt) == two.check_and_add(tass)
        assert tass.id in one
        # a rejection is returned as decided, and nothing is written
        again = one.decide(tass)
        assert again.decision.relation == "already-stored"
        assert one.commit(again) == again.decision
        assert len(one) == len(seed_articles)


def test_a_copy_stored_between_decide_and_commit_is_caught(
    tmp_path: Path, seed_articles: list[Article]
) -> None:
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    wire = Article("wire-pakistan", tass_reprint(tass.text))
    path = tmp_path / "race.db"
    with Index.open(path, create=True) as index, Index.open(path) as rival:
        index.add_many([a for a in seed_articles if a.id != tass.id])
        attempt = index.decide(tass)
        assert attempt.keeps
        assert rival.check_and_add(wire).stored  # another writer, between the decision and its commit
        decision = index.commit(attempt)
        # what the decision read changed: decided again in the commit, against the copy
        assert decision.action == "reject"
        assert decision.relation == "near-duplicate"
        assert decision.matches[0].id == wire.id
        assert not decision.stored
        assert tass.id not in index
        assert index.integrity_check() == []


@pytest.mark.parametrize("merge_at", [0, 10, 10_000_000])
def test_key_index_matches_brute_force(merge_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from dedup.stores.sqlite.keys import KeyIndex

    monkeypatch.setattr(KeyIndex, "MERGE_AT", merge_at)
    rng = np.random.default_rng(3)
    index = KeyIndex()
    truth: dict[int, list[int]] = {}
    doc = 0
    for batch in (1, 3, 100, 1, 2, 70):
        docs, blobs = [], []
        for _ in range(batch):
            doc += 1
            keys = np.unique(rng.integers(-50, 50, size=int(rng.integers(0, 12))).astype(np.int64))
            docs.append(doc)
            blobs.append(keys.astype("<i8").tobytes())
            for k in keys.tolist():
                truth.setdefault(k, []).append(doc)
        index.add(docs, blobs)
        for max_bucket in (2, 5, 1000):
            query = np.unique(rng.integers(-60, 60, size=20).astype(np.int64))
            expected: dict[int, int] = {}
            skipped = 0
            for k in query.tolist():
                holders = truth.get(k, [])
                if len(holders) > max_bucket:
                    skipped += 1
                    continue
                for d in holders:
                    expected[d] = expected.get(d, 0) + 1
            assert index.lookup(query, max_bucket=max_bucket) == (expected, skipped)


def test_other_connections_see_additions_and_removals(tmp_path: Path, seed_articles: list[Article]) -> None:
    path = tmp_path / "two.db"
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    reprint = Article("wire", tass_reprint(tass.text))
    with Index.open(path, create=True) as writer, Index.open(path) as reader:
        assert reader.check(reprint).action == "keep"  # loads its keys (none yet)
        writer.check_and_add(tass)
        assert reader.check(reprint).action == "reject"
        writer.remove("pakistan-tass")
        assert reader.check(reprint).action == "keep"
        writer.add_many(seed_articles)
        assert reader.check(reprint).matches[0].id == "pakistan-tass"


def test_stored_shingle_screen_never_drops_a_pair(
    tmp_path: Path, seed_dir: Path, seed_articles: list[Article]
) -> None:
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    digest = Article("digest", (seed_dir / "000_544341561949e636.txt").read_text(encoding="utf-8"))
    texts = [*seed_articles, digest, Article("wire", tass_reprint(tass.text)), *stories(6, seed=3)]
    texts += [Article(a.id + "-f", a.text + "\n\n" + FOOTER) for a in seed_articles[:3]]
    with Index.open(tmp_path / "s.db", create=True) as index:
        index.add_many(texts)
        records = index.store.fetch(list(range(1, len(texts) + 1)))
        assert len(records) == len(texts)
        assert all(r.shingles and r.valid for r in records)
        screened = verified = 0

        def may_share(doc: Document, record: StoredRecord) -> bool:  # the index's screen
            view = ShingleView.packed(record.shingles, record.valid, k=index.settings.shingle_size)
            fp = doc.fingerprint
            return view is None or screen(fp, len(fp.tokens), view, view.words, index.settings, exact=True)

        for new in texts:
            doc = index.verifier.document(new)
            for record in records:
                if record.id == new.id:
                    continue
                pair = index.verifier.pair(doc, index.documents.stored(record))
                if pair is not None:
                    verified += 1
                    assert may_share(doc, record), (new.id, record.id)
                elif not may_share(doc, record):
                    screened += 1
    assert verified >= 20  # the digest, the reprint, the overlap, the footers
    assert screened >= 100  # unrelated pairs are screened out without their words


def test_add_many_with_workers_stores_the_same(tmp_path: Path) -> None:
    """Fingerprinting in worker processes changes nothing stored (records, keys, line statistics)."""
    import sqlite3

    from tests.newsgen import generate_corpus

    articles, _ = generate_corpus(60, seed=21)
    tables = {}
    for workers in (1, 2):
        path = tmp_path / f"w{workers}.db"
        with Index.open(path, create=True) as index:
            result = index.add_many([*articles, articles[0]], batch=25, workers=workers)
        assert result.added == len(articles)
        assert result.already_stored == [articles[0].id]
        with sqlite3.connect(path) as db:
            tables[workers] = [
                db.execute(f"SELECT {cols} FROM {table} ORDER BY 1").fetchall()
                for table, cols in (
                    ("articles", "doc, id, text, metadata, signature, masked, shingles, valid"),
                    ("band_keys", "doc, keys"),
                    ("lines", "hash, docs, edges, sample"),
                )
            ]
    assert tables[1] == tables[2]
