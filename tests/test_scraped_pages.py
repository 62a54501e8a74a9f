"""Scraped pages of real news: site chrome inside one long line is learned or masked, real reuse survives.

Pages are built from FNC-1 bodies (``benchmarks/scraped_fnc1.py``, read from
``../shared/eval/realnews-fnc1``): articles of many claims that share no 8-word run, joined into one
line per page with `` ### `` or spaces, with each site's navigation and recurring footer (at the end
of the line) and a wire's legal notice between two paragraphs; plus a few pairs of one claim that
share a run of 20 words or more. ``dedup report`` runs on them as a user runs it, once as it is and
once with boilerplate learning defeated (``--boilerplate-min-docs 1000000``), which must flag pairs
that share only chrome: the assertions can fail.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.scraped_fnc1 import DEFAULT_DATA, NO_LEARNING, SITES, Pages, build, report, write_pages
from dedup.engine.normalize import tokenize

pytestmark = pytest.mark.skipif(
    not (DEFAULT_DATA / "corpus.jsonl").is_file() and os.environ.get("DEDUP_REQUIRE_EVAL") != "1",
    reason=f"the FNC-1 data set is not in {DEFAULT_DATA} (it lives beside the repository, in ../shared)",
)


@pytest.fixture(scope="module")
def pages() -> Pages:
    return build(DEFAULT_DATA)


@pytest.fixture(scope="module")
def path(pages: Pages, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scraped") / "pages.jsonl"
    write_pages(pages.pages, out)
    return out


@pytest.fixture(scope="module")
def fixed(path: Path) -> dict[str, Any]:
    return report(path)


@pytest.fixture(scope="module")
def defeated(path: Path) -> dict[str, Any]:
    return report(path, *NO_LEARNING)


def flagged(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(min(p["a"], p["b"]), max(p["a"], p["b"])) for p in result["pairs"]}


def normalised(text: str) -> str:
    return " ".join(tokenize(text).words)


def test_the_pages_are_scraped_pages_of_many_claims(pages: Pages) -> None:
    assert len(pages.pages) >= 100
    assert len({p.claim for p in pages.pages}) >= 100
    assert {p.site for p in pages.pages} == {s.name for s in SITES}
    assert {p.wire for p in pages.pages} == {"ap", "reuters", "afp"}
    assert len(pages.planted) >= 6
    for page in pages.pages:
        body = page.text.split("\n")[-1]
        assert len(body) > 1000 or " ### " in body  # one long line of paragraphs
        site = next(s for s in SITES if s.name == page.site)
        assert body.endswith(site.footer)


def test_recurring_footers_are_learned_as_boilerplate(fixed: dict[str, Any]) -> None:
    learned = [entry["text"] for entry in fixed["boilerplate"]]
    footers = {site.name: normalised(site.footer) for site in SITES}
    chrome = " | ".join([*footers.values(), *(normalised(site.nav) for site in SITES)])
    assert all(text in chrome for text in learned), f"article text learned as boilerplate: {learned}"
    for name, footer in footers.items():
        assert any(text in footer for text in learned), f"nothing of {name}'s footer learned: {learned}"


def test_no_pair_shares_only_chrome(pages: Pages, fixed: dict[str, Any]) -> None:
    chrome_only = flagged(fixed) - pages.planted_pairs()
    assert not chrome_only, f"{len(chrome_only)} pairs share only chrome, e.g. {sorted(chrome_only)[:5]}"


def test_planted_reuse_is_flagged_with_passages_in_the_article_text(
    pages: Pages, fixed: dict[str, Any]
) -> None:
    assert pages.planted_pairs() <= flagged(fixed)
    by_id = pages.by_id()
    for pair in fixed["pairs"]:
        assert pair["passages"]
        for passage in pair["passages"]:
            for side in ("a", "b"):
                page = by_id[pair[side]]
                start, end = passage[f"{side}_start"], passage[f"{side}_end"]
                assert page.in_article(start, end), f"{page.id}: passage in chrome: {page.text[start:end]!r}"


def test_without_learning_the_same_pages_flag_chrome_pairs(pages: Pages, defeated: dict[str, Any]) -> None:
    """The assertions above can fail: with boilerplate learning off, the footers pair pages of a site."""
    assert not defeated["boilerplate"]
    chrome_only = flagged(defeated) - pages.planted_pairs()
    by_id = pages.by_id()
    assert len(chrome_only) >= 100
    assert all(by_id[a].site == by_id[b].site for a, b in chrome_only)
    assert pages.planted_pairs() <= flagged(defeated)
