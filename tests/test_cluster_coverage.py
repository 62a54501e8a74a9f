"""Clusters: a story with its reprints, rewrites and excerpts; not an article that borrowed one quote."""

from __future__ import annotations

import random

import pytest

from dedup import Article, Detector, Settings, SettingsError
from tests.newsgen import story

QUOTE = (
    "We will not let this harbour close again while any of us still sits on the council, "
    "the mayor told the meeting on Thursday evening."
)


def _corpus() -> list[Article]:
    rng = random.Random(11)
    source, other, third = story(rng, words=400), story(rng, words=400), story(rng, words=400)
    paragraphs = source.split("\n\n")
    rewrite = "\n\n".join([paragraphs[0], "An introduction in other words.", *paragraphs[2:4], third[:600]])
    return [
        Article("source", f"{source}\n\n{QUOTE}"),
        Article("rewrite", rewrite),  # keeps a good part of the source: at least a tenth of both
        Article("quoting", f"{other}\n\n{QUOTE}"),  # one sentence of each article: far below a tenth
    ]


def test_quote_borrower_is_paired_but_not_clustered() -> None:
    report = Detector().report(_corpus())
    pairs = {(p.a, p.b): p for p in report.pairs}
    assert pairs[("source", "quoting")].relation == "overlap"
    assert max(pairs[("source", "quoting")].coverage_a, pairs[("source", "quoting")].coverage_b) < 0.1
    assert report.clusters == (("source", "rewrite"),)


def test_cluster_coverage_setting() -> None:
    every = Detector(Settings(cluster_coverage=0.0)).report(_corpus())
    assert every.clusters == (("source", "rewrite", "quoting"),)
    copies = Detector(Settings(cluster_coverage=0.8)).report(_corpus())
    assert copies.clusters == ()
    with pytest.raises(SettingsError, match=r"cluster_coverage must be a number in \[0, 1\]"):
        Settings(cluster_coverage=1.5)
