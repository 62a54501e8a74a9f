"""Corpus cleaning: the keep policy, and ``dedup report --keep ... --write-kept ... --write-removed``."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Detector, Pair, Passage, Report
from dedup.engine.keep import KEEP_POLICIES, plan_removals
from dedup.engine.origin import provenance
from tests.cascadegen import CascadeCorpus, expected_kept, generate_cascades

RANK = ["Newswire", "Outlet 007", "Outlet 123", "Interior Ministry"]


def _pair(a: str, b: str, relation: str, contained: str | None = None, cov_a: float = 0.9) -> Pair:
    p = Passage(0, 10, 0, 10, 1.0, "x" * 10, "x" * 10, 10)
    return Pair(a, b, relation, 0.9, cov_a, 0.95, (p,), contained=contained)  # type: ignore[arg-type]


def test_every_removed_article_is_a_copy_of_a_kept_one_and_kept_ones_are_not_copies() -> None:
    # a chain a ~ b ~ c (a and c share nothing): the best of a, b is kept; c is kept when b goes
    prov = {
        "a": provenance("", published="2024-03-01T08:00:00Z", words=100),
        "b": provenance("", published="2024-03-01T09:00:00Z", words=300),
        "c": provenance("", published="2024-03-01T10:00:00Z", words=200),
    }
    pairs = [_pair("a", "b", "near-duplicate"), _pair("b", "c", "near-duplicate")]
    removed = plan_removals(pairs, prov, ["a", "b", "c"], "earliest")
    assert set(removed) == {"b"}
    assert removed["b"].duplicate_of == "a"
    assert "published earlier" in removed["b"].reason
    removed = plan_removals(pairs, prov, ["a", "b", "c"], "longest")
    assert set(removed) == {"a", "c"}
    assert {r.duplicate_of for r in removed.values()} == {"b"}
    # an overlap is not a copy: both stay
    assert plan_removals([_pair("a", "b", "overlap")], prov, ["a", "b"], "earliest") == {}


def test_containment_is_said_in_both_directions() -> None:
    prov = {
        "digest": provenance("", published="2024-03-02", words=500),
        "story": provenance("", published="2024-03-01", words=200),
    }
    pairs = [_pair("digest", "story", "containment", contained="story", cov_a=0.4)]
    by_date = plan_removals(pairs, prov, ["digest", "story"], "earliest")
    assert by_date["digest"].relation == "contains"
    assert "adds 60% of its own words" in by_date["digest"].reason
    by_length = plan_removals(pairs, prov, ["digest", "story"], "longest")
    assert by_length["story"].relation == "contained"
    assert by_length["story"].duplicate_of == "digest"


def test_source_rank_prefers_listed_sources_in_order() -> None:
    prov = {
        "a": provenance("", source="Daily Example", published="2024-03-01", words=300),
        "b": provenance("", source="The Associated Press", published="2024-03-02", words=300),
        "c": provenance("", source="Reuters", published="2024-03-03", words=300),
    }
    pairs = [_pair(x, y, "near-duplicate") for x, y in (("a", "b"), ("a", "c"), ("b", "c"))]
    removed = plan_removals(pairs, prov, ["a", "b", "c"], "source-rank", source_rank=["Reuters", "AP"])
    assert set(removed) == {"a", "b"}
    # "AP" names The Associated Press
    removed = plan_removals(pairs, prov, ["a", "b", "c"], "source-rank", source_rank=["AP"])
    assert set(removed) == {"a", "c"}
    with pytest.raises(ValueError, match="unknown keep policy"):
        plan_removals(pairs, prov, [], "newest")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def corpus() -> CascadeCorpus:
    # enough articles for the worker processes to start (2,000), copy groups of every kind
    return generate_cascades(
        seed=11,
        wire_reprints=12,
        quote_reports=15,
        stories=60,
        statements=4,
        footer_articles=40,
        background=1700,
    )


@pytest.fixture(scope="module")
def report(corpus: CascadeCorpus) -> Report:
    assert len(corpus.articles) >= 2000
    return Detector().report(corpus.articles, workers=2)


@pytest.mark.parametrize("policy", KEEP_POLICIES)
def test_kept_set_is_the_planted_expectation(corpus: CascadeCorpus, report: Report, policy: Any) -> None:
    removed = plan_removals(report.pairs, report.provenance, report.ids, policy, source_rank=RANK)
    kept = set(report.ids) - set(removed)
    assert kept == expected_kept(corpus, policy, source_rank=RANK)
    for why in removed.values():
        assert why.duplicate_of in kept
    assert len(removed) == sum(len(g) - 1 for g in corpus.copy_groups)


def _write(path: Path, articles: list[Article]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps({"id": a.id, "text": a.text, **a.metadata()}) + "\n")


def _clean(
    tmp_path: Path, source: Path, policy: str, workers: int, *extra: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    kept, removed = tmp_path / f"kept-{workers}.jsonl", tmp_path / f"removed-{workers}.jsonl"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "dedup",
            "report",
            str(source),
            "-q",
            "--format",
            "json",
            "-o",
            str(tmp_path / "report.json"),
            "--workers",
            str(workers),
            "--keep",
            policy,
            "--write-kept",
            str(kept),
            "--write-removed",
            str(removed),
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    read = [
        [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()] for p in (kept, removed)
    ]
    return read[0], read[1]


def test_cli_cleaning_is_the_same_with_one_or_two_workers_and_shuffled_input(
    corpus: CascadeCorpus, tmp_path: Path
) -> None:
    source = tmp_path / "corpus.jsonl"
    _write(source, corpus.articles)
    # a bad record: with --skip-bad it goes to the removed file, with where it was and why
    with source.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "broken", "text": 42}\n')
    results = {}
    for workers in (1, 2):
        kept, removed = _clean(tmp_path, source, "earliest", workers, "--skip-bad")
        results[workers] = (kept, removed)
        ids = [r["id"] for r in kept] + [r["id"] for r in removed if "id" in r]
        assert sorted(ids) == sorted(a.id for a in corpus.articles)
        (bad,) = [r for r in removed if "id" not in r]
        assert bad["dedup_removed"]["bad_record"]["line"] == len(corpus.articles) + 1
        assert "text" in bad["dedup_removed"]["bad_record"]["field"]
        assert bad["raw"] == '{"id": "broken", "text": 42}'
        assert {r["id"] for r in kept} == expected_kept(corpus, "earliest")
        kept_ids = {r["id"] for r in kept}
        by_id = {a.id: a for a in corpus.articles}
        for r in removed:
            if "id" in r:
                assert r["dedup_removed"]["duplicate_of"] in kept_ids
                assert r["text"] == by_id[r["id"]].text
                assert r["dedup_removed"]["policy"] == "earliest"
        # kept records are the articles as read, in input order
        assert [r["id"] for r in kept] == [a.id for a in corpus.articles if a.id in kept_ids]
    assert results[1] == results[2]
    shuffled = list(corpus.articles)
    random.Random(4).shuffle(shuffled)
    other = tmp_path / "shuffled.jsonl"
    _write(other, shuffled)
    kept, removed = _clean(tmp_path, other, "earliest", 2)
    assert {r["id"] for r in kept} == {r["id"] for r in results[1][0]}
    assert sorted(map(json.dumps, removed)) == sorted(map(json.dumps, results[1][1][:-1]))
    # "first" follows the input order, by definition
    kept, _ = _clean(tmp_path, other, "first", 2)
    assert {r["id"] for r in kept} == expected_kept(corpus, "first", order=[a.id for a in shuffled])


def test_cli_cleaning_options_are_checked(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text('{"id": "a", "text": "one two three"}\n', encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dedup", "report", str(source), "-q", *args],
            capture_output=True,
            text=True,
        )

    for args, message in (
        (["--write-kept", str(tmp_path / "k")], "need --keep"),
        (["--keep", "earliest"], "--keep needs --write-kept"),
        (["--keep", "source-rank", "--write-kept", str(tmp_path / "k")], "needs --source-rank"),
        (["--keep", "earliest", "--source-rank", "AP", "--write-kept", str(tmp_path / "k")], "is used with"),
        (
            [
                "--keep",
                "longest",
                "--write-kept",
                str(tmp_path / "x"),
                "--write-removed",
                str(tmp_path / "x"),
            ],
            "different files",
        ),
    ):
        run_ = run(*args)
        assert run_.returncode == 2, args
        assert message in run_.stderr
    done = run("--keep", "first", "--write-kept", str(tmp_path / "k.jsonl"))
    assert done.returncode == 0
    assert json.loads((tmp_path / "k.jsonl").read_text(encoding="utf-8")) == {
        "id": "a",
        "text": "one two three",
    }
    assert not (tmp_path / "x").exists()
