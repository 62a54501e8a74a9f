from __future__ import annotations

import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from datasketch import MinHash, MinHashLSH

from dedup import Settings
from dedup.batch.keytable import KeyTable, candidate_pairs, summed_pairs
from dedup.engine.lsh import MAX_DOCUMENTS
from dedup.engine.normalize import tokenize
from dedup.engine.signature import Signer

WORDS = [
    "minister",
    "talks",
    "agreement",
    "military",
    "cooperation",
    "port",
    "city",
    "council",
    "budget",
    "river",
    "flood",
    "school",
    "meals",
    "bridge",
    "traffic",
    "storm",
    "strike",
    "steel",
    "price",
    "wheat",
    "farmers",
    "rain",
    "valley",
    "road",
    "village",
    "rescue",
    "shelter",
    "election",
    "vote",
    "party",
    "leader",
    "court",
    "ruling",
    "appeal",
    "prison",
    "police",
    "report",
]


def _corpus(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    base = [" ".join(rng.choice(WORDS) for _ in range(80)) for _ in range(n // 2)]
    docs = list(base)
    for text in base[: n - len(base)]:
        words = text.split()
        for _ in range(rng.randint(0, 30)):  # edit a variable number of words: a spread of similarities
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        docs.append(" ".join(words))
    return docs


def test_bucket_grouping_equals_datasketch_minhashlsh() -> None:
    settings = Settings()
    signer = Signer(settings)
    fps = [signer.fingerprint(tokenize(t)) for t in _corpus(60)]
    ours = candidate_pairs([fp.document_keys for fp in fps], max_bucket=1000).pairs
    lsh = MinHashLSH(threshold=settings.document_threshold, num_perm=settings.num_perm)
    for i, fp in enumerate(fps):
        lsh.insert(i, MinHash(num_perm=settings.num_perm, hashvalues=fp.signature, scheme="affine32"))
    theirs = set()
    for i, fp in enumerate(fps):
        for j in lsh.query(MinHash(num_perm=settings.num_perm, hashvalues=fp.signature, scheme="affine32")):
            if i != j:
                theirs.add((min(i, j), max(i, j)))
    assert ours == theirs
    assert len(ours) > 5  # the corpus does contain near-duplicates


def test_recall_close_to_brute_force() -> None:
    settings = Settings()
    signer = Signer(settings)
    fps = [signer.fingerprint(tokenize(t)) for t in _corpus(80, seed=5)]
    found = candidate_pairs([fp.document_keys for fp in fps], max_bucket=1000).pairs
    truth = set()
    for i in range(len(fps)):
        for j in range(i + 1, len(fps)):
            a = set(fps[i].shingles.tolist())
            b = set(fps[j].shingles.tolist())
            if len(a & b) / len(a | b) >= 0.7:  # well above the 0.5 threshold
                truth.add((i, j))
    assert truth, "corpus must hold similar pairs"
    assert len(truth & found) / len(truth) >= 0.95


def test_oversized_buckets_are_skipped_and_counted() -> None:
    keys = [np.array([7, i], dtype=np.uint64) for i in range(5)]
    result = candidate_pairs(keys, max_bucket=4)
    assert result.pairs == frozenset()
    assert result.skipped_buckets == 1
    result = candidate_pairs(keys, max_bucket=5)
    assert len(result.pairs) == 10
    assert result.skipped_buckets == 0


def test_no_keys() -> None:
    assert candidate_pairs([], max_bucket=10).pairs == frozenset()
    assert candidate_pairs([np.zeros(0, dtype=np.uint64)], max_bucket=10).pairs == frozenset()


@pytest.fixture(params=["memory", "files"])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path | None:
    """Where a KeyTable keeps its partitions: in memory, or in files in a folder."""
    return tmp_path if request.param == "files" else None


def test_key_table_replacement_repeats_and_limits(folder: Path | None) -> None:
    table = KeyTable(folder=folder)
    k = np.array([1 << 60, 5 << 58, 123456789 << 30], dtype=np.uint64)
    table.add_many([(0, k), (1, k[:2]), (2, np.concatenate((k[2:], k[2:])))])  # doc 2 repeats a key
    table.add_many([(1, np.array([7 << 40], dtype=np.uint64))], replace=True)  # doc 1's keys replaced
    pairs, skipped = table.pairs(max_bucket=10)
    assert pairs.tolist() == [[0, 2]]  # 0-1 shared keys that were replaced; 2 never pairs with itself
    assert skipped == 0
    with pytest.raises(ValueError, match="out of range"):
        table.add_many([(MAX_DOCUMENTS, k)])


def test_key_table_min_hits_and_oversized_buckets(folder: Path | None) -> None:
    table = KeyTable(partition_bits=2, folder=folder)
    shared = np.array([3 << 50, 9 << 52], dtype=np.uint64)
    table.add_many([(d, shared if d < 3 else shared[:1]) for d in range(6)])
    pairs, skipped = table.pairs(max_bucket=5, min_hits=1)
    assert pairs.tolist() == [[0, 1], [0, 2], [1, 2]]  # the 6-document bucket is skipped
    assert skipped == 1


def test_key_table_in_files_gives_the_pairs_it_gives_in_memory(tmp_path: Path) -> None:
    """Many chunks, replaced documents, all partitions: the same pairs, and the files are gone."""
    rng = np.random.default_rng(3)
    vocabulary = rng.integers(0, 2**63, size=3000, dtype=np.uint64)  # shared keys make buckets
    tables = [KeyTable(), KeyTable(folder=tmp_path)]
    for chunk in range(12):
        docs = np.arange(chunk * 50, chunk * 50 + 50, dtype=np.int64)
        counts = rng.integers(0, 40, size=50)
        keys = vocabulary[rng.integers(0, len(vocabulary), size=int(counts.sum()))]
        redo = docs[::7]
        redo_counts = rng.integers(0, 40, size=len(redo))
        redo_keys = vocabulary[rng.integers(0, len(vocabulary), size=int(redo_counts.sum()))]
        for table in tables:
            table.add_concat(docs, keys, counts)
            table.add_concat(redo, redo_keys, redo_counts, replace=True)
    assert len(list(tmp_path.iterdir())) == 16
    memory, _ = tables[0].pairs(max_bucket=6, min_hits=2)
    with ProcessPoolExecutor(2) as executor:  # each reducer reads its partition's file
        files, _ = tables[1].pairs(max_bucket=6, min_hits=2, executor=executor)
    assert len(memory) > 100
    assert files.tolist() == memory.tolist()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("range_entries", [1, 7, 100, 1 << 20])
def test_pair_counts_summed_by_ranges_equal_a_plain_sum(range_entries: int) -> None:
    """Partitions' sorted ``pair << 16 | count`` entries, summed a range of pairs at a time."""
    rng = np.random.default_rng(5)
    pairs = rng.choice(np.arange(1, 5000, dtype=np.uint64) * np.uint64(2**24 + 3), size=900, replace=False)
    results: list[npt.NDArray[np.uint64]] = []
    total: dict[int, int] = {}
    for _ in range(6):
        some = np.sort(rng.choice(pairs, size=int(rng.integers(0, 400)), replace=False))
        counts = rng.integers(1, 4, size=len(some)).astype(np.uint64)
        counts[: len(some) // 50] = 0xFFFF  # a partition's count is capped at 16 bits, the sum is not
        for p, c in zip(some.tolist(), counts.tolist(), strict=True):
            total[p] = total.get(p, 0) + c
        results.append((some << np.uint64(16)) | counts)
    for min_hits in (1, 3, 0x10000):
        want = sorted(p for p, c in total.items() if c >= min_hits)
        assert want, min_hits
        got = summed_pairs(results, min_hits, range_entries=range_entries)
        assert got.dtype == np.int64
        assert got.tolist() == want
    assert summed_pairs([], 1).tolist() == []
