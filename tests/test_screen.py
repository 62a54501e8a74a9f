"""Screening a candidate pair: the quick answer never drops a pair that chaining its seeds keeps."""

from __future__ import annotations

import numpy as np
import pytest

from dedup import Article, Settings
from dedup.engine.align import may_share_passage, regions
from dedup.engine.arrays import intersect_sorted
from dedup.engine.verify import Verifier
from tests.newsgen import generate_corpus


@pytest.mark.parametrize("settings", [Settings(), Settings(min_passage_words=4, max_gap=2)])
def test_may_share_passage_keeps_every_pair_with_regions(settings: Settings) -> None:
    rng = np.random.default_rng(3)
    articles, gold = generate_corpus(300, seed=5)
    detector = Verifier(settings)
    docs = [detector.document(a) for a in articles]
    by_id = {d.article.id: d for d in docs}
    # planted pairs and random ones (stock phrases only), and short texts
    short = [detector.document(Article(f"s{n}", t)) for n, t in enumerate(["a b", "x", "said on monday"])]
    pairs = [(by_id[a], by_id[b]) for a, b, _ in sorted(gold)]
    pairs += [(docs[i], docs[j]) for i, j in rng.integers(0, len(docs), size=(400, 2)) if i != j]
    pairs += [(s, d) for s in short for d in docs[:5]]
    s = settings
    answers = []
    for a, b in pairs:
        fa, fb = a.fingerprint, b.fingerprint
        na, nb = len(fa.tokens), len(fb.tokens)
        k, gap, words = s.shingle_size, s.max_gap, s.min_passage_words
        quick = may_share_passage(fa, na, fb, nb, k=k, max_gap=gap, min_words=words)
        exact = bool(regions(fa, na, fb, nb, k=k, max_gap=gap, min_words=words))
        assert quick or not exact  # never drops a pair with a region
        answers.append((quick, exact))
    assert any(q for q, _ in answers)  # both answers occur
    assert not all(q for q, _ in answers)
    # and it rarely keeps one without (verification would then find nothing)
    assert sum(q and not e for q, e in answers) <= len(answers) // 100


def test_intersect_sorted_equals_intersect() -> None:
    rng = np.random.default_rng(8)
    for size_a, size_b in [(0, 5), (5, 0), (1, 1), (50, 400), (400, 50), (1000, 1000)]:
        a = np.unique(rng.integers(0, 600, size=size_a).astype(np.uint32))
        b = np.unique(rng.integers(0, 600, size=size_b).astype(np.uint32))
        assert intersect_sorted(a, b).tolist() == np.intersect1d(a, b).tolist()
        assert intersect_sorted(a, b).dtype == np.uint32
