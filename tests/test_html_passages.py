"""The page's shared passages (passage clusters) in a real headless Chromium: list, view, origin, variants.

Uses the browser fixtures of ``tests/test_html_browser.py`` (skipped the same way without chromium).
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Pair, Passage
from dedup.batch.assemble import assemble_report
from dedup.engine.origin import provenance
from dedup.io.html import page_data, render_html
from dedup.settings import Settings
from tests.test_html_browser import (  # noqa: F401 (fixtures)
    HOSTILE,
    Watched,
    _screenshot,
    browser,
    hostile_html,
    seed_html,
    watched,
)

QUOTE = "bilateral military cooperation should"

# The members as laid out in the passage view: article id, date shown, wording, changed words.
VARIANTS = """
() => [...document.querySelectorAll("#variant-list li.variant")].map((li) => ({
  id: li.querySelector(".variant-head button").textContent,
  when: li.querySelector(".when").textContent,
  origin: !!li.querySelector(".badge.origin"),
  text: li.querySelector(".wording").textContent,
  changed: [...li.querySelectorAll(".wording .chg")].map((s) => s.textContent),
  underline: [...li.querySelectorAll(".wording .chg")].map((s) => getComputedStyle(s).textDecorationLine),
}))
"""


def test_seed_quote_view_shows_both_members_and_tass_as_origin_with_the_credit(
    watched: Watched, seed_html: Path, seed_articles: list[Article]
) -> None:
    page = watched.page
    watched.open(seed_html)
    rows = page.locator("#passage-rows tr[data-shared]")
    assert rows.count() == 2
    quote_row = rows.filter(has_text="an important step towards")
    assert "pakistan-tass" in quote_row.inner_text()
    assert "high" in quote_row.inner_text()
    quote_row.click()
    page.wait_for_selector("#passage-view:not([hidden]) #variant-list li")
    texts = {a.id: a.text for a in seed_articles}
    variants = page.evaluate(VARIANTS)
    assert {v["id"] for v in variants} == {"pakistan-moscow-times", "pakistan-tass"}
    data = page_data(seed_html.read_text(encoding="utf-8"))
    (cluster,) = [c for c in data["passage_clusters"] if QUOTE in c["text"]]
    for v, m in zip(variants, cluster["members"], strict=True):
        assert v["text"] == m["text"]
        article = data["articles"][m["article"]]["id"]
        assert texts[article][m["start"] : m["end"]] == v["text"]
        assert v["origin"] is (article == "pakistan-tass")
    mt = next(v for v in variants if v["id"] == "pakistan-moscow-times")
    # the Moscow Times' wording against TASS's: "in" where TASS has "towards", marked and underlined
    assert "in" in mt["changed"]
    assert all("underline" in u for u in mt["underline"])
    tass = next(v for v in variants if v["id"] == "pakistan-tass")
    assert tass["changed"] == []
    origin = page.inner_text("#passage-origin")
    assert "pakistan-tass" in origin
    assert "Source: Tass" in origin
    assert "TASS quoted" in origin
    _screenshot(page, "html-seed-passage.png")
    # from a member to the pair it forms with the origin
    page.click("#variant-list li.variant >> text=compare with the origin")
    page.wait_for_selector("#pair-view:not([hidden]) #text-b")
    assert {page.inner_text("#side-a .id"), page.inner_text("#side-b .id")} == {
        "pakistan-moscow-times",
        "pakistan-tass",
    }
    # and back: the pair's passage table links each passage to its shared passage
    page.click("table.passages >> text=2 articles >> nth=1")
    page.wait_for_selector("#passage-view:not([hidden])")
    watched.assert_clean(seed_html)


def _cascade_page(tmp_path: Path, n: int) -> tuple[Path, list[Article]]:
    """``n`` articles quoting one statement at known times, and every pair between them (as detected)."""
    quote = (
        "We will not accept any agreement that leaves the harbour workers without a contract for the "
        "coming winter, and we expect the port authority to return to the table this week"
    )
    articles = []
    for i in range(n):
        lead = f"Report {i:04d} from the waterfront. Dockers gathered at gate {i % 9}. The union said: \u201c"
        text = lead + quote + "\u201d The talks resume on Monday.\n"
        published = (
            None if i % 10 == 9 else f"2024-03-{1 + (i * 7) % 27:02d}T{(i * 5) % 24:02d}:{i % 60:02d}:00Z"
        )
        articles.append(Article(f"r{i:04d}", text, source=f"Outlet {i}", published=published))
    pairs = []
    for x, y in combinations(range(n), 2):
        a, b = articles[x], articles[y]
        sa, sb = a.text.index(quote), b.text.index(quote)
        p = Passage(sa, sa + len(quote), sb, sb + len(quote), 1.0, quote, quote, len(quote.split()))
        pairs.append(Pair(a.id, b.id, "overlap", 0.4, 0.6, 0.6, (p,)))
    known = {a.id: provenance(a.text, source=a.source, published=a.published) for a in articles}
    report = assemble_report(Settings(), [a.id for a in articles], [40] * n, pairs, (), 0, provenance=known)
    path = tmp_path / "cascade.html"
    path.write_text(render_html(report, articles), encoding="utf-8")
    return path, articles


def test_a_wide_cascade_is_one_passage_ordered_by_time_with_pairs_folded(
    watched: Watched, tmp_path: Path
) -> None:
    n = 120
    path, articles = _cascade_page(tmp_path, n)
    page = watched.page
    watched.open(path)
    assert page.locator("#passage-rows tr[data-shared]").count() == 1
    # the pair list holds one pair per member, not n*(n-1)/2
    assert page.inner_text("#pager-info") == f"1–100 of {n - 1} pairs"
    assert (
        f"{n * (n - 1) // 2 - (n - 1):,} pairs inside widely shared passages are not listed"
        in page.inner_text("#summary")
    )
    page.click("#passage-rows tr[data-shared]")
    page.wait_for_selector("#passage-view:not([hidden]) #variant-list li")
    assert page.locator("#variant-list li.variant").count() == 50
    page.click("#variant-more")
    page.click("#variant-more")
    variants: list[dict[str, Any]] = page.evaluate(VARIANTS)
    assert len(variants) == n
    published = {a.id: a.published for a in articles}
    shown = [published[v["id"]] for v in variants]
    dated = [p for p in shown if p is not None]
    assert shown == dated + [None] * (n - len(dated)), "undated members come last"
    assert dated == sorted(dated)
    assert [v["when"] for v in variants[len(dated) :]] == ["undated"] * (n - len(dated))
    # the earliest is the origin, and the evidence says so
    assert variants[0]["origin"]
    assert sum(v["origin"] for v in variants) == 1
    assert "published first" in page.inner_text("#passage-origin")
    _screenshot(page, "html-cascade-passage.png")
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.hash === '#passages'")
    watched.assert_clean(path)


def test_hostile_passage_view_shows_text_and_runs_nothing(
    watched: Watched, hostile_html: tuple[Path, list[dict[str, str]]]
) -> None:
    path, records = hostile_html
    page = watched.page
    watched.open(path, "#passage-1")
    page.wait_for_selector("#passage-view:not([hidden]) #variant-list li")
    view = page.inner_text("#passage-view")
    assert sum(text in view for text in HOSTILE) >= 2
    texts = {r["id"]: r["text"] for r in records}
    for v in page.evaluate(VARIANTS):
        assert v["text"] in texts[v["id"]]
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, textarea').length") == 0
    assert page.evaluate("document.body.dataset.pwned === undefined")
    watched.assert_clean(path)


@pytest.mark.parametrize("n", [3])
def test_page_data_round_trips_through_the_lazy_blocks(tmp_path: Path, n: int) -> None:
    path, articles = _cascade_page(tmp_path, n)
    data = page_data(path.read_text(encoding="utf-8"))
    assert [a["text"] for a in data["articles"]] == [a.text for a in articles]
    assert all(len(p["passages"]) == p["n_passages"] for p in data["pairs"])
    assert json.dumps(data)  # plain JSON all through
