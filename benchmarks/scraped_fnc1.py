"""Scraped pages built from real news (FNC-1): paragraphs joined into one line, with site chrome inside it.

A scraper that keeps a page's text and drops its markup often joins the paragraphs into one long line,
and keeps the site's navigation, its footer and the wire's legal notice with them. Two pages of a site
then share the footer, two pages of a wire's copy its legal notice: text that recurs under unrelated
articles and must not make them a pair. This module builds such pages from the real article bodies of
``../shared/eval/realnews-fnc1`` (read from there, never copied into the repository), deterministically:

* **articles that share nothing**: one per claim, from many claims, each sharing no run of 8 words
  with any other article of the corpus (``runs.json`` lists every pair that does);
* **planted reuse**: a few pairs of one claim that share a run of at least 20 words (real copying:
  a reprinted paragraph, a quote), each article sharing no run with any other page;
* **sites**: each page belongs to a site, which joins the paragraphs with `` ### `` or plain spaces,
  has a navigation line (on its own line or at the head of the long line) and a recurring footer of
  several sentences (contact, newsletter, about, copyright: the same on every page of the site) at
  the end of the long line; every page carries a wire's legal notice (AP, Reuters or AFP) inside the
  line, between two paragraphs.

Every page records where its article's paragraphs lie (``Page.article``): the rest is chrome. A pair
of pages that is not a planted pair shares nothing but chrome: flagging it is a false positive.

Run ``python -m benchmarks.scraped_fnc1`` to build the pages, run ``dedup report`` on them with the
in-line boilerplate handling and with boilerplate learning defeated, and print the figures
(``docs/quality.md``, "Boilerplate inside lines"); ``--out DIR`` also writes ``pages.jsonl``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.hardnews_material import WIRES

__all__ = [
    "DEFAULT_DATA",
    "SITES",
    "Page",
    "Pages",
    "Site",
    "build",
    "figures",
    "report",
    "write_pages",
]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "realnews-fnc1"

#: Articles used: long enough to read as a page, short enough to keep a run quick.
MIN_WORDS = 150
MAX_WORDS = 700
MIN_PARAGRAPHS = 3
#: Planted reuse: pairs of one claim sharing an exact run of at least this many words.
PLANTED_RUN = 20

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Site:
    """A news site as its scraped pages show it."""

    name: str
    #: What joins the paragraphs (and the footer) into one line.
    joiner: str
    nav: str
    #: The navigation menu at the head of the long line (else on a line of its own above it).
    nav_inline: bool
    #: The footer's sentences, the same on every page, at the end of the long line.
    footer: str


SITES: tuple[Site, ...] = (
    Site(
        "harbourgazette",
        " ### ",
        "Home | World | Politics | Business | Technology | Sport | Opinion | Weather",
        False,
        "The Harbour Gazette has served the towns along the northern coast since 1871 and is owned by a"
        " trust of its readers. Our reporters and photographers work from newsrooms in Kingsport,"
        " Allenby and Marsh Point. To report a mistake in one of our stories, write to the standards"
        " editor, who answers every letter within a week. Sign up for our daily newsletter."
        " © 2014 Harbour Gazette Media Ltd.",
    ),
    Site(
        "dailyledger",
        " ",
        "Home | News | Local | World | Money | Entertainment | Lifestyle | Video",
        True,
        "The Daily Ledger is an independent newspaper published every morning except on public"
        " holidays. Readers with a news tip can reach our night desk seven days a week until two in the"
        " morning. Letters to the editor should not exceed three hundred words and must carry the"
        " writer's full name and town. Copyright 2014 Ledger Publishing Company.",
    ),
    Site(
        "valleyobserver",
        " ### ",
        "Home | Breaking | Nation | World | Science | Health | Arts | Travel",
        True,
        "Valley Observer journalism is paid for by the members of our cooperative and by the"
        " advertisers who share its values. Become a member today and receive the weekend print edition"
        " delivered to your door at no extra cost. We keep comments open for three days after a story"
        " is published and close them overnight. All rights reserved.",
    ),
    Site(
        "metrodispatch",
        " ",
        "Home | Metro | US | World | Crime | Business | Sports | Celebrity",
        False,
        "Metro Dispatch is part of the Dispatch Media Network, which publishes eleven city newspapers"
        " and two radio stations across the region. Our newsroom follows a published code of ethics,"
        " and corrections appear at the foot of the story they concern. Do you have a story that our"
        " readers should know about? Contact the newsroom any time of day or night.",
    ),
)


@dataclass(frozen=True, slots=True)
class Page:
    """A scraped page: its text, its site, the FNC-1 article it carries and where that article lies."""

    id: str
    text: str
    site: str
    #: The FNC-1 article (its corpus id) and claim.
    source: str
    claim: str
    #: Character spans of the article's paragraphs in ``text``; everything else is chrome.
    article: tuple[tuple[int, int], ...]
    #: The wire whose legal notice the page carries.
    wire: str

    def in_article(self, start: int, end: int) -> bool:
        """Whether the span [start, end) starts and ends inside the article's paragraphs."""
        return any(lo <= start < hi for lo, hi in self.article) and any(
            lo < end <= hi for lo, hi in self.article
        )


@dataclass(frozen=True, slots=True)
class Pages:
    """The pages, and the pairs of them that share real text (page ids, sorted; with the run's length)."""

    pages: tuple[Page, ...]
    planted: tuple[tuple[str, str, int], ...]

    def by_id(self) -> dict[str, Page]:
        """The pages by id."""
        return {p.id: p for p in self.pages}

    def planted_pairs(self) -> set[tuple[str, str]]:
        """The planted pairs, as sorted pairs of page ids."""
        return {(a, b) for a, b, _ in self.planted}


def _order(key: str) -> str:
    """A stable pseudo-random order, independent of how the corpus is sorted."""
    return hashlib.sha256(key.encode()).hexdigest()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n+", text) if p.strip()]


def _usable(text: str) -> bool:
    words = len(_WORD.findall(text))
    return MIN_WORDS <= words <= MAX_WORDS and len(_paragraphs(text)) >= MIN_PARAGRAPHS


def _load(data: Path) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str, int, bool]]]:
    docs: dict[str, dict[str, Any]] = {}
    with (data / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                docs[doc["id"]] = doc
    runs = [(a, b, int(n), bool(same)) for a, b, n, same in json.loads((data / "runs.json").read_text())]
    return docs, runs


def _page(n: int, site: Site, doc: dict[str, Any], wire_index: int) -> Page:
    """Page ``n`` of ``site`` carrying ``doc``, with wire ``wire_index``'s legal notice."""
    wire = WIRES[wire_index % len(WIRES)]
    paragraphs = _paragraphs(doc["text"])
    notice_after = max(1, len(paragraphs) // 2)
    parts: list[tuple[str, bool]] = []  # (text, is article)
    if site.nav_inline:
        parts.append((site.nav, False))
    for i, paragraph in enumerate(paragraphs):
        if i == notice_after:
            parts.append((wire.notice, False))
        parts.append((paragraph, True))
    parts.append((site.footer, False))
    text = "" if site.nav_inline else site.nav + "\n"
    spans = []
    for i, (part, is_article) in enumerate(parts):
        if i:
            text += site.joiner
        if is_article:
            spans.append((len(text), len(text) + len(part)))
        text += part
    return Page(
        id=f"{site.name}-{n:03d}",
        text=text,
        site=site.name,
        source=doc["id"],
        claim=doc["cluster"],
        article=tuple(spans),
        wire=wire.key,
    )


def build(data: Path = DEFAULT_DATA, *, articles: int = 120, planted: int = 8) -> Pages:
    """Scraped pages from the FNC-1 bodies in ``data``: ``articles`` unrelated ones and ``planted`` pairs.

    Unrelated articles: one per claim (claims in a stable pseudo-random order), the first usable one
    (150 to 700 words, three paragraphs or more) that shares no 8-word run with any other article of
    the corpus. Planted pairs: pairs of one claim sharing a run of :data:`PLANTED_RUN` words or more,
    from claims of their own, whose articles share no run with any other page. Pages go to the sites
    in turn (the two pages of a planted pair to two different sites), and carry the wires' legal
    notices in turn.
    """
    docs, runs = _load(data)
    partners: dict[str, set[str]] = defaultdict(set)
    for a, b, _, _ in runs:
        partners[a].add(b)
        partners[b].add(a)
    by_claim: dict[str, list[str]] = defaultdict(list)
    for doc_id, doc in docs.items():
        by_claim[doc["cluster"]].append(doc_id)

    pairs: list[tuple[str, str, int]] = []
    used_claims: set[str] = set()
    chosen: set[str] = set()
    candidates = sorted(
        (r for r in runs if r[3] and r[2] >= PLANTED_RUN), key=lambda r: _order(f"{r[0]}|{r[1]}")
    )
    for a, b, n, _ in candidates:
        if len(pairs) >= planted:
            break
        claim = docs[a]["cluster"]
        if claim in used_claims or not (_usable(docs[a]["text"]) and _usable(docs[b]["text"])):
            continue
        if (partners[a] | partners[b]) & chosen:
            continue
        pairs.append((a, b, n))
        used_claims.add(claim)
        chosen |= {a, b}

    loners: list[str] = []
    for claim in sorted(by_claim, key=_order):
        if len(loners) >= articles:
            break
        if claim in used_claims:
            continue
        for doc_id in sorted(by_claim[claim]):
            if not partners[doc_id] and _usable(docs[doc_id]["text"]):
                loners.append(doc_id)
                break

    pages: list[Page] = []
    counts = [0] * len(SITES)

    def place(doc_id: str, site_index: int) -> Page:
        counts[site_index] += 1
        page = _page(counts[site_index], SITES[site_index], docs[doc_id], len(pages))
        pages.append(page)
        return page

    planted_pages: list[tuple[str, str, int]] = []
    for i, (a, b, n) in enumerate(pairs):
        pa = place(a, i % len(SITES))
        pb = place(b, (i + 1) % len(SITES))
        x, y = sorted((pa.id, pb.id))
        planted_pages.append((x, y, n))
    for i, doc_id in enumerate(loners):
        place(doc_id, i % len(SITES))
    return Pages(tuple(pages), tuple(planted_pages))


def write_pages(pages: Iterable[Page], path: Path) -> None:
    """Write the pages as JSONL (``id``, ``text``), the input ``dedup report`` reads."""
    with path.open("w", encoding="utf-8") as fh:
        for page in pages:
            fh.write(json.dumps({"id": page.id, "text": page.text}, ensure_ascii=False) + "\n")


def report(path: Path, *options: str) -> dict[str, Any]:
    """``dedup report PATH --format json --all-pairs`` run as a user runs it; the parsed JSON."""
    cmd = [sys.executable, "-m", "dedup", "report", str(path), "--format", "json", "--all-pairs", *options]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"dedup report failed ({proc.returncode}): {proc.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


#: Boilerplate learning off: no line recurs in this many articles.
NO_LEARNING = ("--boilerplate-min-docs", "1000000")


def figures(pages: Pages, result: dict[str, Any]) -> dict[str, Any]:
    """What a report of the pages shows: chrome-only pairs flagged, planted pairs found, lines learned."""
    by_id = pages.by_id()
    planted = pages.planted_pairs()
    flagged: set[tuple[str, str]] = set()
    outside: list[str] = []
    for pair in result["pairs"]:
        a, b = sorted((pair["a"], pair["b"]))
        flagged.add((a, b))
        if (a, b) in planted:
            for passage in pair["passages"]:
                if not by_id[pair["a"]].in_article(passage["a_start"], passage["a_end"]):
                    outside.append(f"{pair['a']} {passage['a_start']}-{passage['a_end']}")
                if not by_id[pair["b"]].in_article(passage["b_start"], passage["b_end"]):
                    outside.append(f"{pair['b']} {passage['b_start']}-{passage['b_end']}")
    chrome = sorted(flagged - planted)
    return {
        "pages": len(pages.pages),
        "sites": len({p.site for p in pages.pages}),
        "planted": len(planted),
        "planted_found": len(planted & flagged),
        "chrome_pairs": len(chrome),
        "chrome_pairs_same_site": sum(1 for a, b in chrome if by_id[a].site == by_id[b].site),
        "passages_in_chrome": outside,
        "boilerplate": len(result["boilerplate"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the realnews-fnc1 folder")
    parser.add_argument("--articles", type=int, default=120, help="unrelated articles")
    parser.add_argument("--planted", type=int, default=8, help="planted pairs of real reuse")
    parser.add_argument("--out", type=Path, default=None, help="also write pages.jsonl here")
    args = parser.parse_args(argv)
    if not (args.data / "corpus.jsonl").is_file():
        print(f"no FNC-1 data in {args.data}", file=sys.stderr)
        return 2
    pages = build(args.data, articles=args.articles, planted=args.planted)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "pages.jsonl"
        write_pages(pages.pages, path)
        for name, options in (("in-line boilerplate", ()), ("learning defeated", NO_LEARNING)):
            print(name, json.dumps(figures(pages, report(path, *options))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
