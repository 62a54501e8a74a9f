"""The SQLite store's write-ahead log, checkpointed in a thread of its own instead of in the commit.

* Under a steady stream of commits the log file stays within its bound (the committing connection
  checkpoints itself only when the thread falls behind), and the thread does the checkpoints.
* A checkpoint that fails is raised, as an ``IndexStoreError``, by the next write before it writes.
* A commit knows from the store's change token that nothing changed since its decision read, also
  when the change is its own connection's: a copy committed in between by the same index is caught.

``tests/test_index_crash.py`` kills ``dedup filter`` while it checkpoints every few pages, and runs
two filters on one index that both do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Article, Index, IndexStoreError
from dedup.stores.sqlite import SQLiteStore
from dedup.stores.sqlite.checkpoint import FRAME_HEADER, WAL_HEADER
from tests.newsgen import generate_corpus
from tests.test_index import tass_reprint


def _store(index: Index) -> SQLiteStore:
    assert isinstance(index.store, SQLiteStore)
    return index.store


def test_the_log_stays_bounded_and_is_checkpointed_by_the_thread(tmp_path: Path) -> None:
    articles, _ = generate_corpus(300, seed=5)
    path = tmp_path / "idx.db"
    wal = Path(str(path) + "-wal")
    with Index.open(path, create=True) as index:
        store = _store(index)
        checkpointer = store.checkpointer
        checkpointer.pages, checkpointer.limit = 16, 64
        frame = int(store._db.execute("PRAGMA page_size").fetchone()[0]) + FRAME_HEADER
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        most = written = kept = 0
        for article in articles:
            before = checkpointer.frames()
            kept += index.check_and_add(article).stored
            frames = (wal.stat().st_size - WAL_HEADER) // frame
            if frames > before:
                written += frames - before
            most = max(most, frames)
        # without checkpoints the log would hold every frame written; with them, at most the limit,
        # the pace (when a checkpoint did not restart the log) and one commit (fewer than 40 pages)
        assert written > 20 * checkpointer.limit
        assert most <= checkpointer.limit + checkpointer.pages + 40, most
        assert checkpointer.in_thread > 0
        assert index.integrity_check() == []
    # closed: the last connection folded the log into the file and removed it
    assert not wal.exists()
    with Index.open(path) as index:
        assert len(index) == kept


def test_a_failed_checkpoint_stops_the_next_write(tmp_path: Path) -> None:
    articles, _ = generate_corpus(3, seed=6)
    path = tmp_path / "idx.db"
    with Index.open(path, create=True) as index:
        checkpointer = _store(index).checkpointer
        checkpointer.pages, checkpointer.limit = 1, 1_000_000  # the thread checkpoints after every commit
        checkpointer.path = tmp_path / "gone" / "idx.db"  # where its connection cannot be opened
        assert index.check_and_add(articles[0]).stored  # stored: the checkpoint comes after the commit
        checkpointer.stop()  # the thread has tried, and failed
        with pytest.raises(IndexStoreError, match="write-ahead log") as failed:
            index.check_and_add(articles[1])
        assert "cannot open" in str(failed.value)
        assert articles[1].id not in index  # raised before anything was written
        checkpointer.path = path
        assert index.check_and_add(articles[1]).stored  # raised once; the next checkpoint works
        assert index.check_and_add(articles[2]).stored
        checkpointer.stop()
        assert checkpointer.error is None
        assert index.integrity_check() == []


def test_a_copy_committed_by_the_same_index_between_decide_and_commit_is_caught(
    tmp_path: Path, seed_articles: list[Article]
) -> None:
    tass = next(a for a in seed_articles if a.id == "pakistan-tass")
    wire = Article("wire-pakistan", tass_reprint(tass.text))
    with Index.open(tmp_path / "idx.db", create=True) as index:
        index.add_many([a for a in seed_articles if a.id != tass.id])
        first, second = index.decide(tass), index.decide(wire)
        assert first.keeps
        assert second.keeps
        assert index.commit(second).stored  # this connection's own commit: data_version does not move
        decision = index.commit(first)
        assert decision.action == "reject"
        assert decision.matches[0].id == wire.id
        assert tass.id not in index


def test_the_change_token_moves_with_any_commit(tmp_path: Path, seed_articles: list[Article]) -> None:
    path = tmp_path / "idx.db"
    with Index.open(path, create=True) as index, Index.open(path) as other:
        store = _store(index)

        def token() -> object:
            with store.read_transaction():
                return store.change_token()

        index.add(seed_articles[0])
        quiet = token()
        assert token() == quiet  # nothing committed: the same
        other.add(seed_articles[1])
        moved = token()
        assert moved != quiet  # another connection committed
        index.add(seed_articles[2])
        assert token() != moved  # this one did
        assert _store(other).change_token() != token()  # tokens of two stores never match


def _add_in_child(path: str, texts: list[tuple[str, str]]) -> None:
    with Index.open(path) as index:
        checkpointer = _store(index).checkpointer
        checkpointer.pages, checkpointer.limit = 4, 16
        for article_id, text in texts:
            assert index.check_and_add(Article(article_id, text)).stored


def test_a_forked_child_checkpoints_its_own_index_while_the_parent_writes(tmp_path: Path) -> None:
    """A process forked while its parent's thread checkpoints opens the index anew and gets a thread
    of its own; both write, both checkpoint, nothing is lost."""
    import multiprocessing

    articles, _ = generate_corpus(120, seed=8)
    fresh = [a for a in articles if not a.id.endswith(("7", "8", "9"))]  # no planted copies
    path = tmp_path / "idx.db"
    with Index.open(path, create=True) as index:
        checkpointer = _store(index).checkpointer
        checkpointer.pages, checkpointer.limit = 4, 16
        for article in fresh[:30]:
            assert index.check_and_add(article).stored
        child = multiprocessing.get_context("fork").Process(
            target=_add_in_child, args=(str(path), [(a.id, a.text) for a in fresh[30:60]])
        )
        child.start()
        for article in fresh[60:]:
            assert index.check_and_add(article).stored
        child.join(timeout=600)
        assert child.exitcode == 0
        assert checkpointer.in_thread > 0
        assert sorted(index.ids()) == sorted(a.id for a in fresh)
        assert index.integrity_check() == []
