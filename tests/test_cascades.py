"""Passage clusters (reuse cascades): grouping, origins, folding, and the planted cascades recovered."""

from __future__ import annotations

import json
import random
from collections import Counter
from itertools import combinations
from typing import Any

import pytest

from dedup import Article, Detector, Pair, Passage, Report
from dedup.engine.cascades import LISTED_REACH, fold_pairs, passage_clusters
from dedup.engine.origin import provenance
from dedup.io.render import render_json
from tests.cascadegen import FOOTER, generate_cascades
from tests.newsgen import story


def test_seed_quote_is_one_passage_cluster_whose_origin_is_tass(seed_articles: list[Article]) -> None:
    report = Detector().report(seed_articles)
    texts = {a.id: a.text for a in seed_articles}
    quote = "bilateral military cooperation should"
    (cluster,) = [c for c in report.passage_clusters if quote in c.text]
    assert {m.article for m in cluster.members} == {"pakistan-moscow-times", "pakistan-tass"}
    for m in cluster.members:
        assert texts[m.article][m.start : m.end] == m.text
        assert quote in m.text
    assert cluster.origin.article == "pakistan-tass"
    assert cluster.origin.confidence == "high"
    lines = {e.text for e in cluster.origin.evidence if e.kind == "credit"}
    assert "Source: Tass" in lines
    assert "TASS quoted" in lines
    for e in cluster.origin.evidence:
        if e.text is not None:
            assert e.article is not None
            assert e.start is not None
            assert texts[e.article][e.start : e.end] == e.text
    # the representative is the origin's wording; the pair's passage names this cluster
    assert cluster.text == next(m.text for m in cluster.members if m.article == "pakistan-tass")
    (pair,) = report.pairs
    named = [p.cluster for p in pair.passages if quote in p.a_text]
    assert named == [cluster.id]
    assert report.cluster_origins[0].article == "pakistan-tass"
    data = json.loads(render_json(report))
    assert data["passage_clusters"][cluster.id]["origin"] == "pakistan-tass"
    assert data["pairs"][0]["passages"][1]["cluster"] in range(len(data["passage_clusters"]))


def _texts(rng: random.Random) -> tuple[str, list[str]]:
    body = story(rng, 260)
    paragraphs = body.split("\n\n")
    return body, paragraphs


def test_a_quote_inside_a_story_is_its_own_cluster_and_a_trimmed_copy_joins_the_story() -> None:
    rng = random.Random(5)
    body, paragraphs = _texts(rng)
    quote = paragraphs[3].split(". ")[0] + "."
    assert len(quote.split()) >= 10
    wire = Article("wire", body, source="Newswire", published="2024-03-01T06:00:00Z")
    reprint = Article("reprint", "Own Headline Here\n\n" + body, published="2024-03-01T07:00:00Z")
    trimmed = Article("trimmed", "\n\n".join(paragraphs[:6]), published="2024-03-01T08:00:00Z")
    quoting = []
    for n in range(3):
        # the quote inside a paragraph of the report's own (a line of its own recurring in three
        # otherwise unrelated articles would be learned as boilerplate)
        own = story(rng, 200).split("\n\n")
        own[2] = own[2].replace(". ", f". As reported, \u201c{quote}\u201d ", 1)
        quoting.append(Article(f"q{n}", "\n\n".join(own)))
    report = Detector().report([wire, reprint, trimmed, *quoting])
    story_cluster, quote_cluster = sorted(report.passage_clusters, key=lambda c: -len(c.text))
    assert {m.article for m in story_cluster.members} == {"wire", "reprint", "trimmed"}
    assert story_cluster.origin.article == "wire"
    # the quote: in the three reports and in the three copies of the story, apart from the story
    assert {m.article for m in quote_cluster.members} == {"q0", "q1", "q2", "wire", "reprint", "trimmed"}
    assert all(quote.rstrip(".") in m.text for m in quote_cluster.members)
    assert quote_cluster.reach > story_cluster.reach
    assert report.passage_clusters[0] == quote_cluster
    # members are ordered by time, undated last
    published = [m.published for m in quote_cluster.members]
    assert published == sorted(published, key=lambda p: (p is None, p))
    assert published[0] == "2024-03-01T06:00:00Z"
    assert published[-1] is None


def _cascade_pairs(
    n: int, passage: str = "the same shared sentence of twelve words in every one of these"
) -> list[Pair]:
    """Every pair of ``n`` articles that hold one passage at the same place (as a report lists them)."""
    pairs = []
    for x, y in combinations(range(n), 2):
        p = Passage(10, 10 + len(passage), 10, 10 + len(passage), 1.0, passage, passage, 12)
        pairs.append(Pair(f"a{x:04d}", f"a{y:04d}", "overlap", 0.1, 0.2, 0.2, (p,)))
    return pairs


def test_folding_keeps_one_pair_per_member_of_a_wide_cluster() -> None:
    n = 3 * LISTED_REACH
    prov = {
        f"a{i:04d}": provenance("x", published=f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z")
        for i in range(n)
    }
    prov["a0000"] = provenance("x", published="2024-02-01T00:00:00Z")
    cascades = passage_clusters(_cascade_pairs(n), prov)
    (cluster,) = cascades.clusters
    assert cluster.reach == n
    assert cluster.origin.article == "a0000"
    folded = fold_pairs(cascades.pairs, cascades.clusters)
    listed = [p for k, p in enumerate(cascades.pairs) if k not in folded]
    # every member but the origin is shown once, next to the origin
    assert len(listed) == n - 1
    assert all("a0000" in (p.a, p.b) for p in listed)
    # a narrow cluster folds nothing
    small = passage_clusters(_cascade_pairs(LISTED_REACH))
    assert fold_pairs(small.pairs, small.clusters) == frozenset()


def _report(pairs: list[Pair], n: int) -> Report:
    from dedup.batch.assemble import assemble_report
    from dedup.settings import Settings

    ids = [f"a{i:04d}" for i in range(n)]
    return assemble_report(Settings(), ids, [100] * n, pairs, (), 0)


def test_json_report_grows_with_the_members_not_the_pairs_unless_asked() -> None:
    sizes = {}
    full = {}
    for n in (25, 50, 100):
        report = _report(_cascade_pairs(n), n)
        sizes[n] = len(render_json(report))
        full[n] = len(json.dumps(report.to_dict(all_pairs=True)))
        data = json.loads(render_json(report))
        assert data["pairs_omitted"] == n * (n - 1) // 2 - (n - 1)
        assert sum(data["summary"].values()) == n * (n - 1) // 2
        assert len(data["pairs"]) == n - 1
    # bounded: doubling the members about doubles the size; the full list about quadruples it
    assert 1.6 < sizes[100] / sizes[50] < 2.4
    assert 1.6 < sizes[50] / sizes[25] < 2.4
    assert full[100] / full[50] > 3.5


@pytest.fixture(scope="module")
def planted() -> tuple[Any, Report]:
    corpus = generate_cascades(wire_reprints=20, quote_reports=40, footer_articles=60, background=150)
    return corpus, Detector().report(corpus.articles)


def test_planted_cascades_are_recovered_with_their_origins(planted: tuple[Any, Report]) -> None:
    corpus, report = planted
    found = [{m.article for m in c.members} for c in report.passage_clusters]
    hit = total = 0
    right = with_origin = 0
    for cascade in corpus.cascades:
        members = set(cascade.members)
        best = max(range(len(found)), key=lambda n: len(found[n] & members))
        hit += len(found[best] & members)
        total += len(members)
        origin = report.passage_clusters[best].origin
        if cascade.origin is not None:
            with_origin += 1
            right += origin.article == cascade.origin
        else:
            assert origin.article is None
    true = sum(max(len(f & set(c.members)) for c in corpus.cascades) for f in found)
    assert hit / total >= 0.98
    assert true / sum(len(f) for f in found) >= 0.98
    assert right / with_origin >= 0.95


def test_a_site_footer_is_boilerplate_not_a_cascade(planted: tuple[Any, Report]) -> None:
    corpus, report = planted
    footer_words = set(FOOTER.casefold().split()[:6])
    assert any(n >= len(corpus.footer_articles) for _, n in report.boilerplate)
    footers = set(corpus.footer_articles)
    reach = Counter(
        a for c in report.passage_clusters for a in {m.article for m in c.members} if a in footers
    )
    assert not reach
    for c in report.passage_clusters:
        assert not footer_words <= set(c.text.casefold().split())
