"""The HTML page in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Skipped, with the reason, where chromium or Playwright is not installed; with
``DEDUP_REQUIRE_BROWSER=1`` (set by the CI script) a missing browser is a failure instead.
Screenshots are kept under ``artifacts/`` at the repository root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from benchmarks.browser import CHROMIUM_ARGS, chromium_executable
from dedup import RELATIONS, Article, Pair, Passage, Report, Settings
from dedup.io.html import PAGE_SIZE, render_html, utf16_offsets
from dedup.model import BadRecord, Notice

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"

# Records what a page did that it should not: script dialogs are caught by Playwright; Content-Security
# -Policy violations (an injected <script> or onerror attribute would raise one) are collected here.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""

# The passages as laid out in one side's text box: [start, end, passage, background, changed] in
# UTF-16 offsets of the box's text, plus the text itself.
MARKS = """
(side) => {
  const box = document.getElementById("text-" + side);
  const marks = [];
  let pos = 0;
  const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const m = n.parentElement.closest("mark.psg");
    if (m) {
      const chg = n.parentElement.closest(".chg");
      marks.push([pos, pos + n.data.length, Number(m.dataset.p), getComputedStyle(m).backgroundColor,
                  chg ? getComputedStyle(chg).textDecorationLine : ""]);
    }
    pos += n.data.length;
  }
  return {text: box.textContent, marks: marks};
}
"""

# Whether an element lies inside its scroll box and inside the window.
IN_VIEW = """
([id, side]) => {
  const el = document.getElementById(id);
  const box = document.getElementById("text-" + side).getBoundingClientRect();
  const r = el.getBoundingClientRect();
  return r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.top >= 0 && r.bottom <= window.innerHeight;
}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    required = os.environ.get("DEDUP_REQUIRE_BROWSER") == "1"
    executable = chromium_executable()
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Playwright for Python is not installed (pip install -e '.[dev]')"
    if reason is None and executable is None:
        reason = "chromium is not installed (apt-get install chromium); the HTML tests need a real browser"
    if reason is not None:
        if required:
            pytest.fail(f"DEDUP_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watched:
    """A page and what it did besides rendering."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, path: Path, fragment: str = "") -> None:
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_selector("html[data-ready]")

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__violations")
        return found

    def assert_clean(self, path: Path) -> None:
        assert self.dialogs == []
        assert self.errors == []
        assert self.violations() == []
        assert [u for u in self.requests if u != path.as_uri()] == []


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1100, "height": 640})
    page = context.new_page()
    w = Watched(page)
    page.add_init_script(WATCH)

    def on_dialog(dialog: Any) -> None:
        w.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: w.errors.append(str(exc)))
    page.on("console", lambda msg: w.errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: w.requests.append(req.url.split("#")[0]))
    yield w
    context.close()


def _screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")
    return path


def _cli_html(source: Path, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "dedup", "report", str(source), "--format", "html", "-o", str(out), "-q"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def _covered(marks: list[list[Any]], start: int, end: int) -> tuple[float, set[int]]:
    hit: set[int] = set()
    passages: set[int] = set()
    for s, e, p, *_ in marks:
        overlap = set(range(max(s, start), min(e, end)))
        if overlap:
            hit |= overlap
            passages.add(p)
    return len(hit) / (end - start), passages


@pytest.fixture(scope="module")
def seed_html(seed_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _cli_html(seed_dir / "articles.jsonl", tmp_path_factory.mktemp("seed") / "seed.html")


def test_seed_pair_highlights_required_passages_on_both_sides(
    watched: Watched, seed_html: Path, seed_gold: dict[str, Any], seed_articles: list[Article]
) -> None:
    page = watched.page
    watched.open(seed_html)
    rows = page.locator("#pair-rows tr")
    assert rows.count() == 1
    a_id, b_id = seed_gold["must_flag"][0]
    assert a_id in rows.first.inner_text()
    assert b_id in rows.first.inner_text()
    rows.first.click()
    page.wait_for_selector("#pair-view:not([hidden]) #text-b")
    texts = {a.id: a.text for a in seed_articles}
    side_of = {page.inner_text("#side-a .id"): "a", page.inner_text("#side-b .id"): "b"}
    assert set(side_of) == {a_id, b_id}
    laid = {side: page.evaluate(MARKS, side) for side in ("a", "b")}
    for doc, side in side_of.items():
        assert laid[side]["text"] == texts[doc], "the text box must show the article exactly"
    for gold in seed_gold["required_passages"]:
        found: dict[str, tuple[int, str]] = {}
        for part in (gold["a"], gold["b"]):
            side = side_of[part["doc"]]
            to16 = utf16_offsets(texts[part["doc"]])
            cov, passages = _covered(laid[side]["marks"], to16(part["start"]), to16(part["end"]))
            assert cov >= 0.6, f"{part['text']!r} highlighted {cov:.2f}"
            assert len(passages) == 1
            (p,) = passages
            colour = {m[3] for m in laid[side]["marks"] if m[2] == p}
            assert len(colour) == 1
            assert colour != {"rgba(0, 0, 0, 0)"}
            found[side] = (p, colour.pop())
        assert found["a"] == found["b"], "the two sides of a passage share one colour"
    # the words that differ inside the fuzzy passage are marked (and visibly underlined)
    for side, word in (("a", "in"), ("b", "towards")):
        changed = [laid[side]["text"][s:e] for s, e, _p, _c, deco in laid[side]["marks"] if deco]
        assert word in changed
        assert all("underline" in m[4] for m in laid[side]["marks"] if m[4])
    _screenshot(page, "html-seed-pair.png")
    watched.assert_clean(seed_html)


@pytest.mark.parametrize("clicked", ["a", "b"])
def test_clicking_a_passage_brings_its_counterpart_into_view(
    watched: Watched, seed_html: Path, clicked: str
) -> None:
    page = watched.page
    watched.open(seed_html, "#pair-1")
    other = "b" if clicked == "a" else "a"
    target = f"{other}-p0"
    # scroll the other side away from the passage first, so that the click has something to do
    page.evaluate(
        """([side, id]) => {
             const box = document.getElementById("text-" + side);
             const el = document.getElementById(id);
             box.scrollTop = el.offsetTop > box.scrollHeight / 2 ? 0 : box.scrollHeight;
           }""",
        [other, target],
    )
    assert page.evaluate(IN_VIEW, [target, other]) is False, "the counterpart must start out of view"
    page.click(f"#{clicked}-p0")
    page.wait_for_function(IN_VIEW, arg=[target, other], timeout=5000)
    assert "active" in (page.get_attribute(f"#{target}", "class") or "")
    _screenshot(page, f"html-seed-click-{clicked}.png")
    watched.assert_clean(seed_html)


def test_relation_filter(watched: Watched, seed_html: Path) -> None:
    page = watched.page
    watched.open(seed_html)
    assert page.locator("#pair-rows tr[data-pair]").count() == 1
    page.uncheck("input[type=checkbox][value=overlap]")
    assert page.locator("#pair-rows tr[data-pair]").count() == 0
    assert "No pair matches" in page.inner_text("#pair-rows")
    page.check("input[type=checkbox][value=overlap]")
    assert page.locator("#pair-rows tr[data-pair]").count() == 1


HOSTILE = [
    '"><img src=x onerror="document.body.dataset.pwned=1;alert(1)">',
    "<script>document.body.dataset.pwned=2;alert(2)</script>",
    "</textarea><svg onload=alert(3)>",
    "<!-- {{7*7}} ]]> </script><script>alert(4)</script>",
]


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    shared = (
        "Emergency crews worked through the night to clear the flooded tunnel beneath the harbour, "
        "and the transport authority said trains would run again by Friday morning at the earliest. "
    )
    records = [
        {
            "id": HOSTILE[0],
            "title": HOSTILE[1],
            "source": HOSTILE[2],
            "url": "javascript:document.body.dataset.pwned=3",
            "text": HOSTILE[3] + "\n" + shared * 3 + HOSTILE[1] + " end one",
        },
        {
            "id": HOSTILE[1],
            "title": HOSTILE[0],
            "published": HOSTILE[3],
            "url": "ftp://example.net/" + HOSTILE[2],  # not http(s): shown as text, not a link
            "text": "\U0001f30a " + HOSTILE[2] + "\n" + shared * 3 + HOSTILE[0],
        },
        {"id": HOSTILE[2], "title": HOSTILE[3], "text": shared * 3 + HOSTILE[2] + " end three"},
    ]
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "hostile.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return _cli_html(source, folder / "hostile.html"), records


def test_hostile_corpus_renders_as_text_and_runs_nothing(
    watched: Watched, hostile_html: tuple[Path, list[dict[str, str]]]
) -> None:
    path, records = hostile_html
    page = watched.page
    watched.open(path)
    rows = page.locator("#pair-rows tr[data-pair]")
    assert rows.count() == 3
    table = page.inner_text("#pair-table")
    for text in HOSTILE:
        assert text in table
    clusters = page.locator("#cluster-list button")
    assert clusters.count() >= 2
    assert {clusters.nth(i).inner_text() for i in range(clusters.count())} <= set(HOSTILE)
    clusters.first.click()
    assert page.inner_text("#article-filter").startswith("pairs of ")
    assert clusters.first.inner_text() in page.inner_text("#article-filter")
    _screenshot(page, "html-hostile-list.png")
    for n in range(1, 4):
        page.evaluate("(n) => { location.hash = '#pair-' + n; }", n)
        page.wait_for_selector("#pair-view:not([hidden]) #text-b")
        view = page.inner_text("#pair-view")
        shown = {page.inner_text("#side-a .id"), page.inner_text("#side-b .id")}
        by_id = {r["id"]: r for r in records}
        for ident in shown:
            assert ident in view
            for side in ("a", "b"):
                if page.inner_text(f"#side-{side} .id") == ident:
                    assert page.evaluate(MARKS, side)["text"] == by_id[ident]["text"]
        assert HOSTILE[0] in page.title() or HOSTILE[1] in page.title() or HOSTILE[2] in page.title()
        page.locator("#text-a mark.psg").first.click()
    # no URL that is not http(s) becomes a link
    assert (
        page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)").count("javascript:") == 0
    )
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, textarea').length") == 0
    assert page.evaluate("document.scripts.length") == 5  # four data blocks and the page's script
    assert page.evaluate("document.body.dataset.pwned === undefined")
    _screenshot(page, "html-hostile-pair.png")
    watched.assert_clean(path)


# What one element shows: its text, and the tags of the elements inside it (markup would add some).
SHOWN = """
(selector) => [...document.querySelectorAll(selector)].map(
  (e) => [e.textContent, [...e.querySelectorAll("*")].map((c) => c.localName + "." + c.className)])
"""

PASSAGE_TAGS = {f"mark.psg c{c}" for c in range(8)} | {"span.chg"}  # what a text box may hold


def test_each_client_rendered_place_shows_its_text(
    watched: Watched, hostile_html: tuple[Path, list[dict[str, str]]]
) -> None:
    """Every place the script writes an id, title, source, date, URL or text into: the text, no markup."""
    path, records = hostile_html
    by_id = {r["id"]: r for r in records}
    page = watched.page
    watched.open(path)

    def shown(selector: str) -> list[tuple[str, list[str]]]:
        return [(text, inner) for text, inner in page.evaluate(SHOWN, selector)]

    # the pair list: each article's id (a link) and title
    assert {t for t, inner in shown("#pair-rows td.art > a") if not inner} == set(by_id)
    titles = shown("#pair-rows td.art > div.title")
    assert titles
    assert all(not inner and t in HOSTILE for t, inner in titles)
    # the clusters' buttons, and the filter chip a button sets
    buttons = shown("#cluster-list button")
    assert buttons
    assert all(not inner and t in by_id for t, inner in buttons)
    page.locator("#cluster-list button").first.click()
    assert shown("#article-filter > b") == [(buttons[0][0], [])]
    # the pair view: the heading, each side's id, title, source · date · URL line, and the text box
    for n in range(1, 4):
        page.evaluate("(n) => { location.hash = '#pair-' + n; }", n)
        page.wait_for_selector("#pair-view:not([hidden]) #text-b")
        ids = [page.inner_text(f"#side-{side} .id") for side in ("a", "b")]
        assert shown(".pair-title h2") == [(f"{ids[0]}  ~  {ids[1]}", [])]
        assert page.title() == f"{ids[0]} ~ {ids[1]} · dedup report"
        for side, ident in zip(("a", "b"), ids, strict=True):
            record = by_id[ident]
            assert shown(f"#side-{side} .id") == [(ident, [])]
            assert shown(f"#side-{side} .side-head .title") == [(record["title"], [])]
            ((meta, inner),) = shown(f"#side-{side} .meta")
            for part in ("source", "published", "url"):
                if part in record:
                    assert record[part] in meta
            assert inner == []  # neither URL is http(s): no link, and nothing else
            ((text, inner),) = shown(f"#text-{side}")
            assert text == record["text"]
            assert {tag.removesuffix(" active") for tag in inner} <= PASSAGE_TAGS
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, textarea, b[onclick]').length") == 0
    watched.assert_clean(path)


def test_markup_inside_passages_and_changed_words_is_text(watched: Watched, tmp_path: Path) -> None:
    """The pieces of a text inside a passage's mark, and inside a changed-word span, are text too."""
    shared = "During the meeting <b>we</b> agreed that <img src=x onerror=alert(1)> bilateral military "
    a_part = shared + "cooperation should take <i>on</i> a more practical <svg onload=alert(2)> turn"
    b_part = shared + "cooperation should have a great practical <svg onload=alert(2)> turn"
    a, b = f"<p>Header A</p>\n{a_part}\nFooter A", f"<p>Header B</p>\n{b_part}\nFooter B"
    sa, sb = a.index(a_part), b.index(b_part)
    passage = Passage(sa, sa + len(a_part), sb, sb + len(b_part), 0.8, a_part, b_part, 20)
    report = Report(documents=2, settings=Settings(), clusters=(),
                    pairs=(Pair("<x>", "<y>", "overlap", 0.3, 0.8, 0.8, (passage,)),))  # fmt: skip
    path = tmp_path / "marks.html"
    path.write_text(render_html(report, [Article("<x>", a), Article("<y>", b)]), encoding="utf-8")
    page = watched.page
    watched.open(path, "#pair-1")
    page.wait_for_selector("#pair-view:not([hidden]) #text-b")
    for side, text in (("a", a), ("b", b)):
        ((shown, inner),) = page.evaluate(SHOWN, f"#text-{side}")
        assert shown == text
        assert {tag.removesuffix(" active") for tag in inner} <= PASSAGE_TAGS
        marked = "".join(
            page.evaluate(f"[...document.querySelectorAll('#text-{side} mark')].map(m => m.textContent)")
        )
        assert "<img src=x onerror=alert(1)>" in marked
    changed = page.evaluate("[...document.querySelectorAll('#text-a .chg')].map(c => c.textContent)")
    assert any("<i>" in c for c in changed), changed  # markup inside a changed-word span
    assert page.evaluate("document.querySelectorAll('img, svg, iframe').length") == 0
    watched.assert_clean(path)


SERVER_MARKUP = (
    '<img src=x onerror="document.body.dataset.pwned=1"><script>alert(2)</script></details></ul><b>x'
)


def test_server_rendered_title_and_lists_show_their_text(watched: Watched, tmp_path: Path) -> None:
    """The page title and heading, notices, skipped records, boilerplate lines: the text, no markup."""
    report = Report(
        documents=3, settings=Settings(), pairs=(), clusters=(),
        notices=(Notice(SERVER_MARKUP, source=SERVER_MARKUP, line=2),),
        bad_records=(BadRecord(SERVER_MARKUP, 4, SERVER_MARKUP),),
        boilerplate=((SERVER_MARKUP, 9),),
    )  # fmt: skip
    path = tmp_path / "lists.html"
    path.write_text(render_html(report, [], title=SERVER_MARKUP), encoding="utf-8")
    page = watched.page
    watched.open(path)
    assert page.title() == SERVER_MARKUP
    assert page.evaluate(SHOWN, "header h1") == [[SERVER_MARKUP, []]]
    page.evaluate("document.querySelectorAll('#summary details').forEach((d) => { d.open = true; })")
    lists = page.evaluate(
        "[...document.querySelectorAll('#summary details')].map((d) => ["
        " d.querySelector('summary').textContent,"
        " [...d.querySelectorAll('li')].map((li) => [li.textContent, li.children.length])])"
    )
    assert [x for x in lists if not x[0].startswith("Settings")] == [
        ["Notices: 1", [[f"{SERVER_MARKUP}, line 2: {SERVER_MARKUP}", 0]]],
        ["Skipped records: 1", [[f"{SERVER_MARKUP}, line 4: {SERVER_MARKUP}", 0]]],
        ["Boilerplate lines ignored: 1", [[f"{SERVER_MARKUP} (9 articles)", 0]]],
    ]
    assert page.evaluate("document.querySelectorAll('img, svg, iframe').length") == 0
    # the page's own script and data blocks, and nothing the text brought in
    assert page.evaluate("document.querySelectorAll('script:not([type=\"application/json\"])').length") == 1
    assert page.evaluate("[...document.scripts].every((s) => !s.type || s.id.startsWith('dedup-'))")
    assert page.evaluate("document.body.dataset.pwned === undefined")
    _screenshot(page, "html-hostile-lists.png")
    watched.assert_clean(path)


def _synthetic(n_pairs: int) -> tuple[Report, list[Article]]:
    articles = [
        Article(f"doc-{i:04d}", f"Story {i} says the council met on Tuesday. " * 4)
        for i in range(n_pairs + 1)
    ]
    pairs = []
    for i in range(n_pairs):
        a, b = articles[i], articles[i + 1]
        passage = Passage(0, 40, 0, 40, 0.9, a.text[:40], b.text[:40], 6)
        pairs.append(Pair(a.id, b.id, RELATIONS[i % 3], 0.5, 0.9 - i / 1e4, 0.5, (passage,)))
    pairs.sort(key=Pair.sort_key)
    report = Report(documents=len(articles), settings=Settings(), pairs=tuple(pairs), clusters=())
    return report, articles


def test_large_report_is_paginated(watched: Watched, tmp_path: Path) -> None:
    report, articles = _synthetic(250)
    path = tmp_path / "large.html"
    path.write_text(render_html(report, articles), encoding="utf-8")
    page = watched.page
    watched.open(path)
    assert page.locator("#pair-rows tr").count() == PAGE_SIZE
    assert page.inner_text("#pager-info") == "1–100 of 250 pairs"
    page.click("text=next ›")
    assert page.inner_text("#pager-info") == "101–200 of 250 pairs"
    assert page.inner_text("#pair-rows tr >> nth=0 >> td >> nth=0") == "101"
    page.uncheck("input[type=checkbox][value=overlap]")
    near = sum(p.relation == "near-duplicate" for p in report.pairs)
    cont = sum(p.relation == "containment" for p in report.pairs)
    assert page.inner_text("#pager-info") == f"1–100 of {near + cont} pairs"
    page.fill("#pair-search", "doc-0007")
    page.wait_for_function("() => document.querySelectorAll('#pair-rows tr[data-pair]').length < 100")
    ranks = page.locator("#pair-rows tr[data-pair]")
    assert 1 <= ranks.count() <= 2
    # only the opened pair's texts are laid out
    assert page.evaluate("document.querySelectorAll('mark.psg').length") == 0
    page.evaluate("location.hash = '#pair-250'")
    page.wait_for_selector("#pair-view:not([hidden]) #text-b")
    assert page.evaluate("document.querySelectorAll('mark.psg').length") == 2
    page.keyboard.press("k")
    page.wait_for_function("() => location.hash === '#pair-249'")
    watched.assert_clean(path)
