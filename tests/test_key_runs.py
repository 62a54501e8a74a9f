"""Band-key runs of the SQLite store: files written, merged and searched in place, against brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dedup import Article, Index
from dedup.stores.sqlite import SQLiteStore
from dedup.stores.sqlite.compact import run_folder
from dedup.stores.sqlite.keys import KeyIndex, lookup
from dedup.stores.sqlite.layout import Manifest
from dedup.stores.sqlite.runs import BLOCK, Run, merge_runs, write_run
from tests.newsgen import generate_corpus


def _brute(
    truth: dict[int, list[int]], query: np.ndarray, removed: set[int], max_bucket: int
) -> tuple[dict[int, int], int]:
    expected: dict[int, int] = {}
    skipped = 0
    for k in np.unique(query).tolist():
        holders = [d for d in truth.get(k, []) if d not in removed]
        if len(holders) > max_bucket:
            skipped += 1
            continue
        for d in holders:
            expected[d] = expected.get(d, 0) + 1
    return expected, skipped


@pytest.mark.parametrize("spread", [40, 5_000, 1 << 62])
def test_runs_and_recent_keys_answer_as_brute_force(tmp_path: Path, spread: int) -> None:
    rng = np.random.default_rng(spread % 1000)
    truth: dict[int, list[int]] = {}
    runs: list[Run] = []
    doc = 0
    # four runs of different sizes (one spanning many blocks), then recent keys in memory
    for size in (3, 700, 40, 2 * BLOCK + 5):
        first = doc + 1
        keys_parts, docs_parts = [], []
        for _ in range(size):
            doc += 1
            keys = np.unique(rng.integers(-spread, spread, size=int(rng.integers(0, 30))).astype(np.int64))
            if doc % 7 == 0:
                keys = np.union1d(keys, [np.iinfo(np.int64).max, np.iinfo(np.int64).min])
            keys_parts.append(keys)
            docs_parts.append(np.full(len(keys), doc, dtype=np.int32))
            for k in keys.tolist():
                truth.setdefault(k, []).append(doc)
        path = write_run(
            tmp_path / f"r{first}", np.concatenate(keys_parts), np.concatenate(docs_parts), first, doc
        )
        runs.append(Run(path))
    recent = KeyIndex()
    for _ in range(5):
        doc += 1
        keys = np.unique(rng.integers(-spread, spread, size=12).astype(np.int64))
        recent.add([doc], [keys.astype("<i8").tobytes()])
        for k in keys.tolist():
            truth.setdefault(k, []).append(doc)
    removed = {3, 10, 11, 500, doc}
    removed_arr = np.asarray(sorted(removed), dtype=np.int64)
    stored = np.fromiter(truth, dtype=np.int64)
    for max_bucket in (1, 3, 50, 10_000):
        for _ in range(20):
            query = np.concatenate(
                [
                    rng.choice(stored, size=15),
                    rng.integers(-spread, spread, size=15),
                    [np.iinfo(np.int64).max],
                ]
            ).astype(np.int64)
            want = _brute(truth, query, removed, max_bucket)
            assert lookup(query, runs, recent, removed_arr, max_bucket=max_bucket) == want
            assert lookup(query, runs, recent, np.zeros(0, dtype=np.int64), max_bucket=max_bucket) == _brute(
                truth, query, set(), max_bucket
            )
    # merging leaves the removed docs out and answers the same
    merged = Run(merge_runs(tmp_path / "merged", runs, removed_arr))
    assert (merged.first, merged.last) == (1, runs[-1].last)
    assert merged.n == sum(
        len([d for d in ds if d not in removed and d <= merged.last]) for ds in truth.values()
    )
    flat = np.concatenate([k for k, _ in merged.iter_chunks(size=100)])
    assert bool(np.all(flat[1:] >= flat[:-1]))
    for _ in range(20):
        query = rng.choice(stored, size=40)
        assert lookup(query, [merged], recent, removed_arr, max_bucket=50) == _brute(
            truth, query, removed, 50
        )


def test_a_cut_run_file_is_refused(tmp_path: Path) -> None:
    path = write_run(tmp_path / "r", np.arange(10, dtype=np.int64), np.ones(10, dtype=np.int32), 1, 1)
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(Exception, match="cut short"):
        Run(path)


def test_index_with_runs_decides_as_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs written and merged (compaction run now, and in the background), removals: same decisions."""
    articles, _ = generate_corpus(160, seed=5)
    plain, small = tmp_path / "plain.db", tmp_path / "runs.db"
    monkeypatch.setattr(SQLiteStore, "run_articles", 7)
    monkeypatch.setattr(SQLiteStore, "merge_factor", 3)
    with Index.open(small, create=True) as index:
        index.add_many(articles[:60], batch=9)
        for a in articles[::5][:10]:
            index.remove(a.id)
        got = [index.check_and_add(a).to_dict() for a in articles[60:120]]
        index.store.compact()  # type: ignore[attr-defined]
        got += [index.check(a).to_dict() for a in articles[120:]]
        assert index.integrity_check() == []
        manifest = Manifest.read(index.store._db)  # type: ignore[attr-defined]
    assert len(manifest.runs) >= 2
    assert manifest.upto > 100
    assert {p.name for p in run_folder(small).iterdir()} >= {r.name for r in manifest.runs}
    monkeypatch.setattr(SQLiteStore, "run_articles", 10_000_000)
    with Index.open(plain, create=True) as index:
        index.add_many(articles[:60], batch=9)
        for a in articles[::5][:10]:
            index.remove(a.id)
        want = [index.check_and_add(a).to_dict() for a in articles[60:120]]
        want += [index.check(a).to_dict() for a in articles[120:]]
    assert got == want
    # a fresh process's view: runs from the files, the rest from the table
    with Index.open(small) as index:
        again = [index.check(a).to_dict() for a in articles[120:]]
        assert again == want[60:]
        assert index.integrity_check() == []


def test_a_missing_run_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles, _ = generate_corpus(30, seed=6)
    path = tmp_path / "x.db"
    monkeypatch.setattr(SQLiteStore, "run_articles", 10)
    with Index.open(path, create=True) as index:
        index.add_many([Article(a.id, a.text) for a in articles], batch=10)
        index.store.compact()  # type: ignore[attr-defined]
        names = [r.name for r in Manifest.read(index.store._db).runs]  # type: ignore[attr-defined]
    assert names
    (run_folder(path) / names[0]).unlink()
    with Index.open(path) as index:
        problems = index.integrity_check()
    assert any(names[0] in p and "cannot read" in p for p in problems)
