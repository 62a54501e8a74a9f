"""The real seed digest: the Pakistan pair is an overlap with its passages, nothing else is flagged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Detector, Pair


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> float:
    hit: set[int] = set()
    for s, e in spans:
        hit.update(range(max(s, start), min(e, end)))
    return len(hit) / (end - start)


def _pair(pairs: list[dict[str, Any]], a: str, b: str) -> dict[str, Any] | None:
    for p in pairs:
        if {p["a"], p["b"]} == {a, b}:
            return p
    return None


@pytest.fixture(scope="module")
def seed_json(seed_dir: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "dedup", "report", str(seed_dir / "articles.jsonl"), "--format", "json", "-q"],
        check=True,
        capture_output=True,
        text=True,
    )
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def test_pakistan_pair_is_overlap(seed_json: dict[str, Any], seed_gold: dict[str, Any]) -> None:
    for a, b in seed_gold["must_flag"]:
        pair = _pair(seed_json["pairs"], a, b)
        assert pair is not None, f"{a} ~ {b} not flagged"
        assert pair["relation"] == "overlap"


def test_nothing_else_flagged(seed_json: dict[str, Any], seed_gold: dict[str, Any]) -> None:
    assert len(seed_gold["must_not_flag"]) == 25
    for a, b in seed_gold["must_not_flag"]:
        assert _pair(seed_json["pairs"], a, b) is None, f"{a} ~ {b} wrongly flagged"


def test_required_passages_covered_and_exact(
    seed_json: dict[str, Any], seed_gold: dict[str, Any], seed_articles: list[Article]
) -> None:
    texts = {a.id: a.text for a in seed_articles}
    a_id, b_id = seed_gold["must_flag"][0]
    pair = _pair(seed_json["pairs"], a_id, b_id)
    assert pair is not None
    flip = pair["a"] != a_id
    side = {a_id: ("b" if flip else "a"), b_id: ("a" if flip else "b")}
    spans = {doc: [(p[f"{s}_start"], p[f"{s}_end"]) for p in pair["passages"]] for doc, s in side.items()}
    for p in pair["passages"]:
        for doc, s in side.items():
            assert texts[doc][p[f"{s}_start"] : p[f"{s}_end"]] == p[f"{s}_text"]
    for gold in seed_gold["required_passages"]:
        for part in (gold["a"], gold["b"]):
            assert texts[part["doc"]][part["start"] : part["end"]] == part["text"]
            cov = _covered(spans[part["doc"]], part["start"], part["end"])
            assert cov >= 0.6, f"{part['text']!r} covered {cov:.2f}"
    # passages are exact: at least half of the reported characters lie inside gold passages
    gold_spans: dict[str, list[tuple[int, int]]] = {a_id: [], b_id: []}
    for gold in seed_gold["required_passages"] + seed_gold["optional_passages"]:
        for part in (gold["a"], gold["b"]):
            gold_spans[part["doc"]].append((part["start"], part["end"]))
    for doc in (a_id, b_id):
        reported = sum(e - s for s, e in spans[doc])
        inside = sum(_covered(gold_spans[doc], s, e) * (e - s) for s, e in spans[doc])
        assert inside / reported >= 0.5, f"{doc}: only {inside / reported:.2f} of passages inside gold"


def test_digest_contains_each_article(seed_dir: Path, seed_articles: list[Article]) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dedup",
            "report",
            str(seed_dir / "000_544341561949e636.txt"),
            str(seed_dir / "articles.jsonl"),
            "--format",
            "json",
            "-q",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(out.stdout)
    digest = "000_544341561949e636.txt"
    for article in seed_articles:
        pair = _pair(data["pairs"], digest, article.id)
        assert pair is not None, f"digest does not contain {article.id}"
        assert pair["relation"] == "containment"
        assert pair["contained"] == article.id
        cov = pair["coverage_b"] if pair["b"] == article.id else pair["coverage_a"]
        assert cov >= 0.9


def test_library_matches_cli(seed_json: dict[str, Any], seed_articles: list[Article]) -> None:
    report = Detector().report(seed_articles)
    assert [(p.a, p.b, p.relation) for p in report.pairs] == [
        (p["a"], p["b"], p["relation"]) for p in seed_json["pairs"]
    ]
    assert isinstance(report.pairs[0], Pair)
