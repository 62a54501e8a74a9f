"""The batch path equals the straightforward datasketch path, and does not depend on the worker count."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dedup import Article, Detector, Report
from dedup.batch.local import TextSpill
from dedup.io.render import render_json
from tests.newsgen import generate_corpus
from tests.reference import reference_report


def test_seed_batch_equals_reference(seed_articles: list[Article]) -> None:
    detector = Detector()
    assert render_json(detector.report(seed_articles)) == render_json(
        reference_report(detector.verifier, seed_articles)
    )


@pytest.fixture(scope="module")
def corpus() -> list[Article]:
    articles, _gold = generate_corpus(1000, seed=11)
    return articles


def test_generated_corpus_batch_equals_reference(corpus: list[Article]) -> None:
    detector = Detector()
    batch = detector.report(corpus)
    assert len(batch.pairs) > 20  # the corpus plants reprints, digests and shared passages
    assert {p.relation for p in batch.pairs} == {"near-duplicate", "containment", "overlap"}
    assert render_json(batch) == render_json(reference_report(detector.verifier, corpus))


@pytest.mark.slow
def test_worker_processes_give_the_same_report(corpus: list[Article]) -> None:
    import dedup.batch.local

    detector = Detector()
    single = render_json(detector.report(corpus, workers=1))
    old = dedup.batch.local.PARALLEL_MIN_ARTICLES
    dedup.batch.local.PARALLEL_MIN_ARTICLES = 100  # force the process pool on this small corpus
    try:
        parallel = render_json(detector.report(corpus, workers=2))
    finally:
        dedup.batch.local.PARALLEL_MIN_ARTICLES = old
    assert parallel == single


def test_input_order_only_changes_order_not_content(corpus: list[Article]) -> None:
    detector = Detector()
    shuffled = list(corpus[:300])
    random.Random(4).shuffle(shuffled)
    a = detector.report(corpus[:300])
    b = detector.report(shuffled)

    def norm(report: Report) -> list[tuple[tuple[str, ...], str, float]]:
        return sorted((tuple(sorted((p.a, p.b))), p.relation, round(p.jaccard, 6)) for p in report.pairs)

    assert norm(a) == norm(b)


def test_text_spill_gives_back_every_text_and_article_as_given(tmp_path: Path) -> None:
    """Texts leave the parent's memory for a file; any str comes back the same, metadata too."""
    texts = [
        "plain",
        "",
        "caf\u00e9 \U0001f4f0 \u4e2d\u6587",
        "lone \ud800 surrogate",
        "nul \x00 byte",
        "x" * 100_000,
    ]
    spill = TextSpill(str(tmp_path))
    try:
        for n, text in enumerate(texts):
            spill.append(Article(f"a{n}", text, title=f"T{n}", url="https://example.org", origin=f"in:{n}"))
        assert spill.text(3) == texts[3]  # read while still being written
        spill.append(Article("last", "appended after a read"))
        assert len(spill) == len(texts) + 1
        assert list(spill.texts()) == [*texts, "appended after a read"]
        article = spill.article(2)
        assert article == Article("a2", texts[2], title="T2", url="https://example.org")
        assert article.origin == "in:2"
        assert spill.ids == [*(f"a{n}" for n in range(len(texts))), "last"]
    finally:
        spill.close()
